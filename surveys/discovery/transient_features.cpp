// Bazin-fit features of light curves (see transient_features.hpp).
#include "surveys/discovery/transient_features.hpp"

#include <algorithm>
#include <cmath>

namespace cosmograd::surveys {
namespace {

constexpr const char* kBandNames[kLightCurveBands] = {"u", "g", "r", "i", "z", "y"};
/// Flux softening of the asinh features [FLUXCAL] (~ a 5-sigma WFD detection, m ~ 25).
constexpr double kFluxSoften = 10.0;

}  // namespace

std::vector<std::string> transient_feature_names(bool with_redshift) {
  std::vector<std::string> n = {"n_obs",           "n_det",         "det_span_days",
                                "ln_tau_rise",     "ln_tau_fall",   "ln1p_chi2_per_dof",
                                "fit_flags",       "asinh_max_snr", "peak_age_days",
                                "ln1p_variability"};
  for (const char* b : kBandNames) n.push_back(std::string("asinh_peak_") + b);
  for (int b = 0; b + 1 < kLightCurveBands; ++b)
    n.push_back(std::string("colour_") + kBandNames[b] + kBandNames[b + 1]);
  for (const char* b : kBandNames) n.push_back(std::string("asinh_base_") + b);
  if (with_redshift) n.push_back("host_z");
  return n;
}

std::vector<double> transient_features(const LightCurve& lc, bool with_redshift,
                                       const BazinFitOptions& options, BazinFit* fit_out) {
  const double t_ref = lc.obs.empty() ? 0.0 : lc.obs.front().mjd;
  std::vector<double> t, f, e;
  std::vector<int> b;
  int n_det = 0;
  double first_det = NAN, last_det = NAN, max_snr = 0;
  // Variability: chi2 per point about each band's weighted mean flux.
  std::vector<double> sw(kLightCurveBands, 0), swf(kLightCurveBands, 0);
  for (const LightCurveObs& o : lc.obs) {
    t.push_back(o.mjd - t_ref);
    f.push_back(o.flux);
    e.push_back(o.flux_err);
    b.push_back(o.band);
    if (o.detected) {
      ++n_det;
      if (std::isnan(first_det)) first_det = o.mjd;
      last_det = o.mjd;
    }
    max_snr = std::max(max_snr, o.flux / o.flux_err);
    const double w = 1.0 / (o.flux_err * o.flux_err);
    sw[static_cast<std::size_t>(o.band)] += w;
    swf[static_cast<std::size_t>(o.band)] += w * o.flux;
  }
  double var_chi2 = 0;
  for (const LightCurveObs& o : lc.obs) {
    const double m = swf[static_cast<std::size_t>(o.band)] / sw[static_cast<std::size_t>(o.band)];
    const double r = (o.flux - m) / o.flux_err;
    var_chi2 += r * r;
  }
  const BazinFit fit = fit_bazin(t, b, f, e, kLightCurveBands, options);
  if (fit_out != nullptr) *fit_out = fit;
  const bool ok = (fit.flags & kBazinTooFewPoints) == 0;
  const double t_last = t.empty() ? 0.0 : t.back();
  const double peak = ok ? fit.peak_time() : t_last;
  std::vector<double> x = {
      static_cast<double>(lc.obs.size()),
      static_cast<double>(n_det),
      n_det >= 2 ? last_det - first_det : 0.0,
      std::log(fit.tau_rise),
      std::log(fit.tau_fall),
      std::log1p(fit.dof > 0 ? fit.chi2 / fit.dof : 0.0),
      static_cast<double>(fit.flags),
      std::asinh(max_snr / 5.0),
      std::clamp(t_last - peak, -300.0, 300.0),
      std::log1p(lc.obs.empty() ? 0.0 : var_chi2 / static_cast<double>(lc.obs.size())),
  };
  std::vector<double> pk(kLightCurveBands, 0.0);
  const double s_peak = ok ? bazin_shape_at(peak, fit.t0, fit.tau_rise, fit.tau_fall) : 0.0;
  for (int k = 0; k < kLightCurveBands; ++k) {
    pk[static_cast<std::size_t>(k)] = fit.amplitude[static_cast<std::size_t>(k)] * s_peak;
    x.push_back(std::asinh(pk[static_cast<std::size_t>(k)] / kFluxSoften));
  }
  for (int k = 0; k + 1 < kLightCurveBands; ++k) {
    const double a = pk[static_cast<std::size_t>(k)], c = pk[static_cast<std::size_t>(k + 1)];
    x.push_back((a - c) / (std::abs(a) + std::abs(c) + kFluxSoften));
  }
  for (int k = 0; k < kLightCurveBands; ++k)
    x.push_back(std::asinh(fit.baseline[static_cast<std::size_t>(k)] / kFluxSoften));
  if (with_redshift) x.push_back(lc.z);
  for (double& v : x)
    if (!std::isfinite(v)) v = 0.0;
  return x;
}

}  // namespace cosmograd::surveys
