// The SED emulator and the template-fit photo-z: the exact magnitude decomposition, a tiny
// emulator that learns, the analytic chi^2 amplitude, redshift recovery from noiseless
// photometry of the fit's own templates, and errors that name the field.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <limits>

#include "nn/train/model_file.hpp"
#include "surveys/mocks/photometry.hpp"
#include "surveys/mocks/sed.hpp"
#include "surveys/properties/sed_emulator.hpp"
#include "surveys/properties/template_fit.hpp"
#include "tests/surveys/expect_throw.hpp"

namespace cosmograd::surveys {
namespace {

using testing::expect_throw;

/// A small emulator trained for a few seconds, shared by the tests that need one.
struct TinyEmulator {
  SedEmulator model{nullptr};
  SedEmulatorTrainReport report;
  SedPrior prior;
  TinyEmulator() {
    prior.z_max = 1.6;
    const std::vector<SedPoint> points = draw_sed_points(prior, 1500, 3);
    const std::vector<double> mags = direct_sed_magnitudes(points, builtin_filters("lsst"));
    SedEmulatorTrainOptions o;
    o.hidden = {32, 32};
    o.steps = 300;
    o.batch = 128;
    o.lr = 5e-3;
    o.validation_fraction = 0.2;
    o.validate_every = 50;
    model = train_sed_emulator(points, mags, prior, "lsst", o, &report);
  }
};

TinyEmulator& tiny() {
  static TinyEmulator t;
  return t;
}

TEST(SedEmulator, MagnitudeSplitsExactlyIntoMassDistanceAndTemplate) {
  const SedPoint p{-9.7, 1.3, 0.8, 0.015, 0.6};
  const std::vector<Filter> filters = builtin_filters("lsst");
  const std::vector<double> t = direct_sed_magnitudes({p}, filters);
  const double mass = 3e10, d_l = 3500.0;  // [Msun], [Mpc]
  const Sed sed = parametric_sed(
      SedParams{mass, mass * std::pow(10.0, p.log_ssfr), p.age_gyr, p.dust_av, p.metallicity});
  const std::vector<double> m = ab_magnitudes(sed, p.z, d_l, filters);
  for (std::size_t b = 0; b < filters.size(); ++b)
    EXPECT_NEAR(apparent_magnitude(t[b], mass, d_l), m[b], 1e-9) << filters[b].name;
}

TEST(SedEmulator, PriorDrawsAreInsideThePriorAndReproducible) {
  SedPrior prior;
  const auto a = draw_sed_points(prior, 200, 9), b = draw_sed_points(prior, 200, 9);
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_TRUE(prior.contains(a[i]));
    EXPECT_EQ(a[i].z, b[i].z);
    EXPECT_EQ(a[i].log_ssfr, b[i].log_ssfr);
  }
}

TEST(SedEmulator, TinyEmulatorLearnsAndBeatsAConstantPredictor) {
  TinyEmulator& t = tiny();
  // Standardised validation MSE: 1 is the per-band mean (a constant predictor).
  EXPECT_LT(t.report.best_loss, 0.1);
  EXPECT_LT(t.report.best_loss, 0.2 * t.report.initial_loss);
  // On fresh draws, in magnitudes: error well below the spread of the magnitudes.
  const std::vector<SedPoint> points = draw_sed_points(t.prior, 300, 77);
  const std::vector<double> direct = direct_sed_magnitudes(points, builtin_filters("lsst"));
  const std::vector<double> emulated = t.model->predict(points);
  const std::size_t nb = 6;
  for (std::size_t b = 0; b < nb; ++b) {
    double mean = 0, var = 0, mse = 0;
    for (std::size_t i = 0; i < points.size(); ++i) mean += direct[i * nb + b] / points.size();
    for (std::size_t i = 0; i < points.size(); ++i) {
      var += std::pow(direct[i * nb + b] - mean, 2) / points.size();
      mse += std::pow(emulated[i * nb + b] - direct[i * nb + b], 2) / points.size();
    }
    EXPECT_LT(mse, 0.1 * var) << "band " << b;
  }
}

TEST(SedEmulator, SavesAndLoadsTheSamePredictions) {
  TinyEmulator& t = tiny();
  const std::string path =
      (std::filesystem::temp_directory_path() / "cosmograd_test_sed_emulator.cgm").string();
  nn::save_model(path, *t.model, t.model->header());
  nn::ModelHeader h;
  SedEmulator loaded = load_sed_emulator(path, &h);
  EXPECT_EQ(h.get("model"), "sed_emulator");
  const std::vector<SedPoint> points = draw_sed_points(t.prior, 20, 5);
  const std::vector<double> a = t.model->predict(points), b = loaded->predict(points, 7);
  for (std::size_t i = 0; i < a.size(); ++i) EXPECT_NEAR(a[i], b[i], 1e-5);
  std::filesystem::remove(path);
}

TEST(TemplateFit, AnalyticAmplitudeMatchesBruteForce) {
  const std::vector<double> model = {0.4, 0.8, 1.0, 1.2, 1.3, 1.3};
  const std::vector<std::vector<double>> fluxes = {
      {40, 85, 98, 125, 128, 135},      // a clear positive amplitude
      {-3, 2, -5, 1, 4, -2},            // noise around zero with negative fluxes
      {-10, -20, -25, -30, -30, -33}};  // best unconstrained a < 0: clamped to 0
  const std::vector<double> sigma = {5, 2, 2, 3, 6, 9};
  std::vector<double> w;
  for (double s : sigma) w.push_back(1.0 / (s * s));
  for (const auto& f : fluxes) {
    const AmplitudeFit fit = best_fit_amplitude(f, w, model);
    const auto chi2 = [&](double a) {
      double c = 0;
      for (std::size_t b = 0; b < f.size(); ++b) c += w[b] * std::pow(f[b] - a * model[b], 2);
      return c;
    };
    double best_a = 0, best = chi2(0);
    for (int k = 1; k <= 400000; ++k) {
      const double a = 5e-4 * k;  // a in (0, 200]
      if (chi2(a) < best) best = chi2(a), best_a = a;
    }
    EXPECT_NEAR(fit.amplitude, best_a, 5e-4);
    EXPECT_NEAR(fit.chi2, chi2(fit.amplitude), 1e-9 * (1 + best));
    EXPECT_LE(fit.chi2, best + 1e-9 * (1 + best));
    EXPECT_GE(fit.amplitude, 0.0);
  }
}

/// A sample with one galaxy per (template, z): noiseless fluxes of that template at z.
PhotometrySample own_template_sample(const std::vector<FitTemplate>& templates,
                                     const std::vector<std::size_t>& which,
                                     const std::vector<double>& redshifts) {
  const std::vector<Filter> filters = builtin_filters("lsst");
  PhotometrySample s;
  for (const Filter& f : filters) s.bands.push_back(f.name);
  for (std::size_t g = 0; g < which.size(); ++g) {
    const FitTemplate& t = templates[which[g]];
    const std::vector<double> m = direct_sed_magnitudes(
        {{t.log_ssfr, t.age_gyr, t.dust_av, t.metallicity, redshifts[g]}}, filters);
    for (double v : m) {
      const double flux = mag_to_njy(apparent_magnitude(v, 1e10, 2000.0));
      s.flux.push_back(flux);
      s.flux_err.push_back(0.01 * flux + 1.0);
      s.mag_true.push_back(njy_to_mag(flux));
    }
    s.redshift.push_back(redshifts[g]);
    s.galaxy_id.push_back(static_cast<std::int64_t>(g));
  }
  return s;
}

TEST(TemplateFit, RecoversTheRedshiftOfItsOwnNoiselessTemplates) {
  TemplateFitOptions o;
  o.grid.points = 61;  // dz = 0.025
  o.flux_error_floor = 0;
  const std::vector<FitTemplate> templates = classic_templates();
  const std::vector<std::size_t> which = {0, 3, 5, 7, 9, 2};
  const std::vector<double> z = {o.grid.z(8),  o.grid.z(20), o.grid.z(33),
                                 o.grid.z(47), o.grid.z(12), o.grid.z(56)};
  const PhotometrySample s = own_template_sample(templates, which, z);
  std::vector<std::size_t> rows(which.size());
  for (std::size_t i = 0; i < rows.size(); ++i) rows[i] = i;
  TemplateFitReport rep;
  const RedshiftPdfs p = template_fit_pdfs(s, rows, o, nullptr, &rep);
  EXPECT_EQ(rep.templates, static_cast<std::size_t>(kClassicTemplateCount));
  EXPECT_EQ(rep.models, templates.size() * 61);
  for (std::size_t i = 0; i < rows.size(); ++i)
    EXPECT_NEAR(pdf_mode(p, i), z[i], 0.5 * o.grid.dz() + 1e-9) << templates[which[i]].name;
}

TEST(TemplateFit, EmulatedGridFindsTheRedshiftOfItsOwnModels) {
  TinyEmulator& t = tiny();
  TemplateFitOptions o;
  o.templates = "emulated";
  o.grid.points = 31;  // dz = 0.05
  o.ssfr_points = 3;
  o.age_points = 3;
  o.dust_points = 2;
  o.metallicities = {0.02};
  o.direct_timing_templates = 2;
  // Fluxes from the emulator's own models (the tiny emulator is not accurate enough to fit
  // direct photometry to a grid step): the fit must pick the same redshift.
  const std::vector<FitTemplate> templates = emulated_templates(o);
  const TemplateGrid grid =
      build_template_grid(templates, o.grid, "lsst", &t.model, false, 0.3, 0.7);
  PhotometrySample s;
  s.bands = grid.bands;
  const std::vector<int> zi = {4, 15, 25};
  const std::size_t ng = 31, nb = 6;
  for (std::size_t g = 0; g < zi.size(); ++g) {
    const std::size_t m = (7 * ng + static_cast<std::size_t>(zi[g])) * nb;
    for (std::size_t b = 0; b < nb; ++b) {
      s.flux.push_back(1000.0 * grid.flux[m + b]);
      s.flux_err.push_back(5.0);
    }
    s.redshift.push_back(o.grid.z(zi[g]));
  }
  TemplateFitReport rep;
  const RedshiftPdfs p = template_fit_pdfs(s, {0, 1, 2}, o, &t.model, &rep);
  EXPECT_EQ(rep.templates, 18u);
  EXPECT_GT(rep.direct_grid_seconds, 0.0);
  EXPECT_TRUE(rep.direct_grid_extrapolated);
  for (std::size_t g = 0; g < zi.size(); ++g)
    EXPECT_NEAR(pdf_mode(p, g), o.grid.z(zi[g]), o.grid.dz() + 1e-9);
}

TEST(TemplateFit, AgeLimitDropsTemplatesOlderThanTheUniverse) {
  const std::vector<FitTemplate> templates = {{"old", -12, 12.0, 0, 0.02},
                                              {"young", -9, 0.5, 0, 0.02}};
  RedshiftGrid grid;
  grid.points = 7;  // 0, 0.25, ..., 1.5
  const TemplateGrid g = build_template_grid(templates, grid, "lsst", nullptr, true, 0.3, 0.7);
  EXPECT_EQ(g.allowed[0], 1);  // 12 Gyr fits at z = 0 (13.5 Gyr)
  EXPECT_EQ(g.allowed[6], 0);  // not at z = 1.5 (~4 Gyr)
  for (int j = 0; j < 7; ++j) EXPECT_EQ(g.allowed[7 + j], 1);
}

TEST(TemplateFit, ErrorsNameTheField) {
  TemplateFitOptions o;
  o.templates = "cww";
  expect_throw<std::invalid_argument>([&] { o.validate(); }, {"templates", "cww", "classic"});
  o = TemplateFitOptions{};
  o.flux_error_floor = -1;
  expect_throw<std::invalid_argument>([&] { o.validate(); }, {"flux_error_floor", "-1"});
  o = TemplateFitOptions{};
  o.metallicities = {0.2};
  expect_throw<std::invalid_argument>([&] { o.validate(); }, {"metallicities[0]", "0.2"});
  o = TemplateFitOptions{};
  o.templates = "emulated";
  PhotometrySample s;
  expect_throw<std::invalid_argument>([&] { template_fit_pdfs(s, {}, o, nullptr, nullptr); },
                                      {"emulated", "emulator"});
  o.grid.z_max = 3.0;
  expect_throw<std::invalid_argument>(
      [&] {
        build_template_grid(emulated_templates(o), o.grid, "lsst", &tiny().model, false, 0.3, 0.7);
      },
      {"grid.z_max", "3"});
  SedPrior p;
  p.age_max_gyr = 20;
  expect_throw<std::invalid_argument>([&] { p.validate(); }, {"age_max_gyr", "20", "13.8"});
  SedEmulatorTrainOptions t;
  t.steps = 0;
  expect_throw<std::invalid_argument>([&] { t.validate(); }, {"steps", "0", ">= 1"});
  t = SedEmulatorTrainOptions{};
  t.activation = "swish";
  expect_throw<std::invalid_argument>([&] { t.validate(); }, {"swish"});
}

}  // namespace
}  // namespace cosmograd::surveys
