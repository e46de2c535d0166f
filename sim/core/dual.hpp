// Forward-mode dual numbers with a fixed number of derivative slots.
//
// Dual<N> carries a value v and the N partial derivatives d[i] = dv/dtheta_i.  Code written
// once as a template on the scalar S (double or Dual<N>) gives values and exact (to rounding)
// parameter derivatives from the same lines.  Header only, constexpr-friendly, no heap.
//
// Math functions are found by argument-dependent lookup (they live in cosmograd::sim, next to
// Dual).  The std:: overloads for double are brought into cosmograd::sim by using-declarations,
// so an unqualified `sqrt(x)` inside cosmograd::sim works for both S = double and S = Dual<N>.
#pragma once

#include <array>
#include <cmath>
#include <ostream>
#include <type_traits>

namespace cosmograd::sim {

/// Dual number: value v and N first derivatives d (forward-mode automatic differentiation).
template <int N>
struct Dual {
  static_assert(N >= 0, "Dual<N> needs N >= 0 derivative slots");
  double v = 0.0;             ///< value
  std::array<double, N> d{};  ///< derivatives dv/dtheta_i, i = 0..N-1

  /// Zero value, zero derivatives.
  constexpr Dual() = default;
  /// A constant: value x, zero derivatives (implicit so that `S x = 1.0;` works for any S).
  constexpr Dual(double x) : v(x), d{} {}  // NOLINT(google-explicit-constructor)
  /// Value x with the given derivatives.
  constexpr Dual(double x, const std::array<double, N>& dx) : v(x), d(dx) {}
  /// An independent variable: value x, derivative 1 in slot i, 0 elsewhere.
  static constexpr Dual variable(double x, int i) {
    Dual r(x);
    r.d[static_cast<std::size_t>(i)] = 1.0;
    return r;
  }

  /// this += o.
  constexpr Dual& operator+=(const Dual& o) {
    v += o.v;
    for (int i = 0; i < N; ++i) d[i] += o.d[i];
    return *this;
  }
  /// this -= o.
  constexpr Dual& operator-=(const Dual& o) {
    v -= o.v;
    for (int i = 0; i < N; ++i) d[i] -= o.d[i];
    return *this;
  }
  /// this *= o (product rule).
  constexpr Dual& operator*=(const Dual& o) {
    for (int i = 0; i < N; ++i) d[i] = d[i] * o.v + v * o.d[i];
    v *= o.v;
    return *this;
  }
  /// this /= o (quotient rule).
  constexpr Dual& operator/=(const Dual& o) {
    const double inv = 1.0 / o.v;
    v *= inv;
    for (int i = 0; i < N; ++i) d[i] = (d[i] - v * o.d[i]) * inv;
    return *this;
  }
  /// this += constant.
  constexpr Dual& operator+=(double x) {
    v += x;
    return *this;
  }
  /// this -= constant.
  constexpr Dual& operator-=(double x) {
    v -= x;
    return *this;
  }
  /// this *= constant.
  constexpr Dual& operator*=(double x) {
    v *= x;
    for (int i = 0; i < N; ++i) d[i] *= x;
    return *this;
  }
  /// this /= constant.
  constexpr Dual& operator/=(double x) {
    const double inv = 1.0 / x;
    v *= inv;
    for (int i = 0; i < N; ++i) d[i] *= inv;
    return *this;
  }
};

// ---- arithmetic -----------------------------------------------------------------------------

/// +x.
template <int N>
constexpr Dual<N> operator+(const Dual<N>& x) {
  return x;
}
/// -x.
template <int N>
constexpr Dual<N> operator-(const Dual<N>& x) {
  Dual<N> r(-x.v);
  for (int i = 0; i < N; ++i) r.d[i] = -x.d[i];
  return r;
}
/// x + y.
template <int N>
constexpr Dual<N> operator+(Dual<N> x, const Dual<N>& y) {
  return x += y;
}
/// x + c.
template <int N>
constexpr Dual<N> operator+(Dual<N> x, double c) {
  return x += c;
}
/// c + x.
template <int N>
constexpr Dual<N> operator+(double c, Dual<N> x) {
  return x += c;
}
/// x - y.
template <int N>
constexpr Dual<N> operator-(Dual<N> x, const Dual<N>& y) {
  return x -= y;
}
/// x - c.
template <int N>
constexpr Dual<N> operator-(Dual<N> x, double c) {
  return x -= c;
}
/// c - x.
template <int N>
constexpr Dual<N> operator-(double c, const Dual<N>& x) {
  Dual<N> r = -x;
  return r += c;
}
/// x * y.
template <int N>
constexpr Dual<N> operator*(Dual<N> x, const Dual<N>& y) {
  return x *= y;
}
/// x * c.
template <int N>
constexpr Dual<N> operator*(Dual<N> x, double c) {
  return x *= c;
}
/// c * x.
template <int N>
constexpr Dual<N> operator*(double c, Dual<N> x) {
  return x *= c;
}
/// x / y.
template <int N>
constexpr Dual<N> operator/(Dual<N> x, const Dual<N>& y) {
  return x /= y;
}
/// x / c.
template <int N>
constexpr Dual<N> operator/(Dual<N> x, double c) {
  return x /= c;
}
/// c / x.
template <int N>
constexpr Dual<N> operator/(double c, const Dual<N>& x) {
  const double inv = 1.0 / x.v;
  Dual<N> r(c * inv);
  const double g = -r.v * inv;
  for (int i = 0; i < N; ++i) r.d[i] = g * x.d[i];
  return r;
}

// ---- comparisons (on the value only) --------------------------------------------------------

#define COSMOGRAD_DUAL_COMPARISON(op)                              \
  template <int N>                                                 \
  constexpr bool operator op(const Dual<N>& x, const Dual<N>& y) { \
    return x.v op y.v;                                             \
  }                                                                \
  template <int N>                                                 \
  constexpr bool operator op(const Dual<N>& x, double y) {         \
    return x.v op y;                                               \
  }                                                                \
  template <int N>                                                 \
  constexpr bool operator op(double x, const Dual<N>& y) {         \
    return x op y.v;                                               \
  }
COSMOGRAD_DUAL_COMPARISON(<)
COSMOGRAD_DUAL_COMPARISON(>)
COSMOGRAD_DUAL_COMPARISON(<=)
COSMOGRAD_DUAL_COMPARISON(>=)
COSMOGRAD_DUAL_COMPARISON(==)
COSMOGRAD_DUAL_COMPARISON(!=)
#undef COSMOGRAD_DUAL_COMPARISON

/// Prints "v [d0, d1, ...]".
template <int N>
std::ostream& operator<<(std::ostream& os, const Dual<N>& x) {
  os << x.v << " [";
  for (int i = 0; i < N; ++i) os << (i ? ", " : "") << x.d[i];
  return os << "]";
}

// ---- traits and accessors shared by double and Dual -----------------------------------------

/// True for Dual<N>, false for double and other types.
template <class T>
struct is_dual : std::false_type {};
/// True for Dual<N>.
template <int N>
struct is_dual<Dual<N>> : std::true_type {};
/// is_dual<T>::value.
template <class T>
inline constexpr bool is_dual_v = is_dual<T>::value;

/// Number of derivative slots of a scalar type (0 for double).
template <class T>
struct num_derivs : std::integral_constant<int, 0> {};
/// N for Dual<N>.
template <int N>
struct num_derivs<Dual<N>> : std::integral_constant<int, N> {};
/// num_derivs<T>::value.
template <class T>
inline constexpr int num_derivs_v = num_derivs<T>::value;

/// The value of a plain number (itself).
constexpr double value(double x) { return x; }
/// The value of a dual number.
template <int N>
constexpr double value(const Dual<N>& x) {
  return x.v;
}
/// Derivative slot i of a plain number: always 0.
constexpr double deriv(double /*x*/, int /*i*/) { return 0.0; }
/// Derivative slot i of a dual number.
template <int N>
constexpr double deriv(const Dual<N>& x, int i) {
  return x.d[static_cast<std::size_t>(i)];
}

namespace detail {
/// f(x) with f(x.v) = f and f'(x.v) = df: the chain rule for unary functions.
template <int N>
constexpr Dual<N> chain(const Dual<N>& x, double f, double df) {
  Dual<N> r(f);
  for (int i = 0; i < N; ++i) r.d[i] = df * x.d[i];
  return r;
}
}  // namespace detail

// ---- math functions (derivatives from the usual calculus identities) -----------------------

// The double versions, so unqualified calls in cosmograd::sim work for both scalar types.
using std::abs;
using std::acos;
using std::acosh;
using std::asin;
using std::asinh;
using std::atan;
using std::atan2;
using std::atanh;
using std::cbrt;
using std::cos;
using std::cosh;
using std::erf;
using std::erfc;
using std::exp;
using std::expm1;
using std::fabs;
using std::hypot;
using std::isfinite;
using std::log;
using std::log10;
using std::log1p;
using std::log2;
using std::pow;
using std::sin;
using std::sinh;
using std::sqrt;
using std::tan;
using std::tanh;

/// sqrt(x); d = 1 / (2 sqrt(x)).
template <int N>
Dual<N> sqrt(const Dual<N>& x) {
  const double f = std::sqrt(x.v);
  return detail::chain(x, f, 0.5 / f);
}
/// cbrt(x); d = 1 / (3 cbrt(x)^2).
template <int N>
Dual<N> cbrt(const Dual<N>& x) {
  const double f = std::cbrt(x.v);
  return detail::chain(x, f, 1.0 / (3.0 * f * f));
}
/// exp(x).
template <int N>
Dual<N> exp(const Dual<N>& x) {
  const double f = std::exp(x.v);
  return detail::chain(x, f, f);
}
/// exp(x) - 1, accurate for small x.
template <int N>
Dual<N> expm1(const Dual<N>& x) {
  return detail::chain(x, std::expm1(x.v), std::exp(x.v));
}
/// Natural logarithm.
template <int N>
Dual<N> log(const Dual<N>& x) {
  return detail::chain(x, std::log(x.v), 1.0 / x.v);
}
/// log(1 + x), accurate for small x.
template <int N>
Dual<N> log1p(const Dual<N>& x) {
  return detail::chain(x, std::log1p(x.v), 1.0 / (1.0 + x.v));
}
/// Base-10 logarithm.
template <int N>
Dual<N> log10(const Dual<N>& x) {
  return detail::chain(x, std::log10(x.v), 1.0 / (x.v * 2.302585092994045684));
}
/// Base-2 logarithm.
template <int N>
Dual<N> log2(const Dual<N>& x) {
  return detail::chain(x, std::log2(x.v), 1.0 / (x.v * 0.693147180559945309));
}
/// x^p for a constant exponent p.
template <int N>
Dual<N> pow(const Dual<N>& x, double p) {
  if (p == 0.0) return Dual<N>(1.0);
  return detail::chain(x, std::pow(x.v, p), p * std::pow(x.v, p - 1.0));
}
/// x^y with both arguments dual: d = y x^(y-1) dx + x^y ln(x) dy.
template <int N>
Dual<N> pow(const Dual<N>& x, const Dual<N>& y) {
  const double f = std::pow(x.v, y.v);
  const double dfdx = y.v == 0.0 ? 0.0 : y.v * std::pow(x.v, y.v - 1.0);
  Dual<N> r(f);
  for (int i = 0; i < N; ++i) {
    r.d[i] = dfdx * x.d[i];
    if (y.d[i] != 0.0) r.d[i] += f * std::log(x.v) * y.d[i];
  }
  return r;
}
/// c^y for a constant base c > 0: d = c^y ln(c) dy.
template <int N>
Dual<N> pow(double c, const Dual<N>& y) {
  const double f = std::pow(c, y.v);
  return detail::chain(y, f, f * std::log(c));
}
/// Sine.
template <int N>
Dual<N> sin(const Dual<N>& x) {
  return detail::chain(x, std::sin(x.v), std::cos(x.v));
}
/// Cosine.
template <int N>
Dual<N> cos(const Dual<N>& x) {
  return detail::chain(x, std::cos(x.v), -std::sin(x.v));
}
/// Tangent; d = 1 + tan^2.
template <int N>
Dual<N> tan(const Dual<N>& x) {
  const double f = std::tan(x.v);
  return detail::chain(x, f, 1.0 + f * f);
}
/// Arcsine; d = 1 / sqrt(1 - x^2).
template <int N>
Dual<N> asin(const Dual<N>& x) {
  return detail::chain(x, std::asin(x.v), 1.0 / std::sqrt(1.0 - x.v * x.v));
}
/// Arccosine; d = -1 / sqrt(1 - x^2).
template <int N>
Dual<N> acos(const Dual<N>& x) {
  return detail::chain(x, std::acos(x.v), -1.0 / std::sqrt(1.0 - x.v * x.v));
}
/// Arctangent; d = 1 / (1 + x^2).
template <int N>
Dual<N> atan(const Dual<N>& x) {
  return detail::chain(x, std::atan(x.v), 1.0 / (1.0 + x.v * x.v));
}
/// atan2(y, x), the angle of the point (x, y); d = (x dy - y dx) / (x^2 + y^2).
template <int N>
Dual<N> atan2(const Dual<N>& y, const Dual<N>& x) {
  const double r2 = x.v * x.v + y.v * y.v;
  Dual<N> r(std::atan2(y.v, x.v));
  for (int i = 0; i < N; ++i) r.d[i] = (x.v * y.d[i] - y.v * x.d[i]) / r2;
  return r;
}
/// atan2(y, c) with a constant x = c.
template <int N>
Dual<N> atan2(const Dual<N>& y, double c) {
  return atan2(y, Dual<N>(c));
}
/// atan2(c, x) with a constant y = c.
template <int N>
Dual<N> atan2(double c, const Dual<N>& x) {
  return atan2(Dual<N>(c), x);
}
/// Hyperbolic sine.
template <int N>
Dual<N> sinh(const Dual<N>& x) {
  return detail::chain(x, std::sinh(x.v), std::cosh(x.v));
}
/// Hyperbolic cosine.
template <int N>
Dual<N> cosh(const Dual<N>& x) {
  return detail::chain(x, std::cosh(x.v), std::sinh(x.v));
}
/// Hyperbolic tangent; d = 1 - tanh^2.
template <int N>
Dual<N> tanh(const Dual<N>& x) {
  const double f = std::tanh(x.v);
  return detail::chain(x, f, 1.0 - f * f);
}
/// Inverse hyperbolic sine; d = 1 / sqrt(1 + x^2).
template <int N>
Dual<N> asinh(const Dual<N>& x) {
  return detail::chain(x, std::asinh(x.v), 1.0 / std::sqrt(1.0 + x.v * x.v));
}
/// Inverse hyperbolic cosine (x > 1); d = 1 / sqrt(x^2 - 1).
template <int N>
Dual<N> acosh(const Dual<N>& x) {
  return detail::chain(x, std::acosh(x.v), 1.0 / std::sqrt(x.v * x.v - 1.0));
}
/// Inverse hyperbolic tangent (|x| < 1); d = 1 / (1 - x^2).
template <int N>
Dual<N> atanh(const Dual<N>& x) {
  return detail::chain(x, std::atanh(x.v), 1.0 / (1.0 - x.v * x.v));
}
/// Error function; d = 2/sqrt(pi) exp(-x^2).
template <int N>
Dual<N> erf(const Dual<N>& x) {
  return detail::chain(x, std::erf(x.v), 1.1283791670955126 * std::exp(-x.v * x.v));
}
/// Complementary error function; d = -2/sqrt(pi) exp(-x^2).
template <int N>
Dual<N> erfc(const Dual<N>& x) {
  return detail::chain(x, std::erfc(x.v), -1.1283791670955126 * std::exp(-x.v * x.v));
}
/// |x|; the derivative at x = 0 is taken from the x >= 0 branch.
template <int N>
Dual<N> abs(const Dual<N>& x) {
  return x.v < 0.0 ? -x : x;
}
/// |x| (same as abs).
template <int N>
Dual<N> fabs(const Dual<N>& x) {
  return abs(x);
}
/// sqrt(x^2 + y^2) without undue overflow.
template <int N>
Dual<N> hypot(const Dual<N>& x, const Dual<N>& y) {
  const double f = std::hypot(x.v, y.v);
  Dual<N> r(f);
  if (f == 0.0) return r;
  for (int i = 0; i < N; ++i) r.d[i] = (x.v * x.d[i] + y.v * y.d[i]) / f;
  return r;
}
/// True when the value and every derivative are finite.
template <int N>
bool isfinite(const Dual<N>& x) {
  if (!std::isfinite(x.v)) return false;
  for (int i = 0; i < N; ++i) {
    if (!std::isfinite(x.d[i])) return false;
  }
  return true;
}

}  // namespace cosmograd::sim
