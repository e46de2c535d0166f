// BTK-style blend stamps: galaxy counts uniform in [min, max], the noisy blend equal to the sum
// of the isolated galaxies plus noise of the band's sigma, fluxes kept inside the stamp,
// blendedness 0 alone and in (0, 1) for overlapping pairs, stamps independent of the count.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>

#include "surveys/images/blend_set.hpp"
#include "tests/sim/temp_files.hpp"
#include "tests/surveys/expect_throw.hpp"

namespace cs = cosmograd::surveys;
namespace sim = cosmograd::sim;
using cosmograd::testing::expect_throw;

namespace {

const std::vector<std::string> kBands = {"u", "g", "r", "i", "z", "y"};

/// n galaxies in ugrizy with i from 21 to 24.5, z 0.3-1.5, M* 1e9-1e11 Msun, half quenched,
/// shapes from e1, e2 (round when `round`), depths M5_<band>.
cs::Table galaxies(int n, bool round = false) {
  std::vector<std::int64_t> id;
  std::vector<double> z, ms, e1, e2;
  std::vector<bool> q;
  std::vector<std::vector<double>> mag(kBands.size());
  for (int k = 0; k < n; ++k) {
    const double f = n > 1 ? static_cast<double>(k) / (n - 1) : 0.0;
    id.push_back(1000 + k);
    z.push_back(0.3 + 1.2 * f);
    ms.push_back(std::pow(10.0, 9.0 + 2.0 * std::fmod(7.0 * f, 1.0)));
    q.push_back(k % 2 == 1);
    e1.push_back(round ? 0.0 : 0.2 * std::sin(k));
    e2.push_back(round ? 0.0 : 0.2 * std::cos(k));
    const double mi = 21.0 + 3.5 * std::fmod(3.0 * f, 1.0);
    for (std::size_t b = 0; b < kBands.size(); ++b)
      mag[b].push_back(mi + 0.3 * (3.0 - static_cast<double>(b)));
  }
  cs::Table t;
  t.name = "galaxies";
  t.add("galaxy_id", "", "", id)
      .add("redshift_true", "", "", z)
      .add("stellar_mass", "solMass", "", ms)
      .add("quenched", "", "", q)
      .add("e1", "", "", e1)
      .add("e2", "", "", e2);
  for (std::size_t b = 0; b < kBands.size(); ++b) {
    t.add("mag_true_" + kBands[b], "mag", "", mag[b]);
    t.numeric_meta.emplace_back("M5_" + kBands[b], 24.5 + 0.3 * static_cast<double>(b % 3));
  }
  return t;
}

const sim::Cosmology& cosmo() {
  static const sim::Cosmology c(sim::planck2015());
  return c;
}

/// Stamp k, band b of the noisy images minus the sum of its isolated galaxies.
std::vector<double> residual(const cs::BlendSet& s, std::size_t k, std::size_t b) {
  const std::size_t nb = s.bands.size(), px = static_cast<std::size_t>(s.size) * s.size;
  const std::size_t m = static_cast<std::size_t>(s.max_blend);
  std::vector<double> r(px);
  for (std::size_t p = 0; p < px; ++p) {
    double sum = 0;
    for (std::size_t slot = 0; slot < m; ++slot)
      sum += s.isolated[((k * m + slot) * nb + b) * px + p];
    r[p] = s.images[(k * nb + b) * px + p] - sum;
  }
  return r;
}

}  // namespace

TEST(BlendSet, CountsNoiseAndSegmentation) {
  cs::BlendSetOptions o;
  o.count = 120;
  o.size = 48;
  const cs::BlendSet s = cs::make_blend_set(galaxies(80), cosmo(), o);
  ASSERT_EQ(s.bands, kBands);
  ASSERT_EQ(s.count(), 120u);
  const std::size_t px = 48 * 48, nb = kBands.size();
  ASSERT_EQ(s.images.size(), 120 * nb * px);
  ASSERT_EQ(s.isolated.size(), 120 * 4 * nb * px);
  ASSERT_EQ(s.segmentation.size(), 120 * px);
  std::vector<int> histogram(5, 0);
  std::size_t rows = 0;
  for (std::size_t k = 0; k < s.count(); ++k) {
    const int n = s.n_galaxies[k];
    ASSERT_GE(n, 1);
    ASSERT_LE(n, 4);
    ++histogram[static_cast<std::size_t>(n)];
    rows += static_cast<std::size_t>(n);
    for (std::size_t p = 0; p < px; ++p) {
      EXPECT_GE(s.segmentation[k * px + p], 0);
      ASSERT_LE(s.segmentation[k * px + p], n) << "stamp " << k << " labels an empty slot";
    }
    // Empty slots stay zero.
    for (std::size_t slot = static_cast<std::size_t>(n); slot < 4; ++slot)
      for (std::size_t v = 0; v < nb * px; ++v)
        ASSERT_EQ(s.isolated[(k * 4 + slot) * nb * px + v], 0.0f);
  }
  EXPECT_EQ(s.truth.rows(), rows);
  for (int n = 1; n <= 4; ++n) EXPECT_NEAR(histogram[n], 30, 15) << n << " galaxies";
  // images - sum(isolated) is the noise: zero mean, the band's sigma (faint galaxies, so the
  // source Poisson noise adds little).
  for (std::size_t b = 0; b < nb; ++b) {
    double sum = 0, sum2 = 0, count = 0;
    for (std::size_t k = 0; k < s.count(); ++k)
      for (double r : residual(s, k, b)) {
        sum += r;
        sum2 += r * r;
        ++count;
      }
    const double mean = sum / count, sd = std::sqrt(sum2 / count - mean * mean);
    EXPECT_NEAR(mean, 0.0, 5.0 * s.sigma[b] / std::sqrt(count)) << kBands[b];
    EXPECT_NEAR(sd / s.sigma[b], 1.0, 0.05) << kBands[b];
  }
  // Per-band PSFs: u (0.92 arcsec) wider than y (0.76): lower peak; each sums to 1.
  const std::size_t pp = static_cast<std::size_t>(s.psf_size) * s.psf_size;
  const std::size_t centre = pp / 2;
  EXPECT_LT(s.psfs[0 * pp + centre], s.psfs[5 * pp + centre]);
  for (std::size_t b = 0; b < nb; ++b) {
    double total = 0;
    for (std::size_t p = 0; p < pp; ++p) total += s.psfs[b * pp + p];
    EXPECT_NEAR(total, 1.0, 1e-5);
  }
  const auto& pixels = s.truth.column("segment_pixels").as<std::int64_t>();
  std::int64_t labelled = 0, total = 0;
  for (auto v : pixels) total += v;
  for (auto v : s.segmentation) labelled += v > 0;
  EXPECT_EQ(total, labelled);
  EXPECT_GT(total, 0);
}

TEST(BlendSet, FluxInStampAndBlendedness) {
  // One small round galaxy near the centre: its stamp holds all its flux.
  cs::BlendSetOptions o;
  o.count = 6;
  o.size = 64;
  o.max_blend = 1;
  o.max_shift = 0.2;
  const cs::BlendSet one = cs::make_blend_set(galaxies(1, true), cosmo(), o);
  const auto& blend1 = one.truth.column("blendedness").as<double>();
  const auto& snr = one.truth.column("snr").as<double>();
  for (std::size_t row = 0; row < one.truth.rows(); ++row) {
    for (const auto& b : kBands) {
      const double f = one.truth.column("flux_" + b).as<double>()[row];
      EXPECT_NEAR(one.truth.column("flux_in_stamp_" + b).as<double>()[row] / f, 1.0, 1e-3) << b;
    }
    EXPECT_EQ(blend1[row], 0.0);
    EXPECT_GT(snr[row], 10.0);
  }
  // Pairs within 0.4 arcsec of each other overlap: blendedness strictly between 0 and 1.
  o.min_blend = o.max_blend = 2;
  const cs::BlendSet two = cs::make_blend_set(galaxies(30), cosmo(), o);
  const auto& blend2 = two.truth.column("blendedness").as<double>();
  ASSERT_EQ(blend2.size(), 12u);
  for (double v : blend2) {
    EXPECT_GT(v, 0.0);
    EXPECT_LT(v, 1.0);
  }
}

TEST(BlendSet, StampsIndependentOfCount) {
  cs::BlendSetOptions o;
  o.size = 40;
  o.bands = {"g", "i"};
  o.count = 3;
  const cs::BlendSet small = cs::make_blend_set(galaxies(40), cosmo(), o);
  o.count = 7;
  const cs::BlendSet large = cs::make_blend_set(galaxies(40), cosmo(), o);
  ASSERT_EQ(small.bands, (std::vector<std::string>{"g", "i"}));
  EXPECT_TRUE(std::equal(small.images.begin(), small.images.end(), large.images.begin()));
  EXPECT_TRUE(std::equal(small.isolated.begin(), small.isolated.end(), large.isolated.begin()));
  EXPECT_TRUE(
      std::equal(small.segmentation.begin(), small.segmentation.end(), large.segmentation.begin()));
  EXPECT_TRUE(
      std::equal(small.n_galaxies.begin(), small.n_galaxies.end(), large.n_galaxies.begin()));
}

TEST(BlendSet, ValidationNamesTheField) {
  const auto bad = [](auto change, const std::string& field) {
    cs::BlendSetOptions o;
    change(o);
    expect_throw<std::invalid_argument>([&] { o.validate(); }, {field});
  };
  bad([](cs::BlendSetOptions& o) { o.size = 4; }, "size");
  bad([](cs::BlendSetOptions& o) { o.max_blend = 0; }, "max_blend");
  bad([](cs::BlendSetOptions& o) { o.min_blend = 3, o.max_blend = 2; }, "max_blend");
  bad([](cs::BlendSetOptions& o) { o.max_shift = -1; }, "max_shift");
  bad([](cs::BlendSetOptions& o) { o.max_shift = 12.0; }, "max_shift");
  bad([](cs::BlendSetOptions& o) { o.bands = {"g", ""}; }, "bands");
  bad([](cs::BlendSetOptions& o) { o.bands = {"g", "r"}; }, "ref_band");
  bad([](cs::BlendSetOptions& o) { o.psf_fwhm = {{"u", -1.0}}; }, "psf_fwhm_u");
  cs::BlendSetOptions o;
  o.count = 2;
  o.ref_band = "q";
  expect_throw<std::invalid_argument>([&] { cs::make_blend_set(galaxies(10), cosmo(), o); },
                                      {"ref_band", "'q'"});
  o.ref_band = "i";
  o.max_mag = 15;
  expect_throw<std::invalid_argument>([&] { cs::make_blend_set(galaxies(10), cosmo(), o); },
                                      {"max_mag"});
}

TEST(BlendSet, ReadBackWhatWasWritten) {
  cs::BlendSetOptions o;
  o.count = 5;
  o.size = 32;
  o.bands = {"r", "i"};
  const cs::BlendSet set = cs::make_blend_set(galaxies(20), cosmo(), o);
  const auto dir = cosmograd::testing::fresh_dir("blend_read_" + std::to_string(::getpid()));
  cs::write_blend_set((dir / "blends.h5").string(), set, o.pixel_scale);
  cs::write_tables_hdf5((dir / "truth.h5").string(), {set.truth});
  const cs::BlendSet back = cs::read_blend_set(dir.string());
  EXPECT_EQ(back.bands, set.bands);
  EXPECT_EQ(back.ref_band, "i");
  EXPECT_EQ(back.size, 32);
  EXPECT_EQ(back.max_blend, set.max_blend);
  EXPECT_EQ(back.psf_size, set.psf_size);
  EXPECT_EQ(back.pixel_scale, o.pixel_scale);
  EXPECT_EQ(back.images, set.images);
  EXPECT_EQ(back.segmentation, set.segmentation);
  EXPECT_EQ(back.n_galaxies, set.n_galaxies);
  EXPECT_EQ(back.psfs, set.psfs);
  EXPECT_EQ(back.sigma, set.sigma);
  EXPECT_TRUE(back.isolated.empty());
  EXPECT_EQ(back.truth.rows(), set.truth.rows());
  EXPECT_EQ(back.truth.column("x").as<double>(), set.truth.column("x").as<double>());
  EXPECT_EQ(cs::read_blend_set(dir.string(), true).isolated, set.isolated);
  expect_throw<std::runtime_error>([&] { cs::read_blend_set((dir / "none").string()); },
                                   {"blends.h5"});
  std::filesystem::remove_all(dir);
}
