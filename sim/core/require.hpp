// Argument checks that name the field, the value and what is allowed (sim/baryons, surveys/).
#pragma once

#include <cmath>
#include <sstream>
#include <stdexcept>
#include <string>

namespace cosmograd::sim {

/// Throws std::invalid_argument "<field> = <value>: must be <allowed>" unless ok.
inline void require(bool ok, const std::string& field, double value, const std::string& allowed) {
  if (ok) return;
  std::ostringstream msg;
  msg.precision(17);
  msg << field << " = " << value << ": must be " << allowed;
  throw std::invalid_argument(msg.str());
}

/// Whether v is finite and > 0.
inline bool positive(double v) { return v > 0.0 && std::isfinite(v); }

}  // namespace cosmograd::sim
