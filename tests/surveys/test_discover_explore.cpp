// surveys/discovery/ exploring embeddings: the embeddings file (round trip, named errors),
// exact neighbours against a direct search and retrieval scores on separated classes, the
// isolation forest (c(n), an obvious outlier, score range) and kNN-distance scores, the
// self-organising map (quantisation error falls, neighbouring prototypes close) and anomaly
// injection (flux added where expected, labels set).
#include <gtest/gtest.h>
#include <hdf5.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <random>
#include <string>

#include "expect_throw.hpp"
#include "surveys/discovery/anomaly_detection.hpp"
#include "surveys/discovery/anomaly_injection.hpp"
#include "surveys/discovery/embeddings_file.hpp"
#include "surveys/discovery/neighbours.hpp"
#include "surveys/discovery/self_organising_map.hpp"
#include "surveys/images/psf.hpp"

namespace cg = cosmograd::surveys;
using cosmograd::testing::expect_throw;

namespace {

std::string temp_path(const std::string& name) {
  return ::testing::TempDir() + "/discover_explore_" + name;
}

/// n Gaussian points in d dimensions (sd 1) from `seed`.
std::vector<float> gaussian(std::size_t n, std::size_t d, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> g(0, 1);
  std::vector<float> v(n * d);
  for (float& x : v) x = g(rng);
  return v;
}

/// A stamp set of n S x S stamps with a round Gaussian galaxy (flux 1000, sigma 2 px) at the
/// centre, Moffat PSF, noise sigma 1, noiseless images; images = noiseless (no noise drawn).
cg::StampSet toy_set(std::size_t n, int s = 32) {
  cg::StampSet set;
  set.size = s;
  set.psf_size = 11;
  set.band = "i";
  set.pixel_scale = 0.1;
  const cg::Image psf = cg::moffat_psf(2.5, 3.5, 11);
  for (std::size_t k = 0; k < n; ++k) {
    for (int y = 0; y < s; ++y)
      for (int x = 0; x < s; ++x) {
        const double dx = x + 0.5 - 0.5 * s, dy = y + 0.5 - 0.5 * s;
        const double v = 1000.0 / (2 * M_PI * 4) * std::exp(-(dx * dx + dy * dy) / 8);
        set.images.push_back(static_cast<float>(v));
        set.noiseless.push_back(static_cast<float>(v));
      }
    for (double v : psf.values) set.psfs.push_back(static_cast<float>(v));
    set.noise_sigma.push_back(1.0f);
    set.half_light_radius.push_back(2.4f);
    set.mag.push_back(23.9f);
  }
  set.validate();
  return set;
}

double sum_stamp(const std::vector<float>& v, std::size_t k, int s) {
  const std::size_t px = static_cast<std::size_t>(s) * s;
  return std::accumulate(v.begin() + k * px, v.begin() + (k + 1) * px, 0.0);
}

}  // namespace

TEST(ExploreEmbeddingsFile, RoundTrip) {
  cg::Embeddings e;
  e.dim = 3;
  e.values = {1, 2, 3, 4, 5, 6.5f};
  e.index = {7, 9};
  e.labels["morphology"] = {0, 2};
  e.labels["anomaly"] = {-1, 1};
  e.label_names["morphology"] = {"smooth", "2_arms", "3_arms"};
  e.source = "toy stamps";
  e.model = "none";
  const std::string path = temp_path("roundtrip.h5");
  cg::write_embeddings(path, e);
  const cg::Embeddings r = cg::read_embeddings(path);
  EXPECT_EQ(r.dim, 3);
  EXPECT_EQ(r.values, e.values);
  EXPECT_EQ(r.index, e.index);
  EXPECT_EQ(r.labels, e.labels);
  EXPECT_EQ(r.label_names, e.label_names);
  EXPECT_EQ(r.source, e.source);
  EXPECT_EQ(r.model, e.model);
  EXPECT_EQ(r.row(1)[2], 6.5f);
  const cg::Embeddings sub = e.subset({1});
  EXPECT_EQ(sub.index, std::vector<std::int64_t>{9});
  EXPECT_EQ(sub.labels.at("anomaly"), std::vector<std::int32_t>{1});
  expect_throw<std::invalid_argument>([&] { e.label("zbin"); }, {"zbin", "anomaly", "morphology"});
  std::remove(path.c_str());
}

TEST(ExploreEmbeddingsFile, NamedErrors) {
  cg::Embeddings e;
  e.dim = 2;
  e.values = {1, 2, 3};
  e.index = {0, 1};
  expect_throw<std::invalid_argument>([&] { e.validate(); }, {"values", "N * D"});
  e.values = {1, 2, 3, NAN};
  expect_throw<std::invalid_argument>([&] { e.validate(); }, {"values[3]", "finite"});
  e.values = {1, 2, 3, 4};
  e.labels["morphology"] = {1};
  expect_throw<std::invalid_argument>([&] { e.validate(); }, {"morphology", "N = 2"});
  e.labels.clear();
  // A file without /embeddings: the error names the file and the dataset.
  const std::string path = temp_path("broken.h5");
  cg::write_embeddings(path, e);
  {
    const hid_t f = H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
    ASSERT_GE(f, 0);
    H5Ldelete(f, "embeddings", H5P_DEFAULT);
    H5Fclose(f);
  }
  expect_throw<std::runtime_error>([&] { cg::read_embeddings(path); }, {path, "embeddings"});
  expect_throw<std::runtime_error>([&] { cg::read_embeddings(temp_path("absent.h5")); },
                                   {"absent.h5"});
  std::remove(path.c_str());
}

TEST(ExploreNeighbours, ExactAgainstDirectSearch) {
  const std::size_t n = 60, d = 5, k = 4;
  const std::vector<float> v = gaussian(n, d, 3);
  const cg::NeighbourTable t = cg::nearest_neighbours(v, n, d, k);
  for (std::size_t i = 0; i < n; ++i) {
    std::vector<std::pair<double, std::size_t>> all;
    for (std::size_t j = 0; j < n; ++j) {
      if (j == i) continue;
      double s = 0;
      for (std::size_t c = 0; c < d; ++c) s += std::pow(double(v[i * d + c]) - v[j * d + c], 2);
      all.push_back({std::sqrt(s), j});
    }
    std::sort(all.begin(), all.end());
    for (std::size_t q = 0; q < k; ++q) {
      EXPECT_EQ(t.index[i * k + q], all[q].second);
      EXPECT_NEAR(t.distance[i * k + q], all[q].first, 1e-4);
    }
  }
  expect_throw<std::invalid_argument>([&] { cg::nearest_neighbours(v, n, d, n); }, {"k = 60"});
}

TEST(ExploreNeighbours, PerfectlySeparatedClassesGivePrecisionOne) {
  // Three clusters of 20 points (sd 0.1) at distance 10: every neighbour shares the class.
  const std::size_t per = 20, d = 3, n = 3 * per;
  std::vector<float> v = gaussian(n, d, 5);
  std::vector<std::int32_t> cls(n);
  for (std::size_t i = 0; i < n; ++i) {
    cls[i] = static_cast<std::int32_t>(i / per);
    for (std::size_t c = 0; c < d; ++c)
      v[i * d + c] = 0.1f * v[i * d + c] + (c == i / per ? 10 : 0);
  }
  const cg::NeighbourTable t = cg::nearest_neighbours(v, n, d, 10);
  const cg::RetrievalScores r = cg::retrieval_scores(t, cls, 10);
  EXPECT_DOUBLE_EQ(r.precision, 1.0);
  EXPECT_DOUBLE_EQ(r.hit_rate, 1.0);
  EXPECT_NEAR(r.chance_precision, 1.0 / 3, 1e-12);  // 3 x (1/3)^2
  EXPECT_NEAR(r.chance_hit_rate, 1 - std::pow(2.0 / 3, 10), 1e-12);
  EXPECT_EQ(r.queries, n);
  // Shuffled labels: precision near chance (1/3 +- a few 0.1 for 60 queries).
  std::vector<std::int32_t> shuffled = cls;
  std::mt19937 rng(2);
  std::shuffle(shuffled.begin(), shuffled.end(), rng);
  EXPECT_NEAR(cg::retrieval_scores(t, shuffled, 10).precision, 1.0 / 3, 0.12);
}

TEST(ExploreIsolationForest, PathLengthNormalisation) {
  // c(n) = 2 H(n-1) - 2 (n-1)/n with H(i) = ln i + Euler's constant (Liu et al. 2008, eq. 1).
  EXPECT_DOUBLE_EQ(cg::iforest_c(1), 0.0);
  EXPECT_DOUBLE_EQ(cg::iforest_c(2), 1.0);
  EXPECT_NEAR(cg::iforest_c(256), 2 * (std::log(255.0) + 0.5772156649) - 2 * 255.0 / 256, 1e-9);
  EXPECT_NEAR(cg::iforest_c(256), 10.2448, 1e-3);
}

TEST(ExploreIsolationForest, ObviousOutlierScoresHighest) {
  const std::size_t n = 500, d = 4;
  std::vector<float> v = gaussian(n, d, 11);
  for (std::size_t c = 0; c < d; ++c) v[123 * d + c] = 8.0f;  // 16 sd from the centre
  cg::IsolationForestOptions o;
  const std::vector<double> s = cg::isolation_forest_scores(v, n, d, o);
  for (double x : s) {
    EXPECT_GT(x, 0.0);
    EXPECT_LT(x, 1.0);
  }
  EXPECT_EQ(cg::rank_descending(s)[0], 123u);
  EXPECT_GT(s[123], 0.7);  // isolated in ~1-2 splits of the 8 allowed: 2^(-~2/10.2)
  const std::vector<double> kd = cg::knn_distance_scores(v, n, d, 5);
  EXPECT_EQ(cg::rank_descending(kd)[0], 123u);
  std::vector<std::int32_t> lab(n, 0);
  lab[123] = 2;
  const auto order = cg::rank_descending(s);
  EXPECT_DOUBLE_EQ(cg::top_n_share(order, lab, 1), 1.0);
  EXPECT_DOUBLE_EQ(cg::top_n_share(order, lab, 10, 2), 0.1);
  EXPECT_DOUBLE_EQ(cg::top_n_share(order, lab, 10, 1), 0.0);
  o.trees = 0;
  expect_throw<std::invalid_argument>([&] { o.validate(); }, {"trees = 0"});
}

TEST(ExploreSelfOrganisingMap, OrdersUniformSquare) {
  // 2000 points uniform in the unit square: the trained 8 x 8 map's quantisation error falls
  // below that of the initial map (random data points) to near a lattice's, and grid
  // neighbours are close:
  // a regular 8 x 8 lattice has spacing 1/8, so adjacent prototypes sit < 0.3 apart.
  const std::size_t n = 2000, d = 2;
  std::mt19937 rng(4);
  std::uniform_real_distribution<float> u(0, 1);
  std::vector<float> v(n * d);
  for (float& x : v) x = u(rng);
  cg::SomOptions o;
  o.width = o.height = 8;
  o.epochs = 1;
  o.rate_start = o.rate_end = 1e-9;  // effectively untrained: prototypes are random rows
  const double qe0 = cg::train_som(v, n, d, o).quantisation_error(v, n);
  o.epochs = 10;
  o.rate_start = 0.5;
  o.rate_end = 0.01;
  const cg::SelfOrganisingMap som = cg::train_som(v, n, d, o);
  const double qe = som.quantisation_error(v, n);
  // Random prototypes (a Poisson process of density 64) leave a mean distance of
  // 1 / (2 sqrt(64)) = 0.0625; a square lattice of spacing 1/8 leaves 0.383 / 8 = 0.048.
  EXPECT_NEAR(qe0, 0.0625, 0.01);
  EXPECT_LT(qe, 0.85 * qe0);
  EXPECT_LT(qe, 0.055);
  double worst = 0, mean = 0;
  int links = 0;
  for (int y = 0; y < 8; ++y)
    for (int x = 0; x + 1 < 8; ++x)
      for (const auto& [a, b] : {std::pair<int, int>{y * 8 + x, y * 8 + x + 1},
                                 std::pair<int, int>{x * 8 + y, (x + 1) * 8 + y}}) {
        const double dist = std::hypot(som.prototypes[a * 2] - som.prototypes[b * 2],
                                       som.prototypes[a * 2 + 1] - som.prototypes[b * 2 + 1]);
        worst = std::max(worst, dist);
        mean += dist;
        ++links;
      }
  mean /= links;
  EXPECT_LT(worst, 0.3);
  EXPECT_LT(mean, 0.2);
  EXPECT_LT(som.topographic_error(v, n), 0.2);
}

TEST(ExploreAnomalyInjection, AddsFluxWhereExpectedAndLabels) {
  const int s = 32;
  cg::StampSet set = toy_set(4, s);
  const cg::StampSet before = set;
  // A lens adds a ring-like arc: flux outside the galaxy core (r > 3 px), none lost.
  const double added = cg::inject_lens(set, 0, 5);
  EXPECT_GT(added, 0);
  EXPECT_NEAR(sum_stamp(set.images, 0, s) - sum_stamp(before.images, 0, s), added,
              1e-3 * added + 1e-2);
  double outer = 0;
  for (int y = 0; y < s; ++y)
    for (int x = 0; x < s; ++x)
      if (std::hypot(x + 0.5 - 16, y + 0.5 - 16) > 3)
        outer += set.images[y * s + x] - before.images[y * s + x];
  EXPECT_GT(outer, 0.5 * added);
  // A merger adds the partner's light off centre.
  const double m = cg::inject_merger(set, 1, 2, 5);
  EXPECT_NEAR(sum_stamp(set.noiseless, 1, s) - sum_stamp(before.noiseless, 1, s), m,
              1e-3 * m + 1e-2);
  EXPECT_GT(m, 0.25 * 1000 * 0.9);  // >= 0.3 of the host flux, minus the part shifted out
  // A hot column: every pixel of one column rises by the same 10-30 sigma, nothing else.
  EXPECT_EQ(cg::inject_artefact(set, 3, 5, 3), 3);
  int hot = -1;
  for (int x = 0; x < s; ++x)
    if (set.images[3 * s * s + x] - before.images[3 * s * s + x] > 5) hot = x;
  ASSERT_GE(hot, 0);
  for (int y = 0; y < s; ++y) {
    const double dv = set.images[3 * s * s + y * s + hot] - before.images[3 * s * s + y * s + hot];
    EXPECT_GE(dv, 10 - 1e-3);
    EXPECT_LE(dv, 30 + 1e-3);
  }
  // Whole-set injection: counts and labels.
  cg::StampSet big = toy_set(100, s);
  cg::InjectionOptions o;
  o.fraction_lens = 0.05;
  o.fraction_merger = 0.03;
  o.fraction_artefact = 0.02;
  std::vector<std::int32_t> detail;
  const std::vector<std::int32_t> lab = cg::inject_anomalies(big, o, &detail);
  EXPECT_EQ(std::count(lab.begin(), lab.end(), 1), 5);
  EXPECT_EQ(std::count(lab.begin(), lab.end(), 2), 3);
  EXPECT_EQ(std::count(lab.begin(), lab.end(), 3), 2);
  const cg::StampSet clean = toy_set(100, s);
  for (std::size_t k = 0; k < 100; ++k) {
    const double diff = sum_stamp(big.images, k, s) - sum_stamp(clean.images, k, s);
    if (lab[k] == 0)
      EXPECT_EQ(diff, 0.0) << k;
    else
      EXPECT_NE(diff, 0.0) << k;
    EXPECT_EQ(detail[k] >= 0, lab[k] == 3);
  }
  o.fraction_lens = 0.6;
  expect_throw<std::invalid_argument>([&] { o.validate(); }, {"fraction_lens"});
}
