// surveys/discovery/ symbolic regression: expression trees (evaluation, printing, complexity,
// simplification, protected operators), Levenberg-Marquardt constant fitting, the genetic-
// programming search (recovery of known laws from noiseless data, determinism), Pareto-front
// selection rules, the polynomial baseline and the mock data sets with their law tests.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <string>

#include "surveys/discovery/symbolic_data.hpp"
#include "surveys/discovery/symbolic_expression.hpp"
#include "surveys/discovery/symbolic_regression.hpp"
#include "surveys/images/sersic.hpp"

namespace sr = cosmograd::surveys::symbolic;
using sr::Op;

namespace {

sr::Node c(double v) { return sr::constant(v); }
sr::Node x() { return sr::variable(0); }
sr::Node op(Op o) { return sr::op_node(o); }

/// 2 x - 1/3 + 0.01 / x in prefix order.
sr::Expr bn_like() {
  return {op(Op::kAdd), op(Op::kSub), op(Op::kMul), c(2), x(),
          c(1.0 / 3),   op(Op::kDiv), c(0.01),      x()};
}

sr::FitData line_data(double a, double b, double x0, double x1, int n) {
  sr::FitData d;
  d.x.assign(1, {});
  for (int i = 0; i < n; ++i) {
    const double v = x0 + (x1 - x0) * i / (n - 1);
    d.x[0].push_back(v);
    d.y.push_back(a * v + b);
    d.sigma.push_back(1);
  }
  return d;
}

}  // namespace

TEST(SymbolicExpression, EvaluatesAndPrintsKnownExpressions) {
  const sr::Expr e = bn_like();
  EXPECT_TRUE(sr::well_formed(e));
  EXPECT_EQ(sr::complexity(e), 9);
  EXPECT_EQ(sr::constant_count(e), 3);
  EXPECT_EQ(sr::depth(e), 4);
  for (double n : {0.5, 1.0, 4.0})
    EXPECT_NEAR(sr::evaluate_at(e, {n}), 2 * n - 1.0 / 3 + 0.01 / n, 1e-14);
  EXPECT_EQ(sr::to_string(e, {"n"}, 4), "(((2 * n) - 0.3333) + (0.01 / n))");
  // Vectorised evaluation agrees point by point.
  sr::Columns cols = {{0.5, 1, 2, 3}};
  std::vector<double> out;
  ASSERT_TRUE(sr::evaluate(e, cols, &out));
  for (std::size_t i = 0; i < 4; ++i) EXPECT_DOUBLE_EQ(out[i], sr::evaluate_at(e, {cols[0][i]}));
  // Unary operators and pow: sqrt(x)^3 + exp(log(x)) at x = 4: 8 + 4.
  const sr::Expr u = {op(Op::kAdd), op(Op::kPow), op(Op::kSqrt), x(),
                      c(3),         op(Op::kExp), op(Op::kLog),  x()};
  EXPECT_NEAR(sr::evaluate_at(u, {4.0}), 12, 1e-12);
  EXPECT_EQ(sr::to_string(u, {}, 3), "((sqrt(x) ^ 3) + exp(log(x)))");
  // Malformed trees are told apart.
  EXPECT_FALSE(sr::well_formed({op(Op::kAdd), x()}));
  EXPECT_FALSE(sr::well_formed({x(), x()}));
  EXPECT_EQ(sr::subtree_end(e, 1), 6u);  // (2 * n) - 1/3 spans nodes 1..5
}

TEST(SymbolicExpression, SimplifiesByFoldingConstants) {
  // (2 * 3) * x + (0 + (x - x)) -> 6 * x
  const sr::Expr e = {op(Op::kAdd), op(Op::kMul), op(Op::kMul), c(2), c(3), x(),
                      op(Op::kAdd), c(0),         op(Op::kSub), x(),  x()};
  const sr::Expr s = sr::simplify(e);
  EXPECT_EQ(sr::to_string(s), "(6 * x)");
  EXPECT_EQ(sr::complexity(s), 3);
  for (double v : {-2.0, 0.5, 7.0})
    EXPECT_NEAR(sr::evaluate_at(s, {v}), sr::evaluate_at(e, {v}), 1e-12);
  // c1 * (x * c2) -> (c1 c2) * x; exp(log(2)) folds to 2.
  const sr::Expr m = {op(Op::kMul), c(3), op(Op::kMul), x(), c(0.5)};
  EXPECT_EQ(sr::to_string(sr::simplify(m)), "(1.5 * x)");
  const sr::Expr f = {op(Op::kMul), op(Op::kExp), op(Op::kLog), c(2), x()};
  EXPECT_EQ(sr::to_string(sr::simplify(f)), "(2 * x)");
}

TEST(SymbolicExpression, ProtectedOperatorsGiveAPenaltyNotNaN) {
  // x / (x - x), log(x - 2) at x < 2, sqrt(-x), (-x)^0.5, exp(1000 x).
  const std::vector<sr::Expr> bad = {
      {op(Op::kDiv), x(), op(Op::kSub), x(), x()}, {op(Op::kLog), op(Op::kSub), x(), c(2)},
      {op(Op::kSqrt), op(Op::kNeg), x()},          {op(Op::kPow), op(Op::kNeg), x(), c(0.5)},
      {op(Op::kExp), op(Op::kMul), c(1000), x()},
  };
  const sr::FitData d = line_data(1, 0, 1, 3, 10);
  for (const sr::Expr& e : bad) {
    std::vector<double> out;
    EXPECT_FALSE(sr::evaluate(e, d.x, &out)) << sr::to_string(e);
    EXPECT_EQ(sr::loss_of(e, d), sr::kInvalidLoss) << sr::to_string(e);
    EXPECT_TRUE(std::isnan(sr::evaluate_at(e, {1.0})));
    sr::Expr copy = e;
    const double l = sr::optimize_constants(&copy, d, 5);
    EXPECT_FALSE(std::isnan(l));
    EXPECT_EQ(l, sr::kInvalidLoss);
  }
  // An integer power of a negative base is valid.
  EXPECT_NEAR(sr::evaluate_at({op(Op::kPow), x(), c(3)}, {-2.0}), -8, 1e-12);
}

TEST(SymbolicExpression, ParsesOperatorLists) {
  const auto ops = sr::parse_operators("+, -,*,/,pow,sqrt");
  EXPECT_EQ(ops.size(), 6u);
  EXPECT_EQ(sr::operators_string(ops), "+,-,*,/,pow,sqrt");
  try {
    sr::parse_operators("+,sin");
    FAIL() << "unknown operator accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("sin"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("operators"), std::string::npos);
  }
  EXPECT_THROW(sr::parse_operators("sqrt,log"), std::invalid_argument);  // no binary operator
  EXPECT_THROW(sr::parse_operators("+,+"), std::invalid_argument);
}

TEST(SymbolicRegression, ConstantFittingRecoversALineExactly) {
  // a x + b from noiseless data, starting from a = 1, b = 0: LM must land on 2.5, -1/3.
  const sr::FitData d = line_data(2.5, -1.0 / 3, 0.5, 6, 30);
  sr::Expr e = {op(Op::kAdd), op(Op::kMul), c(1), x(), c(0)};
  const double loss = sr::optimize_constants(&e, d, 20);
  EXPECT_LT(loss, 1e-20);
  EXPECT_NEAR(e[2].value, 2.5, 1e-9);
  EXPECT_NEAR(e[4].value, -1.0 / 3, 1e-9);
  // A nonlinear constant: c * x^p fitted to 3 x^1.5.
  sr::FitData p;
  p.x.assign(1, {});
  for (int i = 1; i <= 20; ++i) {
    p.x[0].push_back(0.5 * i);
    p.y.push_back(3 * std::pow(0.5 * i, 1.5));
    p.sigma.push_back(1);
  }
  sr::Expr q = {op(Op::kMul), c(1), op(Op::kPow), x(), c(1)};
  EXPECT_LT(sr::optimize_constants(&q, p, 60), 1e-16);
  EXPECT_NEAR(q[1].value, 3, 1e-6);
  EXPECT_NEAR(q[4].value, 1.5, 1e-6);
}

TEST(SymbolicRegression, RecoversKnownLawsFromNoiselessData) {
  // x^2 + x on [-2, 2]: found exactly (loss < 1e-20) within 30 generations of 200.
  sr::FitData d;
  d.x.assign(1, {});
  for (int i = 0; i < 60; ++i) {
    const double v = -2 + 4.0 * i / 59;
    d.x[0].push_back(v);
    d.y.push_back(v * v + v);
    d.sigma.push_back(1);
  }
  sr::SymbolicOptions o;
  o.population = 200;
  o.generations = 30;
  o.seed = 3;
  const sr::SymbolicResult r = sr::run_symbolic_regression(d, o);
  ASSERT_FALSE(r.pareto.empty());
  const sr::Candidate& best = r.pareto.back();
  EXPECT_LT(best.loss, 1e-20) << sr::to_string(best.expr);
  EXPECT_LE(best.complexity, 7);
  for (double v : {-3.0, 0.7, 5.0})  // right outside the data too: it is the law
    EXPECT_NEAR(sr::evaluate_at(best.expr, {v}), v * v + v, 1e-8);
  // The front is increasing in complexity and strictly decreasing in loss.
  for (std::size_t i = 1; i < r.pareto.size(); ++i) {
    EXPECT_GT(r.pareto[i].complexity, r.pareto[i - 1].complexity);
    EXPECT_LT(r.pareto[i].loss, r.pareto[i - 1].loss);
  }
  // 2 x - 1/3 on [0.5, 6]: the 5-node line with the constants to 1e-8.
  const sr::FitData l = line_data(2, -1.0 / 3, 0.5, 6, 40);
  o.generations = 20;
  o.seed = 1;
  const sr::SymbolicResult rl = sr::run_symbolic_regression(l, o);
  const std::size_t k = sr::choose_knee(rl.pareto, 0.1);
  EXPECT_EQ(rl.pareto[k].complexity, 5);
  for (double v : {0.0, 10.0})
    EXPECT_NEAR(sr::evaluate_at(rl.pareto[k].expr, {v}), 2 * v - 1.0 / 3, 1e-8);
}

TEST(SymbolicRegression, SameSeedSameResult) {
  const sr::FitData d = line_data(1.5, 0.2, 1, 4, 25);
  sr::FitData n = d;
  for (std::size_t i = 0; i < n.size(); ++i) n.y[i] += 0.05 * std::sin(7.0 * i);
  sr::SymbolicOptions o;
  o.population = 60;
  o.generations = 8;
  o.seed = 42;
  const sr::SymbolicResult a = sr::run_symbolic_regression(n, o),
                           b = sr::run_symbolic_regression(n, o);
  ASSERT_EQ(a.pareto.size(), b.pareto.size());
  for (std::size_t i = 0; i < a.pareto.size(); ++i) {
    EXPECT_EQ(sr::to_string(a.pareto[i].expr, {}, 17), sr::to_string(b.pareto[i].expr, {}, 17));
    EXPECT_EQ(a.pareto[i].loss, b.pareto[i].loss);
  }
  EXPECT_EQ(a.evaluations, b.evaluations);
  o.seed = 43;
  const sr::SymbolicResult c2 = sr::run_symbolic_regression(n, o);
  EXPECT_GT(c2.evaluations, 0);
}

TEST(SymbolicRegression, FrontSelectionRules) {
  // Losses 100, 1.2, 1.0, 0.99 at complexities 1, 5, 9, 15.
  std::vector<sr::Candidate> f(4);
  const double loss[] = {100, 1.2, 1.0, 0.99};
  const int cx[] = {1, 5, 9, 15};
  for (int i = 0; i < 4; ++i) {
    f[i].loss = loss[i];
    f[i].complexity = cx[i];
  }
  EXPECT_EQ(sr::choose_knee(f, 0.1), 2u);   // 1.0 <= 1.1 x 0.99
  EXPECT_EQ(sr::choose_knee(f, 0.25), 1u);  // 1.2 <= 1.2375
  // BIC, N = 100: 100 ln(1.2) = 18.2 > 4 x ln(100)/2 = 9.2, so 9 nodes beat 5; 15 nodes gain
  // 1.0 < 6 x 2.3.
  EXPECT_EQ(sr::choose_bic(f, 100), 2u);
  EXPECT_EQ(sr::choose_bic(f, 10), 1u);  // 10 ln(1.2) = 1.8 < 4 x ln(10)/2 = 4.6
  EXPECT_NEAR(sr::pysr_score(f, 1), std::log(100 / 1.2) / 4, 1e-12);
  EXPECT_EQ(sr::choose_pysr_best(f), 1u);
}

TEST(SymbolicRegression, PolynomialBaselineIsExactForACubic) {
  sr::FitData d;
  d.x.assign(1, {});
  for (int i = 0; i < 20; ++i) {
    const double v = 1 + 0.5 * i;
    d.x[0].push_back(v);
    d.y.push_back(1 - 2 * v + 0.5 * v * v - 0.1 * v * v * v);
    d.sigma.push_back(0.1 + 0.01 * i);
  }
  const sr::Polynomial p = sr::fit_polynomial(d, 3);
  for (double v : {0.0, 3.3, 20.0})
    EXPECT_NEAR(p(v), 1 - 2 * v + 0.5 * v * v - 0.1 * v * v * v, 1e-8 * (1 + std::abs(v * v * v)));
}

TEST(SymbolicData, SersicMockAndLawTest) {
  sr::SersicBnOptions o;
  o.points = 100;
  o.noise = 0;
  const sr::SymbolicDataset d = sr::sersic_bn_dataset(o);
  EXPECT_EQ(d.train.size() + d.holdout.size(), 100u);
  EXPECT_EQ(d.holdout.size(), 20u);
  EXPECT_EQ(d.extrapolation.size(), 50u);
  for (std::size_t i = 0; i < d.train.size(); ++i) {
    EXPECT_GE(d.train.x[0][i], 0.5);
    EXPECT_LE(d.train.x[0][i], 6);
    EXPECT_DOUBLE_EQ(d.train.y[i], cosmograd::surveys::sersic_bn(d.train.x[0][i]));
  }
  for (double n : d.extrapolation.x[0]) EXPECT_GT(n, 6);
  // b_1 = 1.67835 (Ciotti & Bertin 1999).
  EXPECT_NEAR(d.truth(1.0), 1.678347, 1e-5);
  // The Ciotti & Bertin form passes the law test; 2.05 n - 1/3 and 2 n fail.
  EXPECT_TRUE(sr::check_sersic_law(bn_like()).passed);
  EXPECT_NE(sr::check_sersic_law(bn_like()).text.find("span{n, 1, 1/n, 1/n^2} on [0.5, 100]: yes"),
            std::string::npos);
  EXPECT_FALSE(sr::check_sersic_law({op(Op::kSub), op(Op::kMul), c(2.05), x(), c(1.0 / 3)}).passed);
  EXPECT_FALSE(sr::check_sersic_law({op(Op::kMul), c(2), x()}).passed);
  // Noise: the same seed gives the same points; the rms of y / b_n - 1 is the noise.
  o.noise = 0.01;
  o.points = 2000;
  const sr::SymbolicDataset a = sr::sersic_bn_dataset(o), b = sr::sersic_bn_dataset(o);
  EXPECT_EQ(a.train.y, b.train.y);
  double s2 = 0;
  for (std::size_t i = 0; i < a.train.size(); ++i)
    s2 += std::pow(a.train.y[i] / a.truth(a.train.x[0][i]) - 1, 2);
  EXPECT_NEAR(std::sqrt(s2 / a.train.size()), 0.01, 0.001);
  o.noise = -1;
  EXPECT_THROW(sr::sersic_bn_dataset(o), std::invalid_argument);
}

TEST(SymbolicData, HodMockFollowsTheOccupationAndLawTest) {
  sr::HodNsatOptions o;
  o.halos = 20000;
  o.bins = 10;
  o.extrapolation_bins = 4;
  const sr::SymbolicDataset d = sr::hod_nsat_dataset(o);
  EXPECT_EQ(d.train.size() + d.holdout.size(), 10u);
  EXPECT_EQ(d.extrapolation.size(), 4u);
  // The binned Poisson means scatter about the Zheng et al. occupation by their sigma: the
  // mean squared pull is ~1 (< 3 for 14 bins with overwhelming probability).
  double chi2 = 0;
  int n = 0;
  for (const sr::FitData* f : {&d.train, &d.holdout, &d.extrapolation})
    for (std::size_t i = 0; i < f->size(); ++i, ++n)
      chi2 += std::pow((f->y[i] - d.truth(f->x[0][i])) / f->sigma[i], 2);
  EXPECT_LT(chi2 / n, 3);
  EXPECT_NEAR(d.truth(1.0), std::pow((1e13 - std::pow(10, 11.38)) / std::pow(10, 13.31), 1.06),
              1e-12);
  // c (x - x0)^1.06 passes, the linear law and a bent power fail.
  const sr::Expr pw = {op(Op::kMul), c(0.47), op(Op::kPow), op(Op::kSub), x(), c(0.024), c(1.06)};
  EXPECT_TRUE(sr::check_hod_law(pw, 1.06).passed);
  EXPECT_FALSE(sr::check_hod_law({op(Op::kMul), c(0.5), x()}, 1.06).passed);
  const sr::Expr bent = {op(Op::kMul), c(0.5), op(Op::kPow), x(), op(Op::kLog), x()};
  EXPECT_FALSE(sr::check_hod_law(bent, 1.06).passed);
}

TEST(SymbolicData, CsvFileIsValidated) {
  const std::string path = ::testing::TempDir() + "symbolic_test.csv";
  {
    std::ofstream f(path);
    f << "x,y,sigma\n";
    for (int i = 0; i < 12; ++i) f << i << "," << 3 * i + 1 << ",0.5\n";
  }
  const sr::SymbolicDataset d = sr::csv_dataset(path, 0.25, 1);
  EXPECT_EQ(d.train.size() + d.holdout.size(), 12u);
  EXPECT_EQ(d.holdout.size(), 3u);
  EXPECT_EQ(d.train.sigma[0], 0.5);
  {
    std::ofstream f(path);
    f << "x,y\n1,2\n2,abc\n";
  }
  try {
    sr::csv_dataset(path, 0.2, 1);
    FAIL() << "bad row accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("line 3"), std::string::npos) << e.what();
  }
  {
    std::ofstream f(path);
    f << "1,2\n2,3\n";
  }
  EXPECT_THROW(sr::csv_dataset(path, 0.2, 1), std::invalid_argument);  // < 10 rows
  EXPECT_THROW(sr::csv_dataset(path + ".missing", 0.2, 1), std::invalid_argument);
  std::remove(path.c_str());
}
