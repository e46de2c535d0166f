// Device memory, cuFFT plans and CUDA-event timers (sim/pm/cuda/device_memory.hpp).
#include <cuda_runtime_api.h>
#include <cufft.h>

#include <cstdio>
#include <map>
#include <mutex>
#include <string>

#include "sim/core/check_cuda.hpp"
#include "sim/pm/cuda/device_memory.hpp"

namespace cosmograd::sim::cuda {

void* device_alloc(std::size_t bytes, const char* what) {
  if (bytes == 0) return nullptr;
  void* p = nullptr;
  const cudaError_t status = cudaMalloc(&p, bytes);
  if (status != cudaSuccess) {
    const std::string call =
        std::string("cudaMalloc of ") + std::to_string(bytes) + " bytes for " + what;
    check_cuda(status, call.c_str());
  }
  return p;
}

void device_free(void* p) noexcept {
  if (p == nullptr) return;
  const cudaError_t status = cudaFree(p);
  if (status != cudaSuccess && status != cudaErrorCudartUnloading) {
    std::fprintf(stderr, "cosmograd: cudaFree failed (CUDA status %d): %s\n",
                 static_cast<int>(status), cudaGetErrorString(status));
  }
}

void copy_to_device(void* dst, const void* src, std::size_t bytes) {
  if (bytes == 0) return;
  check_cuda(cudaMemcpy(dst, src, bytes, cudaMemcpyHostToDevice), "cudaMemcpy host to device");
}

void copy_to_host(void* dst, const void* src, std::size_t bytes) {
  if (bytes == 0) return;
  check_cuda(cudaMemcpy(dst, src, bytes, cudaMemcpyDeviceToHost), "cudaMemcpy device to host");
}

void copy_on_device(void* dst, const void* src, std::size_t bytes) {
  if (bytes == 0) return;
  check_cuda(cudaMemcpy(dst, src, bytes, cudaMemcpyDeviceToDevice), "cudaMemcpy device to device");
}

void device_zero(void* p, std::size_t bytes) {
  if (bytes == 0) return;
  check_cuda(cudaMemset(p, 0, bytes), "cudaMemset");
}

void device_synchronize(const char* what) {
  const std::string call = std::string("cudaDeviceSynchronize after ") + what;
  check_cuda(cudaDeviceSynchronize(), call.c_str());
  check_cuda(cudaGetLastError(), call.c_str());
}

void check_launch(const char* kernel) {
  const std::string call = std::string("launch of kernel ") + kernel;
  check_cuda(cudaGetLastError(), call.c_str());
}

std::pair<std::size_t, std::size_t> device_memory_info() {
  std::size_t free_bytes = 0, total = 0;
  check_cuda(cudaMemGetInfo(&free_bytes, &total), "cudaMemGetInfo");
  return {free_bytes, total};
}

namespace {

/// cuFFT's types and executors for precision T.
template <class T>
struct Cufft;

template <>
struct Cufft<float> {
  static constexpr cufftType kR2C = CUFFT_R2C;
  static constexpr cufftType kC2R = CUFFT_C2R;
  static cufftResult r2c(cufftHandle p, float* d) {
    return cufftExecR2C(p, d, reinterpret_cast<cufftComplex*>(d));
  }
  static cufftResult c2r(cufftHandle p, float* d) {
    return cufftExecC2R(p, reinterpret_cast<cufftComplex*>(d), d);
  }
  static constexpr const char* kR2CName = "cufftExecR2C";
  static constexpr const char* kC2RName = "cufftExecC2R";
};

template <>
struct Cufft<double> {
  static constexpr cufftType kR2C = CUFFT_D2Z;
  static constexpr cufftType kC2R = CUFFT_Z2D;
  static cufftResult r2c(cufftHandle p, double* d) {
    return cufftExecD2Z(p, d, reinterpret_cast<cufftDoubleComplex*>(d));
  }
  static cufftResult c2r(cufftHandle p, double* d) {
    return cufftExecZ2D(p, reinterpret_cast<cufftDoubleComplex*>(d), d);
  }
  static constexpr const char* kR2CName = "cufftExecD2Z";
  static constexpr const char* kC2RName = "cufftExecZ2D";
};

/// The r2c and c2r plans of one n and their shared work area.
struct PlanPair {
  cufftHandle r2c = 0;
  cufftHandle c2r = 0;
  void* work = nullptr;
};

/// Makes a 3-D plan of `type` on the padded layout (advanced layout: real rows of
/// 2 (n/2 + 1) values, complex rows of n/2 + 1), without its own work area.
cufftHandle make_plan(int n, cufftType type, bool real_input, std::size_t* work_size) {
  cufftHandle plan = 0;
  check_cufft(cufftCreate(&plan), "cufftCreate");
  check_cufft(cufftSetAutoAllocation(plan, 0), "cufftSetAutoAllocation");
  long long dims[3] = {n, n, n};
  const long long nzc = n / 2 + 1;
  long long real_embed[3] = {n, n, 2 * nzc};
  long long complex_embed[3] = {n, n, nzc};
  const long long real_dist = static_cast<long long>(n) * n * 2 * nzc;
  const long long complex_dist = static_cast<long long>(n) * n * nzc;
  long long* in_embed = real_input ? real_embed : complex_embed;
  long long* out_embed = real_input ? complex_embed : real_embed;
  check_cufft(
      cufftMakePlanMany64(plan, 3, dims, in_embed, 1, real_input ? real_dist : complex_dist,
                          out_embed, 1, real_input ? complex_dist : real_dist, type, 1, work_size),
      "cufftMakePlanMany64");
  return plan;
}

template <class T>
struct PlanCache {
  std::mutex mutex;
  std::map<int, PlanPair> plans;
  void clear() {
    for (auto& [n, p] : plans) {
      cufftDestroy(p.r2c);  // at exit the runtime may be gone: statuses are not checked here
      cufftDestroy(p.c2r);
      if (p.work != nullptr) cudaFree(p.work);
    }
    plans.clear();
  }
  ~PlanCache() { clear(); }
};

template <class T>
PlanCache<T>& plan_cache() {
  static PlanCache<T> cache;
  return cache;
}

}  // namespace

template <class T>
DeviceFft<T>::DeviceFft(int n) : n_(n) {
  PlanCache<T>& cache = plan_cache<T>();
  const std::lock_guard<std::mutex> lock(cache.mutex);
  auto it = cache.plans.find(n);
  if (it == cache.plans.end()) {
    PlanPair p;
    std::size_t ws_r2c = 0, ws_c2r = 0;
    p.r2c = make_plan(n, Cufft<T>::kR2C, true, &ws_r2c);
    p.c2r = make_plan(n, Cufft<T>::kC2R, false, &ws_c2r);
    const std::size_t ws = ws_r2c > ws_c2r ? ws_r2c : ws_c2r;
    p.work = device_alloc(ws, "the cuFFT work area");
    check_cufft(cufftSetWorkArea(p.r2c, p.work), "cufftSetWorkArea");
    check_cufft(cufftSetWorkArea(p.c2r, p.work), "cufftSetWorkArea");
    it = cache.plans.emplace(n, p).first;
  }
  plans_ = &it->second;
}

template <class T>
void DeviceFft<T>::forward(T* data) const {
  const auto* p = static_cast<const PlanPair*>(plans_);
  check_cufft(Cufft<T>::r2c(p->r2c, data), Cufft<T>::kR2CName);
}

template <class T>
void DeviceFft<T>::backward(T* data) const {
  const auto* p = static_cast<const PlanPair*>(plans_);
  check_cufft(Cufft<T>::c2r(p->c2r, data), Cufft<T>::kC2RName);
}

void release_fft_plans() {
  {
    PlanCache<float>& c = plan_cache<float>();
    const std::lock_guard<std::mutex> lock(c.mutex);
    c.clear();
  }
  PlanCache<double>& c = plan_cache<double>();
  const std::lock_guard<std::mutex> lock(c.mutex);
  c.clear();
}

template class DeviceFft<float>;
template class DeviceFft<double>;

// ---- timers ------------------------------------------------------------------------------

struct PhaseTimer::Impl {
  std::vector<cudaEvent_t> events;  // pool, reused after collect()
  std::size_t used = 0;
  std::vector<std::pair<const char*, std::size_t>> open;  // (name, start event index)
  std::vector<std::pair<const char*, std::pair<std::size_t, std::size_t>>> done;
  std::size_t next_event() {
    if (used == events.size()) {
      cudaEvent_t e = nullptr;
      check_cuda(cudaEventCreate(&e), "cudaEventCreate");
      events.push_back(e);
    }
    check_cuda(cudaEventRecord(events[used], nullptr), "cudaEventRecord");
    return used++;
  }
  ~Impl() {
    for (cudaEvent_t e : events) cudaEventDestroy(e);
  }
};

PhaseTimer::PhaseTimer() : impl_(std::make_unique<Impl>()) {}
PhaseTimer::~PhaseTimer() = default;

void PhaseTimer::begin(const char* name) {
  if (!enabled_) return;
  impl_->open.emplace_back(name, impl_->next_event());
}

void PhaseTimer::end() {
  if (!enabled_ || impl_->open.empty()) return;
  const auto [name, start] = impl_->open.back();
  impl_->open.pop_back();
  impl_->done.push_back({name, {start, impl_->next_event()}});
}

void PhaseTimer::collect() {
  if (impl_->done.empty()) return;
  check_cuda(cudaEventSynchronize(impl_->events[impl_->used - 1]), "cudaEventSynchronize");
  for (const auto& [name, ev] : impl_->done) {
    float ms = 0;
    check_cuda(cudaEventElapsedTime(&ms, impl_->events[ev.first], impl_->events[ev.second]),
               "cudaEventElapsedTime");
    bool found = false;
    for (auto& t : totals_) {
      if (t.first == name) {
        t.second += ms;
        found = true;
        break;
      }
    }
    if (!found) totals_.emplace_back(name, ms);
  }
  impl_->done.clear();
  if (impl_->open.empty()) impl_->used = 0;
}

void PhaseTimer::reset() {
  collect();
  totals_.clear();
}

EventTimer::EventTimer() : start_(nullptr), stop_(nullptr) {
  cudaEvent_t a = nullptr, b = nullptr;
  check_cuda(cudaEventCreate(&a), "cudaEventCreate");
  check_cuda(cudaEventCreate(&b), "cudaEventCreate");
  start_ = a;
  stop_ = b;
}

EventTimer::~EventTimer() {
  cudaEventDestroy(static_cast<cudaEvent_t>(start_));
  cudaEventDestroy(static_cast<cudaEvent_t>(stop_));
}

void EventTimer::start() {
  check_cuda(cudaEventRecord(static_cast<cudaEvent_t>(start_), nullptr), "cudaEventRecord");
}

double EventTimer::stop() {
  check_cuda(cudaEventRecord(static_cast<cudaEvent_t>(stop_), nullptr), "cudaEventRecord");
  check_cuda(cudaEventSynchronize(static_cast<cudaEvent_t>(stop_)), "cudaEventSynchronize");
  float ms = 0;
  check_cuda(
      cudaEventElapsedTime(&ms, static_cast<cudaEvent_t>(start_), static_cast<cudaEvent_t>(stop_)),
      "cudaEventElapsedTime");
  return ms;
}

}  // namespace cosmograd::sim::cuda
