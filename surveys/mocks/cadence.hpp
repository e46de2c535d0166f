// Survey cadence and depth, and observing transients: visit times, 5-sigma depths, fluxes and
// flux errors in FLUXCAL units (PLAsTiCC/SNANA, zero point 27.5), as PLAsTiCC light-curve rows
// (Kessler et al. 2019, PASP 131, 094501).
//
// Sky fields: objects in the same field (a square of field_size_deg, about the LSST field of
// view of 9.6 deg^2, Ivezic et al. 2019, ApJ 873, 111) share the same visits and depths. A
// field is observable for season_days each year, centred on its opposition (the Sun's right
// ascension taken as uniform in time from the March equinox, i.e. ignoring the obliquity); in
// each band, visits within a season are a Poisson process of mean interval revisit_days, and
// each visit's m5 is N(m5_mean, m5_scatter).
//
// Noise: background-limited, so a source at the visit's m5 has S/N = 5:
// flux_err = 10^(-0.4 (m5 - 27.5)) / 5 [FLUXCAL], flux = true_flux + flux_err N(0, 1); no
// source Poisson term (it matters only for bright sources, S/N >~ 100).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "surveys/mocks/mock_random.hpp"
#include "surveys/mocks/transients.hpp"

namespace cosmograd::surveys {

/// One band of a cadence: where it is, how often it is visited and how deep a visit goes.
struct BandVisit {
  std::string name;                  ///< band name, e.g. "g"
  double lambda_eff_angstrom = 0.0;  ///< effective wavelength [Angstrom], > 0
  double revisit_days = 0.0;         ///< mean interval between visits in season [days], > 0
  double m5_mean = 0.0;              ///< mean single-visit 5-sigma point-source depth [AB mag]
  double m5_scatter = 0.0;           ///< Gaussian scatter of the depth between visits [mag]
};

/// LSST WFD-like bands ugrizy (lambda_eff 3671..9712 A; m5 23.9, 25.0, 24.7, 24.0, 23.3, 22.1
/// +- 0.3 mag; revisits 15, 10, 5, 5, 7, 8 days; Ivezic et al. 2019, ApJ 873, 111).
std::vector<BandVisit> lsst_wfd_bands();

/// A survey's cadence and depth model.
struct Cadence {
  double start_mjd = 60000.0;        ///< survey start [MJD]
  double duration_days = 3 * 365.0;  ///< survey length [days], > 0
  double season_days = 180.0;        ///< observable part of each year [days], (0, 365.25]
  double field_size_deg = 3.1;       ///< side of a sky field [deg], in (0, 90]
  std::vector<BandVisit> bands = lsst_wfd_bands();  ///< bands; passband index = position here
  /// Throws std::invalid_argument naming the field, its value and what is allowed.
  void validate() const;
};

/// Built-in cadences by name: "lsst_wfd" (the defaults) and "lsst_ddf" (deep drilling: visits
/// every 2-4 days in each band, nightly depth 1 mag deeper). Unknown names throw, listing these.
Cadence builtin_cadence(const std::string& name);
/// Names accepted by builtin_cadence.
std::vector<std::string> builtin_cadence_names();

/// One visit of a field in one band.
struct Visit {
  double mjd = 0.0;  ///< time [MJD]
  int passband = 0;  ///< index into Cadence::bands
  double m5 = 0.0;   ///< this visit's 5-sigma depth [AB mag]
};

/// Id of the sky field containing (ra_deg, dec_deg) [deg]: declination bands of
/// field_size_deg, each cut into floor(360 cos(dec) / field_size_deg) right-ascension cells.
std::int64_t cadence_field_id(const Cadence& cadence, double ra_deg, double dec_deg);

/// All visits of the field containing (ra_deg, dec_deg) [deg] within the survey, sorted by
/// time then passband, drawn from MockRng(seed, kCadence, field id).
std::vector<Visit> field_visits(const Cadence& cadence, double ra_deg, double dec_deg,
                                std::uint64_t seed);

/// Background-limited flux error [FLUXCAL] of a visit of depth m5 [AB mag]:
/// 10^(-0.4 (m5 - 27.5)) / 5 (S/N = 5 at m5).
double flux_error_fluxcal(double m5);

/// One PLAsTiCC light-curve row (object_id, mjd, passband, flux, flux_err, detected_bool).
struct LightCurvePoint {
  std::int64_t object_id = 0;  ///< Transient::object_id
  double mjd = 0.0;            ///< time [MJD]
  int passband = 0;            ///< index into Cadence::bands (0..5 for ugrizy)
  std::string band;            ///< band name
  double flux = 0.0;           ///< observed flux [FLUXCAL]
  double flux_err = 0.0;       ///< its 1-sigma error [FLUXCAL]
  double true_flux = 0.0;      ///< noiseless model flux [FLUXCAL]
  bool detected = false;       ///< flux / flux_err >= 5
};

/// Rows of `object_id` at `visits` with noiseless fluxes `true_flux` [FLUXCAL] (one per visit),
/// flux = true + flux_err N(0,1) with one normal from `noise` per visit, in order.
std::vector<LightCurvePoint> noisy_points(std::int64_t object_id, const Cadence& cadence,
                                          const std::vector<Visit>& visits,
                                          const std::vector<double>& true_flux, MockRng& noise);

/// Observes every transient at all visits of its field within the survey (non-detections
/// kept), rows grouped by object in input order, then by time. Each object's AGN DRW (first)
/// and noise come from MockRng(seed, kLightCurveNoise, object_id); visits from field_visits.
std::vector<LightCurvePoint> observe_light_curves(const std::vector<Transient>& transients,
                                                  const Cadence& cadence, std::uint64_t seed);

}  // namespace cosmograd::surveys
