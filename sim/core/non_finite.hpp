// Numerical guards: the error a NaN or Inf in the simulation's state raises, and the search for
// the first bad value once a cheap check (a sum, a mode) has found that there is one.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
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

/// For `v` holding 3 values per particle with lattice ids `id`: "<quantity> of particle j
/// (lattice id I) is V in coordinate c" for its first NaN or Inf, or "" when all are finite.
template <class T>
std::string describe_first_non_finite(const std::vector<T>& v, const std::vector<std::uint64_t>& id,
                                      const std::string& quantity) {
  const std::size_t i = first_non_finite(v);
  if (i == v.size()) return "";
  const std::size_t j = i / 3;
  return quantity + " of particle " + std::to_string(j) + " (lattice id " +
         (j < id.size() ? std::to_string(id[j]) : std::string("?")) + ") is " +
         std::to_string(v[i]) + " in coordinate " + std::to_string(i % 3);
}

}  // namespace cosmograd::sim
