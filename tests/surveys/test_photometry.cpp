// Filters, the parametric galaxy SED and photometry against analytic expectations and the
// observed behaviour of galaxies (red sequence colours, Dn4000, Kennicutt 1998 line fluxes).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "sim/cosmo/cosmology.hpp"
#include "surveys/mocks/filters.hpp"
#include "surveys/mocks/photometry.hpp"
#include "surveys/mocks/sed.hpp"

namespace cs = cosmograd::surveys;
namespace sim = cosmograd::sim;

namespace {

constexpr double kC = 2.99792458e18;            // [Angstrom/s]
constexpr double kMpc = 3.0856775814913673e24;  // [cm]

/// Expects fn to throw std::invalid_argument whose message contains every one of `parts`.
void expect_invalid(const std::function<void()>& fn, const std::vector<std::string>& parts) {
  try {
    fn();
    ADD_FAILURE() << "no exception";
  } catch (const std::invalid_argument& e) {
    for (const auto& p : parts)
      EXPECT_NE(std::string(e.what()).find(p), std::string::npos)
          << "'" << e.what() << "' lacks '" << p << "'";
  }
}

std::string write_file(const std::string& name, const std::string& text) {
  const std::string path = ::testing::TempDir() + name;
  std::ofstream(path) << text;
  return path;
}

cs::Filter band(const std::vector<cs::Filter>& filters, const std::string& name) {
  return *std::find_if(filters.begin(), filters.end(),
                       [&name](const cs::Filter& f) { return f.name == name; });
}

double colour(const cs::Sed& sed, double z, const std::string& a, const std::string& b) {
  static const auto lsst = cs::builtin_filters("lsst");
  return cs::ab_magnitude(sed, z, 1000.0, band(lsst, a)) -
         cs::ab_magnitude(sed, z, 1000.0, band(lsst, b));
}

/// Luminosity distance [Mpc] in Planck 2015.
double planck_dl_mpc(double z) {
  static const sim::Cosmology cosmo(sim::planck2015());
  return cosmo.luminosity_distance(1.0 / (1.0 + z)) / cosmo.params().h;
}

double phi(double x) { return 0.5 * std::erfc(-x / std::sqrt(2.0)); }

}  // namespace

TEST(Filters, ValidateNamesFieldIndexAndValue) {
  expect_invalid(
      [] {
        cs::validate(cs::Filter{"r", {4000, 4500, 5100, 5000}, {0, 1, 1, 0}});
      },
      {"Filter 'r'", "wavelength[3] = 5000", "wavelength[2] = 5100", "ascending"});
  expect_invalid(
      [] {
        cs::validate(cs::Filter{"g", {4000, 4500}, {0.5, 1.5}});
      },
      {"throughput[1] = 1.5", "[0, 1]"});
  expect_invalid([] { cs::validate(cs::Filter{"g", {4000, 4500}, {0.5}}); }, {"equal"});
}

TEST(Filters, ReadFilterSkipsCommentsAndNamesFileAndLine) {
  const auto good =
      write_file("filt_good.dat", "# lambda T\n\n4000 0.0\n4500 0.8 # peak\n5000 0\n");
  const auto f = cs::read_filter(good, "x");
  EXPECT_EQ(f.name, "x");
  ASSERT_EQ(f.wavelength.size(), 3u);
  EXPECT_DOUBLE_EQ(f.wavelength[1], 4500.0);
  EXPECT_DOUBLE_EQ(f.throughput[1], 0.8);
  const auto bad = write_file("filt_bad.dat", "# header\n4000 0.1\n4500 abc\n");
  expect_invalid([&bad] { cs::read_filter(bad, "x"); }, {bad + ":3", "abc"});
  const auto range = write_file("filt_range.dat", "4000 0.1\n4500 2\n");
  expect_invalid([&range] { cs::read_filter(range, "x"); }, {range + ":2", "throughput 2"});
  const auto order = write_file("filt_order.dat", "4000 0.1\n3900 0.2\n");
  expect_invalid([&order] { cs::read_filter(order, "x"); }, {order + ":2", "ascending"});
  expect_invalid([] { cs::read_filter("/nonexistent/filter.dat", "x"); },
                 {"/nonexistent/filter.dat"});
}

TEST(Filters, BuiltinSetsHaveUgrizyAndTophatPivotsAreAnalytic) {
  for (const auto& set : cs::builtin_filter_sets()) {
    const auto filters = cs::builtin_filters(set);
    ASSERT_EQ(filters.size(), 6u);
    double previous = 0.0;
    for (const auto& f : filters) {
      EXPECT_NO_THROW(cs::validate(f));
      const double pivot = cs::pivot_wavelength(f);
      EXPECT_GT(pivot, previous) << set << " " << f.name;
      previous = pivot;
    }
  }
  // Top-hat on [lo, hi]: pivot^2 = (hi^2 - lo^2) / (2 ln(hi / lo)).
  for (const auto& f : cs::builtin_filters("tophat_ugrizy")) {
    const double lo = f.wavelength.front(), hi = f.wavelength.back();
    EXPECT_NEAR(cs::pivot_wavelength(f), std::sqrt((hi * hi - lo * lo) / (2 * std::log(hi / lo))),
                1e-3)
        << f.name;
  }
  const auto lsst = cs::builtin_filters("lsst");
  EXPECT_NEAR(cs::pivot_wavelength(band(lsst, "r")), 6200.0, 50.0);
  expect_invalid([] { cs::builtin_filters("hsc"); }, {"'hsc'", "lsst", "tophat_ugrizy"});
}

TEST(Photometry, FlatFnuHasTheSameMagnitudeInEveryFilter) {
  const double micro_jansky = 1e-29;  // [erg/s/cm^2/Hz]
  const double expected_ujy = -2.5 * std::log10(micro_jansky / cs::kAbZeroPointFnu);
  EXPECT_NEAR(expected_ujy, 23.9, 1e-4);  // 3631 Jy vs the 31.4 nJy convention: 7e-5 mag
  for (const auto& set : cs::builtin_filter_sets())
    for (const auto& f : cs::builtin_filters(set)) {
      EXPECT_NEAR(cs::ab_magnitude_of_fnu([](double) { return cs::kAbZeroPointFnu; }, f), 0.0,
                  1e-6);
      EXPECT_NEAR(cs::ab_magnitude_of_fnu([&](double) { return micro_jansky; }, f), expected_ujy,
                  1e-6);
    }
}

TEST(Photometry, NanojanskyConventions) {
  EXPECT_NEAR(cs::mag_to_njy(31.4), 1.0, 1e-12);
  EXPECT_NEAR(cs::mag_to_njy(23.9), 1000.0, 1e-9);
  EXPECT_NEAR(cs::njy_to_mag(cs::mag_to_njy(22.37)), 22.37, 1e-12);
  EXPECT_EQ(cs::mag_to_njy(INFINITY), 0.0);
  EXPECT_TRUE(std::isnan(cs::njy_to_mag(-3.0)));
}

TEST(Photometry, FlatFnuSedGivesTheExpectedMagnitude) {
  // L_lambda = L_nu c / lambda^2 observed at z: f_nu = L_nu (1 + z) / (4 pi d_L^2).
  const double l_nu = 1e29;  // [erg/s/Hz]
  cs::Sed sed;
  for (int i = 0; i < 2000; ++i) {
    const double lam = 500.0 * std::pow(50.0, i / 1999.0);
    sed.wavelength.push_back(lam);
    sed.l_lambda.push_back(l_nu * kC / (lam * lam));
  }
  for (const double z : {0.0, 0.5, 2.0}) {
    const double dl = z == 0.0 ? 1e-5 : planck_dl_mpc(z);
    const double f_nu = l_nu * (1 + z) / (4 * M_PI * std::pow(dl * kMpc, 2));
    for (const auto& f : cs::builtin_filters("lsst"))
      EXPECT_NEAR(cs::ab_magnitude(sed, z, dl, f), -2.5 * std::log10(f_nu / cs::kAbZeroPointFnu),
                  1e-4)
          << "z = " << z << " band " << f.name;
  }
}

TEST(Photometry, NarrowLineContributesItsFluxWhateverTheGrids) {
  // A 2 A wide line on a 50 A continuum grid: the band integral must see L_line T(lambda_obs).
  const double l_line = 1e42, centre = 5000.0, sigma = 2.0;  // [erg/s], [Angstrom]
  cs::Sed sed;
  for (double lam = 1000.0; lam <= 20000.0; lam += 50.0) {
    if (std::fabs(lam - centre) < 6 * sigma) continue;
    sed.wavelength.push_back(lam);
  }
  for (double u = -6.0; u <= 6.0 + 1e-9; u += 1.0 / 6.0)
    sed.wavelength.push_back(centre + u * sigma);
  std::sort(sed.wavelength.begin(), sed.wavelength.end());
  for (const double lam : sed.wavelength)
    sed.l_lambda.push_back(l_line / (sigma * std::sqrt(2 * M_PI)) *
                           std::exp(-0.5 * std::pow((lam - centre) / sigma, 2)));
  const auto g = band(cs::builtin_filters("tophat_ugrizy"), "g");
  const double ab_integral =
      cs::kAbZeroPointFnu * std::log(g.wavelength.back() / g.wavelength.front());
  for (const double z : {0.0, 0.0123, 0.05, 0.1}) {
    const double dl = 100.0, opz = 1.0 + z;
    // int f_lambda lambda T dlambda / c = F lambda_obs / c, line flux F = L / (4 pi d_L^2).
    const double line = l_line / (4 * M_PI * std::pow(dl * kMpc, 2)) * centre * opz / kC;
    EXPECT_NEAR(cs::ab_magnitude(sed, z, dl, g), -2.5 * std::log10(line / ab_integral), 1e-4)
        << "z = " << z;
  }
}

TEST(Photometry, BadArgumentsThrowNamingTheField) {
  const auto sed = cs::parametric_sed({1e10, 1.0, 3.0, 0.3});
  const auto r = band(cs::builtin_filters("lsst"), "r");
  expect_invalid([&] { cs::ab_magnitude(sed, -0.5, 100.0, r); }, {"z = -0.5"});
  expect_invalid([&] { cs::ab_magnitude(sed, 0.5, 0.0, r); }, {"luminosity_distance_mpc = 0"});
  expect_invalid([&] { cs::ab_magnitude(sed, 30.0, 1e6, r); }, {"must cover filter 'r'"});
  expect_invalid([] { cs::builtin_depths("des"); }, {"'des'", "lsst_y10", "lsst_single"});
  cs::MockRng rng(1, cs::MockStream::kPhotometry, 0);
  expect_invalid([&] { cs::observe_flux(NAN, 25.0, 5.0, rng); }, {"true_mag"});
}

TEST(DepthNoise, SourceAtM5HasMeanSnrFiveAndScatterSigma) {
  const double m5 = 24.7, sigma = cs::mag_to_njy(m5) / 5.0;
  const int n = 20000;
  double sum = 0.0, sum2 = 0.0;
  for (int i = 0; i < n; ++i) {
    cs::MockRng rng(2024, cs::MockStream::kPhotometry, static_cast<std::uint64_t>(i));
    const auto obs = cs::observe_flux(m5, m5, 5.0, rng);
    EXPECT_DOUBLE_EQ(obs.flux_err_njy, sigma);
    sum += obs.flux_njy / sigma;
    sum2 += std::pow(obs.flux_njy / sigma - 5.0, 2);
  }
  EXPECT_NEAR(sum / n, 5.0, 0.03);
  EXPECT_NEAR(std::sqrt(sum2 / n), 1.0, 0.02);
}

TEST(DepthNoise, DetectionFractionTwoMagnitudesBelowM5) {
  const double m5 = 26.9, true_snr = 5.0 * std::pow(10.0, -0.8);
  const int n = 20000;
  for (const double threshold : {0.5, 1.0, 2.0}) {
    int detected = 0;
    for (int i = 0; i < n; ++i) {
      cs::MockRng rng(7, cs::MockStream::kPhotometry, static_cast<std::uint64_t>(i));
      const auto obs = cs::observe_flux(m5 + 2.0, m5, threshold, rng);
      detected += obs.detected;
      EXPECT_EQ(std::isnan(obs.mag), !obs.detected);  // flagged, never dropped
      EXPECT_EQ(std::isnan(obs.mag_err), !obs.detected);
      if (obs.detected) {
        EXPECT_NEAR(obs.mag_err, 2.5 / std::log(10.0) * obs.flux_err_njy / obs.flux_njy, 1e-12);
      }
    }
    const double p = phi(true_snr - threshold);
    EXPECT_NEAR(static_cast<double>(detected) / n, p, 4.0 * std::sqrt(p * (1 - p) / n))
        << "threshold " << threshold;
  }
}

TEST(DepthNoise, DrawsAreReproducibleAndDepthsBuiltIn) {
  cs::MockRng a(99, cs::MockStream::kPhotometry, 5), b(99, cs::MockStream::kPhotometry, 5);
  EXPECT_EQ(cs::observe_flux(24.0, 25.0, 5.0, a).flux_njy,
            cs::observe_flux(24.0, 25.0, 5.0, b).flux_njy);
  cs::MockRng c(99, cs::MockStream::kPhotometry, 6);
  EXPECT_NEAR(cs::observe_flux(INFINITY, 25.0, 5.0, c).flux_njy, 0.0,
              6.0 * cs::mag_to_njy(25.0) / 5.0);  // no source: pure noise
  const auto y10 = cs::builtin_depths("lsst_y10");
  ASSERT_EQ(y10.size(), 6u);
  EXPECT_EQ(y10[2].band, "r");
  EXPECT_DOUBLE_EQ(y10[2].m5, 26.9);
  EXPECT_DOUBLE_EQ(cs::builtin_depths("lsst_single")[5].m5, 22.1);
}

TEST(ParametricSed, QuiescentIsRedderThanStarForming) {
  const auto quiescent = cs::parametric_sed({1e10, 0.0, 10.0, 0.0});
  const auto star_forming = cs::parametric_sed({1e10, 10.0, 1.0, 0.0});
  const double gr_q = colour(quiescent, 0.1, "g", "r"), gr_sf = colour(star_forming, 0.1, "g", "r");
  EXPECT_GT(gr_q, gr_sf + 0.3);
  EXPECT_NEAR(gr_q, 0.95, 0.15);  // SDSS red sequence at z = 0.1 (e.g. Eisenstein et al. 2001)
  EXPECT_LT(gr_sf, 0.6);
}

TEST(ParametricSed, QuiescentGMinusRPeaksAsTheBreakCrossesIntoR) {
  // 4000 (1 + z) reaches the g/r boundary (~5400-5700 A) at z ~ 0.35-0.5; scan the first peak.
  const auto quiescent = cs::parametric_sed({1e11, 0.0, 10.0, 0.0});
  double best_z = 0.0, best = -1e9;
  for (double z = 0.0; z <= 0.8 + 1e-9; z += 0.025) {
    const double gr = colour(quiescent, z, "g", "r");
    if (gr > best) {
      best = gr;
      best_z = z;
    }
  }
  EXPECT_GE(best_z, 0.35);
  EXPECT_LE(best_z, 0.5);
  EXPECT_GT(best - colour(quiescent, 0.1, "g", "r"), 0.5);
  EXPECT_GT(colour(quiescent, 0.3, "g", "r"), colour(quiescent, 0.2, "g", "r"));
}

TEST(ParametricSed, D4000GrowsWithAgeAndIsSmallWhenStarForming) {
  const double old = cs::d4000(cs::parametric_sed({1e10, 0.0, 10.0, 0.0}));
  EXPECT_GE(old, 1.6);
  EXPECT_LE(old, 2.3);
  EXPECT_LT(cs::d4000(cs::parametric_sed({1e9, 10.0, 0.3, 0.3})), 1.4);
  double previous = 0.0;
  for (const double age : {0.1, 0.5, 1.0, 3.0, 10.0, 13.8}) {
    const double d = cs::d4000(cs::parametric_sed({1e10, 0.0, age, 0.0}));
    EXPECT_GT(d, previous) << "age " << age;
    previous = d;
  }
}

TEST(ParametricSed, HalphaLuminosityIsKennicuttTimesDust) {
  const cs::SedParams p{1e10, 5.0, 3.0, 0.5};
  const auto sed = cs::parametric_sed(p);
  double nii = 0.0, halpha = 0.0;
  for (const auto& l : cs::emission_lines(p)) {
    if (l.name == "Halpha") halpha = l.luminosity;
    if (l.name == "NII_6548" || l.name == "NII_6584") nii += l.luminosity;
  }
  const double gas_av = p.dust_av / 0.44;  // Calzetti et al. 2000
  const double expected =
      p.sfr / 7.9e-42 * std::pow(10.0, -0.4 * cs::calzetti_k(6562.8) * gas_av / 4.05);
  EXPECT_NEAR(halpha / expected, 1.0, 1e-12);
  // Continuum-subtracted integral over 6530-6620 A holds Halpha and the [NII] doublet.
  const double lo = 6530.0, hi = 6620.0;
  const cs::Filter window{"window", {lo, hi}, {1.0, 1.0}};
  const double total = cs::integrate_band(
      window, [&sed](double lam) { return cs::l_lambda_at(sed, lam); }, sed.wavelength);
  const double continuum = 0.5 * (cs::l_lambda_at(sed, lo) + cs::l_lambda_at(sed, hi)) * (hi - lo);
  EXPECT_NEAR((total - continuum - nii) / expected, 1.0, 0.01);
}

TEST(ParametricSed, CalzettiAttenuation) {
  EXPECT_NEAR(cs::calzetti_k(5500.0), 4.05, 0.05);
  EXPECT_GT(cs::calzetti_k(1500.0), cs::calzetti_k(3000.0));
  EXPECT_GT(cs::calzetti_k(3000.0), cs::calzetti_k(12000.0));
  EXPECT_GE(cs::calzetti_k(50000.0), 0.0);
  const double av = 1.0;
  const auto clear = cs::parametric_sed({1e10, 0.0, 5.0, 0.0});
  const auto dusty = cs::parametric_sed({1e10, 0.0, 5.0, av});
  ASSERT_EQ(clear.wavelength, dusty.wavelength);
  for (std::size_t i = 300; i < clear.wavelength.size(); i += 150) {
    const double lam = clear.wavelength[i];
    EXPECT_NEAR(dusty.l_lambda[i] / clear.l_lambda[i],
                std::pow(10.0, -0.4 * av * cs::calzetti_k(lam) / 4.05), 1e-12)
        << lam;
  }
}

TEST(ParametricSed, ApparentMagnitudesAreRealistic) {
  const auto r = band(cs::builtin_filters("lsst"), "r");
  const double r_sf =
      cs::ab_magnitude(cs::parametric_sed({1e10, 1.0, 3.0, 0.3}), 0.5, planck_dl_mpc(0.5), r);
  const double r_q =
      cs::ab_magnitude(cs::parametric_sed({1e11, 0.0, 10.0, 0.0}), 0.3, planck_dl_mpc(0.3), r);
  EXPECT_GT(r_sf, 21.0);
  EXPECT_LT(r_sf, 23.0);
  EXPECT_GT(r_q, 18.0);
  EXPECT_LT(r_q, 20.0);
  // No flux below the Lyman limit.
  EXPECT_EQ(cs::l_lambda_at(cs::parametric_sed({1e10, 10.0, 0.1, 0.0}), 800.0), 0.0);
}

TEST(ParametricSed, BadParametersAndTemplatesThrowNamingTheField) {
  expect_invalid([] { cs::parametric_sed({1e10, -1.0, 3.0, 0.0}); }, {"sfr = -1", ">= 0"});
  expect_invalid([] { cs::parametric_sed({1e10, 1.0, 20.0, 0.0}); }, {"age_gyr = 20", "13.8"});
  expect_invalid([] { cs::parametric_sed({0.0, 1.0, 2.0, 0.0}); }, {"stellar_mass = 0"});
  expect_invalid([] { cs::parametric_sed({1e10, 1.0, 2.0, -0.1}); }, {"dust_av = -0.1"});
  expect_invalid([] { cs::scale(cs::Sed{{1, 2}, {1, 1}}, -2.0); }, {"factor = -2"});
  const auto good = write_file("sed_good.dat", "# rest A, L_lambda\n1000 1e40\n2000 2e40\n");
  const auto sed = cs::read_sed_template(good);
  EXPECT_DOUBLE_EQ(cs::l_lambda_at(sed, 1500.0), 1.5e40);
  EXPECT_DOUBLE_EQ(cs::scale(sed, 2.0).l_lambda[1], 4e40);
  const auto bad = write_file("sed_bad.dat", "1000 1e40\n\n2000 -1\n");
  expect_invalid([&bad] { cs::read_sed_template(bad); }, {bad + ":3", "L_lambda -1"});
}
