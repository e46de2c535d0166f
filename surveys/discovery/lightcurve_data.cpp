// Light curves of `cosmograd mock lightcurves` in memory (see lightcurve_data.hpp).
#include "surveys/discovery/lightcurve_data.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>
#include <stdexcept>
#include <unordered_map>

#include "surveys/mocks/table.hpp"
#include "surveys/mocks/transients.hpp"

namespace cosmograd::surveys {
namespace {

const Table& table_named(const std::vector<Table>& tables, const std::string& name,
                         const std::string& path) {
  for (const Table& t : tables)
    if (t.name == name) return t;
  throw std::invalid_argument(path + ": has no table '" + name +
                              "' (allowed: a lightcurves.h5 of `cosmograd mock lightcurves`)");
}

/// splitmix64 (Steele et al. 2014): a well-mixed 64-bit hash.
std::uint64_t mix64(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

}  // namespace

LightCurveSet read_light_curves(const std::string& path_in) {
  std::string path = path_in;
  if (std::filesystem::is_directory(path)) path += "/lightcurves.h5";
  if (!std::filesystem::exists(path))
    throw std::invalid_argument("lightcurves = " + path_in +
                                ": no such file (allowed: a lightcurves.h5 of `cosmograd mock "
                                "lightcurves` or its directory)");
  const std::vector<Table> tables = read_tables_hdf5(path);
  const Table& meta = table_named(tables, "metadata", path);
  const Table& obs = table_named(tables, "observations", path);
  LightCurveSet set;
  const auto& id = meta.column("object_id").as<std::int64_t>();
  const auto& cls = meta.column("class_name").as<std::string>();
  const auto& z = meta.column("hostgal_specz").as<double>();
  const auto& peak = meta.column("true_peakmjd").as<double>();
  std::unordered_map<std::int64_t, std::size_t> row_of;
  set.curves.resize(meta.rows());
  for (std::size_t i = 0; i < meta.rows(); ++i) {
    LightCurve& lc = set.curves[i];
    lc.object_id = id[i];
    lc.label = static_cast<int>(transient_class_from_name(cls[i]));
    lc.z = z[i];
    lc.peak_mjd = peak[i];
    if (!row_of.emplace(id[i], i).second)
      throw std::invalid_argument(path + ": metadata object_id " + std::to_string(id[i]) +
                                  " appears twice");
  }
  const auto& oid = obs.column("object_id").as<std::int64_t>();
  const auto& mjd = obs.column("mjd").as<double>();
  const auto& band = obs.column("passband").as<std::int32_t>();
  const auto& flux = obs.column("flux").as<double>();
  const auto& err = obs.column("flux_err").as<double>();
  const auto& det = obs.column("detected_bool").as<bool>();
  set.first_mjd = std::numeric_limits<double>::infinity();
  set.last_mjd = -std::numeric_limits<double>::infinity();
  for (std::size_t i = 0; i < obs.rows(); ++i) {
    const auto it = row_of.find(oid[i]);
    if (it == row_of.end())
      throw std::invalid_argument(path + ": observation row " + std::to_string(i) +
                                  " has object_id " + std::to_string(oid[i]) +
                                  " not in the metadata");
    if (band[i] < 0 || band[i] >= kLightCurveBands)
      throw std::invalid_argument(path + ": observation row " + std::to_string(i) +
                                  " has passband " + std::to_string(band[i]) + " (allowed: 0..5)");
    if (!(err[i] > 0) || !std::isfinite(flux[i]) || !std::isfinite(mjd[i]))
      throw std::invalid_argument(path + ": observation row " + std::to_string(i) +
                                  " has flux_err " + std::to_string(err[i]) +
                                  " (allowed: > 0 with finite flux and mjd)");
    set.curves[it->second].obs.push_back({mjd[i], band[i], flux[i], err[i], bool(det[i])});
    set.first_mjd = std::min(set.first_mjd, mjd[i]);
    set.last_mjd = std::max(set.last_mjd, mjd[i]);
  }
  for (LightCurve& lc : set.curves)
    std::stable_sort(lc.obs.begin(), lc.obs.end(),
                     [](const LightCurveObs& a, const LightCurveObs& b) { return a.mjd < b.mjd; });
  if (obs.rows() == 0) set.first_mjd = set.last_mjd = 0.0;
  return set;
}

LightCurve truncate_light_curve(const LightCurve& lc, double cut_mjd) {
  LightCurve out = lc;
  out.obs.clear();
  for (const LightCurveObs& o : lc.obs)
    if (o.mjd <= cut_mjd) out.obs.push_back(o);
  return out;
}

int count_detections(const LightCurve& lc) {
  int n = 0;
  for (const LightCurveObs& o : lc.obs) n += o.detected;
  return n;
}

std::string light_curve_phase_name(LightCurvePhase phase) {
  switch (phase) {
    case LightCurvePhase::kFull:
      return "full";
    case LightCurvePhase::kAtPeak:
      return "at_peak";
    case LightCurvePhase::kBeforePeak:
      return "before_peak";
  }
  return "unknown";
}

double reference_peak_mjd(const LightCurve& lc, double first_mjd, double last_mjd) {
  if (std::isfinite(lc.peak_mjd)) return lc.peak_mjd;
  const double u =
      static_cast<double>(mix64(static_cast<std::uint64_t>(lc.object_id) ^ 0x41474eULL) >> 11) *
      0x1.0p-53;
  return first_mjd - 50.0 + u * (last_mjd - first_mjd + 100.0);
}

double phase_cut_mjd(const LightCurve& lc, LightCurvePhase phase, double before_days,
                     double first_mjd, double last_mjd) {
  if (!(before_days >= 0) || !std::isfinite(before_days))
    throw std::invalid_argument("before_days = " + std::to_string(before_days) +
                                " (allowed: finite, >= 0)");
  if (phase == LightCurvePhase::kFull) return std::numeric_limits<double>::infinity();
  const double peak = reference_peak_mjd(lc, first_mjd, last_mjd);
  return phase == LightCurvePhase::kAtPeak ? peak : peak - before_days;
}

LightCurve observation_window(const LightCurve& lc, double pre_days, double post_days) {
  LightCurve out = lc;
  out.obs.clear();
  if (lc.obs.empty()) return out;
  double lo = lc.obs.back().mjd - pre_days, hi = lc.obs.back().mjd;
  for (const LightCurveObs& o : lc.obs)
    if (o.detected) {
      lo = o.mjd - pre_days;
      hi = o.mjd + post_days;
      break;
    }
  for (const LightCurveObs& o : lc.obs)
    if (o.mjd >= lo && o.mjd <= hi) out.obs.push_back(o);
  return out;
}

}  // namespace cosmograd::surveys
