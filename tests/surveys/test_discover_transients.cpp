// surveys/discovery/ transient classification: the Bazin fitter (recovery of noiseless and noisy
// synthetic curves), the random forest (an XOR problem, probabilities summing to 1), the
// PLAsTiCC flat log-loss (a hand-computed 3-object example), the Ia AUC (perfect and reversed
// rankings), light-curve truncation and windows, the GRU's inputs, forward pass and model file.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <cstdio>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "surveys/discovery/bazin_fit.hpp"
#include "surveys/discovery/lightcurve_data.hpp"
#include "surveys/discovery/random_forest.hpp"
#include "surveys/discovery/transient_classifier.hpp"
#include "surveys/discovery/transient_features.hpp"
#include "surveys/discovery/transient_metrics.hpp"
#include "tests/surveys/expect_throw.hpp"

namespace cg = cosmograd::surveys;

namespace {

/// A two-band Bazin curve sampled every 3 days over [-30, 120] days (band b: amplitude a[b],
/// baseline base[b]), with Gaussian noise of sigma (0: noiseless; errors then 1).
struct Synth {
  std::vector<double> t, f, e;
  std::vector<int> b;
};
Synth synth(double t0, double tr, double tf, const std::vector<double>& a,
            const std::vector<double>& base, double sigma, unsigned seed) {
  Synth s;
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> g(0.0, 1.0);
  for (double t = -30; t <= 120; t += 3.0)
    for (std::size_t k = 0; k < a.size(); ++k) {
      s.t.push_back(t + 0.5 * static_cast<double>(k));
      s.b.push_back(static_cast<int>(k));
      const double m = cg::bazin_flux(s.t.back(), a[k], t0, tr, tf, base[k]);
      s.f.push_back(m + (sigma > 0 ? sigma * g(rng) : 0.0));
      s.e.push_back(sigma > 0 ? sigma : 1.0);
    }
  return s;
}

}  // namespace

TEST(BazinFit, ShapeMatchesTheFormulaAndPeaksWhereExpected) {
  // f = A e^{-(t-t0)/tf} / (1 + e^{-(t-t0)/tr}) + B at a few points (Bazin et al. 2009, eq. 1).
  for (double t : {-20.0, 0.0, 7.5, 60.0}) {
    const double want = 100 * std::exp(-(t - 5) / 25.0) / (1 + std::exp(-(t - 5) / 2.0)) + 3;
    EXPECT_NEAR(cg::bazin_flux(t, 100, 5, 2, 25, 3), want, 1e-12 * std::abs(want));
  }
  // Far before t0 with tau_rise > tau_fall the shape would overflow; it is capped instead.
  EXPECT_TRUE(std::isfinite(cg::bazin_shape_at(-1e5, 0, 50, 1)));
  cg::BazinFit f;
  f.t0 = 10;
  f.tau_rise = 2;
  f.tau_fall = 30;
  const double tp = f.peak_time();
  EXPECT_NEAR(tp, 10 + 2 * std::log(14.0), 1e-12);
  const double h = 1e-4;  // derivative zero at the peak
  EXPECT_NEAR((cg::bazin_shape_at(tp + h, 10, 2, 30) - cg::bazin_shape_at(tp - h, 10, 2, 30)) / h,
              0, 1e-6);
}

TEST(BazinFit, RecoversNoiselessParametersExactly) {
  const Synth s = synth(12.0, 2.5, 28.0, {150, 90}, {4, -2}, 0, 1);
  const cg::BazinFit f = cg::fit_bazin(s.t, s.b, s.f, s.e, 3);
  EXPECT_EQ(f.flags & (cg::kBazinTooFewPoints | cg::kBazinAtBound), 0u);
  // Tolerance 1e-4 relative: the noiseless chi2 minimum is the truth.
  EXPECT_NEAR(f.t0, 12.0, 1e-3);
  EXPECT_NEAR(f.tau_rise / 2.5, 1, 1e-4);
  EXPECT_NEAR(f.tau_fall / 28.0, 1, 1e-4);
  EXPECT_NEAR(f.amplitude[0] / 150, 1, 1e-4);
  EXPECT_NEAR(f.amplitude[1] / 90, 1, 1e-4);
  EXPECT_NEAR(f.baseline[0], 4, 1e-3);
  EXPECT_NEAR(f.baseline[1], -2, 1e-3);
  EXPECT_EQ(f.amplitude[2], 0.0);  // band without data
  EXPECT_EQ(f.points[2], 0);
  EXPECT_LT(f.chi2, 1e-6);
  EXPECT_EQ(f.dof, static_cast<int>(s.t.size()) - 7);
}

TEST(BazinFit, NoisyFitsScatterAsExpected) {
  // 40 realisations at S/N ~ 20 at peak: the mean recovered t_fall within 3% of the truth and
  // the mean reduced chi2 within 0.1 of 1 (a consistent least-squares fit).
  double mean_tf = 0, mean_chi2 = 0, mean_tp = 0;
  const int n = 40;
  cg::BazinFit truth;
  truth.t0 = 5;
  truth.tau_rise = 3;
  truth.tau_fall = 35;
  for (int i = 0; i < n; ++i) {
    const Synth s = synth(5.0, 3.0, 35.0, {200, 120}, {0, 0}, 5.0, 100 + i);
    const cg::BazinFit f = cg::fit_bazin(s.t, s.b, s.f, s.e, 2);
    mean_tf += f.tau_fall / n;
    mean_tp += f.peak_time() / n;
    mean_chi2 += f.chi2 / f.dof / n;
  }
  EXPECT_NEAR(mean_tf / 35.0, 1, 0.03);
  EXPECT_NEAR(mean_tp, truth.peak_time(), 0.5);  // days
  EXPECT_NEAR(mean_chi2, 1, 0.1);
}

TEST(BazinFit, FlagsTooFewPointsAndRefusesBadInput) {
  const cg::BazinFit f = cg::fit_bazin({1, 2, 3}, {0, 0, 0}, {1, 2, 1}, {1, 1, 1}, 1);
  EXPECT_TRUE(f.flags & cg::kBazinTooFewPoints);  // 3 points, 5 parameters
  cosmograd::testing::expect_throw<std::invalid_argument>(
      [] {
        cg::fit_bazin({1, 2}, {0, 7}, {1, 1}, {1, 1}, 6);
      },
      {"band", "7"});
  cosmograd::testing::expect_throw<std::invalid_argument>(
      [] {
        cg::fit_bazin({1, 2}, {0, 0}, {1, 1}, {1, 0}, 6);
      },
      {"flux_err"});
}

TEST(RandomForest, SeparatesXorAndGivesProbabilities) {
  // XOR of the signs of two uniform features plus a noise feature: linear models fail, trees
  // separate it; held-out accuracy must exceed 0.95.
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<double> u(-1, 1);
  const auto make = [&](int n, std::vector<std::vector<double>>& x, std::vector<int>& y) {
    for (int i = 0; i < n; ++i) {
      const double a = u(rng), b = u(rng);
      x.push_back({a, b, u(rng)});
      y.push_back((a > 0) != (b > 0) ? 1 : 0);
    }
  };
  std::vector<std::vector<double>> xtr, xte;
  std::vector<int> ytr, yte;
  make(1000, xtr, ytr);
  make(500, xte, yte);
  cg::RandomForestOptions o;
  o.trees = 50;
  o.features_per_split = 2;
  cg::RandomForest rf;
  rf.fit(xtr, ytr, 3, {}, o);
  int correct = 0;
  for (std::size_t i = 0; i < xte.size(); ++i) {
    const std::vector<double> p = rf.predict_proba(xte[i]);
    ASSERT_EQ(p.size(), 3u);
    EXPECT_NEAR(p[0] + p[1] + p[2], 1.0, 1e-12);
    EXPECT_EQ(p[2], 0.0);  // a class without training rows
    correct += (p[1] > p[0]) == (yte[i] == 1);
  }
  EXPECT_GT(correct / 500.0, 0.95);
  EXPECT_LT(rf.importance()[2], 0.2);  // the noise feature matters little
  // Fixed seed: the same forest twice.
  cg::RandomForest rf2;
  rf2.fit(xtr, ytr, 3, {}, o);
  EXPECT_EQ(rf.predict_proba(xte[0]), rf2.predict_proba(xte[0]));
}

TEST(RandomForest, RefusesBadInput) {
  cg::RandomForest rf;
  cosmograd::testing::expect_throw<std::invalid_argument>(
      [&] {
        rf.fit({{1.0}, {2.0}}, {0, 5}, 2, {});
      },
      {"label", "5"});
  cosmograd::testing::expect_throw<std::invalid_argument>(
      [&] {
        rf.fit({{1.0}, {2.0, 3.0}}, {0, 1}, 2, {});
      },
      {"row 1"});
  cg::RandomForestOptions o;
  o.trees = 0;
  cosmograd::testing::expect_throw<std::invalid_argument>(
      [&] {
        rf.fit({{1.0}, {2.0}}, {0, 1}, 2, {}, o);
      },
      {"trees"});
}

TEST(TransientMetrics, FlatLogLossMatchesAHandComputedExample) {
  // Three objects: two of class 0 with p = 0.8 and 0.4, one of class 1 with p = 0.5. Flat
  // weights: [-(ln 0.8 + ln 0.4)/2 - ln 0.5] / 2 (classes 2.. absent are left out).
  const torch::Tensor p =
      torch::tensor({0.8, 0.1, 0.1, 0.4, 0.3, 0.3, 0.25, 0.5, 0.25}, torch::kFloat64).view({3, 3});
  const torch::Tensor y = torch::tensor({0, 0, 1}, torch::kLong);
  const double want = (-(std::log(0.8) + std::log(0.4)) / 2 - std::log(0.5)) / 2;
  EXPECT_NEAR(cg::flat_log_loss(p, y), want, 1e-12);
  // A zero probability is clipped at 1e-15: cost ln(1e15) = 34.5 nats for that class.
  const torch::Tensor q = torch::tensor({1.0, 0.0}, torch::kFloat64).view({1, 2});
  EXPECT_NEAR(cg::flat_log_loss(q, torch::tensor({1}, torch::kLong)), -std::log(1e-15), 1e-6);
  cosmograd::testing::expect_throw<std::invalid_argument>(
      [&] {
        cg::flat_log_loss(p, torch::tensor({0, 3, 1}, torch::kLong));
      },
      {"labels"});
}

TEST(TransientMetrics, IaAucOfPerfectAndReversedRankings) {
  const torch::Tensor y = torch::tensor({0, 1, 0, 2}, torch::kLong);
  const torch::Tensor good =
      torch::tensor({0.9, 0.1, 0.2, 0.8, 0.7, 0.3, 0.1, 0.9}, torch::kFloat64).view({4, 2});
  const torch::Tensor p3 = torch::cat({good, torch::zeros({4, 1}, torch::kFloat64)}, 1);
  EXPECT_DOUBLE_EQ(cg::one_vs_rest_auc(p3, y, 0), 1.0);
  const torch::Tensor rev = 1 - p3.select(1, 0);
  const torch::Tensor p_rev = torch::stack({rev, 1 - rev, torch::zeros({4}, torch::kFloat64)}, 1);
  EXPECT_DOUBLE_EQ(cg::one_vs_rest_auc(p_rev, y, 0), 0.0);
  EXPECT_TRUE(std::isnan(cg::one_vs_rest_auc(p3, torch::zeros({4}, torch::kLong), 0)));
}

TEST(LightCurveData, TruncationKeepsExactlyTheObservationsUpToTheCut) {
  cg::LightCurve lc;
  lc.object_id = 7;
  lc.peak_mjd = 60100;
  for (int i = 0; i < 20; ++i)
    lc.obs.push_back({60050.0 + 5 * i, i % 6, 10.0 * i, 1.0, i >= 8 && i <= 12});
  const cg::LightCurve t = cg::truncate_light_curve(lc, 60100);  // obs 0..10 (60100 included)
  ASSERT_EQ(t.obs.size(), 11u);
  for (std::size_t i = 0; i < t.obs.size(); ++i) EXPECT_EQ(t.obs[i].mjd, lc.obs[i].mjd);
  EXPECT_EQ(cg::count_detections(t), 3);
  EXPECT_EQ(cg::truncate_light_curve(lc, 60049.9).obs.size(), 0u);
  EXPECT_EQ(cg::truncate_light_curve(lc, std::numeric_limits<double>::infinity()).obs.size(), 20u);
  // Phase cuts: the true peak, minus before_days; AGN (NaN) a fixed pseudo-peak in the span.
  EXPECT_EQ(cg::phase_cut_mjd(lc, cg::LightCurvePhase::kAtPeak, 10, 60000, 61000), 60100);
  EXPECT_EQ(cg::phase_cut_mjd(lc, cg::LightCurvePhase::kBeforePeak, 10, 60000, 61000), 60090);
  EXPECT_TRUE(std::isinf(cg::phase_cut_mjd(lc, cg::LightCurvePhase::kFull, 10, 60000, 61000)));
  cg::LightCurve agn = lc;
  agn.peak_mjd = std::numeric_limits<double>::quiet_NaN();
  const double p1 = cg::reference_peak_mjd(agn, 60000, 61000);
  EXPECT_GE(p1, 59950);
  EXPECT_LE(p1, 61050);
  EXPECT_EQ(p1, cg::reference_peak_mjd(agn, 60000, 61000));
  // Window: first detection at 60090 -> [60060, 60110] with pre 30, post 20.
  const cg::LightCurve w = cg::observation_window(lc, 30, 20);
  ASSERT_EQ(w.obs.size(), 11u);
  EXPECT_EQ(w.obs.front().mjd, 60060);
  EXPECT_EQ(w.obs.back().mjd, 60110);
}

TEST(TransientNet, InputsForwardAndModelFile) {
  torch::set_num_threads(1);
  torch::manual_seed(1);
  cg::TransientNetConfig c;
  c.hidden = 8;
  c.layers = 2;
  cg::LightCurve a, b;
  a.z = 0.3;
  b.z = 0.5;
  for (int i = 0; i < 5; ++i) a.obs.push_back({100.0 + 10 * i, i % 6, 20.0, 5.0, true});
  b.obs.push_back({200.0, 2, -3.0, 4.0, false});
  const cg::TransientSequences s = cg::transient_sequences({&a, &b}, {true, false}, c);
  ASSERT_EQ(s.x.sizes(), (std::vector<int64_t>{2, 5, cg::kTransientInputs}));
  EXPECT_EQ(s.lengths[0].item<int64_t>(), 5);
  EXPECT_EQ(s.lengths[1].item<int64_t>(), 1);
  EXPECT_FLOAT_EQ(s.x[0][2][0].item<float>(), 0.2f);              // 20 d / 100 d
  EXPECT_FLOAT_EQ(s.x[0][2][1].item<float>(), 1.0f);              // 10 d / 10 d
  EXPECT_FLOAT_EQ(s.x[0][2][2 + 2].item<float>(), 1.0f);          // band r
  EXPECT_FLOAT_EQ(s.x[0][1][8].item<float>(), std::asinh(1.0f));  // asinh(20 / 20)
  EXPECT_FLOAT_EQ(s.x[0][0][11].item<float>(), 0.3f);             // z known
  EXPECT_FLOAT_EQ(s.x[1][0][11].item<float>(), 0.0f);             // z masked
  EXPECT_FLOAT_EQ(s.x[1][0][12].item<float>(), 0.0f);
  EXPECT_EQ(s.x[1][3].abs().sum().item<float>(), 0.0f);  // padding
  cg::TransientNet net(c);
  net->eval();
  torch::NoGradGuard ng;
  const torch::Tensor l = net->forward(s.x, s.lengths);
  ASSERT_EQ(l.sizes(), (std::vector<int64_t>{2, cg::kLightCurveClasses}));
  // Padding does not change a curve's logits: b alone equals b in the padded batch.
  const cg::TransientSequences sb = cg::transient_sequences({&b}, {false}, c);
  EXPECT_TRUE(torch::allclose(net->forward(sb.x, sb.lengths)[0], l[1], 1e-5, 1e-6));
  const std::string path = ::testing::TempDir() + "/transients_test.cgm";
  cosmograd::nn::save_model(path, *net, net->header());
  cg::TransientNet back = cg::load_transient_net(path);
  EXPECT_TRUE(torch::allclose(back->forward(s.x, s.lengths), l));
  std::remove(path.c_str());
}

TEST(TransientFeatures, NamesMatchValues) {
  cg::LightCurve lc;
  lc.z = 0.2;
  for (int i = 0; i < 30; ++i) {
    const double t = 60000.0 + 4 * i;
    lc.obs.push_back({t, i % 6, cg::bazin_flux(t, 300, 60040, 3, 30, 0), 5.0, true});
  }
  const auto x = cg::transient_features(lc, true);
  EXPECT_EQ(x.size(), cg::transient_feature_names(true).size());
  EXPECT_EQ(cg::transient_features(lc, false).size(), cg::transient_feature_names(false).size());
  EXPECT_DOUBLE_EQ(x.back(), 0.2);
  for (double v : x) EXPECT_TRUE(std::isfinite(v));
}
