// Tests of the photo-z layer (surveys/properties/): asinh magnitudes, the sample reader and its
// split, p(z) on a grid against analytic Gaussians, the qp-layout file round trip, RAIL's
// metrics on hand-made samples, the uniformity tests, exact kNN, and a mixture density network
// that learns a known heteroscedastic Gaussian.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "surveys/mocks/table.hpp"
#include "surveys/properties/knn_photoz.hpp"
#include "surveys/properties/photometry_mdn.hpp"
#include "surveys/properties/photometry_sample.hpp"
#include "surveys/properties/photoz_metrics.hpp"
#include "surveys/properties/redshift_pdf.hpp"
#include "tests/surveys/expect_throw.hpp"

namespace cosmograd::surveys {
namespace {

using testing::expect_throw;

std::string temp_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() / ("cg_props_" + name)).string();
}

TEST(Photometry, AsinhMagnitudeIsTheAbMagnitudeOfBrightSourcesAndFiniteAtZero) {
  // Lupton et al. 1999: mu -> m for f >> b; mu(0) = m(b) + 2.5 log10(1/2) ... finite.
  for (double f : {1e3, 1e4, 1e5})
    EXPECT_NEAR(asinh_magnitude(f, 1.0), 31.4 - 2.5 * std::log10(f), 1e-5 * 1e3 / f + 1e-9);
  EXPECT_TRUE(std::isfinite(asinh_magnitude(0.0, 10.0)));
  EXPECT_TRUE(std::isfinite(asinh_magnitude(-50.0, 10.0)));
  // Monotone in flux through zero.
  EXPECT_GT(asinh_magnitude(-5.0, 10.0), asinh_magnitude(5.0, 10.0));
}

/// A small galaxy table with the columns read_photometry_sample needs.
Table fake_galaxies(std::size_t n) {
  Table t;
  t.name = "galaxies";
  t.description = "test";
  std::vector<double> z(n), m(n), ones(n, 1.0), zero(n, 0.0);
  std::vector<std::int64_t> id(n);
  std::vector<bool> det(n, true), q(n, false);
  for (std::size_t i = 0; i < n; ++i) {
    z[i] = 0.1 + 0.01 * i;
    m[i] = 20.0 + 0.1 * i;
    id[i] = static_cast<std::int64_t>(1000 + 7 * i);
  }
  for (const std::string b : {"g", "i"}) {
    t.add("flux_" + b, "nJy", "f", ones);
    t.add("flux_err_" + b, "nJy", "e", ones);
    t.add("mag_true_" + b, "mag", "m", m);
    t.add("mag_" + b, "mag", "m", m);
    t.add("detected_" + b, "", "d", det);
  }
  t.add("redshift", "", "z", z);
  t.add("stellar_mass", "solMass", "m", std::vector<double>(n, 1e10));
  t.add("sfr", "solMass/yr", "s", ones);
  t.add("sed_age", "Gyr", "a", ones);
  t.add("sed_dust_av", "mag", "a", zero);
  t.add("sed_metallicity", "", "z", std::vector<double>(n, 0.02));
  t.add("quenched", "", "q", q);
  t.add("e1", "", "e", zero);
  t.add("e2", "", "e", zero);
  t.add("galaxy_id", "", "id", id);
  t.numeric_meta = {
      {"Seed", 3}, {"OmegaM", 0.31}, {"HubbleParam", 0.68}, {"M5_g", 26}, {"M5_i", 25}};
  return t;
}

TEST(PhotometrySample, ReadsCutsAndSplitsByGalaxyId) {
  const std::string path = temp_path("galaxies.h5");
  write_tables_hdf5(path, {fake_galaxies(100)});
  SampleCuts cuts;
  cuts.max_mag = 24.95;  // mags 20.0 .. 29.9 step 0.1: 50 pass
  const PhotometrySample s = read_photometry_sample(path, cuts);
  ASSERT_EQ(s.count(), 50u);
  EXPECT_EQ(s.bands, (std::vector<std::string>{"g", "i"}));
  EXPECT_DOUBLE_EQ(s.m5[1], 25.0);
  EXPECT_DOUBLE_EQ(s.omega_m, 0.31);
  EXPECT_NEAR(s.log_stellar_mass[0], 10.0, 1e-12);
  EXPECT_EQ(photometry_features(s, {0, 1}).size(), 2 * photometry_feature_count(2));
  // The split depends on the galaxy id only: a subset's galaxies keep their parts.
  const SampleSplit a = split_sample(s, 0.2, 0.3, 5);
  EXPECT_EQ(a.train.size() + a.validation.size() + a.test.size(), s.count());
  const PhotometrySample sub = s.subset(a.test);
  const SampleSplit b = split_sample(sub, 0.2, 0.3, 5);
  EXPECT_EQ(b.test.size(), sub.count());
  // Missing column: the error names the file and the column.
  Table bad = fake_galaxies(10);
  bad.columns.erase(bad.columns.begin() + static_cast<long>(bad.columns.size()) - 5);
  write_tables_hdf5(path, {bad});
  expect_throw<std::runtime_error>([&] { read_photometry_sample(path, SampleCuts{}); },
                                   {path, "e1"});
  SampleCuts wrong;
  wrong.band = "r";
  write_tables_hdf5(path, {fake_galaxies(10)});
  expect_throw<std::invalid_argument>([&] { read_photometry_sample(path, wrong); },
                                      {"band 'r'", "g, i"});
  std::filesystem::remove(path);
}

TEST(PhotometrySample, SplitFractionsMatchTheirProbabilities) {
  PhotometrySample s;
  const std::size_t n = 20000;
  for (std::size_t i = 0; i < n; ++i) {
    s.redshift.push_back(0.5);
    s.galaxy_id.push_back(static_cast<std::int64_t>(i * 4096));
  }
  const SampleSplit sp = split_sample(s, 0.1, 0.2, 1);
  // Binomial: 3 sigma = 3 sqrt(n p (1 - p)).
  EXPECT_NEAR(static_cast<double>(sp.test.size()), 0.2 * n, 3 * std::sqrt(n * 0.16));
  EXPECT_NEAR(static_cast<double>(sp.validation.size()), 0.1 * n, 3 * std::sqrt(n * 0.09));
  expect_throw<std::invalid_argument>([&] { split_sample(s, 0.5, 0.6, 1); }, {"test_fraction"});
}

TEST(RedshiftPdf, GaussianModeMeanQuantilesCdfAndCdeLossMatchAnalytic) {
  const RedshiftGrid grid{0.0, 2.0, 2001};
  const double mu = 0.8, sg = 0.05;
  const RedshiftPdfs p = mixture_pdfs(grid, 1, {1.0}, {mu}, {sg});
  EXPECT_NEAR(pdf_mode(p, 0), mu, grid.dz());
  EXPECT_NEAR(pdf_mean(p, 0), mu, 1e-6);
  EXPECT_NEAR(pdf_quantile(p, 0, 0.5), mu, 1e-5);
  EXPECT_NEAR(pdf_quantile(p, 0, 0.841344746), mu + sg, 1e-4);
  EXPECT_NEAR(pdf_cdf(p, 0, mu - sg), 0.158655254, 1e-4);
  EXPECT_NEAR(pdf_at(p, 0, mu), 1 / (sg * std::sqrt(2 * M_PI)), 1e-3);
  // CDE loss of one galaxy at z_s = mu: 1/(2 sigma sqrt(pi)) - 2/(sigma sqrt(2 pi)).
  const PdfMetrics m = pdf_metrics(p, {mu});
  EXPECT_NEAR(m.cde_loss, 1 / (2 * sg * std::sqrt(M_PI)) - 2 / (sg * std::sqrt(2 * M_PI)), 1e-3);
  EXPECT_NEAR(m.pit[0], 0.5, 1e-5);
  // Two components: weights respected.
  const RedshiftPdfs two = mixture_pdfs(grid, 2, {0.25, 0.75}, {0.4, 1.2}, {0.02, 0.02});
  EXPECT_NEAR(pdf_cdf(two, 0, 0.8), 0.25, 1e-6);
  EXPECT_NEAR(pdf_mode(two, 0), 1.2, grid.dz());
}

TEST(RedshiftPdf, FileRoundTripInQpLayout) {
  const RedshiftGrid grid{0.0, 1.5, 151};
  const RedshiftPdfs p = mixture_pdfs(grid, 1, {1.0, 1.0}, {0.3, 0.9}, {0.05, 0.1});
  const std::string path = temp_path("pz.h5");
  write_redshift_pdfs(path, p, {11, 12}, {0.31, 0.88}, "test", "unit test");
  std::vector<std::int64_t> ids;
  std::vector<double> z;
  const RedshiftPdfs q = read_redshift_pdfs(path, &ids, &z);
  EXPECT_EQ(q.grid.points, 151);
  EXPECT_DOUBLE_EQ(q.grid.z_max, 1.5);
  EXPECT_EQ(q.pdf, p.pdf);
  EXPECT_EQ(ids, (std::vector<std::int64_t>{11, 12}));
  EXPECT_EQ(z, (std::vector<double>{0.31, 0.88}));
  expect_throw<std::invalid_argument>(
      [&] { write_redshift_pdfs(path, p, {1}, {}, "test", "unit test"); }, {"2 densities"});
  std::filesystem::remove(path);
}

TEST(PhotozMetrics, RailPointMetricsOnAHandMadeSample) {
  // ez = 0.01 * k for k = -2..2 (z_s = 0: ez = z_p), plus one outlier at 0.5.
  const std::vector<double> z_s(6, 0.0), z_p = {-0.02, -0.01, 0.0, 0.01, 0.02, 0.5};
  const PointMetrics m = point_metrics(z_p, z_s);
  EXPECT_NEAR(m.bias, 0.005, 1e-12);  // median of 6 values
  // Outlier threshold max(0.06, 3 sigma_IQR): only 0.5 is beyond.
  EXPECT_NEAR(m.outlier_fraction, 1.0 / 6, 1e-12);
  // sigma_MAD = 1.4826 median |ez - 0.005| = 1.4826 * median{0.025,0.015,0.005,0.005,0.015,0.495}.
  EXPECT_NEAR(m.sigma_mad, 1.4826 * 0.015, 1e-12);
  // (1 + z_s) scaling.
  EXPECT_NEAR(point_metrics({1.1}, {1.0}).bias, 0.05, 1e-12);
}

TEST(PhotozMetrics, UniformityTestsAcceptUniformAndRejectSkewedSamples) {
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> u(0, 1);
  std::vector<double> flat(4000), skew(4000);
  for (std::size_t i = 0; i < flat.size(); ++i) {
    flat[i] = u(rng);
    skew[i] = std::pow(u(rng), 1.2);
  }
  const UniformityTest a = uniformity_test(flat), b = uniformity_test(skew);
  EXPECT_LT(a.ks, a.ks_critical_5);
  EXPECT_GT(a.ks_p_value, 0.01);
  EXPECT_GT(b.ks, b.ks_critical_5);
  EXPECT_LT(b.ks_p_value, 1e-3);
  EXPECT_GT(b.cvm, a.cvm);
  EXPECT_GT(b.ad, a.ad);
  // Perfectly spaced points (2i - 1) / 2n: D = 1 / 2n, W^2 = 1 / 12n (its minimum).
  std::vector<double> spaced;
  for (int i = 1; i <= 10; ++i) spaced.push_back((2.0 * i - 1) / 20);
  const UniformityTest c = uniformity_test(spaced);
  EXPECT_NEAR(c.ks, 0.05, 1e-12);
  EXPECT_NEAR(c.cvm, 1.0 / 120, 1e-12);
  // D_crit(5%) for large n is 1.358 / sqrt(n).
  EXPECT_NEAR(a.ks_critical_5 * std::sqrt(4000.0), 1.358, 0.01);
}

TEST(KnnPhotoz, NeighboursAreExactAndKernelPdfPeaksAtTheirRedshifts) {
  std::mt19937_64 rng(3);
  std::normal_distribution<float> g(0, 1);
  const std::size_t n = 500, f = 3;
  std::vector<float> x(n * f);
  std::vector<double> z(n);
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = 0; j < f; ++j) x[i * f + j] = g(rng);
    z[i] = 0.5 + 0.1 * x[i * f];
  }
  const KnnPhotoz knn(x, z, f);
  const std::vector<float> q(x.begin(), x.begin() + 2 * f);
  const std::vector<std::size_t> nb = knn.neighbours(q, 5);
  EXPECT_EQ(nb[0], 0u);  // a training point is its own nearest neighbour
  EXPECT_EQ(nb[5], 1u);
  // Brute-force order check in standardised space: distances ascend.
  const RedshiftPdfs p = knn.pdfs(q, 1, 0.01, RedshiftGrid{0, 1.5, 1501});
  EXPECT_NEAR(pdf_mode(p, 0), z[0], 0.0011);
}

TEST(PhotometryMdn, LearnsAHeteroscedasticGaussian) {
  // y = 0.5 + 0.2 x0 + sigma(x) N(0, 1), sigma = 0.02 + 0.03 (x1 > 0): the MDN recovers mean and
  // width to 20%.
  torch::manual_seed(0);
  std::mt19937_64 rng(11);
  std::normal_distribution<float> g(0, 1);
  auto make = [&](std::size_t n, std::vector<float>& x, std::vector<float>& y) {
    x.resize(2 * n);
    y.resize(n);
    for (std::size_t i = 0; i < n; ++i) {
      x[2 * i] = g(rng);
      x[2 * i + 1] = g(rng);
      const float sg = x[2 * i + 1] > 0 ? 0.05f : 0.02f;
      y[i] = 0.5f + 0.2f * x[2 * i] + sg * g(rng);
    }
  };
  std::vector<float> x, y, xv, yv;
  make(4000, x, y);
  make(500, xv, yv);
  PhotometryMdnConfig c;
  c.features = 2;
  c.hidden = {32, 32};
  c.components = 2;
  PhotometryMdnTrainOptions o;
  o.epochs = 25;
  o.batch = 128;
  PhotometryMdnTrainReport rep;
  PhotometryMdn m = train_photometry_mdn(c, x, y, xv, yv, o, &rep);
  const Mixtures mix = m->mixtures({0.0f, 1.0f, 0.0f, -1.0f});
  for (int row = 0; row < 2; ++row) {
    double mean = 0, second = 0;
    for (int k = 0; k < 2; ++k) {
      const double w = mix.weights[row * 2 + k], mu = mix.means[row * 2 + k],
                   s = mix.sigmas[row * 2 + k];
      mean += w * mu;
      second += w * (s * s + mu * mu);
    }
    const double sd = std::sqrt(second - mean * mean);
    EXPECT_NEAR(mean, 0.5, 0.01);
    EXPECT_NEAR(sd, row == 0 ? 0.05 : 0.02, 0.2 * (row == 0 ? 0.05 : 0.02));
  }
  // Save and load give the same mixtures.
  const std::string path = temp_path("mdn.cgm");
  nn::save_model(path, *m, m->header());
  nn::ModelHeader h;
  PhotometryMdn back = load_photometry_mdn(path, "redshift", &h);
  EXPECT_EQ(back->mixtures({0.3f, 0.2f}).means, m->mixtures({0.3f, 0.2f}).means);
  expect_throw<std::runtime_error>([&] { load_photometry_mdn(path, "log_stellar_mass", nullptr); },
                                   {path, "log_stellar_mass"});
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace cosmograd::surveys
