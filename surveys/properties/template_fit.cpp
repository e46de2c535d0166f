// Template-fit photometric redshifts (see template_fit.hpp).
#include "surveys/properties/template_fit.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <limits>
#include <stdexcept>

#include "sim/core/require.hpp"
#include "sim/cosmo/cosmology.hpp"
#include "surveys/mocks/photometry.hpp"
#include "surveys/mocks/sed.hpp"

namespace cosmograd::surveys {
namespace {

using Clock = std::chrono::steady_clock;

/// Wall time since t0 [s].
double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

/// t_b [AB mag per Msun at 10 pc] of every template at every grid redshift by the direct
/// calculation (one parametric_sed per template, ab_magnitudes per redshift): T * G * B.
std::vector<double> direct_grid_magnitudes(const std::vector<FitTemplate>& templates,
                                           const RedshiftGrid& grid,
                                           const std::vector<Filter>& filters) {
  const std::size_t nb = filters.size(), ng = static_cast<std::size_t>(grid.points);
  std::vector<double> t(templates.size() * ng * nb);
  for (std::size_t k = 0; k < templates.size(); ++k) {
    const FitTemplate& p = templates[k];
    const Sed sed = parametric_sed(
        SedParams{1.0, std::pow(10.0, p.log_ssfr), p.age_gyr, p.dust_av, p.metallicity});
    for (std::size_t j = 0; j < ng; ++j) {
      const std::vector<double> m = ab_magnitudes(sed, grid.z(static_cast<int>(j)), 1e-5, filters);
      std::copy(m.begin(), m.end(), t.begin() + static_cast<std::ptrdiff_t>((k * ng + j) * nb));
    }
  }
  return t;
}

/// The emulator's t_b of every template at every grid redshift: T * G * B.
std::vector<double> emulated_grid_magnitudes(const std::vector<FitTemplate>& templates,
                                             const RedshiftGrid& grid, SedEmulator& emulator) {
  std::vector<SedPoint> points;
  points.reserve(templates.size() * static_cast<std::size_t>(grid.points));
  for (const FitTemplate& p : templates)
    for (int j = 0; j < grid.points; ++j)
      points.push_back({p.log_ssfr, p.age_gyr, p.dust_av, p.metallicity, grid.z(j)});
  return emulator->predict(points);
}

/// Fluxes 10^(-0.4 t) of each model normalised to mean 1 over bands (non-finite t: flux 0).
std::vector<double> model_fluxes(const std::vector<double>& t, std::size_t nb) {
  std::vector<double> f(t.size());
  for (std::size_t m = 0; m < t.size() / nb; ++m) {
    double sum = 0;
    for (std::size_t b = 0; b < nb; ++b) {
      const double v = t[m * nb + b];
      f[m * nb + b] = std::isfinite(v) ? std::pow(10.0, -0.4 * (v - 20.0)) : 0.0;
      sum += f[m * nb + b];
    }
    for (std::size_t b = 0; b < nb; ++b) f[m * nb + b] = sum > 0 ? f[m * nb + b] * nb / sum : 0.0;
  }
  return f;
}

/// printf-style formatting of four numbers (a template name).
std::string fmt(const char* format, double a, double b, double c, double d) {
  char buf[96];
  std::snprintf(buf, sizeof buf, format, a, b, c, d);
  return buf;
}

}  // namespace

void TemplateFitOptions::validate() const {
  if (templates != "classic" && templates != "emulated" && templates != "fine_direct")
    throw std::invalid_argument("templates = '" + templates +
                                "': must be classic (direct calculation), emulated or "
                                "fine_direct");
  grid.validate();
  builtin_filters(filter_set);
  sim::require(flux_error_floor >= 0 && flux_error_floor <= 1, "flux_error_floor", flux_error_floor,
               "in [0, 1] (fraction of the flux)");
  sim::require(ssfr_points >= 1 && ssfr_points <= 200, "ssfr_points", ssfr_points, "in [1, 200]");
  sim::require(std::isfinite(log_ssfr_min) && log_ssfr_min <= log_ssfr_max && log_ssfr_max <= -6,
               "log_ssfr_max", log_ssfr_max, ">= log_ssfr_min and <= -6 [log10 1/yr]");
  sim::require(age_points >= 1 && age_points <= 200, "age_points", age_points, "in [1, 200]");
  sim::require(age_min_gyr >= 0.1, "age_min_gyr", age_min_gyr, ">= 0.1 [Gyr]");
  sim::require(age_max_gyr >= age_min_gyr && age_max_gyr <= 13.8, "age_max_gyr", age_max_gyr,
               ">= age_min_gyr and <= 13.8 [Gyr]");
  sim::require(dust_points >= 1 && dust_points <= 200, "dust_points", dust_points, "in [1, 200]");
  sim::require(dust_max >= 0 && dust_max <= 10, "dust_max", dust_max, "in [0, 10] [mag]");
  sim::require(!metallicities.empty(), "metallicities", 0, "at least one value");
  for (std::size_t i = 0; i < metallicities.size(); ++i)
    sim::require(metallicities[i] >= 1e-4 && metallicities[i] <= 0.05,
                 "metallicities[" + std::to_string(i) + "]", metallicities[i], "in [1e-4, 0.05]");
  sim::require(direct_timing_templates >= 0, "direct_timing_templates", direct_timing_templates,
               ">= 0");
}

std::vector<FitTemplate> classic_templates() {
  // Parametric stand-ins for the Coleman, Wu & Weedman (1980) E, Sbc, Scd, Im and the Kinney et
  // al. (1996) starburst templates of BPZ, plus an S0, an Sa, a dusty star-forming and a
  // post-starburst SED: (log10 sSFR [1/yr], age [Gyr], A_V [mag], Z).
  return {{"E", -13.0, 10.0, 0.0, 0.02},      {"S0", -12.0, 8.0, 0.1, 0.02},
          {"Sa", -11.0, 6.0, 0.3, 0.02},      {"Sbc", -10.3, 4.0, 0.5, 0.02},
          {"Scd", -9.8, 2.5, 0.6, 0.015},     {"Irr", -9.3, 1.0, 0.3, 0.008},
          {"SB1", -8.7, 0.3, 0.2, 0.008},     {"SB2", -8.7, 0.3, 1.0, 0.01},
          {"dusty_SF", -9.5, 1.0, 2.0, 0.02}, {"post_SB", -12.0, 1.0, 0.2, 0.02}};
}

std::vector<FitTemplate> emulated_templates(const TemplateFitOptions& o) {
  o.validate();
  const auto at = [](double lo, double hi, int n, int i) {
    return n == 1 ? lo : lo + (hi - lo) * i / (n - 1);
  };
  std::vector<FitTemplate> out;
  for (int s = 0; s < o.ssfr_points; ++s)
    for (int a = 0; a < o.age_points; ++a)
      for (int d = 0; d < o.dust_points; ++d)
        for (double metal : o.metallicities) {
          FitTemplate t;
          t.log_ssfr = at(o.log_ssfr_min, o.log_ssfr_max, o.ssfr_points, s);
          t.age_gyr = std::pow(
              10.0, at(std::log10(o.age_min_gyr), std::log10(o.age_max_gyr), o.age_points, a));
          t.age_gyr = std::clamp(t.age_gyr, o.age_min_gyr, o.age_max_gyr);
          t.dust_av = at(0.0, o.dust_max, o.dust_points, d);
          t.metallicity = metal;
          t.name = fmt("ssfr%.2f_age%.3f_av%.2f_z%.4f", t.log_ssfr, t.age_gyr, t.dust_av, metal);
          out.push_back(t);
        }
  return out;
}

TemplateGrid build_template_grid(const std::vector<FitTemplate>& templates,
                                 const RedshiftGrid& grid, const std::string& filter_set,
                                 SedEmulator* emulator, bool age_limit, double omega_m,
                                 double hubble) {
  grid.validate();
  sim::require(!templates.empty(), "templates", 0, "at least one template");
  TemplateGrid g;
  g.templates = templates;
  g.grid = grid;
  std::vector<double> t;
  std::size_t nb = 0;
  if (emulator == nullptr) {
    const std::vector<Filter> filters = builtin_filters(filter_set);
    for (const Filter& f : filters) g.bands.push_back(f.name);
    nb = filters.size();
    t = direct_grid_magnitudes(templates, grid, filters);
  } else {
    SedEmulator& em = *emulator;
    const SedPrior& prior = em->config().prior;
    sim::require(grid.z_min >= prior.z_min - 1e-9 && grid.z_max <= prior.z_max + 1e-9, "grid.z_max",
                 grid.z_max,
                 "inside the emulator's redshift range [" + std::to_string(prior.z_min) + ", " +
                     std::to_string(prior.z_max) + "] (and z_min likewise)");
    for (const FitTemplate& p : templates)
      if (!prior.contains({p.log_ssfr, p.age_gyr, p.dust_av, p.metallicity, prior.z_min}))
        throw std::invalid_argument(
            "template " + p.name + ": outside the emulator's training prior (log_ssfr [" +
            std::to_string(prior.log_ssfr_min) + ", " + std::to_string(prior.log_ssfr_max) +
            "], age [" + std::to_string(prior.age_min_gyr) + ", " +
            std::to_string(prior.age_max_gyr) + "] Gyr, A_V [" + std::to_string(prior.dust_min) +
            ", " + std::to_string(prior.dust_max) + "], Z [" + std::to_string(prior.metal_min) +
            ", " + std::to_string(prior.metal_max) + "])");
    g.bands = em->config().bands;
    nb = g.bands.size();
    t = emulated_grid_magnitudes(templates, grid, em);
  }
  g.flux = model_fluxes(t, nb);
  const auto ng = static_cast<std::size_t>(grid.points);
  g.allowed.assign(templates.size() * ng, 1);
  if (age_limit) {
    sim::CosmologyParams cp = sim::planck2015();
    cp.Omega_m = omega_m;
    cp.h = hubble;
    cp.Omega_b = std::min(cp.Omega_b, 0.5 * omega_m);
    const sim::Cosmology cosmo(cp);
    for (std::size_t j = 0; j < ng; ++j) {
      const double age = cosmo.age(1.0 / (1.0 + grid.z(static_cast<int>(j))));
      for (std::size_t k = 0; k < templates.size(); ++k)
        if (templates[k].age_gyr > age) g.allowed[k * ng + j] = 0;
    }
  }
  return g;
}

AmplitudeFit best_fit_amplitude(const std::vector<double>& f, const std::vector<double>& w,
                                const std::vector<double>& model) {
  sim::require(w.size() == f.size() && model.size() == f.size(), "model", model.size(),
               "as many values as fluxes and weights (" + std::to_string(f.size()) + ")");
  double ff = 0, fm = 0, mm = 0;
  for (std::size_t b = 0; b < f.size(); ++b) {
    ff += w[b] * f[b] * f[b];
    fm += w[b] * f[b] * model[b];
    mm += w[b] * model[b] * model[b];
  }
  AmplitudeFit out;
  out.amplitude = (fm > 0 && mm > 0) ? fm / mm : 0.0;  // Benitez 2000, eq. 3, a >= 0
  out.chi2 = ff - out.amplitude * fm;
  return out;
}

RedshiftPdfs template_grid_pdfs(const PhotometrySample& sample,
                                const std::vector<std::size_t>& rows, const TemplateGrid& models,
                                const TemplateFitOptions& options) {
  options.validate();
  const std::size_t nb = models.bands.size(), nt = models.templates.size();
  const auto ng = static_cast<std::size_t>(models.grid.points);
  const std::size_t nm = nt * ng;
  sim::require(models.flux.size() == nm * nb, "models.flux", models.flux.size(),
               "templates x redshifts x bands values");
  std::vector<std::size_t> column(nb);
  for (std::size_t b = 0; b < nb; ++b) column[b] = sample.band_index(models.bands[b]);
  const std::size_t sb = sample.band_count();
  for (std::size_t r : rows)
    sim::require(r < sample.count(), "rows", static_cast<double>(r),
                 "< the sample's " + std::to_string(sample.count()) + " galaxies");

  // Models regrouped redshift- then band-major, [G][B][T] (and their squares), so the inner
  // loops over templates vectorise; excluded models get a chi^2 of +infinity.
  std::vector<double> fz(nm * nb), f2z(nm * nb);
  std::vector<std::uint8_t> ok(nm);
  for (std::size_t k = 0; k < nt; ++k)
    for (std::size_t j = 0; j < ng; ++j) {
      ok[j * nt + k] = models.allowed[k * ng + j];
      for (std::size_t b = 0; b < nb; ++b) {
        const double v = models.flux[(k * ng + j) * nb + b];
        fz[(j * nb + b) * nt + k] = v;
        f2z[(j * nb + b) * nt + k] = v * v;
      }
    }
  RedshiftPdfs out;
  out.grid = models.grid;
  out.pdf.assign(rows.size() * ng, 0.0);
  const double eps = options.flux_error_floor;
  const double inf = std::numeric_limits<double>::infinity();
  const auto count = static_cast<std::ptrdiff_t>(rows.size());
#pragma omp parallel
  {
    std::vector<double> w(nb), fw(nb), logp(ng), num(nt), den(nt), chi2(nt);
#pragma omp for schedule(dynamic, 8)
    for (std::ptrdiff_t gi = 0; gi < count; ++gi) {
      const std::size_t r = rows[static_cast<std::size_t>(gi)];
      double ff = 0;
      for (std::size_t b = 0; b < nb; ++b) {
        w[b] = fw[b] = 0;
        const double f = sample.flux[r * sb + column[b]], s = sample.flux_err[r * sb + column[b]];
        if (!std::isfinite(f) || !(s > 0) || !std::isfinite(s)) continue;
        w[b] = 1.0 / (s * s + eps * eps * f * f);  // template error in quadrature
        fw[b] = w[b] * f;
        ff += fw[b] * f;
      }
      double best = -inf;
      for (std::size_t j = 0; j < ng; ++j) {
        std::fill(num.begin(), num.end(), 0.0);
        std::fill(den.begin(), den.end(), 0.0);
        for (std::size_t b = 0; b < nb; ++b) {
          const double* F = &fz[(j * nb + b) * nt];
          const double* F2 = &f2z[(j * nb + b) * nt];
          const double a = fw[b], c = w[b];
          for (std::size_t k = 0; k < nt; ++k) {
            num[k] += a * F[k];
            den[k] += c * F2[k];
          }
        }
        // Benitez 2000, eq. 3: chi2_min = sum w f^2 - (sum w f F)^2 / sum w F^2 for a* > 0,
        // sum w f^2 for a* <= 0.
        const std::uint8_t* allowed = &ok[j * nt];
        double c0 = inf;
        for (std::size_t k = 0; k < nt; ++k) {
          const double q = (num[k] > 0 && den[k] > 0) ? num[k] * num[k] / den[k] : 0.0;
          chi2[k] = allowed[k] ? ff - q : inf;
          c0 = std::min(c0, chi2[k]);
        }
        // log sum_T exp(-chi2 / 2) about the smallest chi^2 (terms below e^-40 dropped).
        double sum = 0;
        if (std::isfinite(c0))
          for (std::size_t k = 0; k < nt; ++k)
            if (chi2[k] - c0 < 80.0) sum += std::exp(-0.5 * (chi2[k] - c0));
        logp[j] = std::isfinite(c0) ? -0.5 * c0 + std::log(sum) : -inf;
        best = std::max(best, logp[j]);
      }
      double* row = out.pdf.data() + static_cast<std::size_t>(gi) * ng;
      for (std::size_t j = 0; j < ng; ++j)
        row[j] = std::isfinite(best) ? std::exp(logp[j] - best) : 0.0;
    }
  }
  out.normalise();
  return out;
}

RedshiftPdfs template_fit_pdfs(const PhotometrySample& sample, const std::vector<std::size_t>& rows,
                               const TemplateFitOptions& options, SedEmulator* emulator,
                               TemplateFitReport* report) {
  options.validate();
  const bool emulated = options.templates == "emulated";
  const bool fine = emulated || options.templates == "fine_direct";
  if (emulated && emulator == nullptr)
    throw std::invalid_argument(
        "templates = 'emulated' needs a SED emulator (give the model file of `cosmograd "
        "properties sed train`)");
  TemplateFitReport rep;
  const std::vector<FitTemplate> templates =
      fine ? emulated_templates(options) : classic_templates();
  auto t0 = Clock::now();
  const TemplateGrid grid = build_template_grid(
      templates, options.grid, options.filter_set, emulated ? emulator : nullptr,
      fine && options.age_limit, sample.omega_m, sample.hubble);
  rep.grid_seconds = seconds_since(t0);
  rep.templates = templates.size();
  rep.models = templates.size() * static_cast<std::size_t>(options.grid.points);
  if (emulated && options.direct_timing_templates > 0) {
    // A subset of templates, evenly spread through the grid, by the direct calculation.
    const std::size_t k = std::min<std::size_t>(
        static_cast<std::size_t>(options.direct_timing_templates), templates.size());
    std::vector<FitTemplate> subset;
    for (std::size_t i = 0; i < k; ++i) subset.push_back(templates[i * templates.size() / k]);
    const SedEmulator& em = *emulator;
    std::vector<Filter> filters;
    for (const std::string& band : em->config().bands) {
      const std::vector<Filter> all = builtin_filters(em->config().filter_set);
      for (const Filter& f : all)
        if (f.name == band) filters.push_back(f);
    }
    t0 = Clock::now();
    const std::vector<double> direct = direct_grid_magnitudes(subset, options.grid, filters);
    const double seconds = seconds_since(t0);
    rep.direct_grid_seconds = seconds * static_cast<double>(templates.size()) / k;
    rep.direct_grid_extrapolated = k < templates.size();
    const std::vector<double> emul = emulated_grid_magnitudes(subset, options.grid, *emulator);
    std::vector<double> dm;
    for (std::size_t i = 0; i < direct.size(); ++i)
      if (std::isfinite(direct[i])) dm.push_back(std::abs(emul[i] - direct[i]));
    if (!dm.empty()) {
      std::nth_element(dm.begin(), dm.begin() + static_cast<std::ptrdiff_t>(dm.size() / 2),
                       dm.end());
      rep.grid_median_abs_dm = dm[dm.size() / 2];
      rep.grid_max_abs_dm = *std::max_element(dm.begin(), dm.end());
    }
  }
  t0 = Clock::now();
  RedshiftPdfs pdfs = template_grid_pdfs(sample, rows, grid, options);
  rep.fit_seconds = seconds_since(t0);
  if (report != nullptr) *report = rep;
  return pdfs;
}

}  // namespace cosmograd::surveys
