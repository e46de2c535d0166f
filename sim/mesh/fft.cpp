#include "sim/mesh/fft.hpp"

#include <fftw3.h>

#include "sim/core/build_config.hpp"
#if COSMOGRAD_HAVE_MPI && COSMOGRAD_HAVE_FFTW_MPI
#include <fftw3-mpi.h>

#include "sim/mpi/check_mpi.hpp"
#include "sim/mpi/detail/mpi_comm.hpp"
#define COSMOGRAD_FFT_MPI 1
#else
#define COSMOGRAD_FFT_MPI 0
#endif

#include <algorithm>
#include <cstdint>
#include <map>
#include <mutex>
#include <stdexcept>
#include <tuple>

#include "sim/core/atomic_file.hpp"
#include "sim/core/log.hpp"
#include "sim/mesh/check_fftw.hpp"

namespace cosmograd::sim {
namespace {

/// FFTW's API for precision T.
template <class T>
struct Fftw;

template <>
struct Fftw<float> {
  using Plan = fftwf_plan;
  using Complex = fftwf_complex;
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
#if COSMOGRAD_FFT_MPI
  static void mpi_init() { fftwf_mpi_init(); }
  static ptrdiff_t mpi_local_size(int n, MPI_Comm c, ptrdiff_t* n0, ptrdiff_t* start) {
    return fftwf_mpi_local_size_3d(n, n, n / 2 + 1, c, n0, start);
  }
  static ptrdiff_t mpi_local_size_transposed(int n, MPI_Comm c, ptrdiff_t* n0, ptrdiff_t* start,
                                             ptrdiff_t* n1, ptrdiff_t* start1) {
    return fftwf_mpi_local_size_3d_transposed(n, n, n / 2 + 1, c, n0, start, n1, start1);
  }
  static Plan mpi_r2c(int n, float* in, Complex* out, MPI_Comm c, unsigned flags) {
    return fftwf_mpi_plan_dft_r2c_3d(n, n, n, in, out, c, flags);
  }
  static Plan mpi_c2r(int n, Complex* in, float* out, MPI_Comm c, unsigned flags) {
    return fftwf_mpi_plan_dft_c2r_3d(n, n, n, in, out, c, flags);
  }
  static void mpi_exec_r2c(const void* p, float* in, Complex* out) {
    fftwf_mpi_execute_dft_r2c(static_cast<Plan>(const_cast<void*>(p)), in, out);
  }
  static void mpi_exec_c2r(const void* p, Complex* in, float* out) {
    fftwf_mpi_execute_dft_c2r(static_cast<Plan>(const_cast<void*>(p)), in, out);
  }
  static void mpi_broadcast_wisdom(MPI_Comm c) { fftwf_mpi_broadcast_wisdom(c); }
  static void mpi_gather_wisdom(MPI_Comm c) { fftwf_mpi_gather_wisdom(c); }
#endif
};

template <>
struct Fftw<double> {
  using Plan = fftw_plan;
  using Complex = fftw_complex;
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
#if COSMOGRAD_FFT_MPI
  static void mpi_init() { fftw_mpi_init(); }
  static ptrdiff_t mpi_local_size(int n, MPI_Comm c, ptrdiff_t* n0, ptrdiff_t* start) {
    return fftw_mpi_local_size_3d(n, n, n / 2 + 1, c, n0, start);
  }
  static ptrdiff_t mpi_local_size_transposed(int n, MPI_Comm c, ptrdiff_t* n0, ptrdiff_t* start,
                                             ptrdiff_t* n1, ptrdiff_t* start1) {
    return fftw_mpi_local_size_3d_transposed(n, n, n / 2 + 1, c, n0, start, n1, start1);
  }
  static Plan mpi_r2c(int n, double* in, Complex* out, MPI_Comm c, unsigned flags) {
    return fftw_mpi_plan_dft_r2c_3d(n, n, n, in, out, c, flags);
  }
  static Plan mpi_c2r(int n, Complex* in, double* out, MPI_Comm c, unsigned flags) {
    return fftw_mpi_plan_dft_c2r_3d(n, n, n, in, out, c, flags);
  }
  static void mpi_exec_r2c(const void* p, double* in, Complex* out) {
    fftw_mpi_execute_dft_r2c(static_cast<Plan>(const_cast<void*>(p)), in, out);
  }
  static void mpi_exec_c2r(const void* p, Complex* in, double* out) {
    fftw_mpi_execute_dft_c2r(static_cast<Plan>(const_cast<void*>(p)), in, out);
  }
  static void mpi_broadcast_wisdom(MPI_Comm c) { fftw_mpi_broadcast_wisdom(c); }
  static void mpi_gather_wisdom(MPI_Comm c) { fftw_mpi_gather_wisdom(c); }
#endif
};

/// FFTW's planner is not thread-safe: every planner call holds this lock.
std::mutex& planner_mutex() {
  static std::mutex m;
  return m;
}

template <class T>
struct PlanCache {
  // (n, threads, planning, communicator, transposed) -> (forward, backward)
  std::map<std::tuple<int, int, int, std::uintptr_t, bool>, std::pair<void*, void*>> plans;
  bool threads_initialised = false;
  bool mpi_initialised = false;
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

#if COSMOGRAD_FFT_MPI
/// Frees the distributed plans (they hold duplicated communicators) when MPI_Finalize
/// frees MPI_COMM_SELF's attributes, before MPI is gone: the cache's own destructor runs
/// at exit, too late for MPI_Comm_free.
template <class T>
int release_mpi_plans(MPI_Comm, int, void*, void*) {
  const std::lock_guard<std::mutex> lock(planner_mutex());
  PlanCache<T>& cache = plan_cache<T>();
  for (auto it = cache.plans.begin(); it != cache.plans.end();) {
    if (std::get<3>(it->first) != 0) {
      Fftw<T>::destroy(it->second.first);
      Fftw<T>::destroy(it->second.second);
      it = cache.plans.erase(it);
    } else {
      ++it;
    }
  }
  // No fftw_mpi_cleanup: it would also invalidate the serial plans still cached.
  return MPI_SUCCESS;
}

/// Initialises FFTW-MPI and arranges release_mpi_plans at MPI_Finalize.
template <class T>
void init_fftw_mpi(PlanCache<T>& cache) {
  if (cache.mpi_initialised) return;
  Fftw<T>::mpi_init();
  int key = MPI_KEYVAL_INVALID;
  check_mpi(MPI_Comm_create_keyval(MPI_COMM_NULL_COPY_FN, release_mpi_plans<T>, &key, nullptr),
            "MPI_Comm_create_keyval");
  check_mpi(MPI_Comm_set_attr(MPI_COMM_SELF, key, nullptr), "MPI_Comm_set_attr");
  cache.mpi_initialised = true;
}

/// Reals per rank FFTW-MPI needs for an n^3 r2c transform over comm, in either Fourier
/// layout (its alloc_local).
std::size_t fftw_mpi_alloc_real(int n, const Comm& comm) {
  {
    const std::lock_guard<std::mutex> lock(planner_mutex());
    init_fftw_mpi(plan_cache<double>());
  }
  const MPI_Comm c = detail::mpi_comm(comm);
  ptrdiff_t n0 = 0, start = 0, n1 = 0, start1 = 0;
  const ptrdiff_t slabs = Fftw<double>::mpi_local_size(n, c, &n0, &start);
  const ptrdiff_t transposed =
      Fftw<double>::mpi_local_size_transposed(n, c, &n0, &start, &n1, &start1);
  return 2 * static_cast<std::size_t>(std::max(slabs, transposed));
}

/// Installs fftw_mpi_alloc_real as the decompositions' allocation rule at load time.
const bool g_alloc_rule_installed = [] {
  Decomposition::set_distributed_alloc_rule(fftw_mpi_alloc_real);
  return true;
}();
#endif

}  // namespace

template <class T>
Fft<T>::Fft(const Decomposition& decomp, int threads, FftPlanning planning, FourierLayout layout)
    : n_(decomp.n()),
      distributed_(decomp.distributed()),
      transposed_(distributed_ && layout == FourierLayout::transposed) {
  if (!distributed_ && decomp.nx_local() != decomp.n()) {
    throw std::invalid_argument("Fft: the serial FFT needs the whole mesh on one slab");
  }
#if !COSMOGRAD_FFT_MPI
  if (distributed_) {
    throw std::invalid_argument(
        "Fft: mesh distributed over " + std::to_string(decomp.comm().size()) +
        " ranks, but this build has no FFTW-MPI (install libfftw3-mpi-dev)");
  }
#endif
  if (threads < 1)
    throw std::invalid_argument("threads = " + std::to_string(threads) +
                                " is not allowed (allowed: >= 1)");
  const std::lock_guard<std::mutex> lock(planner_mutex());
  PlanCache<T>& cache = plan_cache<T>();
  if (!cache.threads_initialised) {
    if (Fftw<T>::init_threads() == 0) call_failed("FFTW", "fftw_init_threads", 0, "");
    cache.threads_initialised = true;
  }
#if COSMOGRAD_FFT_MPI
  const MPI_Comm comm = detail::mpi_comm(decomp.comm());
  if (distributed_) {
    init_fftw_mpi(cache);
    // FFTW-MPI's slab must be the one the decomposition computed.
    ptrdiff_t n0 = 0, start = 0;
    ptrdiff_t alloc = Fftw<T>::mpi_local_size(n_, comm, &n0, &start);
    bool mismatch = false;
    if (transposed_) {  // Fourier y-slabs must be the real-space x-slabs (cubic mesh)
      ptrdiff_t n1 = 0, start1 = 0;
      alloc = Fftw<T>::mpi_local_size_transposed(n_, comm, &n0, &start, &n1, &start1);
      mismatch = n1 != decomp.nx_local() || (n1 > 0 && start1 != decomp.x_begin());
    }
    // An empty slab's start is arbitrary. Every rank learns of a mismatch on any rank, so
    // none is left waiting in the collective planner.
    mismatch = mismatch || n0 != decomp.nx_local() || (n0 > 0 && start != decomp.x_begin()) ||
               static_cast<std::size_t>(2 * alloc) > decomp.alloc_real_size();
    if (decomp.comm().max(mismatch ? 1.0 : 0.0) > 0 && !mismatch) {
      throw std::logic_error(
          "Fft: FFTW-MPI's slab differs from the decomposition's on another rank");
    }
    if (mismatch) {
      throw std::logic_error(
          "Fft: FFTW-MPI's slab [" + std::to_string(start) + ", +" + std::to_string(n0) + "), " +
          std::to_string(2 * alloc) + " values, differs from the decomposition's [" +
          std::to_string(decomp.x_begin()) + ", +" + std::to_string(decomp.nx_local()) + "), " +
          std::to_string(decomp.alloc_real_size()));
    }
  }
#endif
  const auto key =
      std::make_tuple(n_, threads, static_cast<int>(planning),
                      distributed_ ? decomp.comm().handle() : std::uintptr_t{0}, transposed_);
  auto it = cache.plans.find(key);
  if (it == cache.plans.end()) {
    const std::string wisdom = fftw_wisdom_path<T>();
    const bool io_rank = decomp.comm().rank() == 0;
    if (planning == FftPlanning::measure && !cache.wisdom_loaded) {
      // A missing file is fine: plans are measured. Ranks share rank 0's wisdom.
      if (io_rank) Fftw<T>::import_wisdom(wisdom.c_str());
#if COSMOGRAD_FFT_MPI
      if (distributed_) Fftw<T>::mpi_broadcast_wisdom(comm);
#endif
      cache.wisdom_loaded = true;
    }
    // Plan on scratch memory: FFTW_MEASURE overwrites its arrays.
    Field<T> scratch(decomp);
    auto* real = scratch.real();
    auto* cplx = reinterpret_cast<typename Fftw<T>::Complex*>(scratch.complex());
    const unsigned flags = planning == FftPlanning::measure ? FFTW_MEASURE : FFTW_ESTIMATE;
    Fftw<T>::plan_with_nthreads(threads);
    void* fwd = nullptr;
    void* bwd = nullptr;
#if COSMOGRAD_FFT_MPI
    if (distributed_) {
      const unsigned out = transposed_ ? FFTW_MPI_TRANSPOSED_OUT : 0u;
      const unsigned in = transposed_ ? FFTW_MPI_TRANSPOSED_IN : 0u;
      fwd = check_fftw_plan(Fftw<T>::mpi_r2c(n_, real, cplx, comm, flags | out),
                            "fftw_mpi_plan_dft_r2c_3d");
      bwd = check_fftw_plan(Fftw<T>::mpi_c2r(n_, cplx, real, comm, flags | in),
                            "fftw_mpi_plan_dft_c2r_3d");
      if (planning == FftPlanning::measure) Fftw<T>::mpi_gather_wisdom(comm);
    }
#endif
    if (!distributed_) {
      if (planning == FftPlanning::measure) {
        // Say so when FFTW will measure (seconds; silent otherwise): no wisdom for this size.
        void* known = Fftw<T>::r2c(n_, real, cplx, flags | FFTW_WISDOM_ONLY);
        if (known != nullptr) {
          Fftw<T>::destroy(known);
        } else {
          log_info("planning FFTs for a ", n_, "^3 mesh with ", threads,
                   " threads (FFTW_MEASURE: seconds, first time only; cached in ", wisdom, ")");
        }
      }
      fwd = check_fftw_plan(Fftw<T>::r2c(n_, real, cplx, flags), "fftw_plan_dft_r2c_3d");
      bwd = check_fftw_plan(Fftw<T>::c2r(n_, cplx, real, flags), "fftw_plan_dft_c2r_3d");
    }
    if (planning == FftPlanning::measure && io_rank) {
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
#if COSMOGRAD_FFT_MPI
  if (distributed_) {
    Fftw<T>::mpi_exec_r2c(forward_plan_, f.real(),
                          reinterpret_cast<typename Fftw<T>::Complex*>(f.complex()));
    return;
  }
#endif
  Fftw<T>::exec_r2c(forward_plan_, f.real(),
                    reinterpret_cast<typename Fftw<T>::Complex*>(f.complex()));
}

template <class T>
void Fft<T>::backward(Field<T>& f) const {
#if COSMOGRAD_FFT_MPI
  if (distributed_) {
    Fftw<T>::mpi_exec_c2r(backward_plan_, reinterpret_cast<typename Fftw<T>::Complex*>(f.complex()),
                          f.real());
    return;
  }
#endif
  Fftw<T>::exec_c2r(backward_plan_, reinterpret_cast<typename Fftw<T>::Complex*>(f.complex()),
                    f.real());
}

template class Fft<float>;
template class Fft<double>;

}  // namespace cosmograd::sim
