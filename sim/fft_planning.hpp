// FFT planning effort, a configuration choice that does not need FFTW to parse.
#pragma once

#include <string>

namespace cosmograd::sim {

/// How hard FFTW searches for a fast plan. `measure` plans take seconds once per size
/// and thread count, then come from the wisdom file; `estimate` plans are immediate.
enum class FftPlanning { estimate, measure };

/// Parses "estimate" or "measure"; throws std::invalid_argument naming the key otherwise.
FftPlanning parse_fft_planning(const std::string& name);

}  // namespace cosmograd::sim
