// Multi-band stamps (flux conservation, noise level, depth consistency with the catalogue's
// flux errors, exact HDF5 round trip, alignment with the sample) and the hybrid CNN +
// photometry photo-z network (a normalised p(z), identical after a save / load round trip).
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <numeric>

#include "nn/train/model_file.hpp"
#include "surveys/mocks/mock_random.hpp"
#include "surveys/mocks/photometry.hpp"
#include "surveys/properties/hybrid_photoz.hpp"
#include "surveys/properties/multiband_stamps.hpp"
#include "tests/sim/temp_files.hpp"
#include "tests/surveys/expect_throw.hpp"

namespace cs = cosmograd::surveys;
namespace fs = std::filesystem;
using cosmograd::testing::expect_throw;

namespace {

/// LSST Y10-like depths [AB mag] of ugrizy.
const std::vector<double> kM5 = {25.6, 26.9, 26.9, 26.4, 25.8, 24.9};

/// n synthetic galaxies in ugrizy: small (log M* 9.5, z 0.6 to 1.0) so that the stamp holds
/// nearly all of their light; fluxes with the catalogue's errors f(m5) / 5.
cs::PhotometrySample synthetic_sample(std::size_t n, std::uint64_t seed = 7) {
  cs::PhotometrySample s;
  s.bands = {"u", "g", "r", "i", "z", "y"};
  s.m5 = kM5;
  s.omega_m = 0.31;
  s.hubble = 0.68;
  s.mock_seed = 3;
  s.source = "synthetic.h5";
  cs::MockRng rng(seed, cs::MockStream::kPhotometry, 0);
  for (std::size_t k = 0; k < n; ++k) {
    const double z = 0.6 + 0.4 * rng.uniform();
    const double base = 22 + 2 * rng.uniform();
    s.redshift.push_back(z);
    s.log_stellar_mass.push_back(9.5);
    s.log_sfr.push_back(0.0);
    s.sed_age.push_back(1.0);
    s.sed_dust_av.push_back(0.2);
    s.sed_metallicity.push_back(0.02);
    s.quenched.push_back(k % 3 == 0);
    s.e1.push_back(0.2 * (rng.uniform() - 0.5));
    s.e2.push_back(0.2 * (rng.uniform() - 0.5));
    s.galaxy_id.push_back(static_cast<std::int64_t>(1000 + 17 * k));
    for (std::size_t b = 0; b < s.bands.size(); ++b) {
      // A red-shifting break: colours that depend on z, so a network can learn it.
      const double m = base + (b < 3 ? (3 - b) * z : 0.1 * b);
      const double err = cs::mag_to_njy(kM5[b]) / 5;
      s.mag_true.push_back(m);
      s.flux.push_back(cs::mag_to_njy(m) + err * rng.normal());
      s.flux_err.push_back(err);
    }
  }
  return s;
}

}  // namespace

TEST(MultibandStamps, DepthNoiseSigmaIsTheCatalogueErrorOverSqrtNeff) {
  // A flat 2 x 2 PSF: N_eff = 4, sigma = f(m5) / (5 * 2) whatever the normalisation.
  EXPECT_NEAR(cs::depth_noise_sigma(25.0, {3, 3, 3, 3}), cs::mag_to_njy(25.0) / 10, 1e-12);
  EXPECT_THROW(cs::depth_noise_sigma(std::nan(""), {1}), std::invalid_argument);
}

TEST(MultibandStamps, NoiselessFluxEqualsCatalogueFlux) {
  const cs::PhotometrySample sample = synthetic_sample(6);
  cs::MultibandStampOptions o;
  o.noise = false;
  const cs::MultibandStamps st = cs::render_multiband_stamps(sample, o);
  ASSERT_EQ(st.count(), 6u);
  EXPECT_EQ(st.size, 25);
  EXPECT_EQ(st.psf_size, 25);  // 2 ceil(2.5 x 0.92 / 0.2) + 1
  const std::size_t px = 25 * 25;
  for (std::size_t k = 0; k < st.count(); ++k)
    for (std::size_t b = 0; b < 6; ++b) {
      const double sum = std::accumulate(st.stamp(k, b), st.stamp(k, b) + px, 0.0);
      const double f = cs::mag_to_njy(sample.mag_true[k * 6 + b]);
      // Loss: the light beyond the 5" stamp of a R_e < 0.5" galaxy convolved with the PSF
      // (itself normalised within the stamp), < 2% (stated tolerance); never a gain > 1e-5.
      EXPECT_LT(sum / f, 1 + 1e-5) << "galaxy " << k << " band " << b;
      EXPECT_GT(sum / f, 0.98) << "galaxy " << k << " band " << b << " R_e "
                               << st.half_light_radius[k] << " arcsec";
      EXPECT_EQ(st.noise_sigma[k * 6 + b], 0.0f);
    }
  // Point sources: the PSF is normalised within the stamp, so the flux is exact to rounding.
  o.point_sources = true;
  const cs::MultibandStamps ps = cs::render_multiband_stamps(sample, o);
  for (std::size_t k = 0; k < ps.count(); ++k)
    for (std::size_t b = 0; b < 6; ++b) {
      const double sum = std::accumulate(ps.stamp(k, b), ps.stamp(k, b) + px, 0.0);
      EXPECT_NEAR(sum / cs::mag_to_njy(sample.mag_true[k * 6 + b]), 1.0, 1e-5);
    }
  // Seeing: u is broader than y, so its central pixel holds less of the flux.
  EXPECT_LT(ps.stamp(0, 0)[px / 2] / std::accumulate(ps.stamp(0, 0), ps.stamp(0, 0) + px, 0.0),
            ps.stamp(0, 5)[px / 2] / std::accumulate(ps.stamp(0, 5), ps.stamp(0, 5) + px, 0.0));
}

TEST(MultibandStamps, PixelNoiseMatchesNoiseSigma) {
  const cs::PhotometrySample sample = synthetic_sample(20);
  cs::MultibandStampOptions o;
  o.noise = false;
  const cs::MultibandStamps clean = cs::render_multiband_stamps(sample, o);
  o.noise = true;
  const cs::MultibandStamps noisy = cs::render_multiband_stamps(sample, o);
  const std::size_t px = 25 * 25;
  for (std::size_t b = 0; b < 6; ++b) {
    double s2 = 0, mean = 0;
    for (std::size_t k = 0; k < 20; ++k)
      for (std::size_t p = 0; p < px; ++p) {
        const double d = noisy.stamp(k, b)[p] - clean.stamp(k, b)[p];
        mean += d;
        s2 += d * d;
      }
    const double n = 20.0 * px, sigma = noisy.noise_sigma[b];
    // 12500 pixels: the std's relative standard error is 1 / sqrt(2 n) = 0.6%; tolerance 3%.
    EXPECT_NEAR(std::sqrt(s2 / n) / sigma, 1.0, 0.03) << "band " << b;
    EXPECT_NEAR(mean / n / sigma, 0.0, 0.05) << "band " << b;
    // The depth's noise: sigma = f(m5) / (5 sqrt(N_eff)) of the band's own PSF.
    std::vector<double> psf(noisy.psfs.begin() + b * px, noisy.psfs.begin() + (b + 1) * px);
    EXPECT_NEAR(sigma, cs::depth_noise_sigma(kM5[b], psf), 1e-6 * sigma);
  }
  // Noise draws keyed by (seed, galaxy_id): a subset renders the same pixels.
  const cs::MultibandStamps again = cs::render_multiband_stamps(sample.subset({3}), o);
  for (std::size_t p = 0; p < 6 * px; ++p)
    EXPECT_NEAR(again.images[p], noisy.stamp(3, 0)[p], 1e-4 * noisy.noise_sigma[0]);
}

TEST(MultibandStamps, PsfFluxErrorIsTheCatalogueFluxError) {
  // Faint point sources (i ~ 25) in noise: the PSF-weighted flux scatters by f(m5) / 5, the
  // catalogue's flux error, in every band (depth consistency of stamps and catalogue).
  const std::size_t n = 400;
  const cs::PhotometrySample sample = synthetic_sample(n, 11);
  cs::MultibandStampOptions o;
  o.point_sources = true;
  o.seed = 5;
  const cs::MultibandStamps st = cs::render_multiband_stamps(sample, o);
  for (std::size_t b = 0; b < 6; ++b) {
    double s2 = 0, mean = 0;
    for (std::size_t k = 0; k < n; ++k) {
      const double d = cs::psf_weighted_flux(st, k, b) - cs::mag_to_njy(sample.mag_true[k * 6 + b]);
      mean += d;
      s2 += d * d;
    }
    const double err = cs::mag_to_njy(kM5[b]) / 5;
    EXPECT_NEAR(sample.flux_err[b], err, 1e-9 * err);
    // 400 draws: relative standard error of the rms 3.5%; tolerance 12% (3.4 sigma).
    EXPECT_NEAR(std::sqrt(s2 / n) / err, 1.0, 0.12) << "band " << b;
    EXPECT_NEAR(mean / n / err, 0.0, 0.2) << "band " << b;  // 4 standard errors
  }
}

TEST(MultibandStamps, FileRoundTripIsExact) {
  const fs::path dir = cosmograd::testing::fresh_dir("multiband_stamps");
  const cs::PhotometrySample sample = synthetic_sample(5);
  cs::MultibandStampOptions o;
  o.size = 15;
  o.psf_fwhm = {{"u", 1.1}};
  cs::MultibandStamps st = cs::render_multiband_stamps(sample, o);
  st.cuts.max_mag = 24.5;
  const std::string path = (dir / "stamps.h5").string();
  cs::write_multiband_stamps(path, st);
  const cs::MultibandStamps back = cs::read_multiband_stamps(path);
  EXPECT_EQ(back.bands, st.bands);
  EXPECT_EQ(back.size, 15);
  EXPECT_EQ(back.psf_size, st.psf_size);
  EXPECT_EQ(back.pixel_scale, st.pixel_scale);
  EXPECT_EQ(back.psf_beta, st.psf_beta);
  EXPECT_EQ(back.seed, st.seed);
  EXPECT_EQ(back.images, st.images);
  EXPECT_EQ(back.noise_sigma, st.noise_sigma);
  EXPECT_EQ(back.psfs, st.psfs);
  EXPECT_EQ(back.psf_fwhm, st.psf_fwhm);
  EXPECT_EQ(back.psf_fwhm[0], 1.1);
  EXPECT_EQ(back.m5, st.m5);
  EXPECT_EQ(back.galaxy_id, st.galaxy_id);
  EXPECT_EQ(back.half_light_radius, st.half_light_radius);
  EXPECT_EQ(back.bulge_fraction, st.bulge_fraction);
  EXPECT_EQ(back.source, st.source);
  EXPECT_EQ(back.cuts.band, "i");
  EXPECT_EQ(back.cuts.max_mag, 24.5);
  EXPECT_EQ(back.file, path);
  EXPECT_EQ(cosmograd::testing::listing(dir).size(), 1u);  // no temporary left behind
  expect_throw<std::runtime_error>([&] { cs::read_multiband_stamps((dir / "none.h5").string()); },
                                   {"none.h5"});
  fs::remove_all(dir);
}

TEST(MultibandStamps, MismatchedGalaxiesNameBothFiles) {
  const cs::PhotometrySample sample = synthetic_sample(4);
  cs::MultibandStampOptions o;
  o.size = 9;
  cs::MultibandStamps st = cs::render_multiband_stamps(sample, o);
  st.file = "/data/stamps.h5";
  EXPECT_NO_THROW(cs::require_aligned(sample, st));
  st.galaxy_id[2] += 1;
  expect_throw<std::invalid_argument>(
      [&] { cs::require_aligned(sample, st); },
      {"/data/stamps.h5", "synthetic.h5", "row 2", "galaxy_id", std::to_string(st.galaxy_id[2])});
  expect_throw<std::invalid_argument>(
      [&] {
        cs::require_aligned(sample.subset({0, 1}), st);
      },
      {"galaxy count", "synthetic.h5"});
  o.size = 10;
  expect_throw<std::invalid_argument>([&] { cs::render_multiband_stamps(sample, o); },
                                      {"size", "10", "odd"});
}

TEST(HybridPhotoz, TrainsAndRoundTripsThroughTheModelFile) {
  torch::set_num_threads(1);
  const cs::PhotometrySample sample = synthetic_sample(300);
  cs::MultibandStampOptions so;
  so.size = 11;
  const cs::MultibandStamps st = cs::render_multiband_stamps(sample, so);
  const cs::SampleSplit split = cs::split_sample(sample, 0.2, 0.2, 1);
  cs::HybridPhotozTrainOptions o;
  o.channels = {4, 8};
  o.photometry_hidden = {16};
  o.hidden = 16;
  o.components = 3;
  o.epochs = 3;
  o.batch = 32;
  o.log_every = 0;
  o.validation_fraction = 0.2;
  cs::HybridPhotozTrainReport rep;
  cs::HybridPhotoz model = cs::train_hybrid_photoz(sample, st, split, o, &rep);
  EXPECT_EQ(rep.train, split.train.size());
  EXPECT_GE(rep.best_epoch, 1);
  EXPECT_TRUE(std::isfinite(rep.validation_nll));
  const cs::RedshiftGrid grid;
  const cs::RedshiftPdfs p = cs::hybrid_photoz_pdfs(model, sample, st, split.test, grid);
  ASSERT_EQ(p.count(), split.test.size());
  for (std::size_t i = 0; i < p.count(); ++i) {
    double integral = 0;
    for (int j = 0; j + 1 < grid.points; ++j)
      integral += 0.5 * grid.dz() * (p.row(i)[j] + p.row(i)[j + 1]);
    EXPECT_NEAR(integral, 1.0, 1e-6);
  }
  const fs::path dir = cosmograd::testing::fresh_dir("hybrid_photoz");
  const std::string path = (dir / "hybrid.cgm").string();
  cosmograd::nn::ModelHeader h = model->header();
  cs::add_hybrid_training_header(h, sample, st, cs::SampleCuts{}, o, rep);
  cosmograd::nn::save_model(path, *model, h);
  cosmograd::nn::ModelHeader back_header;
  cs::HybridPhotoz back = cs::load_hybrid_photoz(path, &back_header);
  EXPECT_EQ(back_header.get_double("hybrid_train_test_fraction"), 0.2);
  EXPECT_EQ(back_header.get_int("hybrid_train_split_seed"), 1);
  EXPECT_EQ(back->config().feature_mean, model->config().feature_mean);
  const cs::RedshiftPdfs q = cs::hybrid_photoz_pdfs(back, sample, st, split.test, grid);
  EXPECT_EQ(q.pdf, p.pdf);
  // Stamps of another side are refused with both sides named.
  so.size = 13;
  const cs::MultibandStamps other = cs::render_multiband_stamps(sample, so);
  expect_throw<std::invalid_argument>(
      [&] { cs::hybrid_photoz_pdfs(back, sample, other, split.test, grid); }, {"13", "11"});
  fs::remove_all(dir);
}
