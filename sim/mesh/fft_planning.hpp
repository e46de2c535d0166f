// FFT planning effort, a configuration choice that does not need FFTW to parse.
#pragma once

#include <string>

namespace cosmograd::sim {

/// How hard FFTW searches for a fast plan. `measure` plans take seconds once per size
/// and thread count, then come from the wisdom file; `estimate` plans are immediate.
enum class FftPlanning { estimate, measure };

/// Parses "estimate" or "measure"; throws std::invalid_argument naming the key otherwise.
FftPlanning parse_fft_planning(const std::string& name);
/// "estimate" or "measure".
const char* fft_planning_name(FftPlanning p);

/// File that holds FFTW wisdom for precision T ($COSMOGRAD_WISDOM_DIR, else
/// $XDG_CACHE_HOME/cosmograd, else ~/.cache/cosmograd).
template <class T>
std::string fftw_wisdom_path();

}  // namespace cosmograd::sim
