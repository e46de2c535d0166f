// Status check for FFTW plan creation (FFTW reports failure as a null plan).
#pragma once

#include "sim/core/check.hpp"

namespace cosmograd::sim {

/// Returns plan, or throws CallError naming `call` when FFTW returned a null plan.
template <class Plan>
Plan check_fftw_plan(Plan plan, const char* call) {
  if (plan == nullptr) {
    call_failed("FFTW", call, 0, "FFTW returned a null plan (unsupported size, layout or flags)");
  }
  return plan;
}

}  // namespace cosmograd::sim
