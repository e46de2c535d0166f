// `cosmograd mock lightcurves`: transients in a lightcone mock's galaxies, observed with a
// survey cadence, written in PLAsTiCC's columns (Kessler et al. 2019) with truth beside them.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <sstream>

#include "apps/commands.hpp"
#include "apps/mock_common.hpp"
#include "apps/options.hpp"
#include "driver/output_dir.hpp"
#include "sim/core/atomic_file.hpp"
#include "sim/core/log.hpp"
#include "surveys/mocks/cadence.hpp"
#include "surveys/mocks/transients.hpp"
#include "viz/plot.hpp"

namespace cosmograd::apps {
namespace {

namespace fs = std::filesystem;
using surveys::Table;
using surveys::Transient;

/// Hosts from a galaxy table (needs galaxy_id, ra, dec, redshift, stellar_mass, sfr).
std::vector<surveys::TransientHost> hosts_of(const Table& t, const std::string& path) {
  for (const char* c : {"galaxy_id", "ra", "dec", "redshift", "stellar_mass", "sfr"}) {
    const bool has = std::any_of(t.columns.begin(), t.columns.end(),
                                 [&](const auto& col) { return col.name == c; });
    if (!has)
      throw std::invalid_argument(path + ": table '" + t.name + "' has no column '" + c +
                                  "' (light curves need a lightcone mock: cosmograd mock "
                                  "catalog --lightcone true)");
  }
  const auto& id = t.column("galaxy_id").as<std::int64_t>();
  const auto& ra = t.column("ra").as<double>();
  const auto& dec = t.column("dec").as<double>();
  const auto& z = t.column("redshift").as<double>();
  const auto& ms = t.column("stellar_mass").as<double>();
  const auto& sfr = t.column("sfr").as<double>();
  std::vector<surveys::TransientHost> hosts;
  for (std::size_t i = 0; i < t.rows(); ++i)
    if (z[i] > 0) hosts.push_back({id[i], ra[i], dec[i], z[i], ms[i], sfr[i]});
  return hosts;
}

/// Class fractions from "SNIa:0.4,SNII:0.25,..." (classes not named get 0).
std::array<double, surveys::kNumTransientClasses> fractions_of(const std::string& text) {
  std::array<double, surveys::kNumTransientClasses> f{};
  for (const std::string& item : sim::split_list(text)) {
    const auto colon = item.rfind(':');
    if (colon == std::string::npos)
      sim::bad_setting("fractions", text, "item '" + item + "' is not CLASS:FRACTION");
    const auto cls = surveys::transient_class_from_name(item.substr(0, colon));
    try {
      f[static_cast<std::size_t>(cls)] = std::stod(item.substr(colon + 1));
    } catch (const std::exception&) {
      sim::bad_setting("fractions", text, "item '" + item + "' has no number after ':'");
    }
  }
  return f;
}

Table metadata_table(const std::vector<Transient>& tr) {
  const std::size_t n = tr.size();
  std::vector<std::int64_t> id(n), host(n);
  std::vector<std::int32_t> target(n);
  std::vector<std::string> cls(n);
  std::vector<double> ra(n), dec(n), z(n), mu(n), peak(n), mabs(n), rise(n), fall(n), tbb(n),
      drw_tau(n), drw_sf(n);
  for (std::size_t i = 0; i < n; ++i) {
    const Transient& t = tr[i];
    id[i] = t.object_id;
    host[i] = t.host_id;
    target[i] = surveys::plasticc_target(t.cls);
    cls[i] = surveys::transient_class_name(t.cls);
    ra[i] = t.ra_deg;
    dec[i] = t.dec_deg;
    z[i] = t.z;
    mu[i] = t.distmod;
    peak[i] = t.peak_mjd;
    mabs[i] = t.peak_abs_mag;
    rise[i] = t.tau_rise_days;
    fall[i] = t.tau_fall_days;
    tbb[i] = t.t_bb_peak_k;
    drw_tau[i] = t.drw_tau_days;
    drw_sf[i] = t.drw_sf_inf_mag;
  }
  Table m;
  m.name = "metadata";
  m.description = "one row per transient (PLAsTiCC metadata columns plus the true parameters)";
  m.add("object_id", "", "transient id", id)
      .add("host_id", "", "galaxy_id of the host in the galaxy mock", host)
      .add("ra", "deg", "right ascension (the host's)", ra)
      .add("decl", "deg", "declination (the host's)", dec)
      .add("hostgal_specz", "", "host's observed redshift", z)
      .add("distmod", "mag", "distance modulus 5 log10(d_L / 10 pc)", mu)
      .add("target", "",
           "PLAsTiCC class code (90 SNIa, 42 SNII, 62 SNIbc, 95 SLSN-I, 15 TDE, 88 AGN)", target)
      .add("class_name", "", "class name", cls)
      .add("true_peakmjd", "d", "rest-frame B peak time (NaN for AGN)", peak)
      .add("true_peak_abs_mag", "mag", "peak absolute AB magnitude in rest-frame B (AGN: mean)",
           mabs)
      .add("true_tau_rise", "d", "Bazin rise time, rest frame", rise)
      .add("true_tau_fall", "d", "Bazin fall time, rest frame", fall)
      .add("true_t_bb_peak", "K", "photosphere temperature at peak", tbb)
      .add("true_drw_tau", "d", "AGN damped-random-walk time scale, rest frame", drw_tau)
      .add("true_drw_sf_inf", "mag", "AGN structure function at infinite lag", drw_sf);
  return m;
}

Table observation_table(const std::vector<surveys::LightCurvePoint>& pts) {
  const std::size_t n = pts.size();
  std::vector<std::int64_t> id(n);
  std::vector<std::int32_t> passband(n);
  std::vector<std::string> band(n);
  std::vector<double> mjd(n), flux(n), err(n), truth(n);
  std::vector<bool> det(n);
  for (std::size_t i = 0; i < n; ++i) {
    id[i] = pts[i].object_id;
    mjd[i] = pts[i].mjd;
    passband[i] = pts[i].passband;
    band[i] = pts[i].band;
    flux[i] = pts[i].flux;
    err[i] = pts[i].flux_err;
    truth[i] = pts[i].true_flux;
    det[i] = pts[i].detected;
  }
  Table o;
  o.name = "observations";
  o.description =
      "one row per visit (PLAsTiCC light-curve columns; fluxes FLUXCAL, zero point 27.5)";
  o.add("object_id", "", "transient id", id)
      .add("mjd", "d", "time of the visit [MJD]", mjd)
      .add("passband", "", "band index 0-5 = u g r i z y", passband)
      .add("band", "", "band name", band)
      .add("flux", "", "measured flux, FLUXCAL = 10^(-0.4 (m - 27.5))", flux)
      .add("flux_err", "", "1-sigma error, 10^(-0.4 (m5 - 27.5)) / 5", err)
      .add("detected_bool", "", "flux / flux_err >= 5", det)
      .add("true_flux", "", "noiseless model flux, FLUXCAL", truth);
  o.numeric_meta = {{"ZeroPoint", surveys::kFluxcalZeroPoint}};
  return o;
}

/// One PNG per class: the object of that class with the most detections, points with error
/// bars per band and its noiseless model.
std::vector<std::string> plot_examples(const std::string& dir, const std::vector<Transient>& tr,
                                       const std::vector<surveys::LightCurvePoint>& pts,
                                       const surveys::Cadence& cadence) {
  std::map<std::int64_t, std::size_t> detections;
  for (const auto& p : pts) detections[p.object_id] += p.detected;
  std::vector<std::string> files;
  for (int c = 0; c < surveys::kNumTransientClasses; ++c) {
    const Transient* best = nullptr;
    for (const auto& t : tr)
      if (static_cast<int>(t.cls) == c &&
          (!best || detections[t.object_id] > detections[best->object_id]))
        best = &t;
    if (!best) continue;
    // Explosive classes: 60 days before to 200 after the peak (observer frame), the model on a
    // fine grid; AGN: the whole survey, the model at the visits (its random walk).
    const bool explosive = surveys::is_explosive(best->cls);
    const double t0 = explosive ? best->peak_mjd : 0.0;
    viz::PlotSpec spec;
    std::ostringstream title;
    title << surveys::transient_class_name(best->cls) << " object " << best->object_id
          << " at z = " << best->z << " (points: measured; lines: model)";
    spec.title = title.str();
    spec.xlabel = explosive ? "days since the rest-frame B peak (observer frame)" : "MJD";
    spec.ylabel = "flux [FLUXCAL, ZP 27.5]";
    for (std::size_t b = 0; b < cadence.bands.size(); ++b) {
      viz::Series pt, model;
      pt.label = cadence.bands[b].name;
      pt.line = viz::LineStyle::none;
      pt.marker = viz::Marker::circle;
      pt.marker_size = 0.6;
      pt.color = model.color = viz::tab10(static_cast<int>(b));
      model.line_width = 1.0;
      for (const auto& p : pts) {
        if (p.object_id != best->object_id || p.passband != static_cast<int>(b)) continue;
        if (explosive && (p.mjd - t0 < -60.0 || p.mjd - t0 > 200.0)) continue;
        pt.x.push_back(p.mjd - t0);
        pt.y.push_back(p.flux);
        pt.y_lo.push_back(p.flux - p.flux_err);
        pt.y_hi.push_back(p.flux + p.flux_err);
        if (!explosive) {
          model.x.push_back(p.mjd);
          model.y.push_back(p.true_flux);
        }
      }
      if (pt.x.empty()) continue;
      for (int i = 0; explosive && i <= 520; ++i) {
        const double dt = -60.0 + 260.0 * i / 520.0;
        model.x.push_back(dt);
        model.y.push_back(
            surveys::model_flux(*best, t0 + dt, cadence.bands[b].lambda_eff_angstrom));
      }
      spec.series.push_back(model);
      spec.series.push_back(pt);
    }
    if (spec.series.empty()) continue;
    const std::string path =
        dir + "/light_curve_" + surveys::transient_class_name(best->cls) + ".png";
    viz::write_plot_png(path, spec);
    files.push_back(path);
  }
  return files;
}

std::string summary_text(const std::vector<Transient>& tr,
                         const std::vector<surveys::LightCurvePoint>& pts) {
  std::array<double, surveys::kNumTransientClasses> count{}, two_det{};
  std::map<std::int64_t, int> det;
  for (const auto& p : pts) det[p.object_id] += p.detected;
  for (const auto& t : tr) {
    count[static_cast<std::size_t>(t.cls)] += 1;
    two_det[static_cast<std::size_t>(t.cls)] += det[t.object_id] >= 2;
  }
  double s1 = 0, s2 = 0;
  for (const auto& p : pts) {
    const double pull = (p.flux - p.true_flux) / p.flux_err;
    s1 += pull;
    s2 += pull * pull;
  }
  const double n = static_cast<double>(pts.size());
  std::ostringstream s;
  s << "# cosmograd mock lightcurves\ntransients " << tr.size() << "\nobservations " << pts.size()
    << "\npull_mean " << (n > 0 ? s1 / n : 0) << "\npull_sd "
    << (n > 1 ? std::sqrt(s2 / n - (s1 / n) * (s1 / n)) : 0)
    << "\n# class target count with_2_detections\n";
  for (int c = 0; c < surveys::kNumTransientClasses; ++c) {
    const auto cls = static_cast<surveys::TransientClass>(c);
    s << surveys::transient_class_name(cls) << " " << surveys::plasticc_target(cls) << " "
      << count[static_cast<std::size_t>(c)] << " " << two_det[static_cast<std::size_t>(c)] << "\n";
  }
  return s.str();
}

}  // namespace

int mock_lightcurves(const std::vector<std::string>& args) {
  const std::vector<sim::KeySpec> keys = {
      {"galaxies", "", "", "galaxies.h5 of `cosmograd mock catalog --lightcone true`"},
      {"count", "", "1000", "number of transients"},
      {"fractions", "", "SNIa:0.4,SNII:0.25,SNIbc:0.1,SLSN-I:0.05,TDE:0.05,AGN:0.15",
       "class fractions CLASS:F,... (classes SNIa, SNII, SNIbc, SLSN-I, TDE, AGN)"},
      {"cadence", "", "lsst_wfd", "survey cadence: lsst_wfd or lsst_ddf"},
      {"start_mjd", "d", "60000", "survey start [MJD]"},
      {"duration_days", "d", "1095", "survey length"},
      {"seed", "", "1", "random seed"},
      {"format", "", "both", "table files: hdf5, fits or both"},
      {"overwrite", "", "false", "replace earlier light curves in --out"},
      {"out", "", "lightcurves", "output directory"},
  };
  const ParsedArgs parsed = parse_command(
      "mock lightcurves",
      "usage: cosmograd mock lightcurves [config.ini] --galaxies DIR/galaxies.h5 [--key value "
      "...] [--out DIR]",
      keys, args);
  if (parsed.help) return 0;
  const sim::Settings& s = parsed.settings;
  const std::string path = s.get_string("galaxies");
  if (path.empty())
    throw std::invalid_argument("cosmograd mock lightcurves: give --galaxies DIR/galaxies.h5");
  const std::string format = s.get_string("format");
  check_table_format(format);
  surveys::TransientConfig config;
  config.count = s.get_int("count");
  config.fractions = fractions_of(s.get_string("fractions"));
  config.survey_start_mjd = s.get_double("start_mjd");
  config.survey_duration_days = s.get_double("duration_days");
  config.validate();
  surveys::Cadence cadence = surveys::builtin_cadence(s.get_string("cadence"));
  cadence.start_mjd = config.survey_start_mjd;
  cadence.duration_days = config.survey_duration_days;
  cadence.validate();
  const std::uint64_t seed = seed_setting(s);

  const Table galaxies = read_galaxy_table(path);
  const auto hosts = hosts_of(galaxies, path);
  const auto transients = surveys::draw_transients(hosts, config, mock_cosmology(galaxies), seed);
  const auto points = surveys::observe_light_curves(transients, cadence, seed);

  const driver::OutputDir out(s.get_string("out"), s.get_bool("overwrite"));
  const std::string dir = out.path();
  std::vector<std::string> files = write_mock_tables(
      dir + "/lightcurves", {metadata_table(transients), observation_table(points)}, format);
  for (const auto& f : plot_examples(dir, transients, points, cadence)) files.push_back(f);
  finish_mock_dir(out, files, summary_text(transients, points), s, "cosmograd mock lightcurves");
  sim::log_info("mock lightcurves: ", transients.size(), " transients, ", points.size(),
                " observations in ", dir);
  return 0;
}

}  // namespace cosmograd::apps
