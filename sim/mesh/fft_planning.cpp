#include "sim/mesh/fft_planning.hpp"

#include <cstdlib>
#include <stdexcept>

namespace cosmograd::sim {

FftPlanning parse_fft_planning(const std::string& name) {
  if (name == "estimate") return FftPlanning::estimate;
  if (name == "measure") return FftPlanning::measure;
  throw std::invalid_argument("fft_planning = '" + name +
                              "' is not a planning mode (allowed: estimate, measure)");
}

const char* fft_planning_name(FftPlanning p) {
  return p == FftPlanning::estimate ? "estimate" : "measure";
}

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
  return dir + "/fftw" + (sizeof(T) == sizeof(float) ? "f" : "d") + ".wisdom";
}

template std::string fftw_wisdom_path<float>();
template std::string fftw_wisdom_path<double>();

}  // namespace cosmograd::sim
