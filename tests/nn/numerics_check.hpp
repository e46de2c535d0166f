// Helpers of the nn numerics tests (test_modules_numerics_*.cpp): each check prints the measured
// error next to its bound, so a run reports how much margin every tolerance has.
#pragma once

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cstdio>
#include <string>

namespace cosmograd::nn::numerics_test {

/// Double-precision tensor options: every numerics test runs in float64.
inline const torch::TensorOptions kF64 = torch::TensorOptions().dtype(torch::kFloat64);

/// Largest |a - b| over all elements (broadcastable shapes), as a double.
inline double max_abs_diff(const torch::Tensor& a, const torch::Tensor& b) {
  return (a - b).abs().max().item<double>();
}

/// Prints the measured error and expects measured < tol (a property that must hold).
inline void expect_below(const std::string& what, double measured, double tol) {
  std::printf("[ numerics ] %-62s %10.3e  < %.0e\n", what.c_str(), measured, tol);
  EXPECT_LT(measured, tol) << what;
}

/// Prints the measured value and expects measured > floor: a negative control showing that the
/// check it accompanies can fail.
inline void expect_above(const std::string& what, double measured, double floor) {
  std::printf("[ numerics ] %-62s %10.3e  > %.0e (control)\n", what.c_str(), measured, floor);
  EXPECT_GT(measured, floor) << what;
}

/// Pads the spatial dims (2..) of x by p cells per side with periodic wrap, by gathering with
/// wrapped indices: an implementation independent of nn::periodic_pad (F::pad circular).
inline torch::Tensor wrap_pad(const torch::Tensor& x, int64_t p) {
  torch::Tensor out = x;
  for (int64_t d = 2; d < x.dim(); ++d) {
    const int64_t n = x.size(d);
    out = out.index_select(d, torch::remainder(torch::arange(-p, n + p, torch::kLong), n));
  }
  return out;
}

/// Reference periodic 3D convolution with weight [C_out, C_in, k, k, k] (odd k), bias [C_out]
/// (may be undefined) and stride s: plain conv3d of the wrap-padded input.
inline torch::Tensor periodic_conv3d_reference(const torch::Tensor& x, const torch::Tensor& w,
                                               const torch::Tensor& b, int64_t stride = 1) {
  return torch::conv3d(wrap_pad(x, w.size(2) / 2), w, b, stride);
}

}  // namespace cosmograd::nn::numerics_test
