// Strong-lens stamp sets: balanced, the same deflectors for lenses and non-lenses, the lensed
// flux equal to the magnification times the source's, Einstein radii from the distances.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>

#include "surveys/images/lens_set.hpp"
#include "surveys/images/strong_lens.hpp"
#include "surveys/mocks/table.hpp"
#include "tests/sim/temp_files.hpp"

namespace cs = cosmograd::surveys;
namespace sim = cosmograd::sim;

namespace {

/// 40 massive quenched galaxies at z = 0.3-0.5 and 60 bright sources at z = 1-1.5.
cs::Table lens_field() {
  std::vector<std::int64_t> id;
  std::vector<double> z, ms, mg, mr, mi;
  std::vector<bool> q;
  for (int k = 0; k < 100; ++k) {
    const bool deflector = k < 40;
    id.push_back(k);
    z.push_back(deflector ? 0.3 + 0.005 * k : 1.0 + 0.008 * (k - 40));
    ms.push_back(deflector ? 3e11 + 1e10 * k : 3e9);
    q.push_back(deflector);
    mr.push_back(deflector ? 19.5 : 22.0);
    mg.push_back(deflector ? 20.8 : 22.2);
    mi.push_back(deflector ? 19.0 : 21.9);
  }
  cs::Table t;
  t.name = "galaxies";
  t.add("galaxy_id", "", "", id)
      .add("redshift_true", "", "", z)
      .add("stellar_mass", "solMass", "", ms)
      .add("quenched", "", "", q)
      .add("mag_true_g", "mag", "", mg)
      .add("mag_true_r", "mag", "", mr)
      .add("mag_true_i", "mag", "", mi);
  t.numeric_meta = {{"M5_g", 26.9}, {"M5_r", 26.9}, {"M5_i", 26.4}};
  return t;
}

}  // namespace

TEST(LensSet, BalancedWithMatchingDeflectorsAndLensedFlux) {
  const sim::Cosmology cosmo(sim::planck2015());
  cs::LensSetOptions o;
  o.count = 40;
  const cs::LensSet set = cs::make_lens_set(lens_field(), cosmo, o);
  ASSERT_EQ(set.bands.size(), 3u);
  ASSERT_EQ(set.truth.rows(), 40u);
  const auto& is_lens = set.truth.column("is_lens").as<bool>();
  const auto& theta = set.truth.column("theta_e").as<double>();
  const auto& mu = set.truth.column("magnification").as<double>();
  const auto& zl = set.truth.column("z_lens").as<double>();
  const auto& lf = set.truth.column("lens_flux_r").as<double>();
  const auto& sf = set.truth.column("source_flux_r").as<double>();
  const auto& sid = set.truth.column("source_galaxy_id").as<std::int64_t>();
  const auto& frac = set.truth.column("lens_stamp_fraction").as<double>();
  const std::size_t px = 64 * 64;
  double zl_lens = 0, zl_other = 0, n_lens = 0;
  for (std::size_t k = 0; k < 40; ++k) {
    EXPECT_EQ(is_lens[k], k % 2 == 0);
    // Stamp flux in r (band 1): the deflector's light inside the stamp plus the arcs'.
    double sum = 0;
    for (std::size_t p = 0; p < px; ++p) sum += set.images[(k * 3 + 1) * px + p];
    const double noise =
        5.0 * std::sqrt(static_cast<double>(px)) * 2.0;  // ~5 sigma, sigma < 2 nJy/px
    if (is_lens[k]) {
      EXPECT_GE(theta[k], o.min_theta_e);
      EXPECT_GT(mu[k], 1.5) << "a source inside 0.8 theta_E is strongly magnified";
      EXPECT_NEAR(sum, frac[k] * lf[k] + mu[k] * sf[k], 0.01 * mu[k] * sf[k] + noise) << k;
      zl_lens += zl[k];
      ++n_lens;
    } else {
      EXPECT_EQ(theta[k], 0.0);
      EXPECT_EQ(sid[k], -1);
      EXPECT_EQ(sf[k], 0.0);
      EXPECT_NEAR(sum, frac[k] * lf[k], noise) << k;
      zl_other += zl[k];
    }
  }
  // Same deflector population: mean z_lens of lenses and non-lenses within 0.05.
  EXPECT_NEAR(zl_lens / n_lens, zl_other / (40 - n_lens), 0.05);
  // Reproducible.
  const cs::LensSet again = cs::make_lens_set(lens_field(), cosmo, o);
  EXPECT_EQ(again.images, set.images);
}

TEST(LensSet, SigmaEinsteinRadiusAndErrors) {
  EXPECT_NEAR(cs::deflector_sigma_kms(2e11), 250.0, 1e-12);
  EXPECT_NEAR(cs::deflector_sigma_kms(2e12) / 250.0, std::pow(10.0, 0.3), 1e-12);
  const sim::Cosmology cosmo(sim::planck2015());
  cs::LensSetOptions o;
  o.count = 3;
  EXPECT_THROW(cs::make_lens_set(lens_field(), cosmo, o), std::invalid_argument);
  o.count = 4;
  o.min_theta_e = 50.0;  // no source gives 50 arcsec
  EXPECT_THROW(cs::make_lens_set(lens_field(), cosmo, o), std::invalid_argument);
}

TEST(LensSet, ReadBackWhatWasWritten) {
  const sim::Cosmology cosmo(sim::planck2015());
  cs::LensSetOptions o;
  o.count = 4;
  o.size = 32;
  o.pixel_scale = 0.25;
  const cs::LensSet set = cs::make_lens_set(lens_field(), cosmo, o);
  EXPECT_EQ(set.pixel_scale, 0.25);
  const auto dir = cosmograd::testing::fresh_dir("lens_read_" + std::to_string(::getpid()));
  cs::write_lens_stamps((dir / "lens_stamps.h5").string(), set, o.pixel_scale);
  cs::write_tables_hdf5((dir / "truth.h5").string(), {set.truth});
  const cs::LensSet back = cs::read_lens_set(dir.string());
  EXPECT_EQ(back.bands, set.bands);
  EXPECT_EQ(back.size, 32);
  EXPECT_EQ(back.pixel_scale, 0.25);
  EXPECT_EQ(back.images, set.images);
  ASSERT_EQ(back.truth.rows(), 4u);
  EXPECT_EQ(back.truth.column("is_lens").as<bool>(), set.truth.column("is_lens").as<bool>());
  // A truth table with another row count is refused, naming the file.
  cs::Table short_truth;
  short_truth.name = "truth";
  short_truth.add("stamp", "", "", std::vector<std::int64_t>{0, 1});
  cs::write_tables_hdf5((dir / "truth.h5").string(), {short_truth});
  EXPECT_THROW(cs::read_lens_set(dir.string()), std::runtime_error);
  std::filesystem::remove_all(dir);
}
