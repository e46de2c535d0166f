// Features of the feature-based transient classifier (the baseline beside the GRU): a joint
// Bazin fit (bazin_fit.hpp; Bazin et al. 2009, A&A 499, 653) of a light curve's observation
// window (lightcurve_data.hpp), summarised as in the PLAsTiCC feature classifiers (Lochner et al.
// 2016, ApJS 225, 31; Boone 2019, AJ 158, 257): fitted rise and fall times, per-band model
// peak fluxes and their colours, baselines, fit quality, counts, the variability of the raw
// points, and optionally the host redshift.
#pragma once

#include <string>
#include <vector>

#include "surveys/discovery/bazin_fit.hpp"
#include "surveys/discovery/lightcurve_data.hpp"

namespace cosmograd::surveys {

/// Names of the features of transient_features, in order (with or without the redshift).
std::vector<std::string> transient_feature_names(bool with_redshift);

/// The features of a light curve (already windowed and truncated as wanted), all finite:
/// a failed or impossible fit (fewer points than parameters) gives the sentinel values of
/// the shape features (tau_rise 3 d, tau_fall 30 d, zero amplitudes) and flag bits as a
/// feature. `fit` (when not null) receives the Bazin fit.
std::vector<double> transient_features(const LightCurve& lc, bool with_redshift,
                                       const BazinFitOptions& options = {},
                                       BazinFit* fit = nullptr);

}  // namespace cosmograd::surveys
