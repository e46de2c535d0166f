// Transients and cadence: Bazin peak and normalisation, time dilation, colours, DRW
// statistics, host rates, class fractions, S/N at m5, reproducibility and input errors.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include "sim/cosmo/cosmology.hpp"
#include "surveys/mocks/cadence.hpp"
#include "surveys/mocks/transients.hpp"

namespace cg = cosmograd;
using cg::surveys::Transient;
using cg::surveys::TransientClass;
using cg::surveys::TransientHost;

namespace {

const cg::sim::Cosmology& cosmo() {
  static const cg::sim::Cosmology c(cg::sim::planck2015());
  return c;
}

// An explosive transient at redshift z with explicit rest-frame parameters.
Transient make_sn(TransientClass cls, double z, double tau_rise, double tau_fall) {
  const auto& m = cg::surveys::transient_class_model(cls);
  Transient t;
  t.cls = cls;
  t.z = z;
  const double d_l = cosmo().luminosity_distance(1.0 / (1.0 + z)) / cosmo().params().h;
  t.distmod = 5.0 * std::log10(d_l) + 25.0;
  t.peak_mjd = 60100.0;
  t.peak_abs_mag = m.abs_mag_mean;
  t.tau_rise_days = tau_rise;
  t.tau_fall_days = tau_fall;
  t.t_bb_peak_k = 0.5 * (m.t_bb_peak_k.lo + m.t_bb_peak_k.hi);
  t.t_bb_late_k = m.t_cool_days > 0.0 ? m.t_bb_late_k : t.t_bb_peak_k;
  t.t_cool_days = m.t_cool_days;
  return t;
}

// Observed FWHM [days] of `t` in the band at rest-frame B, by bisection on each side.
double observed_fwhm(const Transient& t) {
  const double lambda = cg::surveys::kRestBAngstrom * (1.0 + t.z);
  const double half = 0.5 * cg::surveys::model_flux(t, t.peak_mjd, lambda);
  auto crossing = [&](double inside, double outside) {
    for (int it = 0; it < 200; ++it) {
      const double mid = 0.5 * (inside + outside);
      (cg::surveys::model_flux(t, mid, lambda) > half ? inside : outside) = mid;
    }
    return 0.5 * (inside + outside);
  };
  const double span = 20.0 * t.tau_fall_days * (1.0 + t.z);
  return crossing(t.peak_mjd, t.peak_mjd + span) - crossing(t.peak_mjd, t.peak_mjd - span);
}

double g_minus_r(const Transient& t, double mjd) {
  return -2.5 * std::log10(cg::surveys::model_flux(t, mjd, 4827.0) /
                           cg::surveys::model_flux(t, mjd, 6223.0));
}

std::vector<TransientHost> mixed_hosts(int n) {
  std::vector<TransientHost> hosts;
  for (int i = 0; i < n; ++i) {
    const double f = (i + 0.5) / n;
    hosts.push_back({1000 + i, 360.0 * f, -60.0 + 50.0 * f, 0.05 + 0.5 * f,
                     std::pow(10.0, 8.5 + 3.0 * f), (i % 3 == 0) ? 0.0 : 0.1 + 5.0 * f});
  }
  return hosts;
}

template <class F>
std::string thrown_message(F&& f) {
  try {
    f();
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "(nothing thrown)";
}

}  // namespace

TEST(Transients, BazinPeakTimeAndDerivative) {
  // f = e^{-x/tf} / (1 + e^{-x/tr}): f'/f = -1/tf + (1/tr) u/(1+u), u = e^{-x/tr}, zero at
  // x_peak; includes tf < 2 tr, where the peak comes before t0.
  const double pairs[][2] = {{2.0, 25.0}, {10.0, 30.0}, {5.0, 8.0}, {1.0, 150.0}};
  for (const auto& p : pairs) {
    const double x = cg::surveys::bazin_peak_offset(p[0], p[1]);
    const double u = std::exp(-x / p[0]);
    EXPECT_NEAR(-1.0 / p[1] + u / (1.0 + u) / p[0], 0.0, 1e-15) << p[0] << " " << p[1];
    EXPECT_DOUBLE_EQ(cg::surveys::bazin_shape(0.0, p[0], p[1]), 1.0);
    EXPECT_LT(cg::surveys::bazin_shape(-0.1 * p[0], p[0], p[1]), 1.0);
    EXPECT_LT(cg::surveys::bazin_shape(0.1 * p[0], p[0], p[1]), 1.0);
  }
  EXPECT_LT(cg::surveys::bazin_peak_offset(5.0, 8.0), 0.0);
}

TEST(Transients, PeakFluxNormalisationInRestB) {
  for (double z : {0.05, 0.3, 1.2}) {
    const Transient t = make_sn(TransientClass::kSNIa, z, 2.0, 25.0);
    const double lambda = cg::surveys::kRestBAngstrom * (1.0 + z);
    // AB K-correction of a band matched to redshifted B: m = M + mu - 2.5 log10(1+z).
    const double expected =
        std::pow(10.0, -0.4 * (t.peak_abs_mag + t.distmod - 2.5 * std::log10(1.0 + z) - 27.5));
    const double peak = cg::surveys::model_flux(t, t.peak_mjd, lambda);
    EXPECT_NEAR(peak / expected, 1.0, 1e-9) << "z = " << z;
    // Observer-frame derivative at the peak vanishes (central difference, h = 1e-3 d).
    const double h = 1e-3;
    const double slope = (cg::surveys::model_flux(t, t.peak_mjd + h, lambda) -
                          cg::surveys::model_flux(t, t.peak_mjd - h, lambda)) /
                         (2.0 * h);
    EXPECT_LT(std::fabs(slope) * t.tau_rise_days / peak, 1e-6) << "z = " << z;
  }
  // Planck 2015 (flat, no radiation) distance modulus at z = 0.1: d_L = 475.341 Mpc from an
  // independent quadrature of c/H0 (1+z) int dz/E(z).
  EXPECT_NEAR(make_sn(TransientClass::kSNIa, 0.1, 2.0, 25.0).distmod, 38.38503, 1e-4);
}

TEST(Transients, TimeDilationOfTheWidth) {
  // Rest-frame FWHM straight from the Bazin shape, by bisection.
  const double tau_rise = 15.0, tau_fall = 60.0;
  auto half_point = [&](double inside, double outside) {
    for (int it = 0; it < 200; ++it) {
      const double mid = 0.5 * (inside + outside);
      (cg::surveys::bazin_shape(mid, tau_rise, tau_fall) > 0.5 ? inside : outside) = mid;
    }
    return 0.5 * (inside + outside);
  };
  const double fwhm_rest = half_point(0.0, 2000.0) - half_point(0.0, -2000.0);
  EXPECT_GT(fwhm_rest, 60.0);
  for (double z : {0.01, 0.1, 0.5, 2.0}) {
    const Transient t = make_sn(TransientClass::kSLSN, z, tau_rise, tau_fall);
    EXPECT_NEAR(observed_fwhm(t) / ((1.0 + z) * fwhm_rest), 1.0, 1e-6) << "z = " << z;
  }
}

TEST(Transients, ColoursHotTdeBlueAndCoolingIaRed) {
  const Transient tde = make_sn(TransientClass::kTDE, 0.05, 20.0, 60.0);
  const Transient ia = make_sn(TransientClass::kSNIa, 0.05, 2.0, 25.0);
  const double plus30 = ia.peak_mjd + 30.0 * (1.0 + ia.z);
  EXPECT_LT(g_minus_r(tde, tde.peak_mjd), -0.3);
  EXPECT_LT(g_minus_r(tde, tde.peak_mjd + 60.0), -0.3);  // TDEs stay hot
  EXPECT_GT(g_minus_r(ia, plus30), 0.2);
  EXPECT_GT(g_minus_r(ia, plus30), g_minus_r(ia, ia.peak_mjd) + 0.3);  // reddens as it cools
  EXPECT_NEAR(cg::surveys::photosphere_temperature(ia, 30.0), 6000.0, 300.0);
  // Rayleigh-Jeans limit: f_nu ~ nu^2.
  EXPECT_NEAR(cg::surveys::blackbody_colour(8900.0, 1e9), 0.25, 1e-4);
}

TEST(Transients, AgnDampedRandomWalkStatistics) {
  const double tau = 200.0, sf_inf = 0.2, dt = 50.0;
  const int n = 100000, lag = 40;  // lag 40 dt = 10 tau
  std::vector<double> mjd(n);
  for (int i = 0; i < n; ++i) mjd[static_cast<std::size_t>(i)] = 60000.0 + dt * i;
  cg::surveys::MockRng rng(7, cg::surveys::MockStream::kLightCurveNoise, 1);
  const auto x = cg::surveys::drw_offsets(mjd, tau, sf_inf, rng);
  double mean = 0.0;
  for (double v : x) mean += v / n;
  double var = 0.0, cov1 = 0.0, sf2 = 0.0;
  for (int i = 0; i < n; ++i) {
    const auto k = static_cast<std::size_t>(i);
    var += (x[k] - mean) * (x[k] - mean) / n;
    if (i + 1 < n) cov1 += (x[k] - mean) * (x[k + 1] - mean) / (n - 1);
    if (i + lag < n) sf2 += (x[k + lag] - x[k]) * (x[k + lag] - x[k]) / (n - lag);
  }
  // SF(dt) = SF_inf sqrt(1 - e^{-dt/tau}) (MacLeod et al. 2010).
  EXPECT_NEAR(std::sqrt(sf2) / (sf_inf * std::sqrt(1.0 - std::exp(-lag * dt / tau))), 1.0, 0.1);
  EXPECT_NEAR(cov1 / var, std::exp(-dt / tau), 0.01);
}

TEST(Cadence, SignalToNoiseAtM5AndPulls) {
  const cg::surveys::Cadence cadence;
  EXPECT_DOUBLE_EQ(5.0 * cg::surveys::flux_error_fluxcal(24.0),
                   std::pow(10.0, -0.4 * (24.0 - 27.5)));
  double snr = 0.0, pull = 0.0, pull2 = 0.0;
  long n = 0;
  for (int f = 0; f < 150; ++f) {
    const double ra = 2.4 * f + 0.3, dec = -70.0 + 0.9 * f;
    const auto visits = cg::surveys::field_visits(cadence, ra, dec, 11);
    ASSERT_FALSE(visits.empty());
    std::vector<double> truth;
    for (const auto& v : visits) truth.push_back(std::pow(10.0, -0.4 * (v.m5 - 27.5)));
    cg::surveys::MockRng noise(11, cg::surveys::MockStream::kLightCurveNoise, f);
    for (const auto& p : cg::surveys::noisy_points(f, cadence, visits, truth, noise)) {
      snr += p.flux / p.flux_err;
      const double q = (p.flux - p.true_flux) / p.flux_err;
      pull += q;
      pull2 += q * q;
      ++n;
    }
  }
  pull /= n;
  EXPECT_GT(n, 20000);
  EXPECT_NEAR(snr / n, 5.0, 0.05);
  EXPECT_NEAR(pull, 0.0, 0.02);
  EXPECT_NEAR(std::sqrt(pull2 / n - pull * pull), 1.0, 0.02);
}

TEST(Cadence, VisitsLieInSeasonsWithTheRevisitRate) {
  const cg::surveys::Cadence cadence;
  std::vector<double> per_band(cadence.bands.size(), 0.0);
  const int fields = 100;
  for (int f = 0; f < fields; ++f) {
    const auto visits = cg::surveys::field_visits(cadence, 3.6 * f + 1.0, -30.0, 5);
    for (std::size_t i = 0; i < visits.size(); ++i) {
      EXPECT_GE(visits[i].mjd, cadence.start_mjd);
      EXPECT_LT(visits[i].mjd, cadence.start_mjd + cadence.duration_days);
      if (i > 0) {
        EXPECT_GE(visits[i].mjd, visits[i - 1].mjd);
      }
      per_band[static_cast<std::size_t>(visits[i].passband)] += 1.0 / fields;
    }
  }
  // Seasons cover season_days of each year: expected visits = duration * (season/year) / revisit.
  for (std::size_t b = 0; b < cadence.bands.size(); ++b) {
    const double expected =
        cadence.duration_days * (cadence.season_days / 365.2422) / cadence.bands[b].revisit_days;
    EXPECT_NEAR(per_band[b] / expected, 1.0, 0.08) << cadence.bands[b].name;
  }
  // Same field, same visits: two positions 0.1 deg apart.
  const auto a = cg::surveys::field_visits(cadence, 100.05, -30.05, 5);
  const auto b = cg::surveys::field_visits(cadence, 100.15, -30.15, 5);
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i].mjd, b[i].mjd);
}

TEST(Transients, HostRatesFollowMassAndStarFormation) {
  const std::vector<TransientHost> hosts = {{1, 10.0, -20.0, 0.2, 1e11, 0.0},
                                            {2, 10.1, -20.1, 0.2, 1e9, 10.0}};
  cg::surveys::TransientConfig config;
  config.count = 20000;
  config.fractions = {0.5, 0.3, 0.2, 0.0, 0.0, 0.0};
  const auto drawn = cg::surveys::draw_transients(hosts, config, cosmo(), 3);
  long n_ia = 0, n_ia_passive = 0;
  for (const auto& t : drawn) {
    if (t.cls == TransientClass::kSNIa) {
      ++n_ia;
      n_ia_passive += (t.host_id == 1);
    } else {
      EXPECT_EQ(t.host_id, 2) << "core collapse in a passive host";
    }
  }
  const double a = 5.3e-14, b = 3.9e-4;
  const double p = a * 1e11 / (a * 1e11 + a * 1e9 + b * 10.0);
  const double sigma = std::sqrt(p * (1.0 - p) / n_ia);
  EXPECT_NEAR(static_cast<double>(n_ia_passive) / n_ia, p, 3.0 * sigma);
  // The other host-rate models, and the 1/(1+z) of observer-frame rates.
  const TransientHost dwarf{3, 0.0, 0.0, 1.0, 1e8, 1.0}, big{4, 0.0, 0.0, 1.0, 1e10, 1.0};
  EXPECT_NEAR(cg::surveys::host_rate_weight(TransientClass::kSLSN, dwarf) /
                  cg::surveys::host_rate_weight(TransientClass::kSLSN, big),
              10.0, 1e-12);
  EXPECT_DOUBLE_EQ(cg::surveys::host_rate_weight(TransientClass::kTDE, big), 0.5);
  EXPECT_DOUBLE_EQ(cg::surveys::host_rate_weight(TransientClass::kTDE, dwarf), 0.0);
  EXPECT_DOUBLE_EQ(cg::surveys::host_rate_weight(TransientClass::kAGN, big), 0.5e10);
  EXPECT_DOUBLE_EQ(cg::surveys::host_rate_weight(TransientClass::kAGN, dwarf), 0.0);
}

TEST(Transients, ClassFractionsAndParameterRanges) {
  const auto hosts = mixed_hosts(400);
  cg::surveys::TransientConfig config;
  config.count = 20000;
  config.first_object_id = 500;
  const auto drawn = cg::surveys::draw_transients(hosts, config, cosmo(), 21);
  ASSERT_EQ(drawn.size(), 20000u);
  std::vector<double> count(cg::surveys::kNumTransientClasses), mag(count), mag2(count);
  const double end = config.survey_start_mjd + config.survey_duration_days;
  for (const auto& t : drawn) {
    const auto c = static_cast<std::size_t>(t.cls);
    const auto& m = cg::surveys::transient_class_model(t.cls);
    count[c] += 1.0;
    mag[c] += t.peak_abs_mag;
    mag2[c] += t.peak_abs_mag * t.peak_abs_mag;
    const auto host = std::find_if(hosts.begin(), hosts.end(),
                                   [&](const TransientHost& h) { return h.id == t.host_id; });
    ASSERT_NE(host, hosts.end());
    EXPECT_GT(cg::surveys::host_rate_weight(t.cls, *host), 0.0);
    EXPECT_EQ(t.z, host->z);
    if (cg::surveys::is_explosive(t.cls)) {
      EXPECT_GE(t.tau_rise_days, m.tau_rise_days.lo);
      EXPECT_LE(t.tau_rise_days, m.tau_rise_days.hi);
      EXPECT_GE(t.tau_fall_days, m.tau_fall_days.lo);
      EXPECT_LE(t.tau_fall_days, m.tau_fall_days.hi);
      EXPECT_GE(t.t_bb_peak_k, m.t_bb_peak_k.lo);
      EXPECT_LE(t.t_bb_peak_k, m.t_bb_peak_k.hi);
      EXPECT_GE(t.peak_mjd, config.survey_start_mjd - config.peak_margin_days);
      EXPECT_LE(t.peak_mjd, end + config.peak_margin_days);
    } else {
      EXPECT_TRUE(std::isnan(t.peak_mjd));
      EXPECT_GE(t.drw_tau_days, m.drw_tau_days.lo);
      EXPECT_LE(t.drw_tau_days, m.drw_tau_days.hi);
      EXPECT_GE(t.drw_sf_inf_mag, m.drw_sf_inf_mag.lo);
      EXPECT_LE(t.drw_sf_inf_mag, m.drw_sf_inf_mag.hi);
    }
  }
  for (std::size_t c = 0; c < count.size(); ++c) {
    const auto& m = cg::surveys::transient_class_model(static_cast<TransientClass>(c));
    const double p = config.fractions[c], n = static_cast<double>(drawn.size());
    EXPECT_NEAR(count[c], n * p, 3.0 * std::sqrt(n * p * (1.0 - p))) << m.name;
    const double mean = mag[c] / count[c], sd = std::sqrt(mag2[c] / count[c] - mean * mean);
    EXPECT_NEAR(mean, m.abs_mag_mean, 4.0 * m.abs_mag_sd / std::sqrt(count[c])) << m.name;
    EXPECT_NEAR(sd / m.abs_mag_sd, 1.0, 0.1) << m.name;
  }
}

TEST(Transients, ObservedLightCurvesMatchTheModel) {
  const auto hosts = mixed_hosts(50);
  cg::surveys::TransientConfig config;
  config.count = 300;
  const auto drawn = cg::surveys::draw_transients(hosts, config, cosmo(), 8);
  const cg::surveys::Cadence cadence;
  const auto rows = cg::surveys::observe_light_curves(drawn, cadence, 8);
  ASSERT_FALSE(rows.empty());
  long detected = 0;
  std::size_t k = 0;
  for (const auto& p : rows) {
    while (drawn[k].object_id != p.object_id) ++k;  // rows are grouped in input order
    const Transient& t = drawn[k];
    EXPECT_EQ(p.band, cadence.bands[static_cast<std::size_t>(p.passband)].name);
    EXPECT_EQ(p.detected, p.flux / p.flux_err >= 5.0);
    detected += p.detected;
    const double model = cg::surveys::model_flux(
        t, p.mjd, cadence.bands[static_cast<std::size_t>(p.passband)].lambda_eff_angstrom);
    if (cg::surveys::is_explosive(t.cls)) {
      EXPECT_DOUBLE_EQ(p.true_flux, model);
    } else {  // the DRW offset stays within ~ 8 sigma of SF_inf / sqrt(2)
      EXPECT_LT(std::fabs(2.5 * std::log10(p.true_flux / model)), 8.0 * t.drw_sf_inf_mag);
    }
  }
  EXPECT_GT(detected, 100);
}

TEST(Transients, ReproducibleAndOrderIndependent) {
  const auto hosts = mixed_hosts(60);
  cg::surveys::TransientConfig config;
  config.count = 200;
  const auto a = cg::surveys::draw_transients(hosts, config, cosmo(), 99);
  const auto b = cg::surveys::draw_transients(hosts, config, cosmo(), 99);
  config.count = 100;
  config.first_object_id = 100;
  const auto tail = cg::surveys::draw_transients(hosts, config, cosmo(), 99);
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].host_id, b[i].host_id);
    EXPECT_EQ(a[i].peak_abs_mag, b[i].peak_abs_mag);
    if (i >= 100) {
      EXPECT_EQ(a[i].tau_fall_days, tail[i - 100].tau_fall_days);
    }
  }
  const cg::surveys::Cadence cadence;
  const auto rows = cg::surveys::observe_light_curves(a, cadence, 5);
  const auto again = cg::surveys::observe_light_curves(a, cadence, 5);
  const std::vector<Transient> reversed(a.rbegin(), a.rend());
  const auto rev_rows = cg::surveys::observe_light_curves(reversed, cadence, 5);
  ASSERT_EQ(rows.size(), again.size());
  ASSERT_EQ(rows.size(), rev_rows.size());
  for (std::size_t i = 0; i < rows.size(); ++i) EXPECT_EQ(rows[i].flux, again[i].flux);
  // The last object's rows come first in the reversed run, bit for bit.
  std::vector<double> last, first_rev;
  for (const auto& p : rows)
    if (p.object_id == a.back().object_id) last.push_back(p.flux);
  for (const auto& p : rev_rows)
    if (p.object_id == a.back().object_id) first_rev.push_back(p.flux);
  EXPECT_EQ(last, first_rev);
  const auto other = cg::surveys::draw_transients(hosts, config, cosmo(), 100);
  EXPECT_NE(other[0].peak_abs_mag, tail[0].peak_abs_mag);
}

TEST(Transients, BadInputsNameTheField) {
  std::vector<TransientHost> hosts = {{1, 10.0, 0.0, -1.0, 1e10, 1.0}};
  cg::surveys::TransientConfig config;
  EXPECT_NE(thrown_message([&] {
              cg::surveys::draw_transients(hosts, config, cosmo(), 1);
            }).find("hosts[0].z = -1"),
            std::string::npos);
  hosts[0].z = 0.1;
  hosts[0].sfr = 0.0;  // passive only: no core-collapse host
  EXPECT_NE(thrown_message([&] {
              cg::surveys::draw_transients(hosts, config, cosmo(), 1);
            }).find("fractions[SNII] > 0 but no host"),
            std::string::npos);
  config.fractions[0] = -0.1;
  EXPECT_NE(thrown_message([&] { config.validate(); }).find("fractions[SNIa] = -0.1"),
            std::string::npos);
  cg::surveys::Cadence cadence;
  cadence.season_days = 400.0;
  EXPECT_NE(thrown_message([&] { cadence.validate(); }).find("season_days = 400"),
            std::string::npos);
  cadence = cg::surveys::Cadence{};
  cadence.bands[2].revisit_days = 0.0;
  EXPECT_NE(thrown_message([&] { cadence.validate(); }).find("bands[2].revisit_days = 0"),
            std::string::npos);
  EXPECT_NE(thrown_message([] { cg::surveys::builtin_cadence("lsst"); }).find("lsst_wfd"),
            std::string::npos);
  EXPECT_NE(thrown_message([] { cg::surveys::transient_class_from_name("Ia"); }).find("SNIa"),
            std::string::npos);
  EXPECT_NE(
      thrown_message([] { cg::surveys::bazin_peak_offset(5.0, 4.0); }).find("tau_fall_days = 4"),
      std::string::npos);
  EXPECT_EQ(cg::surveys::transient_class_from_name("SLSN-I"), TransientClass::kSLSN);
  EXPECT_EQ(cg::surveys::plasticc_target(TransientClass::kTDE), 15);
  EXPECT_EQ(cg::surveys::builtin_cadence("lsst_ddf").bands[1].m5_mean, 26.0);
}
