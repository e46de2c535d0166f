#include "sim/fft_planning.hpp"

#include <stdexcept>

namespace cosmograd::sim {

FftPlanning parse_fft_planning(const std::string& name) {
  if (name == "estimate") return FftPlanning::estimate;
  if (name == "measure") return FftPlanning::measure;
  throw std::invalid_argument("fft_planning = '" + name +
                              "' is not a planning mode (allowed: estimate, measure)");
}

}  // namespace cosmograd::sim
