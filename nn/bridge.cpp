#include "nn/bridge.hpp"

#include <torch/torch.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "nn/detail/tensor_checks.hpp"
#include "sim/cosmo/cosmology.hpp"
#include "sim/mesh/particles.hpp"
#include "sim/mpi/decomposition.hpp"
#include "sim/pm/adjoint.hpp"

namespace cosmograd::nn {
namespace {

using detail::check_real_cpu;
using detail::params_from;
using detail::scalar_type_of;
using detail::shape_of;
using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

void check_positions(const torch::Tensor& positions) {
  check_real_cpu(positions, "positions");
  if (positions.dim() != 2 || positions.size(1) != 3) {
    throw std::invalid_argument("positions must have shape (M, 3), got " + shape_of(positions));
  }
}

/// A zero-copy (n, n, n) strided view of the real cells of a serial Field<T>.
template <class T>
torch::Tensor field_view(const sim::Field<T>& field) {
  const sim::Decomposition& d = field.decomp();
  if (d.x_begin() != 0 || d.nx_local() != d.n()) {
    throw std::invalid_argument("the torch bridge needs a serial (one-slab) Field");
  }
  const std::int64_t n = d.n();
  const std::int64_t nzp = d.nz_padded();
  return torch::from_blob(const_cast<T*>(field.real()), {n, n, n}, {n * nzp, nzp, 1},
                          torch::TensorOptions().dtype(scalar_type_of<T>()));
}

/// Points at `positions` as Particles (n_side = 1, every id 0, so x = disp).
template <class T>
sim::Particles<T> point_particles(const torch::Tensor& positions, double box_size) {
  const torch::Tensor p = positions.contiguous();
  const std::size_t m = static_cast<std::size_t>(p.size(0));
  sim::Particles<T> particles;
  particles.n_side = 1;
  particles.box_size = box_size;
  particles.resize(m);
  const T* src = p.data_ptr<T>();
  std::copy(src, src + 3 * m, particles.disp.begin());
  return particles;
}

}  // namespace

/// The engines of one Simulator (one per precision, made on first use), shared with the
/// autograd nodes of its calls. `generation` counts forward calls; `state_of` is the call whose
/// final state the engine of each precision holds (0: none, e.g. after a backward).
struct EngineHolder : torch::CustomClassHolder {
  explicit EngineHolder(sim::SimSpec c) : config(std::move(c)) {}
  sim::SimSpec config;
  std::unique_ptr<sim::DifferentiableSim<float>> f32;
  std::unique_ptr<sim::DifferentiableSim<double>> f64;
  std::unique_ptr<sim::Field<float>> noise32;
  std::unique_ptr<sim::Field<double>> noise64;
  std::uint64_t generation = 0;
  std::uint64_t state_of32 = 0, state_of64 = 0;

  template <class T>
  sim::DifferentiableSim<T>& engine() {
    auto& e = slot<T>();
    if (!e) e = std::make_unique<sim::DifferentiableSim<T>>(config);
    return *e;
  }
  template <class T>
  sim::Field<T>& noise() {
    auto& f = noise_slot<T>();
    if (!f) f = std::make_unique<sim::Field<T>>(sim::Decomposition(config.particles));
    return *f;
  }
  template <class T>
  std::uint64_t& state_of() {
    if constexpr (std::is_same<T, float>::value)
      return state_of32;
    else
      return state_of64;
  }

 private:
  template <class T>
  std::unique_ptr<sim::DifferentiableSim<T>>& slot() {
    if constexpr (std::is_same<T, float>::value)
      return f32;
    else
      return f64;
  }
  template <class T>
  std::unique_ptr<sim::Field<T>>& noise_slot() {
    if constexpr (std::is_same<T, float>::value)
      return noise32;
    else
      return noise64;
  }
};

namespace {

/// Runs the holder's engine of precision T forward from (white_noise, params); returns the
/// final particles.
template <class T>
const sim::Particles<T>& run_engine(EngineHolder& h, const torch::Tensor& white_noise,
                                    const sim::CosmologyParams& params, std::uint64_t generation) {
  sim::DifferentiableSim<T>& e = h.engine<T>();
  e.set_cosmology(params);
  sim::Field<T>& w = h.noise<T>();
  tensor_to_field<T>(white_noise, w);
  const sim::Particles<T>& p = e.forward(w);
  h.state_of<T>() = generation;
  return p;
}

template <class T>
torch::Tensor simulate_forward(AutogradContext* ctx, const c10::intrusive_ptr<EngineHolder>& h,
                               const torch::Tensor& white_noise,
                               const sim::CosmologyParams& params) {
  const std::uint64_t generation = ++h->generation;
  const sim::Particles<T>& p = run_engine<T>(*h, white_noise, params, generation);
  torch::Tensor out = to_particle_rows(p.id, p.disp, p.mom);
  ctx->saved_data["engine"] = c10::IValue::make_capsule(h);
  ctx->saved_data["generation"] = static_cast<int64_t>(generation);
  return out;
}

template <class T>
variable_list simulate_backward(AutogradContext* ctx, const torch::Tensor& grad_out) {
  auto h = c10::static_intrusive_pointer_cast<EngineHolder>(ctx->saved_data["engine"].toCapsule());
  const auto generation = static_cast<std::uint64_t>(ctx->saved_data["generation"].toInt());
  const torch::Tensor white_noise = ctx->get_saved_variables()[0];
  const torch::Tensor params_tensor = ctx->get_saved_variables()[1];
  // The engine holds this call's final state unless another call ran since, or a backward
  // (also a second one, retain_graph) replaced it by the initial state: then run it again.
  if (h->state_of<T>() != generation) {
    run_engine<T>(*h, white_noise, params_from(h->config.cosmology, params_tensor), generation);
  }
  sim::DifferentiableSim<T>& e = h->engine<T>();
  const sim::Particles<T>& p = e.final_state();
  sim::StateCotangent<T> cot;
  from_particle_rows(grad_out, p.id, cot.disp, cot.mom);
  h->state_of<T>() = 0;
  sim::SimGradients<T> grads = e.backward(cot);
  torch::Tensor grad_params = torch::empty({sim::kNumCosmoParams}, torch::kFloat64);
  std::copy(grads.cosmology.begin(), grads.cosmology.end(), grad_params.data_ptr<double>());
  return {torch::Tensor(), field_to_tensor<T>(grads.noise), grad_params};
}

/// (engine, white_noise, cosmo_params) -> (N^3, 6) final displacements and momenta.
struct SimulateFunction : torch::autograd::Function<SimulateFunction> {
  static torch::Tensor forward(AutogradContext* ctx, const c10::intrusive_ptr<EngineHolder>& h,
                               const torch::Tensor& white_noise,
                               const torch::Tensor& cosmo_params) {
    check_real_cpu(white_noise, "white_noise");
    const sim::CosmologyParams params = params_from(h->config.cosmology, cosmo_params);
    const std::int64_t n = h->config.particles;
    if (white_noise.dim() != 3 || white_noise.size(0) != n || white_noise.size(1) != n ||
        white_noise.size(2) != n) {
      throw std::invalid_argument(
          "white_noise must have shape (particles, particles, particles) = (" + std::to_string(n) +
          ", " + std::to_string(n) + ", " + std::to_string(n) + "), got " + shape_of(white_noise));
    }
    ctx->save_for_backward({white_noise, cosmo_params});
    ctx->saved_data["double"] = white_noise.scalar_type() == torch::kFloat64;
    return white_noise.scalar_type() == torch::kFloat64
               ? simulate_forward<double>(ctx, h, white_noise, params)
               : simulate_forward<float>(ctx, h, white_noise, params);
  }
  static variable_list backward(AutogradContext* ctx, variable_list grad_outputs) {
    return ctx->saved_data["double"].toBool() ? simulate_backward<double>(ctx, grad_outputs[0])
                                              : simulate_backward<float>(ctx, grad_outputs[0]);
  }
};

/// CIC density contrast of final particles `state` ((N^3, 6)) on an n^3 mesh.
torch::Tensor density_of(const torch::Tensor& state, const sim::SimSpec& config, int n) {
  const torch::Tensor x =
      lattice_positions(config.particles, config.box_size, state.scalar_type()) +
      state.slice(1, 0, 3);
  const double np = static_cast<double>(config.particles);
  const double mass = static_cast<double>(n) * n * n / (np * np * np);
  return paint(x, n, config.box_size, sim::PaintKernel::cic, mass) - 1.0;
}

template <class T>
torch::Tensor paint_impl(const torch::Tensor& positions, int n_mesh, double box_size,
                         sim::PaintKernel kernel, double mass) {
  const sim::Particles<T> particles = point_particles<T>(positions, box_size);
  sim::Field<T> mesh{sim::Decomposition(n_mesh)};
  sim::paint(mesh, particles, box_size, kernel, static_cast<T>(mass));
  return field_to_tensor<T>(mesh);
}

template <class T>
torch::Tensor paint_vjp_impl(const torch::Tensor& positions, const torch::Tensor& grad_mesh,
                             double box_size, sim::PaintKernel kernel, double mass) {
  const sim::Particles<T> particles = point_particles<T>(positions, box_size);
  sim::Field<T> cot{sim::Decomposition(static_cast<int>(grad_mesh.size(0)))};
  tensor_to_field<T>(grad_mesh.to(scalar_type_of<T>()), cot);
  torch::Tensor grad = torch::zeros_like(positions, torch::MemoryFormat::Contiguous);
  sim::paint_vjp(cot, particles, box_size, kernel, static_cast<T>(mass), grad.data_ptr<T>());
  return grad;
}

/// (positions (M, 3), n_mesh, box_size, kernel, mass) -> mesh (n, n, n).
struct PaintFunction : torch::autograd::Function<PaintFunction> {
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& positions, int64_t n_mesh,
                               double box_size, int64_t kernel, double mass) {
    ctx->save_for_backward({positions});
    ctx->saved_data["box_size"] = box_size;
    ctx->saved_data["kernel"] = kernel;
    ctx->saved_data["mass"] = mass;
    const auto k = static_cast<sim::PaintKernel>(kernel);
    const int n = static_cast<int>(n_mesh);
    return positions.scalar_type() == torch::kFloat64
               ? paint_impl<double>(positions, n, box_size, k, mass)
               : paint_impl<float>(positions, n, box_size, k, mass);
  }
  static variable_list backward(AutogradContext* ctx, variable_list grad_outputs) {
    const torch::Tensor positions = ctx->get_saved_variables()[0];
    const double box_size = ctx->saved_data["box_size"].toDouble();
    const auto k = static_cast<sim::PaintKernel>(ctx->saved_data["kernel"].toInt());
    const double mass = ctx->saved_data["mass"].toDouble();
    const torch::Tensor grad =
        positions.scalar_type() == torch::kFloat64
            ? paint_vjp_impl<double>(positions, grad_outputs[0], box_size, k, mass)
            : paint_vjp_impl<float>(positions, grad_outputs[0], box_size, k, mass);
    return {grad, torch::Tensor(), torch::Tensor(), torch::Tensor(), torch::Tensor()};
  }
};

template <class T>
torch::Tensor readout_impl(const torch::Tensor& mesh, const torch::Tensor& positions,
                           double box_size, sim::PaintKernel kernel) {
  const sim::Particles<T> particles = point_particles<T>(positions, box_size);
  sim::Field<T> field{sim::Decomposition(static_cast<int>(mesh.size(0)))};
  tensor_to_field<T>(mesh, field);
  torch::Tensor out = torch::empty({positions.size(0)}, positions.options());
  sim::readout(field, particles, box_size, kernel, out.data_ptr<T>());
  return out;
}

template <class T>
variable_list readout_vjp_impl(const torch::Tensor& mesh, const torch::Tensor& positions,
                               const torch::Tensor& grad_out, double box_size,
                               sim::PaintKernel kernel) {
  const sim::Particles<T> particles = point_particles<T>(positions, box_size);
  sim::Field<T> field{sim::Decomposition(static_cast<int>(mesh.size(0)))};
  tensor_to_field<T>(mesh, field);
  sim::Field<T> grad_field{field.decomp()};
  const torch::Tensor g = grad_out.to(scalar_type_of<T>()).contiguous();
  torch::Tensor grad_pos = torch::zeros_like(positions, torch::MemoryFormat::Contiguous);
  sim::readout_vjp(field, particles, box_size, kernel, g.data_ptr<T>(), 1, grad_pos.data_ptr<T>(),
                   &grad_field);
  return {field_to_tensor<T>(grad_field), grad_pos, torch::Tensor(), torch::Tensor()};
}

/// (mesh (n, n, n), positions (M, 3), box_size, kernel) -> values (M,).
struct ReadoutFunction : torch::autograd::Function<ReadoutFunction> {
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& mesh,
                               const torch::Tensor& positions, double box_size, int64_t kernel) {
    ctx->save_for_backward({mesh, positions});
    ctx->saved_data["box_size"] = box_size;
    ctx->saved_data["kernel"] = kernel;
    const auto k = static_cast<sim::PaintKernel>(kernel);
    return positions.scalar_type() == torch::kFloat64
               ? readout_impl<double>(mesh, positions, box_size, k)
               : readout_impl<float>(mesh, positions, box_size, k);
  }
  static variable_list backward(AutogradContext* ctx, variable_list grad_outputs) {
    const variable_list saved = ctx->get_saved_variables();
    const double box_size = ctx->saved_data["box_size"].toDouble();
    const auto k = static_cast<sim::PaintKernel>(ctx->saved_data["kernel"].toInt());
    return saved[1].scalar_type() == torch::kFloat64
               ? readout_vjp_impl<double>(saved[0], saved[1], grad_outputs[0], box_size, k)
               : readout_vjp_impl<float>(saved[0], saved[1], grad_outputs[0], box_size, k);
  }
};

template <class T>
torch::Tensor paint_weighted_impl(const torch::Tensor& positions, const torch::Tensor& weights,
                                  int n_mesh, double box_size, sim::PaintKernel kernel) {
  const sim::Particles<T> particles = point_particles<T>(positions, box_size);
  const torch::Tensor w = weights.to(scalar_type_of<T>()).contiguous();
  sim::Field<T> mesh{sim::Decomposition(n_mesh)};
  sim::paint_weighted(mesh, particles, box_size, kernel, w.data_ptr<T>(), 1);
  return field_to_tensor<T>(mesh);
}

/// (positions, weights) -> mesh; differentiable in the weights (their vjp is the readout of
/// the mesh cotangent at the positions, the transpose of the paint).
struct PaintWeightedFunction : torch::autograd::Function<PaintWeightedFunction> {
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& positions,
                               const torch::Tensor& weights, int64_t n_mesh, double box_size,
                               int64_t kernel) {
    ctx->save_for_backward({positions});
    ctx->saved_data["box_size"] = box_size;
    ctx->saved_data["kernel"] = kernel;
    const auto k = static_cast<sim::PaintKernel>(kernel);
    const int n = static_cast<int>(n_mesh);
    return positions.scalar_type() == torch::kFloat64
               ? paint_weighted_impl<double>(positions, weights, n, box_size, k)
               : paint_weighted_impl<float>(positions, weights, n, box_size, k);
  }
  static variable_list backward(AutogradContext* ctx, variable_list grad_outputs) {
    const torch::Tensor positions = ctx->get_saved_variables()[0];
    const double box_size = ctx->saved_data["box_size"].toDouble();
    const auto k = static_cast<sim::PaintKernel>(ctx->saved_data["kernel"].toInt());
    const torch::Tensor cot = grad_outputs[0].to(positions.scalar_type()).contiguous();
    const torch::Tensor gw = positions.scalar_type() == torch::kFloat64
                                 ? readout_impl<double>(cot, positions, box_size, k)
                                 : readout_impl<float>(cot, positions, box_size, k);
    return {torch::Tensor(), gw, torch::Tensor(), torch::Tensor(), torch::Tensor()};
  }
};

}  // namespace

template <class T>
torch::Tensor field_to_tensor(const sim::Field<T>& field) {
  const torch::Tensor view = field_view(field);
  return torch::empty(view.sizes(), view.options()).copy_(view);
}

template <class T>
void tensor_to_field(const torch::Tensor& t, sim::Field<T>& field) {
  const std::int64_t n = field.n();
  if (!t.defined() || !t.device().is_cpu() || t.scalar_type() != scalar_type_of<T>() ||
      t.dim() != 3 || t.size(0) != n || t.size(1) != n || t.size(2) != n) {
    throw std::invalid_argument(
        "tensor_to_field: need an (" + std::to_string(n) + ", " + std::to_string(n) + ", " +
        std::to_string(n) + ") " + std::string(c10::toString(scalar_type_of<T>())) +
        " CPU tensor, got " +
        (t.defined() ? shape_of(t) + " " + std::string(c10::toString(t.scalar_type()))
                     : std::string("undefined")));
  }
  torch::NoGradGuard no_grad;
  field_view(field).copy_(t);
}

template <class T>
torch::Tensor to_particle_rows(const std::vector<std::uint64_t>& id, const std::vector<T>& a,
                               const std::vector<T>& b) {
  const auto m = static_cast<std::int64_t>(id.size());
  torch::Tensor out = torch::empty({m, 6}, torch::TensorOptions().dtype(scalar_type_of<T>()));
  T* o = out.data_ptr<T>();
  for (std::size_t j = 0; j < id.size(); ++j) {
    T* row = o + 6 * id[j];
    for (int d = 0; d < 3; ++d) {
      row[d] = a[3 * j + d];
      row[3 + d] = b[3 * j + d];
    }
  }
  return out;
}

template <class T>
void from_particle_rows(const torch::Tensor& rows, const std::vector<std::uint64_t>& id,
                        std::vector<T>& a, std::vector<T>& b) {
  if (rows.dim() != 2 || rows.size(0) != static_cast<std::int64_t>(id.size()) ||
      rows.size(1) != 6) {
    throw std::invalid_argument("particle rows must have shape (" + std::to_string(id.size()) +
                                ", 6), got " + shape_of(rows));
  }
  const torch::Tensor g = rows.to(scalar_type_of<T>()).contiguous();
  const T* gp = g.data_ptr<T>();
  a.resize(3 * id.size());
  b.resize(3 * id.size());
  for (std::size_t j = 0; j < id.size(); ++j) {
    const T* row = gp + 6 * id[j];
    for (int d = 0; d < 3; ++d) {
      a[3 * j + d] = row[d];
      b[3 * j + d] = row[3 + d];
    }
  }
}

template torch::Tensor to_particle_rows<float>(const std::vector<std::uint64_t>&,
                                               const std::vector<float>&,
                                               const std::vector<float>&);
template torch::Tensor to_particle_rows<double>(const std::vector<std::uint64_t>&,
                                                const std::vector<double>&,
                                                const std::vector<double>&);
template void from_particle_rows<float>(const torch::Tensor&, const std::vector<std::uint64_t>&,
                                        std::vector<float>&, std::vector<float>&);
template void from_particle_rows<double>(const torch::Tensor&, const std::vector<std::uint64_t>&,
                                         std::vector<double>&, std::vector<double>&);
template torch::Tensor field_to_tensor<float>(const sim::Field<float>&);
template torch::Tensor field_to_tensor<double>(const sim::Field<double>&);
template void tensor_to_field<float>(const torch::Tensor&, sim::Field<float>&);
template void tensor_to_field<double>(const torch::Tensor&, sim::Field<double>&);

torch::Tensor lattice_positions(int n_side, double box_size, torch::ScalarType dtype) {
  const torch::Tensor i =
      torch::arange(n_side, torch::TensorOptions().dtype(torch::kFloat64)) * (box_size / n_side);
  const std::vector<torch::Tensor> g = torch::meshgrid({i, i, i}, "ij");
  return torch::stack({g[0].reshape(-1), g[1].reshape(-1), g[2].reshape(-1)}, 1).to(dtype);
}

torch::Tensor simulate_particles(const sim::SimSpec& config, const torch::Tensor& white_noise,
                                 const torch::Tensor& cosmo_params) {
  return SimulateFunction::apply(c10::make_intrusive<EngineHolder>(config), white_noise,
                                 cosmo_params);
}

torch::Tensor simulate_density(const sim::SimSpec& config, const torch::Tensor& white_noise,
                               const torch::Tensor& cosmo_params, int n_mesh) {
  return density_of(simulate_particles(config, white_noise, cosmo_params), config,
                    n_mesh > 0 ? n_mesh : config.mesh);
}

SimulatorImpl::SimulatorImpl(const sim::SimSpec& config)
    : engines_(c10::make_intrusive<EngineHolder>(config)) {
  sim::check_differentiable_config(config, 1);
}

SimulatorImpl::~SimulatorImpl() = default;

const sim::SimSpec& SimulatorImpl::config() const { return engines_->config; }

torch::Tensor SimulatorImpl::forward(const torch::Tensor& white_noise,
                                     const torch::Tensor& cosmo_params) {
  return SimulateFunction::apply(engines_, white_noise, cosmo_params);
}

torch::Tensor SimulatorImpl::density(const torch::Tensor& white_noise,
                                     const torch::Tensor& cosmo_params, int n_mesh) {
  return density_of(forward(white_noise, cosmo_params), engines_->config,
                    n_mesh > 0 ? n_mesh : engines_->config.mesh);
}

torch::Tensor SimulatorImpl::white_noise(torch::ScalarType dtype) {
  return dtype == torch::kFloat64
             ? field_to_tensor<double>(engines_->engine<double>().white_noise())
             : field_to_tensor<float>(engines_->engine<float>().white_noise());
}

torch::Tensor paint(const torch::Tensor& positions, int n_mesh, double box_size,
                    sim::PaintKernel kernel, double mass) {
  check_positions(positions);
  if (n_mesh < 2 || n_mesh % 2 != 0) {
    throw std::invalid_argument("paint: n_mesh = " + std::to_string(n_mesh) +
                                " must be even and >= 2");
  }
  if (!(box_size > 0)) throw std::invalid_argument("paint: box_size must be > 0");
  return PaintFunction::apply(positions, static_cast<int64_t>(n_mesh), box_size,
                              static_cast<int64_t>(kernel), mass);
}

torch::Tensor paint_weighted(const torch::Tensor& positions, const torch::Tensor& weights,
                             int n_mesh, double box_size, sim::PaintKernel kernel) {
  check_positions(positions);
  check_real_cpu(weights, "weights");
  if (weights.dim() != 1 || weights.size(0) != positions.size(0)) {
    throw std::invalid_argument("paint_weighted: weights must have shape (M,) = (" +
                                std::to_string(positions.size(0)) + "), got " + shape_of(weights));
  }
  if (n_mesh < 2 || n_mesh % 2 != 0) {
    throw std::invalid_argument("paint_weighted: n_mesh = " + std::to_string(n_mesh) +
                                " must be even and >= 2");
  }
  if (!(box_size > 0)) throw std::invalid_argument("paint_weighted: box_size must be > 0");
  return PaintWeightedFunction::apply(positions.detach(), weights, static_cast<int64_t>(n_mesh),
                                      box_size, static_cast<int64_t>(kernel));
}

torch::Tensor readout(const torch::Tensor& mesh, const torch::Tensor& positions, double box_size,
                      sim::PaintKernel kernel) {
  check_positions(positions);
  check_real_cpu(mesh, "mesh");
  if (mesh.dim() != 3 || mesh.size(0) != mesh.size(1) || mesh.size(0) != mesh.size(2)) {
    throw std::invalid_argument("readout: mesh must have shape (n, n, n), got " + shape_of(mesh));
  }
  if (mesh.scalar_type() != positions.scalar_type()) {
    throw std::invalid_argument("readout: mesh and positions must have the same dtype");
  }
  if (!(box_size > 0)) throw std::invalid_argument("readout: box_size must be > 0");
  return ReadoutFunction::apply(mesh, positions, box_size, static_cast<int64_t>(kernel));
}

}  // namespace cosmograd::nn
