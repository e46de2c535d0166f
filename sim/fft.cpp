#include "sim/fft.hpp"

#include <fftw3.h>

#include <cstdlib>
#include <map>
#include <mutex>
#include <stdexcept>
#include <tuple>

#include "sim/atomic_file.hpp"
#include "sim/check_fftw.hpp"
#include "sim/log.hpp"

namespace cosmograd::sim {
namespace {

/// FFTW's API for precision T.
template <class T>
struct Fftw;

template <>
struct Fftw<float> {
  using Plan = fftwf_plan;
  using Complex = fftwf_complex;
  static constexpr const char* kSuffix = "f";
  static int init_threads() { return fftwf_init_threads(); }
  static void plan_with_nthreads(int n) { fftwf_plan_with_nthreads(n); }
  static Plan r2c(int n, float* in, Complex* out, unsigned flags) {
    return fftwf_plan_dft_r2c_3d(n, n, n, in, out, flags);
  }
  static Plan c2r(int n, Complex* in, float* out, unsigned flags) {
    return fftwf_plan_dft_c2r_3d(n, n, n, in, out, flags);
  }
  static void exec_r2c(const void* p, float* in, Complex* out) {
    fftwf_execute_dft_r2c(static_cast<Plan>(const_cast<void*>(p)), in, out);
  }
  static void exec_c2r(const void* p, Complex* in, float* out) {
    fftwf_execute_dft_c2r(static_cast<Plan>(const_cast<void*>(p)), in, out);
  }
  static void destroy(void* p) { fftwf_destroy_plan(static_cast<Plan>(p)); }
  static void cleanup_threads() { fftwf_cleanup_threads(); }
  static int import_wisdom(const char* f) { return fftwf_import_wisdom_from_filename(f); }
  static int export_wisdom(const char* f) { return fftwf_export_wisdom_to_filename(f); }
};

template <>
struct Fftw<double> {
  using Plan = fftw_plan;
  using Complex = fftw_complex;
  static constexpr const char* kSuffix = "d";
  static int init_threads() { return fftw_init_threads(); }
  static void plan_with_nthreads(int n) { fftw_plan_with_nthreads(n); }
  static Plan r2c(int n, double* in, Complex* out, unsigned flags) {
    return fftw_plan_dft_r2c_3d(n, n, n, in, out, flags);
  }
  static Plan c2r(int n, Complex* in, double* out, unsigned flags) {
    return fftw_plan_dft_c2r_3d(n, n, n, in, out, flags);
  }
  static void exec_r2c(const void* p, double* in, Complex* out) {
    fftw_execute_dft_r2c(static_cast<Plan>(const_cast<void*>(p)), in, out);
  }
  static void exec_c2r(const void* p, Complex* in, double* out) {
    fftw_execute_dft_c2r(static_cast<Plan>(const_cast<void*>(p)), in, out);
  }
  static void destroy(void* p) { fftw_destroy_plan(static_cast<Plan>(p)); }
  static void cleanup_threads() { fftw_cleanup_threads(); }
  static int import_wisdom(const char* f) { return fftw_import_wisdom_from_filename(f); }
  static int export_wisdom(const char* f) { return fftw_export_wisdom_to_filename(f); }
};

/// FFTW's planner is not thread-safe: every planner call holds this lock.
std::mutex& planner_mutex() {
  static std::mutex m;
  return m;
}

template <class T>
struct PlanCache {
  // (n, threads, planning) -> (forward, backward)
  std::map<std::tuple<int, int, int>, std::pair<void*, void*>> plans;
  bool threads_initialised = false;
  bool wisdom_loaded = false;
  /// Plans live for the whole process; they are freed at exit.
  ~PlanCache() {
    for (auto& [key, plan] : plans) {
      Fftw<T>::destroy(plan.first);
      Fftw<T>::destroy(plan.second);
    }
    if (threads_initialised) Fftw<T>::cleanup_threads();
  }
};

template <class T>
PlanCache<T>& plan_cache() {
  static PlanCache<T> cache;
  return cache;
}

}  // namespace

template <class T>
std::string fftw_wisdom_path() {
  std::string dir;
  if (const char* d = std::getenv("COSMOGRAD_WISDOM_DIR"); d != nullptr && *d != '\0') {
    dir = d;
  } else if (const char* x = std::getenv("XDG_CACHE_HOME"); x != nullptr && *x != '\0') {
    dir = std::string(x) + "/cosmograd";
  } else if (const char* h = std::getenv("HOME"); h != nullptr && *h != '\0') {
    dir = std::string(h) + "/.cache/cosmograd";
  } else {
    dir = ".";
  }
  return dir + "/fftw" + Fftw<T>::kSuffix + ".wisdom";
}

template <class T>
Fft<T>::Fft(const Decomposition& decomp, int threads, FftPlanning planning) : n_(decomp.n()) {
  if (decomp.nx_local() != decomp.n()) {
    throw std::invalid_argument("Fft: the serial FFT needs the whole mesh on one slab");
  }
  if (threads < 1)
    throw std::invalid_argument("threads = " + std::to_string(threads) +
                                " is not allowed (allowed: >= 1)");
  const std::lock_guard<std::mutex> lock(planner_mutex());
  PlanCache<T>& cache = plan_cache<T>();
  if (!cache.threads_initialised) {
    if (Fftw<T>::init_threads() == 0) call_failed("FFTW", "fftw_init_threads", 0, "");
    cache.threads_initialised = true;
  }
  const auto key = std::make_tuple(n_, threads, static_cast<int>(planning));
  auto it = cache.plans.find(key);
  if (it == cache.plans.end()) {
    const std::string wisdom = fftw_wisdom_path<T>();
    if (planning == FftPlanning::measure && !cache.wisdom_loaded) {
      Fftw<T>::import_wisdom(wisdom.c_str());  // a missing file is fine: plans are measured
      cache.wisdom_loaded = true;
    }
    // Plan on scratch memory: FFTW_MEASURE overwrites its arrays.
    Field<T> scratch(decomp);
    auto* real = scratch.real();
    auto* cplx = reinterpret_cast<typename Fftw<T>::Complex*>(scratch.complex());
    const unsigned flags = planning == FftPlanning::measure ? FFTW_MEASURE : FFTW_ESTIMATE;
    Fftw<T>::plan_with_nthreads(threads);
    void* fwd = check_fftw_plan(Fftw<T>::r2c(n_, real, cplx, flags), "fftw_plan_dft_r2c_3d");
    void* bwd = check_fftw_plan(Fftw<T>::c2r(n_, cplx, real, flags), "fftw_plan_dft_c2r_3d");
    if (planning == FftPlanning::measure) {
      try {
        AtomicWrite w(wisdom);
        if (Fftw<T>::export_wisdom(w.temp_path().c_str()) != 0) w.commit();
      } catch (const std::exception& e) {
        log_warn("could not save FFTW wisdom to ", wisdom, ": ", e.what());
      }
    }
    it = cache.plans.emplace(key, std::make_pair(fwd, bwd)).first;
  }
  forward_plan_ = it->second.first;
  backward_plan_ = it->second.second;
}

template <class T>
void Fft<T>::forward(Field<T>& f) const {
  Fftw<T>::exec_r2c(forward_plan_, f.real(),
                    reinterpret_cast<typename Fftw<T>::Complex*>(f.complex()));
}

template <class T>
void Fft<T>::backward(Field<T>& f) const {
  Fftw<T>::exec_c2r(backward_plan_, reinterpret_cast<typename Fftw<T>::Complex*>(f.complex()),
                    f.real());
}

template class Fft<float>;
template class Fft<double>;
template std::string fftw_wisdom_path<float>();
template std::string fftw_wisdom_path<double>();

}  // namespace cosmograd::sim
