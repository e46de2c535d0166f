// A tiny self-contained check harness for the gpu tests (no GoogleTest: the GPU machine may
// lack it). Named checks print their max relative error and tolerance; finish() returns the
// exit status (1 on any failure); skip_without_device() exits with 77 (ctest's SKIP_RETURN_CODE)
// and "SKIPPED: no CUDA device" when no CUDA device is visible.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "sim/core/backend.hpp"
#include "tests/sim/cuda/compare.hpp"

namespace cosmograd::test {

/// Collects named checks of one test program.
class GpuCheck {
 public:
  /// Checks of the program `suite`.
  explicit GpuCheck(const char* suite) : suite_(suite) {}
  /// Exits with status 77 and "SKIPPED: no CUDA device" when no CUDA device is visible.
  void skip_without_device() const {
    if (sim::cuda_device_count() == 0) {
      std::printf("%s: SKIPPED: no CUDA device\n", suite_.c_str());
      std::exit(77);
    }
  }
  /// Passes when err <= tol (err a relative error); prints both.
  void expect_rel(const std::string& name, double err, double tol) {
    const bool ok = err <= tol;
    std::printf("%s  %-58s max rel err %.3e  (tol %.1e)\n", ok ? "[ OK ]" : "[FAIL]", name.c_str(),
                err, tol);
    record(ok);
  }
  /// Passes when cond holds; prints `detail`.
  void expect(bool cond, const std::string& name, const std::string& detail = "") {
    std::printf("%s  %-58s %s\n", cond ? "[ OK ]" : "[FAIL]", name.c_str(), detail.c_str());
    record(cond);
  }
  /// Prints the summary; returns 0 when every check passed, 1 otherwise.
  int finish() const {
    std::printf("%s: %d checks, %d failed\n", suite_.c_str(), checks_, failed_);
    return failed_ == 0 ? 0 : 1;
  }

 private:
  void record(bool ok) {
    ++checks_;
    if (!ok) ++failed_;
    std::fflush(stdout);
  }
  std::string suite_;
  int checks_ = 0;
  int failed_ = 0;
};

}  // namespace cosmograd::test
