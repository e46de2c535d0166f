// Template-fit photometric redshifts: the classical baseline of BPZ (Benitez 2000, ApJ 536, 571)
// and LePhare (Arnouts et al. 1999; Ilbert et al. 2006) with a flat prior, in two variants.
//
// Models. A model is a rest-frame SED (a template) at a redshift z of the fit grid; its fluxes
// F_mb in the sample's bands are known up to one amplitude (the stellar mass and the distance):
// F_mb = 10^(-0.4 t_b) with t_b the emulator's quantity (sed_emulator.hpp: AB magnitude of the
// template per Msun at d_L = 10 pc, observed frame at z), each model normalised to mean flux 1.
//  - "classic": kClassicTemplateCount parametric SEDs spanning quiescent to starburst (in the
//    spirit of the CWW + Kinney sets of BPZ: E, S0, Sa, Sbc, Scd, Irr, starbursts, a dusty and a
//    post-starburst one), t_b by the direct calculation (parametric_sed + ab_magnitudes) at
//    every grid redshift.
//  - "emulated": the product grid of log10 sSFR x log10 age x A_V x Z of TemplateFitOptions, t_b
//    from the SED emulator. This is the mock's own generative family (parametric_sed), so the
//    fit has the right model family -- the honest best case of template fitting -- but it is not
//    the truth: the grid is coarse, the mock's mass-dependent dust and metallicity and its
//    age-sSFR relation are not imposed, the emulator adds ~0.01 mag errors and the amplitude is
//    free. Templates older than the universe at z (flat LCDM of the sample's Omega_m, h) are
//    excluded when age_limit (LePhare does the same).
//  - "fine_direct": the same fine grid by the direct calculation (slow; the reference that
//    isolates the emulator's own effect on the fit).
//
// Fit. For galaxy g with fluxes f_b and errors s_b [nJy] (negative fluxes kept: the chi^2 is in
// flux space; bands with a non-finite flux or error are skipped) the weights are
// w_b = 1 / (s_b^2 + (eps f_b)^2) with eps = flux_error_floor, a template error added in
// quadrature (as LePhare's systematic error; Brammer et al. 2008, ApJ 686, 1503, sec. 2.2). The
// chi^2 of model m, sum_b w_b (f_b - a F_mb)^2, is minimised analytically over the amplitude
// a >= 0 (Benitez 2000, eq. 3 with a flat amplitude prior):
//   a* = sum_b w_b f_b F_mb / sum_b w_b F_mb^2,  chi2_min = sum_b w_b f_b^2 - a* sum_b w_b f_b F_mb
// (a* < 0 is clamped to 0, chi2_min = sum_b w_b f_b^2). Then, with a flat prior in z and equal
// weight for every template (the grid's spacing is the implied prior over SED parameters),
//   p(z) proportional to sum_templates exp(-chi2_min(template, z) / 2)
// on the fit grid = the output RedshiftGrid, normalised to integrate to 1.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "surveys/mocks/filters.hpp"
#include "surveys/properties/photometry_sample.hpp"
#include "surveys/properties/redshift_pdf.hpp"
#include "surveys/properties/sed_emulator.hpp"

namespace cosmograd::surveys {

/// Number of templates of the classic set.
inline constexpr int kClassicTemplateCount = 10;

/// Options of template_fit_pdfs.
struct TemplateFitOptions {
  /// "classic" (direct calculation), "emulated" (fine grid by the emulator) or "fine_direct"
  /// (the fine grid by the direct calculation).
  std::string templates = "classic";
  RedshiftGrid grid;                ///< output grid, also the fit's redshift grid
  std::string filter_set = "lsst";  ///< builtin_filters set of the classic models' bands
  double flux_error_floor = 0.02;   ///< template error eps, fraction of the flux (>= 0)
  // The emulated grid (uniform in each listed coordinate, both ends included):
  int ssfr_points = 10;         ///< log10 sSFR values
  double log_ssfr_min = -13.0;  ///< lowest log10 sSFR [log10 1/yr]
  double log_ssfr_max = -8.5;   ///< highest log10 sSFR [log10 1/yr]
  int age_points = 8;           ///< ages, uniform in log10 age
  double age_min_gyr = 0.1;     ///< youngest [Gyr]
  double age_max_gyr = 12.0;    ///< oldest [Gyr]
  int dust_points = 8;          ///< A_V values
  double dust_max = 2.1;        ///< largest A_V [mag] (the smallest is 0)
  std::vector<double> metallicities = {0.008, 0.02, 0.04};  ///< Z values
  bool age_limit = true;  ///< emulated, fine_direct: drop templates older than the universe at z
  /// Templates of the emulated grid timed with the direct calculation to estimate its grid
  /// time (0: none; >= the grid's templates: all of them, an exact time).
  int direct_timing_templates = 16;
  /// Throws std::invalid_argument naming the field, its value and what is allowed.
  void validate() const;
};

/// Times and sizes of one template fit.
struct TemplateFitReport {
  double grid_seconds = 0;    ///< building the model grid (direct or emulated) [s]
  double fit_seconds = 0;     ///< the chi^2 fits [s]
  std::size_t models = 0;     ///< templates x redshifts
  std::size_t templates = 0;  ///< templates
  /// Emulated: time the direct calculation takes for the same grid [s] (measured on
  /// direct_timing_templates templates and scaled to all; 0 when not measured).
  double direct_grid_seconds = 0;
  bool direct_grid_extrapolated = false;  ///< whether direct_grid_seconds was scaled up
  /// Emulated: median and max |t_emulated - t_direct| over the directly computed models [mag].
  double grid_median_abs_dm = 0, grid_max_abs_dm = 0;
};

/// One template: its SED parameters (stellar mass 1 Msun, SFR = sSFR).
struct FitTemplate {
  std::string name;    ///< label, e.g. "E" or "ssfr-10.5_age1.0_av0.3_z0.020"
  double log_ssfr;     ///< log10 sSFR [log10 1/yr]
  double age_gyr;      ///< age of the evolved population [Gyr]
  double dust_av;      ///< A_V [mag]
  double metallicity;  ///< Z
};

/// The classic set (kClassicTemplateCount templates, quiescent to starburst).
std::vector<FitTemplate> classic_templates();
/// The emulated product grid of `options` (ssfr x age x dust x Z, Z fastest).
std::vector<FitTemplate> emulated_templates(const TemplateFitOptions& options);

/// Models on a redshift grid: T templates x G redshifts x B bands.
struct TemplateGrid {
  std::vector<FitTemplate> templates;  ///< the T templates
  RedshiftGrid grid;                   ///< the G redshifts
  std::vector<std::string> bands;      ///< the B band names, order of `flux`
  std::vector<double> flux;            ///< F_mb, mean 1 over bands per model (T * G * B, row-major)
  std::vector<std::uint8_t> allowed;   ///< 1: model enters the fit (T * G)
};

/// Builds the grid: the direct calculation when emulator is null, else the emulator's t_b
/// (bands in the emulator's order; filter_set names the direct calculation's filters).
/// `age_of_universe_gyr(z)` (may be empty: no limit) excludes templates older than it.
TemplateGrid build_template_grid(const std::vector<FitTemplate>& templates,
                                 const RedshiftGrid& grid, const std::string& filter_set,
                                 SedEmulator* emulator, bool age_limit, double omega_m,
                                 double hubble);

/// Best amplitude and chi^2 of one model.
struct AmplitudeFit {
  double amplitude = 0;  ///< a* >= 0 [flux units of f per model unit]
  double chi2 = 0;       ///< chi^2 at a*
};

/// a* and chi2_min of fluxes f with weights w (1 / variance; 0 skips a band) against model F
/// (all B long), the analytic minimum over a >= 0 of the file comment (Benitez 2000, eq. 3).
AmplitudeFit best_fit_amplitude(const std::vector<double>& f, const std::vector<double>& w,
                                const std::vector<double>& model);

/// p(z) of `rows` of `sample` against a prepared grid (its bands must all be in the sample);
/// OpenMP-parallel over galaxies. Terms of the template sum below e^-40 of the largest at that z
/// are dropped.
RedshiftPdfs template_grid_pdfs(const PhotometrySample& sample,
                                const std::vector<std::size_t>& rows, const TemplateGrid& models,
                                const TemplateFitOptions& options);

/// p(z) of the rows `rows` of `sample`; emulator may be null only for "classic". report (may
/// be null) receives the times and sizes.
RedshiftPdfs template_fit_pdfs(const PhotometrySample& sample, const std::vector<std::size_t>& rows,
                               const TemplateFitOptions& options, SedEmulator* emulator,
                               TemplateFitReport* report);

}  // namespace cosmograd::surveys
