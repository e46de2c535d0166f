#include "sim/core/backend.hpp"

#include <stdexcept>

#if COSMOGRAD_WITH_CUDA
#include "sim/core/cuda_device.hpp"
#endif
#if COSMOGRAD_HAVE_OPENMP
#include <omp.h>
#endif

namespace cosmograd::sim {

Device parse_device(const std::string& name, const std::string& field) {
  if (name == "cpu") return Device::cpu;
  if (name == "cuda") return Device::cuda;
  throw std::invalid_argument(field + " = '" + name + "' is not a backend (allowed: cpu, cuda)");
}

const char* device_name(Device device) { return device == Device::cpu ? "cpu" : "cuda"; }

int cuda_device_count() {
#if COSMOGRAD_WITH_CUDA
  return cuda::device_count();
#else
  return 0;
#endif
}

void require_device(Device device) {
  if (device == Device::cpu) return;
  if (!kCudaBuilt) {
    throw std::invalid_argument(
        "device = 'cuda' but this build has no CUDA backend (reconfigure with "
        "-DCOSMOGRAD_WITH_CUDA=ON on a machine with the CUDA toolkit; allowed here: cpu)");
  }
  if (cuda_device_count() == 0) {
    throw std::invalid_argument(
        "device = 'cuda' but no CUDA device is visible (allowed here: cpu)");
  }
}

int use_threads(int requested) {
#if COSMOGRAD_HAVE_OPENMP
  if (requested > 0) omp_set_num_threads(requested);
  return omp_get_max_threads();
#else
  (void)requested;
  return 1;
#endif
}

std::string build_summary() {
  std::string s = "cosmograd " COSMOGRAD_VERSION "\n";
  auto line = [&s](const char* name, bool on) {
    s += std::string("  ") + name + (on ? "yes" : "no") + "\n";
  };
  line("FFTW3:  ", COSMOGRAD_HAVE_FFTW);
  line("HDF5:   ", COSMOGRAD_HAVE_HDF5);
  line("MPI:    ", COSMOGRAD_HAVE_MPI);
  line("OpenMP: ", COSMOGRAD_HAVE_OPENMP);
  line("CUDA:   ", kCudaBuilt);
#if COSMOGRAD_HAVE_OPENMP
  s += "  OpenMP threads: " + std::to_string(omp_get_max_threads()) + "\n";
#endif
#if COSMOGRAD_WITH_CUDA
  const int n = cuda::device_count();
  s += "  CUDA devices: " + std::to_string(n) + "\n";
  for (int i = 0; i < n; ++i) s += "    " + std::to_string(i) + ": " + cuda::device_name(i) + "\n";
#endif
  return s;
}

}  // namespace cosmograd::sim
