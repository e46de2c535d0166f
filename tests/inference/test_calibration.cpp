// inference/calibration.hpp: SBC ranks and their chi-square test, marginal coverage, TARP and
// binomial coverage bands on a conjugate Gaussian toy model whose exact posterior is known
// (calibrated, over-confident, under-confident and biased samplers), the special functions
// against closed forms and tabulated values, the PNG plots, and the refusal of bad input.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <random>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "inference/calibration.hpp"
#include "tests/inference/normal_deviates.hpp"
#include "tests/sim/temp_files.hpp"

namespace cosmograd::inference {
namespace {

using cosmograd::testing::Normal;

/// Held-out truths and posterior samples of the toy model.
struct Toy {
  Eigen::MatrixXd truths;                ///< n x p
  std::vector<Eigen::MatrixXd> samples;  ///< n matrices L x p
};

constexpr int kN = 300;         // held-out simulations
constexpr int kL = 99;          // posterior samples per simulation: ranks 0..99, 10 bins of 10
constexpr int kP = 2;           // parameters
constexpr int kBins = 10;       // SBC histogram bins
constexpr double kNoise = 0.5;  // data x = theta + kNoise * eps

/// theta ~ N(0, I_2), x = theta + 0.5 eps; the exact posterior is N(0.8 x, 0.2 I_2). The
/// samples are mean + sd * (shift + spread * z): spread 1 and shift 0 is the exact posterior.
/// The same seed gives the same truths and z for every spread and shift.
Toy toy(double spread, double shift, std::uint64_t seed = 20240611, int L = kL) {
  Normal normal(seed);
  const double shrink = 1.0 / (1.0 + kNoise * kNoise);
  const double sd = std::sqrt(kNoise * kNoise * shrink);
  Toy t;
  t.truths.resize(kN, kP);
  for (int i = 0; i < kN; ++i) {
    Eigen::VectorXd mean(kP);
    for (int j = 0; j < kP; ++j) t.truths(i, j) = normal();
    for (int j = 0; j < kP; ++j) mean(j) = shrink * (t.truths(i, j) + kNoise * normal());
    Eigen::MatrixXd s(L, kP);
    for (int r = 0; r < L; ++r) {
      for (int j = 0; j < kP; ++j) s(r, j) = mean(j) + sd * (shift + spread * normal());
    }
    t.samples.push_back(std::move(s));
  }
  return t;
}

/// The TARP prior box [-4, 4]^2 (the prior is N(0, 1); the box only sets the scale and the
/// distribution of the reference points).
Eigen::VectorXd box(double v) { return Eigen::VectorXd::Constant(kP, v); }

/// Credibility levels 0.1, 0.2, ..., 0.9.
std::vector<double> levels() {
  std::vector<double> a;
  for (int k = 1; k <= 9; ++k) a.push_back(0.1 * k);
  return a;
}

/// Column j of a coverage matrix as a vector.
std::vector<double> column(const Eigen::MatrixXd& m, int j) {
  std::vector<double> v;
  for (Eigen::Index l = 0; l < m.rows(); ++l) v.push_back(m(l, j));
  return v;
}

/// SBC p-value of parameter j.
double sbc_p(const Toy& t, int j) {
  const Eigen::MatrixXi ranks = sbc_ranks(t.samples, t.truths);
  return rank_uniformity(ranks.col(j), kL, kBins).p_value;
}

/// The message of the std::invalid_argument that `f()` throws ("no exception" if none).
template <class F>
std::string message_of(F&& f) {
  try {
    f();
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "no exception";
}

/// The first 8 bytes of a file.
std::string first_bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::string head(8, '\0');
  in.read(head.data(), 8);
  return in.gcount() == 8 ? head : std::string();
}

// ---- special functions and bands --------------------------------------------------------

TEST(Chi2Survival, MatchesClosedFormsAndTabulatedCriticalValues) {
  // Tabulated 5% and 1% critical values.
  EXPECT_NEAR(chi2_survival(3.84, 1), 0.05, 1e-3);
  EXPECT_NEAR(chi2_survival(18.307, 10), 0.05, 1e-3);
  EXPECT_NEAR(chi2_survival(3.841458820694124, 1), 0.05, 1e-12);
  EXPECT_NEAR(chi2_survival(6.634896601021214, 1), 0.01, 1e-12);
  EXPECT_NEAR(chi2_survival(18.307038053275146, 10), 0.05, 1e-12);
  EXPECT_NEAR(chi2_survival(124.34211340400407, 100), 0.05, 1e-10);
  // dof 1: erfc(sqrt(x / 2)); even dof 2m: exp(-x/2) sum_{k<m} (x/2)^k / k!.
  for (double x : {0.01, 0.5, 2.0, 7.0, 30.0}) {
    EXPECT_NEAR(chi2_survival(x, 1), std::erfc(std::sqrt(0.5 * x)), 1e-13) << x;
    EXPECT_NEAR(chi2_survival(x, 2), std::exp(-0.5 * x), 1e-13) << x;
    double sum = 0.0, term = 1.0;
    for (int k = 0; k < 5; ++k) {
      sum += term;
      term *= 0.5 * x / (k + 1);
    }
    EXPECT_NEAR(chi2_survival(x, 10), std::exp(-0.5 * x) * sum, 1e-13) << x;
  }
  EXPECT_EQ(chi2_survival(0.0, 3), 1.0);
  EXPECT_EQ(chi2_survival(INFINITY, 3), 0.0);
}

TEST(KolmogorovSurvival, MatchesKnownQuantilesOnBothSidesOfTheSwitch) {
  EXPECT_NEAR(kolmogorov_survival(0.8275735551899077), 0.50, 1e-12);  // median
  EXPECT_NEAR(kolmogorov_survival(1.2238478702170823), 0.10, 1e-12);
  EXPECT_NEAR(kolmogorov_survival(1.3580986393225505), 0.05, 1e-12);
  EXPECT_NEAR(kolmogorov_survival(1.6276236115189264), 0.01, 1e-12);
  EXPECT_NEAR(kolmogorov_survival(1.18 - 1e-12), kolmogorov_survival(1.18), 1e-12);
  EXPECT_EQ(kolmogorov_survival(0.0), 1.0);
  EXPECT_NEAR(kolmogorov_survival(0.1), 1.0, 1e-12);
  EXPECT_LT(kolmogorov_survival(4.0), 1e-12);
}

TEST(RankUniformity, PearsonStatisticDofAndPValueOfKnownCounts) {
  // L = 1: ranks 0 and 1, two bins; 60 / 40 of 100 gives X^2 = 2 * 10^2 / 50 = 4.
  Eigen::VectorXi ranks(100);
  for (int i = 0; i < 100; ++i) ranks(i) = i < 60 ? 0 : 1;
  const UniformityTest t = rank_uniformity(ranks, 1, 2);
  EXPECT_DOUBLE_EQ(t.statistic, 4.0);
  EXPECT_EQ(t.dof, 1);
  EXPECT_NEAR(t.p_value, std::erfc(std::sqrt(2.0)), 1e-13);  // 0.0455
  // Perfectly flat ranks 0..99 in 10 bins of 10: X^2 = 0, p = 1.
  Eigen::VectorXi flat(200);
  for (int i = 0; i < 200; ++i) flat(i) = i % 100;
  const UniformityTest u = rank_uniformity(flat, 99, 10);
  EXPECT_EQ(u.statistic, 0.0);
  EXPECT_EQ(u.dof, 9);
  EXPECT_EQ(u.p_value, 1.0);
}

TEST(CoverageBand, ExactBinomialQuantiles) {
  // Binomial(100, 0.5): CDF(39) = 0.0176 < 0.025 <= CDF(40) = 0.0284 and
  // CDF(59) = 0.9716 < 0.975 <= CDF(60) = 0.9824: the band is exactly (0.40, 0.60).
  const auto [lo, hi] = coverage_band(100, 0.5);
  EXPECT_DOUBLE_EQ(lo, 0.40);
  EXPECT_DOUBLE_EQ(hi, 0.60);
  // Binomial(300, 0.9): 2.5% and 97.5% quantiles 259 and 280; Binomial(300, 0.1): 20, 41.
  EXPECT_DOUBLE_EQ(coverage_band(300, 0.9).first, 259.0 / 300);
  EXPECT_DOUBLE_EQ(coverage_band(300, 0.9).second, 280.0 / 300);
  EXPECT_DOUBLE_EQ(coverage_band(300, 0.1).first, 20.0 / 300);
  EXPECT_DOUBLE_EQ(coverage_band(300, 0.1).second, 41.0 / 300);
  // A wider confidence widens the band; alpha 0 and 1 are certain.
  EXPECT_LT(coverage_band(300, 0.5, 0.99).first, coverage_band(300, 0.5).first);
  EXPECT_GT(coverage_band(300, 0.5, 0.99).second, coverage_band(300, 0.5).second);
  EXPECT_EQ(coverage_band(300, 0.0), std::make_pair(0.0, 0.0));
  EXPECT_EQ(coverage_band(300, 1.0), std::make_pair(1.0, 1.0));
  EXPECT_TRUE(within_band({0.0, 0.5, 1.0}, {0.0, 0.45, 1.0}, 100));
  EXPECT_FALSE(within_band({0.0, 0.5, 1.0}, {0.0, 0.39, 1.0}, 100));
  EXPECT_FALSE(within_band({0.5}, {0.61}, 100));
  // 51 points: one at 0.39 leaves the pointwise band but not the Bonferroni band, whose
  // per-point confidence is 1 - 0.05 / 49 (49 points in (0, 1)).
  std::vector<double> grid, curve;
  for (int k = 0; k <= 50; ++k) {
    grid.push_back(k / 50.0);
    curve.push_back(k == 25 ? 0.39 : k / 50.0);
  }
  EXPECT_TRUE(within_band(grid, curve, 100));
  EXPECT_FALSE(within_band(grid, curve, 100, 0.95, false));
  EXPECT_LT(coverage_band(100, 0.5, 1 - 0.05 / 49).first, 0.39);
  curve[25] = 0.30;
  EXPECT_FALSE(within_band(grid, curve, 100));
}

// ---- the pieces on hand-made inputs ------------------------------------------------------

TEST(SbcRanks, CountsSamplesStrictlyBelowTheTruth) {
  Eigen::MatrixXd truths(2, 2);
  truths << 0.5, 10.0, -1.0, 0.0;
  Eigen::MatrixXd a(3, 2), b(3, 2);
  a << 0.1, 11.0, 0.7, 12.0, 0.2, 9.0;
  b << -2.0, 0.0, -3.0, 0.0, 5.0, -1.0;  // a sample equal to the truth is not below it
  const Eigen::MatrixXi r = sbc_ranks({a, b}, truths);
  ASSERT_EQ(r.rows(), 2);
  ASSERT_EQ(r.cols(), 2);
  EXPECT_EQ(r(0, 0), 2);
  EXPECT_EQ(r(0, 1), 1);
  EXPECT_EQ(r(1, 0), 2);
  EXPECT_EQ(r(1, 1), 1);
}

TEST(MarginalCoverage, CentralIntervalsOfType6Quantiles) {
  // Samples 1..9 (L = 9): the 0.8 interval is [q(0.1), q(0.9)] at positions 1 and 9, i.e.
  // [1, 9]; the 0.2 interval is at positions 4 and 6: [4, 6].
  Eigen::MatrixXd s(9, 1);
  for (int r = 0; r < 9; ++r) s(r, 0) = 9 - r;  // unsorted on purpose
  Eigen::MatrixXd truths(4, 1);
  truths << 5.0, 6.0, 6.5, 9.5;
  const std::vector<Eigen::MatrixXd> samples(4, s);
  const Eigen::MatrixXd c = marginal_coverage(samples, truths, {0.2, 0.8});
  ASSERT_EQ(c.rows(), 2);
  ASSERT_EQ(c.cols(), 1);
  EXPECT_DOUBLE_EQ(c(0, 0), 0.5);   // 5 and 6 inside [4, 6]
  EXPECT_DOUBLE_EQ(c(1, 0), 0.75);  // 5, 6, 6.5 inside [1, 9]
}

TEST(Tarp, DeterministicMonotoneAndPinnedAtTheEnds) {
  const Toy t = toy(1.0, 0.0);
  const TarpResult a = tarp(t.samples, t.truths, box(-4), box(4), 7);
  const TarpResult b = tarp(t.samples, t.truths, box(-4), box(4), 7);
  const TarpResult c = tarp(t.samples, t.truths, box(-4), box(4), 8);
  ASSERT_EQ(a.alpha.size(), 51u);
  ASSERT_EQ(a.credibility.size(), static_cast<std::size_t>(kN));
  EXPECT_EQ(a.ecp, b.ecp);  // bit-identical for a fixed seed
  EXPECT_EQ(a.credibility, b.credibility);
  EXPECT_EQ(a.ks_p_value, b.ks_p_value);
  EXPECT_NE(a.credibility, c.credibility);
  EXPECT_EQ(a.alpha.front(), 0.0);
  EXPECT_EQ(a.alpha.back(), 1.0);
  EXPECT_EQ(a.ecp.front(), 0.0);
  EXPECT_EQ(a.ecp.back(), 1.0);
  for (std::size_t k = 1; k < a.ecp.size(); ++k) EXPECT_GE(a.ecp[k], a.ecp[k - 1]);
  for (double f : a.credibility) {
    EXPECT_GE(f, 0.0);
    EXPECT_LT(f, 1.0);
  }
  EXPECT_EQ(tarp(t.samples, t.truths, box(-4), box(4), 7, 11).alpha.size(), 11u);
}

// ---- the toy model: calibrated and miscalibrated samplers ---------------------------------

TEST(CalibrationToyModel, ExactPosteriorPassesEveryCheck) {
  const Toy t = toy(1.0, 0.0);
  for (int j = 0; j < kP; ++j) EXPECT_GT(sbc_p(t, j), 0.01) << "parameter " << j;
  // within_band's default is the simultaneous (Bonferroni) band: over 200 seeds of this model
  // the calibrated TARP curve left it 4 times, the pointwise band 88 times.
  const TarpResult r = tarp(t.samples, t.truths, box(-4), box(4), 11);
  EXPECT_TRUE(within_band(r.alpha, r.ecp, kN)) << "max |ECP - alpha| = " << r.max_deviation;
  EXPECT_GT(r.ks_p_value, 0.01);
  const Eigen::MatrixXd m = marginal_coverage(t.samples, t.truths, levels());
  for (int j = 0; j < kP; ++j) EXPECT_TRUE(within_band(levels(), column(m, j), kN)) << j;
  // Also with L = 199 (200 rank values, 20 bins).
  const Toy u = toy(1.0, 0.0, 99, 199);
  const Eigen::MatrixXi ranks = sbc_ranks(u.samples, u.truths);
  for (int j = 0; j < kP; ++j) EXPECT_GT(rank_uniformity(ranks.col(j), 199, 20).p_value, 0.01);
}

TEST(CalibrationToyModel, OverconfidentPosteriorIsDetected) {
  const Toy t = toy(0.5, 0.0);  // spread halved: U-shaped ranks
  for (int j = 0; j < kP; ++j) EXPECT_LT(sbc_p(t, j), 1e-3) << "parameter " << j;
  const TarpResult r = tarp(t.samples, t.truths, box(-4), box(4), 11);
  EXPECT_FALSE(within_band(r.alpha, r.ecp, kN));
  EXPECT_LT(r.ks_p_value, 1e-3);
  const Eigen::MatrixXd m = marginal_coverage(t.samples, t.truths, levels());
  for (int j = 0; j < kP; ++j) {
    EXPECT_FALSE(within_band(levels(), column(m, j), kN)) << j;
    EXPECT_LT(m(8, j), 0.75) << j;  // the 90% intervals cover far less than 90%
  }
}

TEST(CalibrationToyModel, UnderconfidentPosteriorIsDetected) {
  const Toy t = toy(2.0, 0.0);  // spread doubled: ranks pile up in the middle
  for (int j = 0; j < kP; ++j) EXPECT_LT(sbc_p(t, j), 1e-3) << "parameter " << j;
  const Eigen::MatrixXd m = marginal_coverage(t.samples, t.truths, levels());
  for (int j = 0; j < kP; ++j) {
    EXPECT_FALSE(within_band(levels(), column(m, j), kN)) << j;
    EXPECT_GT(m(4, j), 0.75) << j;  // the 50% intervals cover far more than 50%
  }
  const TarpResult r = tarp(t.samples, t.truths, box(-4), box(4), 11);
  EXPECT_FALSE(within_band(r.alpha, r.ecp, kN));
}

TEST(CalibrationToyModel, BiasedPosteriorIsDetected) {
  const Toy t = toy(1.0, 1.0);  // shifted up by one posterior sd: truths rank low
  const Eigen::MatrixXi ranks = sbc_ranks(t.samples, t.truths);
  for (int j = 0; j < kP; ++j) {
    EXPECT_LT(rank_uniformity(ranks.col(j), kL, kBins).p_value, 1e-3) << j;
    EXPECT_LT(ranks.col(j).cast<double>().mean(), 0.35 * kL) << j;
  }
  const Eigen::MatrixXd m = marginal_coverage(t.samples, t.truths, levels());
  for (int j = 0; j < kP; ++j) EXPECT_FALSE(within_band(levels(), column(m, j), kN)) << j;
}

// ---- plots ---------------------------------------------------------------------------------

TEST(CalibrationPlots, WritePngFiles) {
  const std::filesystem::path dir = testing::fresh_dir("inference_calibration_plots");
  const Toy t = toy(0.5, 0.0);
  const Eigen::MatrixXi ranks = sbc_ranks(t.samples, t.truths);
  const std::string histogram = (dir / "ranks.png").string();
  write_rank_histogram_png(histogram, ranks, kL, kBins, {"#gW#dm#u", "#gs#d8#u"},
                           "SBC ranks, over-confident sampler");
  const TarpResult r = tarp(t.samples, t.truths, box(-4), box(4), 11);
  const Eigen::MatrixXd m = marginal_coverage(t.samples, t.truths, levels());
  const std::string coverage = (dir / "sub" / "coverage.png").string();
  write_coverage_png(coverage, r, levels(), m, kN, {}, "Coverage, over-confident sampler");
  const std::string signature = "\x89PNG\r\n\x1a\n";
  for (const std::string& path : {histogram, coverage}) {
    ASSERT_TRUE(std::filesystem::exists(path)) << path;
    EXPECT_GT(std::filesystem::file_size(path), 1000u) << path;
    EXPECT_EQ(first_bytes(path), signature) << path;
  }
}

// ---- bad input -----------------------------------------------------------------------------

TEST(CalibrationBadInput, RefusedWithMessagesNamingTheField) {
  const Toy t = toy(1.0, 0.0);
  auto has = [](const std::string& message, const std::string& part) {
    return message.find(part) != std::string::npos;
  };

  // Mismatched shapes.
  std::vector<Eigen::MatrixXd> fewer(t.samples.begin(), t.samples.end() - 1);
  std::string msg = message_of([&] { sbc_ranks(fewer, t.truths); });
  EXPECT_TRUE(has(msg, "sbc_ranks: samples has 299 entries; expected 300")) << msg;
  std::vector<Eigen::MatrixXd> wide = t.samples;
  wide[5] = Eigen::MatrixXd::Zero(kL, 3);
  msg = message_of([&] { marginal_coverage(wide, t.truths, levels()); });
  EXPECT_TRUE(has(msg, "samples[5] has 3 columns; expected 2")) << msg;
  // Unequal L.
  std::vector<Eigen::MatrixXd> ragged = t.samples;
  ragged[7] = Eigen::MatrixXd::Zero(50, kP);
  msg = message_of([&] { tarp(ragged, t.truths, box(-4), box(4), 1); });
  EXPECT_TRUE(has(msg, "samples[7] has 50 rows (samples); expected 99")) << msg;
  msg = message_of([&] { sbc_ranks({}, Eigen::MatrixXd(0, 2)); });
  EXPECT_TRUE(has(msg, "truths is 0 x 2")) << msg;
  std::vector<Eigen::MatrixXd> bad_value = t.samples;
  bad_value[2](3, 1) = NAN;
  msg = message_of([&] { sbc_ranks(bad_value, t.truths); });
  EXPECT_TRUE(has(msg, "samples[2](3, 1) is nan; must be finite")) << msg;

  // Levels outside (0, 1).
  for (double bad : {0.0, 1.0, 1.5, -0.2, static_cast<double>(NAN)}) {
    msg = message_of([&] { marginal_coverage(t.samples, t.truths, {0.5, bad}); });
    EXPECT_TRUE(has(msg, "levels[1] is ")) << msg;
    EXPECT_TRUE(has(msg, "must lie in (0, 1)")) << msg;
  }
  msg = message_of([&] { marginal_coverage(t.samples, t.truths, {}); });
  EXPECT_TRUE(has(msg, "levels is empty")) << msg;

  // Rank tests and bins.
  const Eigen::VectorXi ranks = sbc_ranks(t.samples, t.truths).col(0);
  msg = message_of([&] { rank_uniformity(ranks, kL, 7); });
  EXPECT_TRUE(has(msg, "bins is 7; must be >= 2 and divide the 100 rank values")) << msg;
  msg = message_of([&] { rank_uniformity(ranks, 50, 3); });
  EXPECT_TRUE(has(msg, "must lie in 0..50")) << msg;
  msg = message_of([&] { rank_uniformity(Eigen::VectorXi(0), kL, 10); });
  EXPECT_TRUE(has(msg, "ranks is empty")) << msg;

  // TARP's box and grid.
  Eigen::VectorXd hi = box(4);
  hi(1) = -5;
  msg = message_of([&] { tarp(t.samples, t.truths, box(-4), hi, 1); });
  EXPECT_TRUE(has(msg, "lo(1) = -4, hi(1) = -5; both must be finite with lo < hi")) << msg;
  msg = message_of([&] { tarp(t.samples, t.truths, box(-4), Eigen::VectorXd::Ones(3), 1); });
  EXPECT_TRUE(has(msg, "hi 3 entries; both need 2")) << msg;
  msg = message_of([&] { tarp(t.samples, t.truths, box(-4), box(4), 1, 1); });
  EXPECT_TRUE(has(msg, "points is 1; must be >= 2")) << msg;

  // Bands.
  msg = message_of([&] { coverage_band(0, 0.5); });
  EXPECT_TRUE(has(msg, "coverage_band: n is 0; must be >= 1")) << msg;
  msg = message_of([&] { coverage_band(10, 1.2); });
  EXPECT_TRUE(has(msg, "alpha is 1.2; must lie in [0, 1]")) << msg;
  msg = message_of([&] { coverage_band(10, 0.5, 1.0); });
  EXPECT_TRUE(has(msg, "confidence is 1; must lie in (0, 1)")) << msg;
  msg = message_of([&] { within_band({0.1, 0.2}, {0.1}, 10); });
  EXPECT_TRUE(has(msg, "alpha has 2 and coverage 1 values")) << msg;
  msg = message_of([&] { within_band({0.1}, {0.1}, 10, 0.0); });
  EXPECT_TRUE(has(msg, "within_band: confidence is 0; must lie in (0, 1)")) << msg;
  msg = message_of([&] { chi2_survival(-1.0, 2); });
  EXPECT_TRUE(has(msg, "x is -1; must be >= 0")) << msg;
  msg = message_of([&] { chi2_survival(1.0, 0); });
  EXPECT_TRUE(has(msg, "dof is 0; must be >= 1")) << msg;

  // Plots.
  const std::string path = (std::filesystem::temp_directory_path() / "never.png").string();
  const Eigen::MatrixXi all = sbc_ranks(t.samples, t.truths);
  msg = message_of([&] { write_rank_histogram_png(path, all, kL, kBins, {"a"}, "t"); });
  EXPECT_TRUE(has(msg, "names has 1 entries; expected 2")) << msg;
  const TarpResult r = tarp(t.samples, t.truths, box(-4), box(4), 1);
  msg = message_of(
      [&] { write_coverage_png(path, r, levels(), Eigen::MatrixXd::Zero(3, 2), kN, {}, "t"); });
  EXPECT_TRUE(has(msg, "marginal is 3 x 2; expected 9 rows")) << msg;
  EXPECT_FALSE(std::filesystem::exists(path));
}

}  // namespace
}  // namespace cosmograd::inference
