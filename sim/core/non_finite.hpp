// Numerical guards: the error a NaN or Inf in the simulation's state raises, and the search for
// the first bad value once a cheap check (a sum, a mode) has found that there is one.
#pragma once

#include <cmath>
#include <cstddef>
#include <stdexcept>
#include <string>
#include <vector>

namespace cosmograd::sim {

/// A NaN or Inf in positions, momenta, the density or a gradient; what() names the quantity
/// and the first bad particle or cell (and, once the stepper has seen it, the step).
class NonFiniteError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Index of the first NaN or Inf in v[0..n), or n when all are finite.
template <class T>
std::size_t first_non_finite(const T* v, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) {
    if (!std::isfinite(v[i])) return i;
  }
  return n;
}

/// first_non_finite() of a vector.
template <class T>
std::size_t first_non_finite(const std::vector<T>& v) {
  return first_non_finite(v.data(), v.size());
}

}  // namespace cosmograd::sim
