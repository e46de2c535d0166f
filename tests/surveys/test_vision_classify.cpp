// Tests of the vision classifiers (surveys/vision/): the calibration and ROC metrics against
// hand-computed values, temperature scaling recovering a known temperature, the softmax
// regression recovering known weights, the stamp-classifier ensemble (symmetries, model file,
// a short training run that must learn), morphology classes and features, lens inputs and the
// residual features of a synthetic lens.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "nn/train/model_file.hpp"
#include "surveys/vision/classifier_metrics.hpp"
#include "surveys/vision/lens_features.hpp"
#include "surveys/vision/morphology_labels.hpp"
#include "surveys/vision/softmax_regression.hpp"
#include "surveys/vision/stamp_classifier.hpp"
#include "tests/surveys/expect_throw.hpp"

namespace cosmograd::surveys {
namespace {

using testing::expect_throw;

torch::Tensor probs(const std::vector<std::vector<double>>& rows) {
  std::vector<torch::Tensor> r;
  for (const auto& v : rows) r.push_back(torch::tensor(v, torch::kFloat64));
  return torch::stack(r, 0);
}
torch::Tensor labels(const std::vector<int64_t>& v) { return torch::tensor(v, torch::kLong); }

TEST(ClassifierMetrics, SeparableSetHasAurocOneAndTprZeroOne) {
  const std::vector<double> s = {0.9, 0.8, 0.7, 0.3, 0.2, 0.1};
  const std::vector<bool> y = {true, true, true, false, false, false};
  EXPECT_DOUBLE_EQ(auroc(s, y), 1.0);
  const RocCurve roc = roc_curve(s, y);
  EXPECT_DOUBLE_EQ(tpr_below_false_positives(roc, 1), 1.0);
  EXPECT_DOUBLE_EQ(tpr_below_false_positives(roc, 10), 1.0);
  // Reversed scores: AUROC 0, no positive before the first false positive.
  const std::vector<double> r = {0.1, 0.2, 0.3, 0.7, 0.8, 0.9};
  EXPECT_DOUBLE_EQ(auroc(r, y), 0.0);
  EXPECT_DOUBLE_EQ(tpr_below_false_positives(roc_curve(r, y), 1), 0.0);
}

TEST(ClassifierMetrics, ThreePositivesThreeNegativesHandComputed) {
  // Positives 0.9, 0.6, 0.4; negatives 0.7, 0.3, 0.2: pairs won 3 + 2 + 2 = 7 of 9.
  const std::vector<double> s = {0.9, 0.7, 0.6, 0.4, 0.3, 0.2};
  const std::vector<bool> y = {true, false, true, true, false, false};
  EXPECT_NEAR(auroc(s, y), 7.0 / 9.0, 1e-15);
  const RocCurve roc = roc_curve(s, y);
  ASSERT_EQ(roc.threshold.size(), 7u);
  EXPECT_TRUE(std::isinf(roc.threshold[0]));
  EXPECT_EQ(roc.true_positives[3], 2u);  // t = 0.6
  EXPECT_EQ(roc.false_positives[3], 1u);
  EXPECT_NEAR(tpr_below_false_positives(roc, 1), 1.0 / 3.0, 1e-15);  // TPR0
  EXPECT_NEAR(tpr_below_false_positives(roc, 2), 1.0, 1e-15);
  EXPECT_NEAR(tpr_below_false_positives(roc, 10), 1.0, 1e-15);  // TPR10
}

TEST(ClassifierMetrics, TiesCountHalfAndMatchTheTrapezoid) {
  // Positives 1, 0.5; negatives 0.5, 0: pairs 1 + 1 + 0.5 (the tie) + 1 = 3.5 of 4.
  const std::vector<double> s = {1.0, 0.5, 0.5, 0.0};
  const std::vector<bool> y = {true, true, false, false};
  EXPECT_NEAR(auroc(s, y), 0.875, 1e-15);
  const RocCurve roc = roc_curve(s, y);
  ASSERT_EQ(roc.fpr.size(), 4u);  // inf, 1, 0.5 (both tied rows together), 0
  double area = 0;
  for (std::size_t k = 1; k < roc.fpr.size(); ++k)
    area += (roc.fpr[k] - roc.fpr[k - 1]) * 0.5 * (roc.tpr[k] + roc.tpr[k - 1]);
  EXPECT_NEAR(area, 0.875, 1e-15);
  EXPECT_NEAR(tpr_below_false_positives(roc, 1), 0.5, 1e-15);  // the tie brings a false one
  expect_throw<std::invalid_argument>(
      [&] {
        auroc({0.1, 0.2}, {true, true});
      },
      {"positives", "both classes"});
  expect_throw<std::invalid_argument>(
      [&] {
        auroc({0.1, NAN}, {true, false});
      },
      {"scores[1]", "finite"});
}

TEST(ClassifierMetrics, EceIsZeroWhenConfidenceEqualsAccuracy) {
  std::vector<std::vector<double>> p;
  std::vector<int64_t> y;
  for (int i = 0; i < 10; ++i) {  // confidence 0.7, 7 of 10 right
    p.push_back({0.7, 0.3});
    y.push_back(i < 7 ? 0 : 1);
  }
  for (int i = 0; i < 10; ++i) {  // confidence 0.9 for class 1, 9 of 10 right
    p.push_back({0.1, 0.9});
    y.push_back(i < 9 ? 1 : 0);
  }
  EXPECT_NEAR(expected_calibration_error(probs(p), labels(y)), 0.0, 1e-12);
  const auto bins = reliability_bins(probs(p), labels(y));
  ASSERT_EQ(bins.size(), 15u);
  EXPECT_EQ(bins[10].count, 10u);  // 0.7 in (10/15, 11/15]
  EXPECT_NEAR(bins[10].accuracy, 0.7, 1e-12);
  EXPECT_EQ(bins[13].count, 10u);  // 0.9 in (13/15, 14/15]
  EXPECT_TRUE(std::isnan(bins[0].accuracy));
}

TEST(ClassifierMetrics, EceNllBrierHandComputed) {
  // 4 rows at confidence 0.8, all right (gap 0.2); 6 at 0.6, 3 right (gap 0.1):
  // ECE = 0.4 * 0.2 + 0.6 * 0.1 = 0.14.
  std::vector<std::vector<double>> p;
  std::vector<int64_t> y;
  for (int i = 0; i < 4; ++i) p.push_back({0.8, 0.2}), y.push_back(0);
  for (int i = 0; i < 6; ++i) p.push_back({0.4, 0.6}), y.push_back(i < 3 ? 1 : 0);
  EXPECT_NEAR(expected_calibration_error(probs(p), labels(y)), 0.14, 1e-12);
  EXPECT_NEAR(top1_accuracy(probs(p), labels(y)), 0.7, 1e-12);
  // NLL = -(ln 0.7 + ln 0.1) / 2; Brier = (0.09 + 0.04 + 0.01 + 0.01 + 0.64 + 0.81) / 2.
  const torch::Tensor q = probs({{0.7, 0.2, 0.1}, {0.1, 0.8, 0.1}});
  EXPECT_NEAR(multiclass_nll(q, labels({0, 2})), -(std::log(0.7) + std::log(0.1)) / 2, 1e-12);
  EXPECT_NEAR(brier_score(q, labels({0, 2})), 0.8, 1e-12);
  const torch::Tensor cm = confusion_matrix(q, labels({0, 2}));
  EXPECT_EQ(cm[0][0].item<int64_t>(), 1);
  EXPECT_EQ(cm[2][1].item<int64_t>(), 1);
  EXPECT_EQ(cm.sum().item<int64_t>(), 2);
  expect_throw<std::invalid_argument>(
      [&] {
        multiclass_nll(q, labels({0, 3}));
      },
      {"labels", "[0, 3)"});
}

TEST(ClassifierMetrics, TwoClassLogitsGiveTheSigmoid) {
  const torch::Tensor z = torch::tensor({-2.0, 0.0, 3.0}, torch::kFloat64);
  const torch::Tensor p = ensemble_probabilities(two_class_logits(z));
  EXPECT_TRUE(torch::allclose(p.select(1, 1), torch::sigmoid(z), 1e-12, 1e-12));
}

TEST(ClassifierMetrics, TemperatureScalingRecoversTwo) {
  // Labels drawn from softmax(z): z is calibrated, so logits 2 z need T = 2.
  torch::manual_seed(3);
  const torch::Tensor z = 2.0 * torch::randn({20000, 4}, torch::kFloat64);
  const torch::Tensor y = torch::multinomial(torch::softmax(z, 1), 1).squeeze(1);
  EXPECT_NEAR(fit_temperature(2.0 * z, y), 2.0, 0.06);
  EXPECT_NEAR(fit_temperature(z, y), 1.0, 0.03);
  // An ensemble of two identical members behaves as one.
  EXPECT_NEAR(fit_temperature(torch::stack({2.0 * z, 2.0 * z}), y), 2.0, 0.06);
  // Calibration lowers the ECE of the overconfident logits.
  EXPECT_LT(expected_calibration_error(ensemble_probabilities(2.0 * z, 2.0), y),
            expected_calibration_error(ensemble_probabilities(2.0 * z, 1.0), y));
}

TEST(ClassifierMetrics, TemperaturePriorKeepsSeparableSetsFinite) {
  // 100 right answers at binary logit margin 5: the NLL 100 ln(1 + exp(-5 / T)) falls to 0 as
  // T -> 0, so the plain fit runs into the region where it underflows (exp(-5 / T) < 1e-16
  // below T ~ 0.14, flat in double precision); the prior ln T ~ N(0, 0.5^2) adds
  // 2 (ln T)^2 and the total is smallest near T = 0.77 (0.29 nats there, 0.67 at T = 1).
  const torch::Tensor z = two_class_logits(torch::full({100}, 5.0, torch::kFloat64));
  const torch::Tensor y = torch::ones({100}, torch::kLong);
  EXPECT_LT(fit_temperature(z, y), 0.2);
  const double t = fit_temperature(z, y, 0.5);
  EXPECT_GT(t, 0.7);
  EXPECT_LT(t, 0.85);
  // With 20000 labelled rows the prior barely moves the fit.
  torch::manual_seed(3);
  const torch::Tensor zz = 2.0 * torch::randn({20000, 4}, torch::kFloat64);
  const torch::Tensor yy = torch::multinomial(torch::softmax(zz, 1), 1).squeeze(1);
  EXPECT_NEAR(fit_temperature(2.0 * zz, yy, 0.5), fit_temperature(2.0 * zz, yy), 0.01);
}

TEST(SoftmaxRegression, RecoversLogisticWeights) {
  // p(1 | x) = sigmoid(2 x + 1): the logit difference at x is 2 x + 1.
  torch::manual_seed(5);
  const torch::Tensor x = torch::randn({20000, 1}, torch::kFloat64);
  const torch::Tensor y = torch::bernoulli(torch::sigmoid(2 * x + 1)).squeeze(1).to(torch::kLong);
  const SoftmaxRegression r = fit_softmax_regression(x, y, 2, {"x"}, 0.0);
  const torch::Tensor at = torch::tensor({{0.0}, {1.0}, {std::nan("")}}, torch::kFloat64);
  const torch::Tensor l = r.logits(at);
  const torch::Tensor d = l.select(1, 1) - l.select(1, 0);
  EXPECT_NEAR(d[0].item<double>(), 1.0, 0.07);
  EXPECT_NEAR(d[1].item<double>(), 3.0, 0.12);
  // NaN takes the training mean: the fitted (linear) logit difference there.
  const double d0 = d[0].item<double>(), d1 = d[1].item<double>();
  EXPECT_NEAR(d[2].item<double>(), d0 + (d1 - d0) * r.mean[0].item<double>(), 1e-9);
  expect_throw<std::invalid_argument>([&] { fit_softmax_regression(x, y, 2, {}, 0.0); },
                                      {"feature_names"});
}

TEST(StampClassifier, SquareSymmetriesAreTheEightDistinctOnes) {
  const torch::Tensor x = torch::arange(9, torch::kFloat32).view({1, 1, 3, 3});
  // Rotation by 90 degrees in (H, W) (torch.rot90 from H towards W): top row 2, 5, 8.
  const torch::Tensor r1 = square_symmetry(x, 1);
  EXPECT_EQ(r1[0][0][0][0].item<float>(), 2.0f);
  EXPECT_EQ(r1[0][0][0][1].item<float>(), 5.0f);
  const torch::Tensor m = square_symmetry(x, 4);  // the mirror along W
  EXPECT_EQ(m[0][0][0][0].item<float>(), 2.0f);
  EXPECT_EQ(m[0][0][0][2].item<float>(), 0.0f);
  for (int a = 0; a < 8; ++a)
    for (int b = a + 1; b < 8; ++b)
      EXPECT_FALSE(torch::equal(square_symmetry(x, a), square_symmetry(x, b))) << a << " " << b;
}

StampClassifierConfig tiny_config(bool binary) {
  StampClassifierConfig c;
  c.model_type = "test_classifier";
  c.in_channels = 1;
  c.size = 8;
  c.class_names =
      binary ? std::vector<std::string>{"no", "yes"} : std::vector<std::string>{"a", "b", "c"};
  c.binary = binary;
  c.stage_channels = {4, 8};
  c.blocks_per_stage = 1;
  c.members = 2;
  return c;
}

TEST(StampClassifier, ModelFileRoundTripsWithTheTemperature) {
  StampClassifier model(tiny_config(false));
  model->set_temperature(1.7);
  const std::string path =
      (std::filesystem::temp_directory_path() / "cosmograd_test_stamp_classifier.cgm").string();
  nn::save_model(path, *model, model->header());
  nn::ModelHeader h;
  StampClassifier back = load_stamp_classifier(path, "test_classifier", &h);
  EXPECT_DOUBLE_EQ(back->temperature(), 1.7);
  EXPECT_EQ(back->config().class_names, tiny_config(false).class_names);
  EXPECT_EQ(back->config().stage_channels, (std::vector<int64_t>{4, 8}));
  const torch::Tensor x = torch::randn({5, 1, 8, 8});
  EXPECT_TRUE(torch::allclose(model->class_logits(x), back->class_logits(x)));
  EXPECT_EQ(model->class_logits(x).sizes(), (std::vector<int64_t>{2, 5, 3}));
  expect_throw<std::runtime_error>([&] { load_stamp_classifier(path, "vision_lens_finder"); },
                                   {"test_classifier", "not vision_lens_finder"});
  std::filesystem::remove(path);
  StampClassifierConfig bad = tiny_config(true);
  bad.class_names.push_back("maybe");
  expect_throw<std::invalid_argument>([&] { StampClassifier m(bad); }, {"classes", "binary"});
  StampClassifierConfig unnamed = tiny_config(false);
  unnamed.class_names[1] = "";
  expect_throw<std::invalid_argument>([&] { StampClassifier m(unnamed); }, {"class_names"});
}

TEST(StampClassifier, ShortTrainingSeparatesBlobsFromNoise) {
  // Class 1: a central Gaussian blob of peak 4 sigma; class 0: noise only.
  torch::manual_seed(11);
  auto make = [](int64_t n) {
    const torch::Tensor y = torch::arange(n, torch::kLong) % 2;
    const torch::Tensor g = torch::arange(8, torch::kFloat32) - 3.5f;
    const torch::Tensor blob =
        4.0f * torch::exp(-(g.view({1, 8}).square() + g.view({8, 1}).square()) / 4.5f);
    const torch::Tensor x =
        torch::randn({n, 1, 8, 8}) + y.to(torch::kFloat32).view({n, 1, 1, 1}) * blob;
    return std::make_pair(x, y);
  };
  const auto [xt, yt] = make(256);
  const auto [xv, yv] = make(128);
  StampClassifier model(tiny_config(true));
  StampClassifierTrainOptions o;
  o.epochs = 4;
  o.batch = 32;
  o.lr = 1e-2;
  o.log = false;
  StampClassifierTrainReport rep;
  train_stamp_classifier(model, xt, yt, xv, yv, o, &rep);
  ASSERT_EQ(rep.validation_nll.size(), 2u);
  EXPECT_EQ(rep.validation_nll[0].size(), 4u);
  EXPECT_GT(rep.temperature, 0.0);
  EXPECT_LE(rep.validation_nll_calibrated, rep.validation_nll_uncalibrated + 1e-9);
  const torch::Tensor p = model->probabilities(xv);
  EXPECT_GT(top1_accuracy(p, yv), 0.9);
  std::vector<double> score(p.size(0));
  std::vector<bool> lab(p.size(0));
  for (int64_t i = 0; i < p.size(0); ++i) {
    score[i] = p[i][1].item<double>();
    lab[i] = yv[i].item<int64_t>() == 1;
  }
  EXPECT_GT(auroc(score, lab), 0.97);
}

TEST(MorphologyLabels, ClassesAndConcentration) {
  EXPECT_EQ(morphology_class(0), 0);
  EXPECT_EQ(morphology_class(2), 1);
  EXPECT_EQ(morphology_class(3), 2);
  EXPECT_EQ(morphology_class(4), 3);
  EXPECT_EQ(morphology_class(6), 3);
  EXPECT_EQ(morphology_class_names().size(), 4u);
  expect_throw<std::invalid_argument>([] { morphology_class(-1); }, {"arms", ">= 0"});
  // Uniform light over a disk of radius 20 px: the flux within r grows as r^2 (sub-pixels sample
  // the area), so r80 / r20 = 2 and C = 5 log10(2); scaling the image changes nothing.
  Image img = Image::zeros(48, 48);
  for (double& v : img.values) v = 3;
  EXPECT_NEAR(concentration(img, 24, 24, 20), 5 * std::log10(2.0), 0.01);
  for (double& v : img.values) v = 0.25;
  EXPECT_NEAR(concentration(img, 24, 24, 20), 5 * std::log10(2.0), 0.01);
  for (double& v : img.values) v = 0;
  EXPECT_TRUE(std::isnan(concentration(img, 24, 24, 20)));
}

TEST(MorphologyLabels, AzimuthalModesCountArms) {
  // I = 1 + 0.6 cos(3 phi' - 2 ln r') in the frame where e = (0.3, 0) is round (a wound
  // three-armed spiral): a_3 = 0.3 ring by ring, the other modes ~ 0 but for the square pixel
  // lattice, whose rings are not quite round (0.036 in m = 4 for e = 0; the stretch of e = 0.3
  // adds 0.045 in m = 2).
  const double e1 = 0.3, q = 0.7 / 1.3;
  Image img = Image::zeros(96, 96);
  for (int iy = 0; iy < 96; ++iy)
    for (int ix = 0; ix < 96; ++ix) {
      const double u = (ix + 0.5 - 48) * std::sqrt(q), v = (iy + 0.5 - 48) / std::sqrt(q);
      const double r = std::hypot(u, v);
      img.at(ix, iy) = 1 + 0.6 * std::cos(3 * std::atan2(v, u) - 2 * std::log(r + 1e-9));
    }
  const std::vector<double> a = azimuthal_modes(img, 48, 48, e1, 0, 8, 30, 4);
  ASSERT_EQ(a.size(), 4u);
  EXPECT_NEAR(a[2], 0.3, 0.02);
  EXPECT_LT(a[0], 0.02);
  for (int m : {1, 3}) EXPECT_LT(a[m], 0.05) << "m = " << m + 1;
  expect_throw<std::invalid_argument>([&] { azimuthal_modes(img, 48, 48, 1.0, 0, 8, 30, 4); },
                                      {"|e|"});
}

TEST(MorphologyLabels, FeaturesOfARoundGaussianStamp) {
  StampSet set;
  set.size = 24;
  set.psf_size = 11;
  const double sg = 1.5;  // PSF sigma [pixels]
  std::vector<float> psf(121);
  double tot = 0;
  for (int iy = 0; iy < 11; ++iy)
    for (int ix = 0; ix < 11; ++ix)
      tot += psf[iy * 11 + ix] =
          std::exp(-((ix - 5) * (ix - 5) + (iy - 5) * (iy - 5)) / (2 * sg * sg));
  for (float& v : psf) v = static_cast<float>(v / tot);
  set.psfs = psf;
  for (int iy = 0; iy < 24; ++iy)
    for (int ix = 0; ix < 24; ++ix) {
      const double dx = ix + 0.5 - 12, dy = iy + 0.5 - 12;
      set.images.push_back(static_cast<float>(100 * std::exp(-(dx * dx + dy * dy) / 8)));
    }
  set.noise_sigma = {0.01f};
  set.half_light_radius = {2.4f};
  set.mag = {20.0f};
  const torch::Tensor f = morphology_features(set, {0});
  ASSERT_EQ(f.size(1), static_cast<int64_t>(morphology_feature_names().size()));
  EXPECT_LT(std::abs(f[0][0].item<double>()), 0.02);  // asymmetry
  EXPECT_LT(f[0][4].item<double>(), 0.01);            // ellipticity
  // A Gaussian of sigma 2 px: C = 5 log10(sqrt(ln 5 / ln(5/4))) = 2.145 (continuous; the
  // pixels' sampling raises it by 0.06).
  EXPECT_NEAR(f[0][6].item<double>(), 5 * std::log10(std::sqrt(std::log(5.0) / std::log(1.25))),
              0.1);
  EXPECT_NEAR(f[0][7].item<double>(), 2 * std::sqrt(2 * std::log(2.0)) * sg, 0.02 * sg);
  // Inputs: asinh(image / (3 sigma)).
  const torch::Tensor in = morphology_inputs(set, {0});
  EXPECT_EQ(in.sizes(), (std::vector<int64_t>{1, 1, 24, 24}));
  EXPECT_NEAR(in[0][0][12][12].item<double>(), std::asinh(set.images[12 * 24 + 12] / 0.03), 1e-4);
  // The PSF channel: the PSF over its peak, its centre pixel (5, 5) on the stamp's (12, 12).
  const torch::Tensor with_psf = morphology_inputs(set, {0}, 3.0, true);
  EXPECT_EQ(with_psf.sizes(), (std::vector<int64_t>{1, 2, 24, 24}));
  EXPECT_FLOAT_EQ(with_psf[0][1][12][12].item<float>(), 1.0f);
  EXPECT_NEAR(with_psf[0][1][12][14].item<double>(), std::exp(-4 / (2 * sg * sg)), 1e-6);
  EXPECT_EQ(with_psf[0][1][12][18].item<float>(), 0.0f);  // beyond the 11 x 11 PSF
}

/// Two-band (g, i) 32 x 32 stamps at 0.2"/px: a round deflector at the centre, noiseless
/// (stamp 0) and with one extra g pixel of flux a at 1.5" from the centre (stamp 1).
LensSet toy_lenses(double a) {
  LensSet set;
  set.bands = {"g", "i"};
  set.size = 32;
  set.pixel_scale = 0.2;
  for (int k = 0; k < 2; ++k)
    for (int b = 0; b < 2; ++b)
      for (int iy = 0; iy < 32; ++iy)
        for (int ix = 0; ix < 32; ++ix) {
          const double dx = ix + 0.5 - 16, dy = iy + 0.5 - 16;
          double v = (b == 0 ? 10.0 : 40.0) * std::exp(-(dx * dx + dy * dy) / 8);
          if (k == 1 && b == 0 && ix == 16 + 7 && iy == 16) v += a;  // r = 7.5 px = 1.5"
          set.images.push_back(static_cast<float>(v));
        }
  set.truth.name = "truth";
  set.truth.add("is_lens", "", "", std::vector<bool>{false, true});
  return set;
}

TEST(LensFeatures, ResidualOfASymmetricDeflectorIsTheNoiseFloor) {
  const double a = 50, sigma = 1;
  const LensSet set = toy_lenses(a);
  const torch::Tensor f = lens_features(set, {0, 1}, {sigma, sigma});
  ASSERT_EQ(f.size(1), static_cast<int64_t>(lens_feature_names(set).size()));
  // Annulus pixels: centres between 0.6" and 3" (3 px and 15 px) from the centre.
  double n = 0;
  for (int iy = 0; iy < 32; ++iy)
    for (int ix = 0; ix < 32; ++ix) {
      const double r = std::hypot(ix + 0.5 - 16, iy + 0.5 - 16);
      n += (r >= 3 && r <= 15) ? 1 : 0;
    }
  const double floor = -2 * std::sqrt(n) / std::sqrt(M_PI);
  EXPECT_NEAR(f[0][0].item<double>(), floor, 1e-4);  // symmetric: only the noise term
  // The extra pixel and its mirror each leave |R| = a: resid = 2 a.
  EXPECT_NEAR(f[1][0].item<double>(), floor + 2 * a / std::sqrt(n), 1e-4);
  EXPECT_NEAR(f[1][1].item<double>(), f[0][1].item<double>(), 1e-9);  // i band unchanged
  // The extra g light raises the blue excess by a / (sqrt(1 + alpha^2) sqrt(n)).
  EXPECT_GT(f[1][5].item<double>() - f[0][5].item<double>(), 0.0);
  EXPECT_EQ(lens_labels(set, {0, 1})[1].item<int64_t>(), 1);
  // Crop 16: the central 16 x 16 pixels, asinh(x / (3 sigma)).
  const torch::Tensor in = lens_inputs(set, {1}, {sigma, 2 * sigma}, 16);
  EXPECT_EQ(in.sizes(), (std::vector<int64_t>{1, 2, 16, 16}));
  EXPECT_NEAR(in[0][1][8][8].item<double>(),
              std::asinh(set.images[(1 * 2 + 1) * 1024 + 16 * 32 + 16] / 6.0), 1e-5);
  expect_throw<std::invalid_argument>([&] { lens_inputs(set, {1}, {sigma, sigma}, 15); }, {"crop"});
}

TEST(LensFeatures, BandSigmaIsTheBorderMad) {
  LensSet set;
  set.bands = {"g", "i"};
  set.size = 32;
  std::mt19937_64 rng(2);
  std::normal_distribution<double> g(0, 1);
  for (int k = 0; k < 20; ++k)
    for (int b = 0; b < 2; ++b)
      for (int p = 0; p < 1024; ++p) set.images.push_back(static_cast<float>((b + 1) * 3 * g(rng)));
  set.truth.name = "truth";
  set.truth.add("is_lens", "", "", std::vector<bool>(20, false));
  std::vector<std::size_t> rows(20);
  for (std::size_t i = 0; i < 20; ++i) rows[i] = i;
  const std::vector<double> s = lens_band_sigma(set, rows);
  // 20 stamps x 448 border pixels: the MAD estimate scatters by ~1.6%.
  EXPECT_NEAR(s[0], 3.0, 0.15);
  EXPECT_NEAR(s[1], 6.0, 0.3);
}

}  // namespace
}  // namespace cosmograd::surveys
