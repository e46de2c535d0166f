// Portable standard normal deviates for the inference tests (the same on every standard library).
#pragma once

#include <cmath>
#include <cstdint>
#include <random>

namespace cosmograd::testing {

/// Standard normal deviates from std::mt19937_64 by Box-Muller (both values of each pair).
class Normal {
 public:
  /// A generator seeded with `seed`.
  explicit Normal(std::uint64_t seed) : rng_(seed) {}
  /// The next N(0, 1) deviate.
  double operator()() {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    const double u1 = 1.0 - uniform();  // in (0, 1]
    const double u2 = uniform();
    const double r = std::sqrt(-2.0 * std::log(u1));
    constexpr double two_pi = 6.283185307179586476925;
    spare_ = r * std::sin(two_pi * u2);
    has_spare_ = true;
    return r * std::cos(two_pi * u2);
  }

 private:
  double uniform() { return static_cast<double>(rng_() >> 11) * 0x1.0p-53; }
  std::mt19937_64 rng_;
  bool has_spare_ = false;
  double spare_ = 0.0;
};

}  // namespace cosmograd::testing
