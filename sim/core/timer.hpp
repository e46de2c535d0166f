// Wall-clock timing of engine phases.
#pragma once

#include <chrono>

namespace cosmograd::sim {

/// Seconds since construction or the last restart().
class Stopwatch {
 public:
  Stopwatch() : start_(std::chrono::steady_clock::now()) {}
  /// Seconds elapsed [s].
  double seconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }
  /// Returns seconds() and starts again.
  double restart() {
    const double s = seconds();
    start_ = std::chrono::steady_clock::now();
    return s;
  }

 private:
  std::chrono::steady_clock::time_point start_;
};

}  // namespace cosmograd::sim
