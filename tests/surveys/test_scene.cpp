// Survey tiles from a small synthetic galaxy table: positions from the WCS, fluxes, the
// segmentation map and the noise level.
#include <gtest/gtest.h>

#include <cmath>

#include "surveys/images/scene.hpp"

namespace cs = cosmograd::surveys;
namespace sim = cosmograd::sim;

namespace {

/// Galaxies on a grid of offsets about (ra, dec) = (10, 0.5) [deg], r = 20 + 0.2 k [mag].
cs::Table galaxy_table(int n) {
  std::vector<std::int64_t> id;
  std::vector<double> ra, dec, z, ms, mg, mr;
  std::vector<bool> q;
  for (int k = 0; k < n; ++k) {
    id.push_back(1000 + k);
    ra.push_back(10.0 + ((k % 4) - 1.5) * 40.0 / 3600.0);
    dec.push_back(0.5 + ((k / 4) - 1.5) * 40.0 / 3600.0);
    z.push_back(0.3 + 0.05 * k);
    ms.push_back(std::pow(10.0, 9.5 + 0.1 * k));
    q.push_back(k % 2 == 0);
    mr.push_back(20.0 + 0.2 * k);
    mg.push_back(20.5 + 0.2 * k);
  }
  cs::Table t;
  t.name = "galaxies";
  t.add("galaxy_id", "", "", id)
      .add("ra", "deg", "", ra)
      .add("dec", "deg", "", dec)
      .add("redshift_true", "", "", z)
      .add("stellar_mass", "solMass", "", ms)
      .add("quenched", "", "", q)
      .add("mag_true_g", "mag", "", mg)
      .add("mag_true_r", "mag", "", mr);
  t.numeric_meta = {{"M5_g", 26.9}, {"M5_r", 26.9}};
  return t;
}

}  // namespace

TEST(Scene, TileHoldsTheGalaxiesWhereTheWcsPutsThem) {
  const sim::Cosmology cosmo(sim::planck2015());
  cs::TileOptions o;
  o.nx = o.ny = 1024;
  o.wcs.ra_deg = 10.0;
  o.wcs.dec_deg = 0.5;
  o.bands = {"r", "g"};
  const cs::Tile tile = cs::render_tile(galaxy_table(16), cosmo, o);
  ASSERT_EQ(tile.truth.rows(), 16u);
  ASSERT_EQ(tile.noisy.size(), 2u);
  const auto& x = tile.truth.column("x").as<double>();
  const auto& y = tile.truth.column("y").as<double>();
  const auto& fr = tile.truth.column("flux_r").as<double>();
  const auto& seg_n = tile.truth.column("segment_pixels").as<std::int32_t>();
  double total = 0;
  for (std::size_t g = 0; g < 16; ++g) {
    total += fr[g];
    // The WCS's position of the galaxy is the noiseless image's peak region, and its segment.
    const auto ix = static_cast<std::size_t>(x[g]), iy = static_cast<std::size_t>(y[g]);
    EXPECT_EQ(tile.segmentation[iy * 1024 + ix], static_cast<std::int32_t>(g + 1)) << g;
    EXPECT_GT(seg_n[g], 20) << g;
    EXPECT_NEAR(fr[g], std::pow(10.0, -0.4 * (20.0 + 0.2 * static_cast<double>(g) - 31.4)),
                1e-9 * fr[g]);
  }
  // Flux: the noiseless image holds every galaxy's flux (all well inside the tile).
  double sum = 0;
  for (double v : tile.noiseless[0].values) sum += v;
  EXPECT_NEAR(sum / total, 1.0, 2e-3);
  // Noise: in empty corners the noisy image scatters with the background sigma.
  double s1 = 0, sq = 0, n = 0;
  for (int iy = 0; iy < 100; ++iy)
    for (int ix = 0; ix < 100; ++ix) {
      const double d = tile.noisy[0].values[static_cast<std::size_t>(iy) * 1024 + ix];
      s1 += d;
      sq += d * d;
      ++n;
    }
  EXPECT_NEAR(std::sqrt(sq / n - (s1 / n) * (s1 / n)) / tile.noise[0].sigma_background, 1.0, 0.05);
  EXPECT_EQ(tile.noisy[0].band, "r");
}

TEST(Scene, MissingColumnsAndDepthsAreNamed) {
  const sim::Cosmology cosmo(sim::planck2015());
  cs::TileOptions o;
  o.wcs.ra_deg = 10.0;
  o.wcs.dec_deg = 0.5;
  auto t = galaxy_table(4);
  t.numeric_meta.clear();
  try {
    cs::render_tile(t, cosmo, o);
    FAIL() << "expected an error";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("M5_"), std::string::npos) << e.what();
  }
  o.bands = {"z"};
  EXPECT_THROW(cs::render_tile(galaxy_table(4), cosmo, o), std::invalid_argument);
  o.bands = {};
  o.nx = 3;
  EXPECT_THROW(cs::render_tile(galaxy_table(4), cosmo, o), std::invalid_argument);
}

// Per-band PSFs: a point-like painter gives each band its own PSF's second moment; a painter
// drawing a point source puts the whole flux in the tile at the truth position.
TEST(Scene, EachBandHasItsPsfAndPaintersReplaceTheProfile) {
  const sim::Cosmology cosmo(sim::planck2015());
  cs::TileOptions o;
  o.nx = o.ny = 1024;
  o.wcs.ra_deg = 10.0;
  o.wcs.dec_deg = 0.5;
  o.bands = {"r", "g"};
  o.psf_fwhm_arcsec = 0.6;
  o.psf_fwhm_band = {{"g", 1.2}};
  o.painter = [](cs::Image& stamp, const cs::GalaxyDraw&, double cx, double cy) {
    cs::add_point_source(stamp, 1.0, cx, cy);
  };
  const cs::Tile tile = cs::render_tile(galaxy_table(1), cosmo, o);
  ASSERT_EQ(tile.truth.rows(), 1u);
  const double x0 = tile.truth.column("x").as<double>()[0];
  const double y0 = tile.truth.column("y").as<double>()[0];
  double r2[2] = {0, 0}, sum[2] = {0, 0};
  for (int b = 0; b < 2; ++b)
    for (int iy = 0; iy < 1024; ++iy)
      for (int ix = 0; ix < 1024; ++ix) {
        const double v = tile.noiseless[b].values[static_cast<std::size_t>(iy) * 1024 + ix];
        sum[b] += v;
        r2[b] += v * (std::pow(ix + 0.5 - x0, 2) + std::pow(iy + 0.5 - y0, 2));
      }
  const double fr = tile.truth.column("flux_r").as<double>()[0];
  EXPECT_NEAR(sum[0] / fr, 1.0, 1e-3);
  // A Moffat's second moment scales as FWHM^2: g's (1.2") is 4 times r's (0.6"), less the
  // pixels' own variance common to both (3.72 measured).
  const double ratio = (r2[1] / sum[1]) / (r2[0] / sum[0]);
  EXPECT_GT(ratio, 3.5);
  EXPECT_LT(ratio, 4.0);
  double g_fwhm = 0;
  for (const auto& [k, v] : tile.truth.numeric_meta)
    if (k == "PsfFwhm_g") g_fwhm = v;
  EXPECT_EQ(g_fwhm, 1.2);
  o.psf_fwhm_band = {{"g", -1.0}};
  EXPECT_THROW(cs::render_tile(galaxy_table(1), cosmo, o), std::invalid_argument);
}
