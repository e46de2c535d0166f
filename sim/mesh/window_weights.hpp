// The mass-assignment weights of one axis, the one copy that the CPU painter
// (sim/mesh/painter.cpp) and the CUDA kernels (sim/pm/cuda/pm_math.hpp) both compile: plain
// C++, COSMOGRAD_HOST_DEVICE, no CUDA headers.
#pragma once

#include <cmath>
#include <type_traits>

#include "sim/core/philox.hpp"  // COSMOGRAD_HOST_DEVICE

namespace cosmograd::sim {

/// Centred cardinal B-spline of order p (degree p - 1) at x [cells], and with deriv its
/// derivative: M_p(x) = sum_k (-1)^k C(p, k) (x + p/2 - k)_+^(p-1) / (p-1)! (Schoenberg
/// 1946; Hockney & Eastwood 1988, §5-3: the order-p window is M_p of the distance). The
/// alternating sum cancels to ~1e-13 absolute for p <= 6, enough for painting.
COSMOGRAD_HOST_DEVICE inline double bspline(int p, double x, bool deriv) {
  if (fabs(x) >= 0.5 * p) return 0.0;  // outside the support (exactly, not by cancellation)
  const int degree = deriv ? p - 2 : p - 1;
  double factorial = 1, binom = 1, sum = 0;
  for (int i = 2; i <= degree; ++i) factorial *= i;
  for (int k = 0; k <= p; ++k) {
    const double t = x + 0.5 * p - k;
    if (t > 0) {
      double power = 1;
      for (int i = 0; i < degree; ++i) power *= t;
      sum += (k % 2 == 0 ? binom : -binom) * power;
    }
    binom = binom * (p - k) / (k + 1);
  }
  return sum / factorial;
}

/// floor(u) for |u| < 2^62 without a libm call (x86-64's baseline SSE2 has no rounding
/// instruction, and floor() is a function call there): truncate, then step down when u < 0.
COSMOGRAD_HOST_DEVICE inline double fast_floor(double u) {
  const double t = static_cast<double>(static_cast<long long>(u));
  return t > u ? t - 1.0 : t;
}

/// B-spline window of order P along one axis (Hockney & Eastwood 1988, §5-3): returns the
/// first touched mesh index (unwrapped) and fills the P weights, for a position u in cells;
/// with Deriv also their derivatives dw = dW/du [per cell]. CIC, TSC and PCS have closed
/// forms; other orders use bspline(). The first index is floor(u) - (P/2 - 1) for even P and
/// floor(u + 1/2) - (P - 1)/2 for odd P (the ghost widths of sim/mesh/window.hpp).
template <int P, bool Deriv, class T>
COSMOGRAD_HOST_DEVICE inline long long axis_weights(double u, T* w, T* dw) {
  if constexpr (P == 2) {  // CIC
    const double f = fast_floor(u);
    const T t = static_cast<T>(u - f);
    w[0] = T(1) - t;
    w[1] = t;
    if constexpr (Deriv) {
      dw[0] = T(-1);
      dw[1] = T(1);
    }
    return static_cast<long long>(f);
  } else if constexpr (P == 3) {  // TSC
    const double c = fast_floor(u + 0.5);
    const T d = static_cast<T>(u - c);  // in [-1/2, 1/2)
    w[0] = T(0.5) * (T(0.5) - d) * (T(0.5) - d);
    w[1] = T(0.75) - d * d;
    w[2] = T(0.5) * (T(0.5) + d) * (T(0.5) + d);
    if constexpr (Deriv) {
      dw[0] = d - T(0.5);
      dw[1] = T(-2) * d;
      dw[2] = T(0.5) + d;
    }
    return static_cast<long long>(c) - 1;
  } else if constexpr (P == 4) {  // PCS
    const double f = fast_floor(u);
    const T t = static_cast<T>(u - f);
    const T s = T(1) - t;
    w[0] = s * s * s / T(6);
    w[1] = (T(4) - T(6) * t * t + T(3) * t * t * t) / T(6);
    w[2] = (T(4) - T(6) * s * s + T(3) * s * s * s) / T(6);
    w[3] = t * t * t / T(6);
    if constexpr (Deriv) {
      dw[0] = T(-0.5) * s * s;
      dw[1] = (T(1.5) * t - T(2)) * t;
      dw[2] = (T(2) - T(1.5) * s) * s;
      dw[3] = T(0.5) * t * t;
    }
    return static_cast<long long>(f) - 1;
  } else {  // any other order: the B-spline of the distance to each touched mesh point
    const long long first = P % 2 == 0 ? static_cast<long long>(fast_floor(u)) - (P / 2 - 1)
                                       : static_cast<long long>(fast_floor(u + 0.5)) - (P - 1) / 2;
    for (int c = 0; c < P; ++c) {
      const double x = static_cast<double>(first + c) - u;
      w[c] = static_cast<T>(bspline(P, x, false));
      if constexpr (Deriv) dw[c] = static_cast<T>(-bspline(P, x, true));  // d/du = -d/dx
    }
    return first;
  }
}

/// The P consecutive periodic mesh indices starting at `first` (any integer).
template <int P>
COSMOGRAD_HOST_DEVICE inline void wrapped_indices(long long first, int n, int* idx) {
  long long i0 = first;
  if (i0 < 0 || i0 >= n) {  // rare: positions are mostly inside the box
    i0 %= n;
    if (i0 < 0) i0 += n;
  }
  for (int c = 0; c < P; ++c) {
    const int i = static_cast<int>(i0) + c;
    idx[c] = i >= n ? i - n : i;
  }
}

/// Largest window support with weights here (axis_weights instantiated by with_support).
inline constexpr int kMaxWindowSupport = 6;

/// Calls f(std::integral_constant<int, P>) for support p in [2, kMaxWindowSupport] and
/// returns true; false for any other p (the caller reports it). Host code: the CPU painter
/// and the CUDA launchers dispatch with it.
template <class F>
bool with_support(int p, F f) {
  switch (p) {
    case 2:
      return f(std::integral_constant<int, 2>()), true;
    case 3:
      return f(std::integral_constant<int, 3>()), true;
    case 4:
      return f(std::integral_constant<int, 4>()), true;
    case 5:
      return f(std::integral_constant<int, 5>()), true;
    case 6:
      return f(std::integral_constant<int, 6>()), true;
    default:
      return false;
  }
}

}  // namespace cosmograd::sim
