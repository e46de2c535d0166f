// Survey cadence, depths and noisy light-curve rows.
#include "surveys/mocks/cadence.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>

namespace cosmograd::surveys {
namespace {

constexpr double kYearDays = 365.2422;        // tropical year [days]
constexpr double kMarchEquinoxMjd = 60023.9;  // 2023 March 20, 21:24 UTC [MJD]

[[noreturn]] void bad(const std::string& field, double value, const std::string& allowed) {
  std::ostringstream msg;
  msg << field << " = " << value << ": " << allowed;
  throw std::invalid_argument(msg.str());
}

void validate_band(const BandVisit& b, std::size_t i) {
  const std::string f = "bands[" + std::to_string(i) + "].";
  if (b.name.empty()) throw std::invalid_argument(f + "name is empty: give each band a name");
  if (!(b.lambda_eff_angstrom > 0.0 && std::isfinite(b.lambda_eff_angstrom)))
    bad(f + "lambda_eff_angstrom", b.lambda_eff_angstrom, "must be finite and > 0");
  if (!(b.revisit_days > 0.0 && std::isfinite(b.revisit_days)))
    bad(f + "revisit_days", b.revisit_days, "must be finite and > 0");
  if (!std::isfinite(b.m5_mean)) bad(f + "m5_mean", b.m5_mean, "must be finite");
  if (!(b.m5_scatter >= 0.0 && std::isfinite(b.m5_scatter)))
    bad(f + "m5_scatter", b.m5_scatter, "must be finite and >= 0");
}

// Observable windows [first, second) of a field at right ascension ra_deg within the survey.
std::vector<std::pair<double, double>> season_windows(const Cadence& c, double ra_deg) {
  // Opposition: the Sun at right ascension ra + 180 deg.
  const double centre0 = kMarchEquinoxMjd + std::fmod(ra_deg + 180.0, 360.0) / 360.0 * kYearDays;
  const double end = c.start_mjd + c.duration_days;
  std::vector<std::pair<double, double>> out;
  const double k0 = std::floor((c.start_mjd - centre0) / kYearDays) - 1.0;
  for (double k = k0;; k += 1.0) {
    const double centre = centre0 + k * kYearDays;
    const double lo = std::max(c.start_mjd, centre - 0.5 * c.season_days);
    const double hi = std::min(end, centre + 0.5 * c.season_days);
    if (centre - 0.5 * c.season_days >= end) break;
    if (hi > lo) out.emplace_back(lo, hi);
  }
  return out;
}

// A sky field: its id and the right ascension of its centre [deg].
struct Field {
  std::int64_t id;
  double ra_centre_deg;
};

// Declination bands of field_size_deg, each cut into floor(360 cos(dec) / size) RA cells.
Field locate_field(const Cadence& c, double ra_deg, double dec_deg) {
  if (!(ra_deg >= 0.0 && ra_deg < 360.0)) bad("ra_deg", ra_deg, "must be in [0, 360)");
  if (!(std::fabs(dec_deg) <= 90.0)) bad("dec_deg", dec_deg, "must be in [-90, 90]");
  const auto n_dec = static_cast<std::int64_t>(std::ceil(180.0 / c.field_size_deg));
  const std::int64_t j =
      std::min(n_dec - 1, static_cast<std::int64_t>((dec_deg + 90.0) / c.field_size_deg));
  const double dec_centre = -90.0 + (static_cast<double>(j) + 0.5) * c.field_size_deg;
  const auto n_ra = std::max<std::int64_t>(
      1, static_cast<std::int64_t>(360.0 * std::cos(dec_centre * M_PI / 180.0) / c.field_size_deg));
  const std::int64_t i =
      std::min(n_ra - 1, static_cast<std::int64_t>(ra_deg / 360.0 * static_cast<double>(n_ra)));
  return {j * 100000 + i, (static_cast<double>(i) + 0.5) * 360.0 / static_cast<double>(n_ra)};
}

}  // namespace

std::vector<BandVisit> lsst_wfd_bands() {
  return {{"u", 3671.0, 15.0, 23.9, 0.3}, {"g", 4827.0, 10.0, 25.0, 0.3},
          {"r", 6223.0, 5.0, 24.7, 0.3},  {"i", 7546.0, 5.0, 24.0, 0.3},
          {"z", 8691.0, 7.0, 23.3, 0.3},  {"y", 9712.0, 8.0, 22.1, 0.3}};
}

void Cadence::validate() const {
  if (!std::isfinite(start_mjd)) bad("start_mjd", start_mjd, "must be finite");
  if (!(duration_days > 0.0 && std::isfinite(duration_days)))
    bad("duration_days", duration_days, "must be finite and > 0");
  if (!(season_days > 0.0 && season_days <= 365.25))
    bad("season_days", season_days, "must be in (0, 365.25]");
  if (!(field_size_deg > 0.0 && field_size_deg <= 90.0))
    bad("field_size_deg", field_size_deg, "must be in (0, 90]");
  if (bands.empty()) throw std::invalid_argument("bands is empty: give at least one band");
  std::set<std::string> names;
  for (std::size_t i = 0; i < bands.size(); ++i) {
    validate_band(bands[i], i);
    if (!names.insert(bands[i].name).second)
      throw std::invalid_argument("bands[" + std::to_string(i) + "].name = '" + bands[i].name +
                                  "' repeats an earlier band: names must be unique");
  }
}

Cadence builtin_cadence(const std::string& name) {
  Cadence c;
  if (name == "lsst_wfd") return c;
  if (name == "lsst_ddf") {
    const double revisit[] = {4.0, 3.0, 2.0, 2.0, 3.0, 3.0};
    for (std::size_t i = 0; i < c.bands.size(); ++i) {
      c.bands[i].revisit_days = revisit[i];
      c.bands[i].m5_mean += 1.0;
    }
    return c;
  }
  std::string valid;
  for (const auto& n : builtin_cadence_names()) valid += (valid.empty() ? "" : ", ") + n;
  throw std::invalid_argument("cadence '" + name + "' unknown; valid names: " + valid);
}

std::vector<std::string> builtin_cadence_names() { return {"lsst_wfd", "lsst_ddf"}; }

std::int64_t cadence_field_id(const Cadence& c, double ra_deg, double dec_deg) {
  return locate_field(c, ra_deg, dec_deg).id;
}

std::vector<Visit> field_visits(const Cadence& c, double ra_deg, double dec_deg,
                                std::uint64_t seed) {
  c.validate();
  const Field field = locate_field(c, ra_deg, dec_deg);
  MockRng rng(seed, MockStream::kCadence, static_cast<std::uint64_t>(field.id));
  // All objects of a field share its visits, so the season follows the field's centre.
  const auto windows = season_windows(c, field.ra_centre_deg);
  std::vector<Visit> out;
  for (std::size_t b = 0; b < c.bands.size(); ++b) {
    const BandVisit& band = c.bands[b];
    for (const auto& [lo, hi] : windows) {
      // Poisson process: exponential gaps of mean revisit_days.
      for (double t = lo + band.revisit_days * rng.exponential(); t < hi;
           t += band.revisit_days * rng.exponential()) {
        out.push_back({t, static_cast<int>(b), band.m5_mean + band.m5_scatter * rng.normal()});
      }
    }
  }
  std::sort(out.begin(), out.end(), [](const Visit& a, const Visit& v) {
    return a.mjd < v.mjd || (a.mjd == v.mjd && a.passband < v.passband);
  });
  return out;
}

double flux_error_fluxcal(double m5) {
  if (!std::isfinite(m5)) bad("m5", m5, "must be finite");
  return std::pow(10.0, -0.4 * (m5 - kFluxcalZeroPoint)) / 5.0;
}

std::vector<LightCurvePoint> noisy_points(std::int64_t object_id, const Cadence& c,
                                          const std::vector<Visit>& visits,
                                          const std::vector<double>& true_flux, MockRng& noise) {
  if (true_flux.size() != visits.size())
    bad("true_flux.size()", static_cast<double>(true_flux.size()),
        "must equal visits.size() = " + std::to_string(visits.size()));
  std::vector<LightCurvePoint> out;
  out.reserve(visits.size());
  for (std::size_t i = 0; i < visits.size(); ++i) {
    const Visit& v = visits[i];
    if (v.passband < 0 || static_cast<std::size_t>(v.passband) >= c.bands.size())
      bad("visits[" + std::to_string(i) + "].passband", v.passband, "must index Cadence::bands");
    LightCurvePoint p;
    p.object_id = object_id;
    p.mjd = v.mjd;
    p.passband = v.passband;
    p.band = c.bands[static_cast<std::size_t>(v.passband)].name;
    p.true_flux = true_flux[i];
    p.flux_err = flux_error_fluxcal(v.m5);
    p.flux = p.true_flux + p.flux_err * noise.normal();
    p.detected = p.flux >= 5.0 * p.flux_err;
    out.push_back(std::move(p));
  }
  return out;
}

std::vector<LightCurvePoint> observe_light_curves(const std::vector<Transient>& transients,
                                                  const Cadence& c, std::uint64_t seed) {
  c.validate();
  std::map<std::int64_t, std::vector<Visit>> field_cache;
  std::vector<LightCurvePoint> out;
  for (const Transient& tr : transients) {
    const std::int64_t field = cadence_field_id(c, tr.ra_deg, tr.dec_deg);
    auto it = field_cache.find(field);
    if (it == field_cache.end())
      it = field_cache.emplace(field, field_visits(c, tr.ra_deg, tr.dec_deg, seed)).first;
    const std::vector<Visit>& visits = it->second;

    MockRng noise(seed, MockStream::kLightCurveNoise, static_cast<std::uint64_t>(tr.object_id));
    std::vector<double> flux(visits.size());
    for (std::size_t i = 0; i < visits.size(); ++i)
      flux[i] =
          model_flux(tr, visits[i].mjd,
                     c.bands[static_cast<std::size_t>(visits[i].passband)].lambda_eff_angstrom);
    if (!is_explosive(tr.cls)) {
      std::vector<double> mjd(visits.size());
      for (std::size_t i = 0; i < visits.size(); ++i) mjd[i] = visits[i].mjd;
      const auto dm = drw_offsets(mjd, tr.drw_tau_days * (1.0 + tr.z), tr.drw_sf_inf_mag, noise);
      for (std::size_t i = 0; i < visits.size(); ++i) flux[i] *= std::pow(10.0, -0.4 * dm[i]);
    }
    auto rows = noisy_points(tr.object_id, c, visits, flux, noise);
    out.insert(out.end(), std::make_move_iterator(rows.begin()),
               std::make_move_iterator(rows.end()));
  }
  return out;
}

}  // namespace cosmograd::surveys
