// Light curves of `cosmograd mock lightcurves` (PLAsTiCC columns, Kessler et al. 2019, PASP 131,
// 094501) in memory for the transient classifiers: one LightCurve per object with its truth,
// truncation at a time (partial curves), the evaluation phases (full curve, at the true peak,
// before it) and the observation window the classifiers read.
//
// Phases: full = every observation; at peak = observations with mjd <= true_peakmjd (the
// rest-frame B peak of the metadata); before peak = mjd <= true_peakmjd - before_days (observer
// days). AGN have no peak (NaN): their cut is a pseudo-peak drawn uniform in [first visit - 50 d,
// last visit + 50 d] from a hash of the object id (as the SNe's peaks are drawn uniform over the
// survey plus 50-day margins, surveys/mocks/transients.hpp), then the same offsets.
//
// Window: a light curve covers every visit of a 3-year survey (~450 points, most of them
// non-detections far from the event). The classifiers read only the observations in
// [first detection - pre_days, first detection + post_days] of the (possibly truncated) curve;
// without any detection, the last pre_days before its last observation. The window uses only
// the data up to the cut, so truncated curves stay causal.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace cosmograd::surveys {

/// One visit of one object (a PLAsTiCC observation row).
struct LightCurveObs {
  double mjd = 0.0;       ///< time [MJD]
  int band = 0;           ///< passband index 0..5 = u g r i z y
  double flux = 0.0;      ///< measured flux [FLUXCAL, zero point 27.5]
  double flux_err = 0.0;  ///< 1-sigma error [FLUXCAL], > 0
  bool detected = false;  ///< flux / flux_err >= 5
};

/// One object's light curve (observations sorted by time) with its truth.
struct LightCurve {
  std::int64_t object_id = 0;      ///< PLAsTiCC object_id
  int label = 0;                   ///< class index (surveys::TransientClass order), 0..5
  double z = 0.0;                  ///< host redshift (hostgal_specz)
  double peak_mjd = 0.0;           ///< true rest-B peak time [MJD]; NaN for AGN
  std::vector<LightCurveObs> obs;  ///< visits, increasing mjd
};

/// Number of light-curve classes (TransientClass: SNIa, SNII, SNIbc, SLSN-I, TDE, AGN).
inline constexpr int kLightCurveClasses = 6;
/// Number of passbands (ugrizy).
inline constexpr int kLightCurveBands = 6;

/// A set of light curves and the span of its visits.
struct LightCurveSet {
  std::vector<LightCurve> curves;  ///< one per metadata row, in file order
  double first_mjd = 0.0;          ///< earliest visit of any object [MJD]
  double last_mjd = 0.0;           ///< latest visit of any object [MJD]
};

/// Reads `path` (a lightcurves.h5 of `cosmograd mock lightcurves`, or its directory): tables
/// `metadata` (object_id, class_name, hostgal_specz, true_peakmjd) and `observations`
/// (object_id, mjd, passband, flux, flux_err, detected_bool). Throws std::invalid_argument
/// naming the file and the missing table, column or bad value (unknown object, passband outside
/// 0..5, flux_err <= 0).
LightCurveSet read_light_curves(const std::string& path);

/// The observations of `lc` with mjd <= cut_mjd [MJD] (all of them for cut = +inf).
LightCurve truncate_light_curve(const LightCurve& lc, double cut_mjd);

/// Number of detected observations (S/N >= 5) of `lc`.
int count_detections(const LightCurve& lc);

/// The evaluation phases of a light curve.
enum class LightCurvePhase { kFull, kAtPeak, kBeforePeak };
/// "full", "at_peak", "before_peak".
std::string light_curve_phase_name(LightCurvePhase phase);

/// The peak time [MJD] the truncations are measured from: the true peak, or for AGN (NaN peak)
/// a pseudo-peak uniform in [first_mjd - 50, last_mjd + 50] from a hash of the object id.
double reference_peak_mjd(const LightCurve& lc, double first_mjd, double last_mjd);

/// The cut [MJD] of `phase`: +inf (full), the reference peak, or the reference peak minus
/// before_days [observer days, >= 0].
double phase_cut_mjd(const LightCurve& lc, LightCurvePhase phase, double before_days,
                     double first_mjd, double last_mjd);

/// The observations the classifiers read (see the file comment): within [first detection -
/// pre_days, first detection + post_days] [days], or without detections the last pre_days.
LightCurve observation_window(const LightCurve& lc, double pre_days, double post_days);

}  // namespace cosmograd::surveys
