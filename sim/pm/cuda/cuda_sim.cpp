#include "sim/pm/cuda/cuda_sim.hpp"

#include <stdexcept>

namespace cosmograd::sim::cuda {

template <class T>
CudaSim<T>::CudaSim(const SimSpec& c, GradientMode mode, int checkpoint_every) {
  check_differentiable_config(c, checkpoint_every);
  tables_ = std::make_unique<CosmologyTables>(c.cosmology, c.transfer.name, c.transfer.table_path);
  schedule_ = std::make_unique<StepSchedule>(tables_->cosmology, tables_->dual, c.time_grid());
  backend_ = std::make_unique<CudaBackend<T>>(c, *tables_);
  stepper_ = std::make_unique<KdkStepper<T>>(*backend_, mode, checkpoint_every);
}

template <class T>
CudaSim<T>::~CudaSim() = default;

template <class T>
Field<T> CudaSim<T>::white_noise() const {
  return backend_->white_noise();
}

template <class T>
void CudaSim<T>::forward(const Field<T>& w) {
  backend_->initial_conditions(w);
  stepper_->forward(*schedule_);
}

template <class T>
void CudaSim<T>::forward_white_noise() {
  backend_->initial_conditions_from_seed();
  stepper_->forward(*schedule_);
}

template <class T>
void CudaSim<T>::initial_conditions(const Field<T>& w) {
  backend_->initial_conditions(w);
}

template <class T>
SimGradients<T> CudaSim<T>::initial_conditions_vjp(const StateCotangent<T>& ic_cot) {
  backend_->set_cotangent(ic_cot);
  Field<T> noise = backend_->initial_conditions_vjp();
  return SimGradients<T>{std::move(noise), backend_->take_gradient()};
}

template <class T>
void CudaSim<T>::final_state(Particles<T>& host) const {
  host = backend_->host_state();
}

template <class T>
void CudaSim<T>::set_final_cotangent(const StateCotangent<T>& final_cot) {
  backend_->set_cotangent(final_cot);
  cotangent_set_ = true;
}

template <class T>
std::array<double, kNumCosmoParams> CudaSim<T>::backward_on_device() {
  if (!cotangent_set_) {
    throw std::logic_error("CudaSim::backward_on_device: call set_final_cotangent() first");
  }
  cotangent_set_ = false;
  stepper_->backward(*schedule_);
  backend_->initial_conditions_vjp_on_device();
  return backend_->take_gradient();
}

template <class T>
Field<T> CudaSim<T>::noise_gradient() const {
  return backend_->noise_gradient();
}

template <class T>
SimGradients<T> CudaSim<T>::backward(const StateCotangent<T>& final_cot) {
  set_final_cotangent(final_cot);
  const std::array<double, kNumCosmoParams> theta = backward_on_device();
  return SimGradients<T>{noise_gradient(), theta};
}

template <class T>
const std::vector<double>& CudaSim<T>::time_grid() const {
  return schedule_->grid();
}

template <class T>
void CudaSim<T>::enable_timings(bool on) {
  backend_->enable_timings(on);
}

template <class T>
KernelTimings CudaSim<T>::timings() const {
  return backend_->timings();
}

template <class T>
void CudaSim<T>::reset_timings() {
  backend_->reset_timings();
}

template <class T>
std::size_t CudaSim<T>::device_bytes() const {
  return backend_->device_bytes();
}

template class CudaSim<float>;
template class CudaSim<double>;

}  // namespace cosmograd::sim::cuda

namespace cosmograd::sim {

template <class T>
std::unique_ptr<PmBackend<T>> make_cuda_backend(const SimSpec& c, const CosmologyTables& tables) {
  return std::make_unique<cuda::CudaBackend<T>>(c, tables);
}

template std::unique_ptr<PmBackend<float>> make_cuda_backend<float>(const SimSpec&,
                                                                    const CosmologyTables&);
template std::unique_ptr<PmBackend<double>> make_cuda_backend<double>(const SimSpec&,
                                                                      const CosmologyTables&);

}  // namespace cosmograd::sim
