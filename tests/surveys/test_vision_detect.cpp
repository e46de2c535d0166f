// Tests of the detection module (surveys/vision/matching.*, detector*.*, sextractor.*): the
// Hungarian algorithm against brute force, radius matching against a greedy trap, decoding of
// synthetic heatmaps with exact offsets, the training targets under the 8 symmetries, the loss
// on hand-computed cases, the network's shapes and header, SExtractor's catalogue parsing and
// filter, and SExtractor itself on a Gaussian blob (skipped when it is not installed).
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "surveys/vision/detector.hpp"
#include "surveys/vision/detector_train.hpp"
#include "surveys/vision/matching.hpp"
#include "surveys/vision/sextractor.hpp"
#include "tests/surveys/expect_throw.hpp"

namespace cosmograd::surveys {
namespace {

using testing::expect_throw;
using XY = std::array<double, 2>;

/// The least summed cost over all assignments of min(n, m) rows and columns (brute force).
double brute_force(const std::vector<double>& c, std::size_t n, std::size_t m) {
  const bool rows_first = n <= m;
  const std::size_t small = rows_first ? n : m, big = rows_first ? m : n;
  std::vector<std::size_t> perm(big);
  std::iota(perm.begin(), perm.end(), 0);
  double best = INFINITY;
  do {
    double sum = 0;
    for (std::size_t i = 0; i < small; ++i)
      sum += rows_first ? c[i * m + perm[i]] : c[perm[i] * m + i];
    best = std::min(best, sum);
  } while (std::next_permutation(perm.begin(), perm.end()));
  return best;
}

TEST(VisionDetect, HungarianMatchesBruteForce) {
  std::mt19937_64 rng(5);
  std::uniform_real_distribution<double> u(0, 10);
  for (int trial = 0; trial < 200; ++trial) {
    const std::size_t n = 1 + rng() % 6, m = 1 + rng() % 6;
    std::vector<double> c(n * m);
    for (double& v : c) v = trial % 3 == 0 ? std::floor(u(rng)) : u(rng);  // ties too
    const std::vector<int> a = hungarian_assignment(c, n, m);
    ASSERT_EQ(a.size(), n);
    std::vector<int> used(m, 0);
    double sum = 0;
    std::size_t pairs = 0;
    for (std::size_t i = 0; i < n; ++i) {
      if (a[i] < 0) continue;
      ASSERT_LT(a[i], static_cast<int>(m));
      EXPECT_EQ(used[static_cast<std::size_t>(a[i])]++, 0) << "column used twice";
      sum += c[i * m + static_cast<std::size_t>(a[i])];
      ++pairs;
    }
    EXPECT_EQ(pairs, std::min(n, m));
    EXPECT_NEAR(sum, brute_force(c, n, m), 1e-9) << "n " << n << " m " << m;
  }
  EXPECT_TRUE(hungarian_assignment({}, 0, 3).empty());
  EXPECT_EQ(hungarian_assignment({}, 2, 0), (std::vector<int>{-1, -1}));
  expect_throw<std::invalid_argument>(
      [] {
        hungarian_assignment({1, 2, 3}, 2, 2);
      },
      {"3 entries", "n * m"});
  expect_throw<std::invalid_argument>([] { hungarian_assignment({1, NAN}, 1, 2); }, {"cost[0, 1]"});
}

TEST(VisionDetect, MatchingMaximisesPairsThenMinimisesDistance) {
  // Greedy nearest-first would pair truth 0 with detection 0 (1.4 px) and leave truth 1 (3.9 px
  // from detection 1) unmatched; the optimum pairs 0-1 (1.0 px) and 1-0 (1.1 px).
  const std::vector<XY> truth = {{0, 0}, {2.5, 0}}, det = {{1.4, 0}, {-1.0, 0}, {40, 40}};
  const auto m = match_positions(truth, det, 3.0);
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m[0].truth, 0);
  EXPECT_EQ(m[0].detection, 1);
  EXPECT_NEAR(m[0].distance, 1.0, 1e-12);
  EXPECT_EQ(m[1].truth, 1);
  EXPECT_EQ(m[1].detection, 0);
  EXPECT_NEAR(m[1].distance, 1.1, 1e-12);
  // Beyond the radius nothing matches; exactly at it, it does.
  EXPECT_TRUE(match_positions({{0, 0}}, {{3.01, 0}}, 3.0).empty());
  EXPECT_EQ(match_positions({{0, 0}}, {{0, 3.0}}, 3.0).size(), 1u);
  expect_throw<std::invalid_argument>([] { match_positions({}, {}, 0.0); }, {"max_distance"});
}

/// Maps of two Gaussian peaks (sigma 1.5) with exact offsets on the disks of radius 5 around
/// them, each pixel pointing to the nearer centre.
DetectorMaps two_peaks(int w, int h, const XY& a, const XY& b, std::vector<int>* owner) {
  DetectorMaps m;
  m.width = w;
  m.height = h;
  const std::size_t n = static_cast<std::size_t>(w) * h;
  for (auto* v : {&m.foreground, &m.heatmap, &m.offset_x, &m.offset_y}) v->assign(n, 0.f);
  owner->assign(n, -1);
  for (int iy = 0; iy < h; ++iy)
    for (int ix = 0; ix < w; ++ix) {
      const std::size_t p = static_cast<std::size_t>(iy) * w + ix;
      const double px = ix + 0.5, py = iy + 0.5;
      const double da = std::hypot(px - a[0], py - a[1]), db = std::hypot(px - b[0], py - b[1]);
      m.heatmap[p] =
          static_cast<float>(std::max(std::exp(-da * da / 4.5), std::exp(-db * db / 4.5)));
      if (std::min(da, db) < 5) {
        const XY& c = da <= db ? a : b;
        (*owner)[p] = da <= db ? 0 : 1;
        m.foreground[p] = 0.9f;
        m.offset_x[p] = static_cast<float>(c[0] - px);
        m.offset_y[p] = static_cast<float>(c[1] - py);
      }
    }
  return m;
}

TEST(VisionDetect, DecodingRecoversTwoPeaksAndSplitsTheFootprint) {
  const XY a = {10.3, 12.7}, b = {17.8, 15.2};  // 7.9 px apart: their disks overlap
  std::vector<int> owner;
  const DetectorMaps maps = two_peaks(32, 28, a, b, &owner);
  std::vector<float> image(owner.size());
  for (std::size_t p = 0; p < image.size(); ++p)
    image[p] = 0.25f + 0.001f * static_cast<float>(p % 7);
  const DetectionMap d = decode_detections(maps, image, 0.5, 0.5);
  ASSERT_EQ(d.objects.size(), 2u);
  // Both peaks, sub-pixel (the log-parabola is exact for Gaussians).
  const Detection& da =
      std::hypot(d.objects[0].x - a[0], d.objects[0].y - a[1]) < 1 ? d.objects[0] : d.objects[1];
  const Detection& db = &da == &d.objects[0] ? d.objects[1] : d.objects[0];
  EXPECT_LT(std::hypot(da.x - a[0], da.y - a[1]), 0.1);
  EXPECT_LT(std::hypot(db.x - b[0], db.y - b[1]), 0.1);
  EXPECT_NEAR(da.x, a[0], 1e-3);
  EXPECT_NEAR(db.y, b[1], 1e-3);
  EXPECT_GT(d.objects[0].score, 0.9);
  // Footprints: every disk pixel goes to its own centre; fluxes are the sums over them.
  const int la = 1 + static_cast<int>(&da - d.objects.data()), lb = 3 - la;
  double fa = 0, fb = 0;
  int64_t na = 0, nb = 0;
  for (std::size_t p = 0; p < owner.size(); ++p) {
    const int expect = owner[p] < 0 ? 0 : (owner[p] == 0 ? la : lb);
    ASSERT_EQ(d.segmentation[p], expect) << "pixel " << p;
    if (owner[p] == 0) {
      fa += image[p];
      ++na;
    } else if (owner[p] == 1) {
      fb += image[p];
      ++nb;
    }
  }
  EXPECT_EQ(da.pixels, na);
  EXPECT_EQ(db.pixels, nb);
  EXPECT_NEAR(da.flux, fa, 1e-4);
  EXPECT_NEAR(db.flux, fb, 1e-4);
  // An assignment radius keeps pixels whose centre + offset lands near a detection (here all,
  // the offsets are exact) and drops those whose offsets miss by more (here all, shifted 2 px).
  const DetectionMap near = decode_detections(maps, image, 0.5, 0.5, 0.5);
  EXPECT_EQ(near.segmentation, d.segmentation);
  DetectorMaps shifted = maps;
  for (float& v : shifted.offset_x) v += 2.f;
  const DetectionMap missed = decode_detections(shifted, image, 0.5, 0.5, 1.5);
  ASSERT_EQ(missed.objects.size(), 2u);
  EXPECT_EQ(missed.objects[0].pixels + missed.objects[1].pixels, 0);
  EXPECT_EQ(std::count(missed.segmentation.begin(), missed.segmentation.end(), 0),
            static_cast<std::ptrdiff_t>(owner.size()));
  // Above a threshold higher than both peaks: no detection, an empty segmentation.
  const DetectionMap none = decode_detections(maps, image, 0.999, 0.5);
  EXPECT_TRUE(none.objects.empty());
  EXPECT_EQ(std::count(none.segmentation.begin(), none.segmentation.end(), 0),
            static_cast<std::ptrdiff_t>(owner.size()));
  expect_throw<std::invalid_argument>(
      [&] { decode_detections(maps, std::vector<float>(3), 0.5, 0.5); }, {"32 x 28"});
}

TEST(VisionDetect, PeaksOnAPlateauAreFoundOnce) {
  std::vector<float> h(25, 0.f);
  h[2 * 5 + 2] = h[2 * 5 + 3] = 0.8f;  // two equal neighbours: one peak, at their midpoint
  const auto p = heatmap_peaks(h, 5, 5, 0.5);
  ASSERT_EQ(p.size(), 1u);
  EXPECT_NEAR(p[0].x, 3.0, 1e-12);
  EXPECT_NEAR(p[0].y, 2.5, 1e-12);
}

/// A one-stamp blend set of side s with one galaxy at `c` whose segment is the disk of radius
/// 4 around it.
BlendSet one_galaxy_set(int s, const XY& c) {
  BlendSet set;
  set.bands = {"i"};
  set.ref_band = "i";
  set.size = s;
  set.max_blend = 2;
  set.sigma = {1.0};
  set.n_galaxies = {1};
  set.images.assign(static_cast<std::size_t>(s) * s, 0.f);
  set.segmentation.assign(static_cast<std::size_t>(s) * s, 0);
  for (int iy = 0; iy < s; ++iy)
    for (int ix = 0; ix < s; ++ix)
      if (std::hypot(ix + 0.5 - c[0], iy + 0.5 - c[1]) < 4)
        set.segmentation[static_cast<std::size_t>(iy) * s + ix] = 1;
  set.truth.name = "truth";
  set.truth.add("stamp", "", "stamp", std::vector<std::int64_t>{0})
      .add("slot", "", "slot", std::vector<std::int64_t>{0})
      .add("x", "pixel", "x", std::vector<double>{c[0]})
      .add("y", "pixel", "y", std::vector<double>{c[1]});
  return set;
}

TEST(VisionDetect, TargetsFollowTheEightSymmetries) {
  const int s = 16;
  const XY c = {6.3, 9.6};
  const BlendSet set = one_galaxy_set(s, c);
  const auto centres = blend_centres(set);
  ASSERT_EQ(centres.size(), 1u);
  for (int k = 0; k < 8; ++k) {
    DetectorTargets t = detector_targets(set, centres, {0}, 1.5);
    EXPECT_EQ(t.objects, 1);
    torch::Tensor img = torch::zeros({1, 1, s, s});
    dihedral_transform(k, img, t);
    // The transformed centre: transpose, then mirror x, then mirror y.
    XY e = c;
    if (k & 1) std::swap(e[0], e[1]);
    if (k & 2) e[0] = s - e[0];
    if (k & 4) e[1] = s - e[1];
    const auto fg = t.foreground.accessor<float, 4>();
    const auto off = t.offsets.accessor<float, 4>();
    const auto hm = t.heatmap.accessor<float, 4>();
    int pixels = 0;
    for (int iy = 0; iy < s; ++iy)
      for (int ix = 0; ix < s; ++ix) {
        const double px = ix + 0.5, py = iy + 0.5;
        EXPECT_NEAR(hm[0][0][iy][ix],
                    std::exp(-((px - e[0]) * (px - e[0]) + (py - e[1]) * (py - e[1])) / 4.5), 1e-6);
        if (fg[0][0][iy][ix] == 0.f) continue;
        ++pixels;
        EXPECT_NEAR(px + off[0][0][iy][ix], e[0], 1e-5) << "k " << k;
        EXPECT_NEAR(py + off[0][1][iy][ix], e[1], 1e-5) << "k " << k;
      }
    EXPECT_GT(pixels, 40);
  }
}

TEST(VisionDetect, LossOfHandComputedCases) {
  // Logits 0: foreground BCE ln 2 per pixel; a heatmap target of 0.5 = sigmoid(0) costs nothing
  // under the quality focal loss; exact offsets cost nothing.
  DetectorTargets t;
  t.foreground = torch::ones({2, 1, 8, 8});
  t.heatmap = torch::full({2, 1, 8, 8}, 0.5);
  t.offsets = torch::randn({2, 2, 8, 8});
  t.objects = 3;
  torch::Tensor out = torch::zeros({2, 4, 8, 8});
  out.narrow(1, 2, 2).copy_(t.offsets);
  DetectorLosses l = detector_loss(out, t, 1.0, 0.1);
  EXPECT_NEAR(l.foreground.item<double>(), std::log(2.0), 1e-6);
  EXPECT_NEAR(l.heatmap.item<double>(), 0.0, 1e-9);
  EXPECT_NEAR(l.offset.item<double>(), 0.0, 1e-9);
  EXPECT_NEAR(l.total.item<double>(), std::log(2.0), 1e-6);
  // Heatmap target 0 with logit 0: (0 - 1/2)^2 ln 2 per pixel, summed over 128 pixels, per object;
  // offsets off by 1 px on every foreground pixel: L1 = 1.
  t.heatmap.zero_();
  out.narrow(1, 2, 2).add_(1.0);
  l = detector_loss(out, t, 2.0, 0.1);
  EXPECT_NEAR(l.heatmap.item<double>(), 0.25 * std::log(2.0) * 128 / 3, 1e-5);
  EXPECT_NEAR(l.offset.item<double>(), 1.0, 1e-6);
  EXPECT_NEAR(l.total.item<double>(), std::log(2.0) + 2 * 0.25 * std::log(2.0) * 128 / 3 + 0.1,
              1e-5);
}

TEST(VisionDetect, NetworkShapesHeaderAndPadding) {
  DetectorConfig c;
  c.depth = 2;
  c.base_channels = 4;
  c.norm_groups = 2;
  c.threshold = 0.35;
  c.assign_radius = 6.5;
  DetectorNet net(c);
  const torch::Tensor y = net->forward(torch::randn({2, 1, 16, 24}));
  EXPECT_EQ(y.sizes(), (std::vector<int64_t>{2, 4, 16, 24}));
  // Sizes that are not multiples of 2^depth are padded and cropped back.
  const auto maps = predict_maps(net, torch::randn({3, 13, 10}), {1.0, 2.0, 3.0}, 2);
  ASSERT_EQ(maps.size(), 3u);
  EXPECT_EQ(maps[2].width, 10);
  EXPECT_EQ(maps[2].height, 13);
  EXPECT_EQ(maps[2].heatmap.size(), 130u);
  for (float v : maps[1].foreground) EXPECT_TRUE(v > 0 && v < 1);
  // Tiling: an image larger than a tile gives the maps of the same size.
  const std::vector<float> big(40 * 37, 1.f);
  const DetectorMaps tiled = predict_maps_tiled(net, big, 40, 37, 1.0, 16, 4);
  EXPECT_EQ(tiled.width, 40);
  EXPECT_EQ(tiled.heatmap.size(), 40u * 37u);
  const DetectorConfig r = detector_config_from(net->header());
  EXPECT_EQ(r.depth, 2);
  EXPECT_EQ(r.base_channels, 4);
  EXPECT_EQ(r.threshold, 0.35);
  EXPECT_EQ(r.assign_radius, 6.5);
  EXPECT_EQ(net->header().get("model"), "vision_detector");
  c.norm_groups = 3;
  expect_throw<std::invalid_argument>([&] { DetectorNet bad(c); }, {"norm_groups"});
}

TEST(VisionDetect, ThresholdScanCountsMatches) {
  // One stamp, two truths; peaks of score 0.9 (on truth 0), 0.6 (spurious), 0.3 (on truth 1).
  std::vector<std::vector<Detection>> peaks(1);
  peaks[0].push_back({1.0, 1.0, 0, 0, 0.9});
  peaks[0].push_back({20.0, 20.0, 0, 0, 0.6});
  peaks[0].push_back({10.5, 10.0, 0, 0, 0.3});
  const ThresholdScan s = scan_thresholds(peaks, {{{1.2, 1.0}, {10.0, 10.0}}}, 3.0);
  // t = 0.1: TP 2, FP 1 -> F1 = 4 / 5; t = 0.5: TP 1, FP 1, FN 1 -> 1/2; t = 0.7: TP 1, FN 1 ->
  // 2/3.
  EXPECT_NEAR(s.f1[2], 0.8, 1e-12);       // 0.1
  EXPECT_NEAR(s.f1[18], 0.5, 1e-12);      // 0.5
  EXPECT_NEAR(s.f1[26], 2.0 / 3, 1e-12);  // 0.7
  EXPECT_NEAR(s.thresholds[s.best], 0.05, 1e-12);
}

TEST(VisionDetect, ParsesAnAsciiHeadCatalogue) {
  const std::string text =
      "#   1 X_IMAGE                Object position along x                    [pixel]\n"
      "#   2 Y_IMAGE                Object position along y                    [pixel]\n"
      "#   3 FLUX_AUTO              Flux within a Kron-like elliptical aperture [count]\n"
      "#   4 FLUX_ISO               Isophotal flux                             [count]\n"
      "#   5 ISOAREA_IMAGE          Isophotal area above Analysis threshold    [pixel**2]\n"
      "   31.250     12.500   1.5e+03     1400.2        57\n"
      "\n"
      "    1.000      1.000  -2.00         -1.5          5\n";
  const auto o = parse_sextractor_catalog(text);
  ASSERT_EQ(o.size(), 2u);
  EXPECT_DOUBLE_EQ(o[0].x, 30.75);
  EXPECT_DOUBLE_EQ(o[0].y, 12.0);
  EXPECT_DOUBLE_EQ(o[0].flux_auto, 1500.0);
  EXPECT_DOUBLE_EQ(o[0].flux_iso, 1400.2);
  EXPECT_EQ(o[0].isoarea, 57);
  EXPECT_DOUBLE_EQ(o[1].x, 0.5);
  EXPECT_DOUBLE_EQ(o[1].flux_auto, -2.0);
  // Columns found by name, in any order; optional ones absent.
  const auto p = parse_sextractor_catalog("# 1 FLUX_AUTO\n# 2 Y_IMAGE\n# 3 X_IMAGE\n 10 3.5 4.5\n");
  ASSERT_EQ(p.size(), 1u);
  EXPECT_DOUBLE_EQ(p[0].x, 4.0);
  EXPECT_DOUBLE_EQ(p[0].y, 3.0);
  EXPECT_TRUE(std::isnan(p[0].flux_iso));
  expect_throw<std::runtime_error>([] { parse_sextractor_catalog("# 1 X_IMAGE\n3\n"); },
                                   {"Y_IMAGE"});
  expect_throw<std::runtime_error>(
      [] { parse_sextractor_catalog("# 1 X_IMAGE\n# 2 Y_IMAGE\n# 3 FLUX_AUTO\n1 2 x\n"); },
      {"line 4", "'x'"});
}

TEST(VisionDetect, FilterIsAPixelIntegratedGaussian) {
  const std::string f = sextractor_filter(2.0, 5);
  EXPECT_EQ(f.rfind("CONV NORM\n", 0), 0u);
  std::istringstream in(f);
  std::string line;
  std::getline(in, line);
  std::getline(in, line);
  std::vector<double> v;
  double x = 0;
  while (in >> x) v.push_back(x);
  ASSERT_EQ(v.size(), 25u);
  const double s = 2.0 / (2 * std::sqrt(2 * std::log(2.0))) * std::sqrt(2.0);
  const double c0 = std::erf(0.5 / s), c1 = 0.5 * (std::erf(1.5 / s) - std::erf(0.5 / s));
  EXPECT_NEAR(v[12], 1.0, 1e-6);
  EXPECT_NEAR(v[13], c1 / c0, 1e-6);
  EXPECT_NEAR(v[7], c1 / c0, 1e-6);
  EXPECT_NEAR(v[0], v[24], 1e-12);
}

TEST(VisionDetect, SextractorFindsAGaussianBlob) {
  if (!sextractor_available()) GTEST_SKIP() << "source-extractor not installed";
  // Two 48x48 stamps with unit noise; a Gaussian blob (sigma 2 px, flux 3000) in the second.
  const int s = 48;
  const XY c = {20.3, 27.8};
  std::mt19937_64 rng(3);
  std::normal_distribution<double> noise(0, 1);
  std::vector<float> stamps(2 * s * s);
  for (int k = 0; k < 2; ++k)
    for (int iy = 0; iy < s; ++iy)
      for (int ix = 0; ix < s; ++ix) {
        double v = noise(rng);
        if (k == 1) {
          const double dx = ix + 0.5 - c[0], dy = iy + 0.5 - c[1];
          v += 3000 / (2 * M_PI * 4) * std::exp(-(dx * dx + dy * dy) / 8);
        }
        stamps[static_cast<std::size_t>(k * s * s + iy * s + ix)] = static_cast<float>(v);
      }
  SextractorSettings o;
  o.back_size = 32;
  const auto objs = run_sextractor_stamps(stamps, 2, s, o);
  ASSERT_EQ(objs.size(), 2u);
  EXPECT_TRUE(objs[0].empty());
  ASSERT_EQ(objs[1].size(), 1u);
  EXPECT_LT(std::hypot(objs[1][0].x - c[0], objs[1][0].y - c[1]), 0.5);
  EXPECT_NEAR(objs[1][0].flux_auto, 3000, 240);  // Kron apertures hold >= 92%
  SextractorSettings missing;
  missing.executable = "cosmograd-no-such-program";
  expect_throw<std::runtime_error>(
      [&] { run_sextractor(std::vector<float>(64, 0.f), 8, 8, missing); },
      {"install source-extractor (scripts/install-deps.sh)"});
}

}  // namespace
}  // namespace cosmograd::surveys
