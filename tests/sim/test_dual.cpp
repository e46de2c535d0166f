// Tests for sim/core/dual.hpp: arithmetic, comparisons, traits and every math function's
// derivative against central finite differences.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "sim/core/dual.hpp"

namespace cosmograd::sim {
namespace {

using D2 = Dual<2>;

// Central finite difference of a double function at x with step h.
double central_diff(const std::function<double(double)>& f, double x, double h) {
  return (f(x + h) - f(x - h)) / (2.0 * h);
}

TEST(Dual, ConstructorsAndSeeds) {
  constexpr D2 c(2.5);
  static_assert(c.v == 2.5 && c.d[0] == 0.0 && c.d[1] == 0.0, "constant has zero derivatives");
  constexpr D2 x = D2::variable(1.5, 1);
  static_assert(x.d[0] == 0.0 && x.d[1] == 1.0, "variable seeds its slot");
  constexpr D2 z;
  static_assert(z.v == 0.0, "default is zero");
  D2 s = 3;  // implicit from a number
  EXPECT_EQ(s.v, 3.0);
  EXPECT_EQ(value(x), 1.5);
  EXPECT_EQ(deriv(x, 1), 1.0);
  EXPECT_EQ(value(4.0), 4.0);
  EXPECT_EQ(deriv(4.0, 3), 0.0);
}

TEST(Dual, TraitsIdentifyDuals) {
  static_assert(is_dual_v<Dual<7>>, "Dual is dual");
  static_assert(!is_dual_v<double>, "double is not dual");
  static_assert(num_derivs_v<Dual<7>> == 7, "7 slots");
  static_assert(num_derivs_v<double> == 0, "no slots");
  SUCCEED();
}

TEST(Dual, ArithmeticFollowsProductAndQuotientRules) {
  const D2 x = D2::variable(1.3, 0);
  const D2 y = D2::variable(0.7, 1);
  const D2 sum = x + y, diff = x - y, prod = x * y, quot = x / y, neg = -x;
  EXPECT_DOUBLE_EQ(sum.v, 2.0);
  EXPECT_DOUBLE_EQ(sum.d[0], 1.0);
  EXPECT_DOUBLE_EQ(sum.d[1], 1.0);
  EXPECT_DOUBLE_EQ(diff.d[1], -1.0);
  EXPECT_DOUBLE_EQ(prod.v, 1.3 * 0.7);
  EXPECT_DOUBLE_EQ(prod.d[0], 0.7);
  EXPECT_DOUBLE_EQ(prod.d[1], 1.3);
  EXPECT_DOUBLE_EQ(quot.v, 1.3 / 0.7);
  EXPECT_DOUBLE_EQ(quot.d[0], 1.0 / 0.7);
  EXPECT_DOUBLE_EQ(quot.d[1], -1.3 / (0.7 * 0.7));
  EXPECT_DOUBLE_EQ(neg.d[0], -1.0);
  // Mixed with doubles on either side.
  EXPECT_DOUBLE_EQ((2.0 + x).d[0], 1.0);
  EXPECT_DOUBLE_EQ((x + 2.0).v, 3.3);
  EXPECT_DOUBLE_EQ((2.0 - x).d[0], -1.0);
  EXPECT_DOUBLE_EQ((x - 2.0).v, 1.3 - 2.0);
  EXPECT_DOUBLE_EQ((3.0 * x).d[0], 3.0);
  EXPECT_DOUBLE_EQ((x * 3.0).d[0], 3.0);
  EXPECT_DOUBLE_EQ((x / 4.0).d[0], 0.25);
  EXPECT_DOUBLE_EQ((2.0 / x).d[0], -2.0 / (1.3 * 1.3));
  // Compound assignment agrees with the binary operators.
  D2 a = x;
  a += y;
  a *= y;
  a -= x;
  a /= y;
  const D2 b = ((x + y) * y - x) / y;
  EXPECT_DOUBLE_EQ(a.v, b.v);
  EXPECT_DOUBLE_EQ(a.d[0], b.d[0]);
  EXPECT_DOUBLE_EQ(a.d[1], b.d[1]);
  a = x;
  a += 1.0;
  a -= 0.5;
  a *= 2.0;
  a /= 4.0;
  EXPECT_DOUBLE_EQ(a.v, (1.3 + 0.5) * 0.5);
  EXPECT_DOUBLE_EQ(a.d[0], 0.5);
}

TEST(Dual, ConstexprArithmetic) {
  constexpr D2 x = D2::variable(2.0, 0);
  constexpr D2 y = x * x + 3.0 * x - 1.0 / x;
  static_assert(y.v == 4.0 + 6.0 - 0.5, "constexpr value");
  static_assert(y.d[0] == 4.0 + 3.0 + 0.25, "constexpr derivative");
  SUCCEED();
}

TEST(Dual, ComparisonsUseTheValue) {
  const D2 x = D2::variable(1.0, 0);
  const D2 y(2.0);
  EXPECT_TRUE(x < y);
  EXPECT_TRUE(y > x);
  EXPECT_TRUE(x <= 1.0);
  EXPECT_TRUE(1.0 >= x);
  EXPECT_TRUE(x == 1.0);  // derivatives are ignored
  EXPECT_TRUE(x == D2(1.0));
  EXPECT_TRUE(x != y);
  EXPECT_TRUE(0.5 < x);
  EXPECT_FALSE(x > 1.0);
}

TEST(Dual, PrintsValueAndDerivatives) {
  std::ostringstream os;
  os << D2(1.5, {2.0, -1.0});
  EXPECT_EQ(os.str(), "1.5 [2, -1]");
}

// One unary function: its dual and double versions, and a point in its domain.
struct UnaryCase {
  std::string name;
  std::function<Dual<1>(const Dual<1>&)> dual_f;
  std::function<double(double)> f;
  double x;
};

UnaryCase make_case(const char* name, std::function<Dual<1>(const Dual<1>&)> dual_f,
                    std::function<double(double)> f, double x) {
  return UnaryCase{name, std::move(dual_f), std::move(f), x};
}

TEST(Dual, EveryMathFunctionMatchesFiniteDifferences) {
  // Unqualified calls, as in templated physics code: ADL for Dual, using-declarations for
  // double.
#define CASE(fn, x0) \
  make_case(         \
      #fn, [](const Dual<1>& u) { return fn(u); }, [](double u) { return fn(u); }, x0)
  const std::vector<UnaryCase> cases = {
      CASE(sqrt, 1.7),  CASE(cbrt, 2.3),  CASE(exp, 0.4),   CASE(expm1, 1e-3), CASE(log, 2.2),
      CASE(log1p, 0.3), CASE(log10, 3.1), CASE(log2, 1.9),  CASE(sin, 0.8),    CASE(cos, 0.8),
      CASE(tan, 0.6),   CASE(asin, 0.4),  CASE(acos, -0.3), CASE(atan, 1.4),   CASE(sinh, 0.9),
      CASE(cosh, 0.9),  CASE(tanh, 0.5),  CASE(asinh, 1.2), CASE(acosh, 1.6),  CASE(atanh, 0.35),
      CASE(erf, 0.7),   CASE(erfc, 0.7),  CASE(abs, -1.3),  CASE(fabs, 2.1),
  };
#undef CASE
  for (const auto& c : cases) {
    const Dual<1> r = c.dual_f(Dual<1>::variable(c.x, 0));
    EXPECT_DOUBLE_EQ(r.v, c.f(c.x)) << c.name;
    const double fd = central_diff(c.f, c.x, 1e-5 * std::max(1.0, std::fabs(c.x)));
    EXPECT_NEAR(r.d[0], fd, 1e-8 * std::max(1.0, std::fabs(fd))) << c.name;
  }
}

TEST(Dual, PowInAllThreeFormsMatchesFiniteDifferences) {
  const double xv = 1.7, yv = 2.3, h = 1e-6;
  const D2 x = D2::variable(xv, 0), y = D2::variable(yv, 1);
  const D2 p1 = pow(x, 2.5);
  EXPECT_DOUBLE_EQ(p1.v, std::pow(xv, 2.5));
  EXPECT_NEAR(p1.d[0], central_diff([](double u) { return std::pow(u, 2.5); }, xv, h), 1e-8);
  const D2 p2 = pow(x, y);
  EXPECT_NEAR(p2.d[0], central_diff([&](double u) { return std::pow(u, yv); }, xv, h), 1e-8);
  EXPECT_NEAR(p2.d[1], central_diff([&](double u) { return std::pow(xv, u); }, yv, h), 1e-8);
  const D2 p3 = pow(3.0, y);
  EXPECT_NEAR(p3.d[1], central_diff([](double u) { return std::pow(3.0, u); }, yv, h), 1e-8);
  EXPECT_DOUBLE_EQ(pow(x, 0.0).v, 1.0);
  EXPECT_EQ(pow(x, 0.0).d[0], 0.0);
  const D2 p4 = pow(x, 2);  // integer exponent
  EXPECT_DOUBLE_EQ(p4.d[0], 2.0 * xv);
  // pow(double, double) still resolves to std::pow inside cosmograd::sim.
  EXPECT_DOUBLE_EQ(pow(2.0, 3.0), 8.0);
}

TEST(Dual, BinaryFunctionsMatchFiniteDifferences) {
  const double xv = -0.8, yv = 1.1, h = 1e-6;
  const D2 x = D2::variable(xv, 0), y = D2::variable(yv, 1);
  const D2 a = atan2(y, x);
  EXPECT_DOUBLE_EQ(a.v, std::atan2(yv, xv));
  EXPECT_NEAR(a.d[0], central_diff([&](double u) { return std::atan2(yv, u); }, xv, h), 1e-8);
  EXPECT_NEAR(a.d[1], central_diff([&](double u) { return std::atan2(u, xv); }, yv, h), 1e-8);
  EXPECT_NEAR(atan2(y, xv).d[1], a.d[1], 1e-15);
  EXPECT_NEAR(atan2(yv, x).d[0], a.d[0], 1e-15);
  const D2 hy = hypot(x, y);
  EXPECT_DOUBLE_EQ(hy.v, std::hypot(xv, yv));
  EXPECT_NEAR(hy.d[0], central_diff([&](double u) { return std::hypot(u, yv); }, xv, h), 1e-8);
  EXPECT_NEAR(hy.d[1], central_diff([&](double u) { return std::hypot(xv, u); }, yv, h), 1e-8);
}

TEST(Dual, ChainRuleThroughAComposition) {
  // f(x) = exp(-x^2/2) sqrt(1 + sin(x)^2) / log(2 + x), checked against finite differences.
  auto f = [](const auto& x) {
    return exp(-0.5 * x * x) * sqrt(1.0 + sin(x) * sin(x)) / log(2.0 + x);
  };
  const double xv = 0.77;
  const Dual<1> r = f(Dual<1>::variable(xv, 0));
  EXPECT_DOUBLE_EQ(r.v, f(xv));
  EXPECT_NEAR(r.d[0], central_diff([&](double u) { return f(u); }, xv, 1e-5), 1e-9);
}

TEST(Dual, IsFiniteChecksValueAndDerivatives) {
  EXPECT_TRUE(isfinite(D2::variable(1.0, 0)));
  EXPECT_FALSE(isfinite(D2(std::nan(""))));
  EXPECT_FALSE(isfinite(sqrt(D2::variable(0.0, 0))));  // infinite derivative
  EXPECT_TRUE(isfinite(1.0));
}

}  // namespace
}  // namespace cosmograd::sim
