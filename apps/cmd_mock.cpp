// `cosmograd mock catalog` (HOD galaxies with stellar masses, SEDs, photometry and, on the
// lightcone, shear) and `cosmograd mock lightcurves` (transients in those galaxies).
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

#include "apps/commands.hpp"
#include "apps/mock_common.hpp"
#include "apps/options.hpp"
#include "driver/output_dir.hpp"
#include "sim/core/atomic_file.hpp"
#include "sim/core/backend.hpp"
#include "sim/core/log.hpp"
#include "sim/measure/halo_catalog.hpp"
#include "sim/sky/flat_fits.hpp"
#include "sim/sky/healpix_fits.hpp"
#include "surveys/mocks/galaxy_catalog.hpp"

namespace cosmograd::apps {
namespace {

namespace fs = std::filesystem;
using surveys::Table;

std::vector<sim::KeySpec> catalog_keys() {
  const std::string presets = [] {
    std::string s;
    for (const auto& n : surveys::hod_preset_names()) s += (s.empty() ? "" : ", ") + n;
    return s;
  }();
  return {
      {"halos", "", "", "halo catalogues of `cosmograd halos` (comma list; lightcone: several z)"},
      {"lightcone", "", "false", "galaxies on the past lightcone instead of in the box"},
      {"hod", "", "zheng07_mr20", "Zheng et al. 2007 parameter set: " + presets},
      {"hod_log_m_min", "log10 Msun/h", "", "override log M_min (empty: the set's)"},
      {"hod_sigma_log_m", "dex", "", "override sigma_log M (empty: the set's)"},
      {"hod_log_m0", "log10 Msun/h", "", "override log M_0 (empty: the set's)"},
      {"hod_log_m1", "log10 Msun/h", "", "override log M_1 (empty: the set's)"},
      {"hod_alpha", "", "", "override alpha (empty: the set's)"},
      {"hod_modulate_satellites", "", "false", "multiply <N_sat> by <N_cen>"},
      {"halo_mass", "", "m200m", "halo mass the HOD uses: m200m, m200c or fof"},
      {"satellite_velocity", "", "virial", "satellite dispersion: virial or none"},
      {"concentration_scale", "", "1", "satellite concentration / Duffy et al. 2008's (> 0)"},
      {"rsd_axis", "", "z", "box mode: line of sight for the redshift-space column (x, y, z)"},
      {"photometry_z", "", "",
       "box mode: redshift the galaxies are observed at (empty: the snapshot's; a z = 0 "
       "snapshot gets no magnitudes without it)"},
      {"observer", "Mpc/h", "", "lightcone: observer 'x,y,z' in the box (empty: box centre)"},
      {"z_min", "", "0.01", "lightcone: nearest redshift (>= 0.001)"},
      {"z_max", "", "1", "lightcone: farthest redshift"},
      {"half_angle_deg", "deg", "180", "lightcone: cone about +z (180: full sky)"},
      {"lensing_dir", "", "",
       "lightcone: a run's directory with lightcone_kappa_plane_z*_{healpix,flat}.fits and "
       "their gamma maps (empty: no lensing columns)"},
      {"shape_noise", "", "0.26", "intrinsic ellipticity sigma per component, [0, 0.7]"},
      {"run_seed", "", "",
       "lightcone with flat maps: the run's seed, for its replica shuffles (empty: seed in "
       "lensing_dir/config.ini)"},
      {"filters", "", "lsst",
       "bands: lsst, tophat_ugrizy, or NAME=FILE,... (wavelength [Angstrom], throughput)"},
      {"depths", "mag", "lsst_y10",
       "5-sigma limits: lsst_y10, lsst_single, or one AB magnitude per filter"},
      {"snr_threshold", "", "5", "detection threshold flux / flux_err"},
      {"sed_quiescent", "", "",
       "SED template file for quenched galaxies: rest wavelength [Angstrom], L_lambda "
       "[erg/s/Angstrom] per Msun of stars (empty: the parametric SED)"},
      {"sed_star_forming", "", "", "the same for star-forming galaxies"},
      {"shmr_scatter", "dex", "0.15", "scatter of M* at fixed halo mass"},
      {"satellite_quenching", "", "0.4", "satellites' extra quenching efficiency, [0, 1]"},
      {"seed", "", "1", "random seed (draws keyed by seed and galaxy id)"},
      {"format", "", "both", "table files: hdf5, fits or both"},
      {"threads", "", "0", "OpenMP threads (0: all)"},
      {"overwrite", "", "false", "replace an earlier mock in --out"},
      {"out", "", "mock", "output directory"},
  };
}

/// The HOD parameters: the named set with any override.
surveys::HodParams hod_params(const sim::Settings& s) {
  surveys::HodParams p = surveys::hod_preset(s.get_string("hod"));
  for (const auto& [key, field] : {std::pair{"hod_log_m_min", &surveys::HodParams::log_m_min},
                                   std::pair{"hod_sigma_log_m", &surveys::HodParams::sigma_log_m},
                                   std::pair{"hod_log_m0", &surveys::HodParams::log_m0},
                                   std::pair{"hod_log_m1", &surveys::HodParams::log_m1},
                                   std::pair{"hod_alpha", &surveys::HodParams::alpha}})
    if (!s.get_string(key).empty()) p.*field = s.get_double(key);
  p.modulate_satellites = s.get_bool("hod_modulate_satellites");
  p.validate();
  return p;
}

/// Filters: a built-in set or NAME=FILE items.
std::vector<surveys::Filter> filters_of(const std::string& text) {
  const auto sets = surveys::builtin_filter_sets();
  if (std::find(sets.begin(), sets.end(), text) != sets.end())
    return surveys::builtin_filters(text);
  std::vector<surveys::Filter> out;
  for (const std::string& item : sim::split_list(text)) {
    const auto eq = item.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == item.size())
      sim::bad_setting("filters", text,
                       "is neither a built-in set nor NAME=FILE items (item '" + item + "')");
    out.push_back(surveys::read_filter(item.substr(eq + 1), item.substr(0, eq)));
  }
  if (out.empty()) sim::bad_setting("filters", text, "names no filter");
  return out;
}

/// Depths: a built-in set or one m5 per filter.
std::vector<surveys::BandDepth> depths_of(const sim::Settings& s,
                                          const std::vector<surveys::Filter>& filters) {
  const std::string text = s.get_string("depths");
  const auto sets = surveys::builtin_depth_sets();
  std::vector<surveys::BandDepth> out;
  if (std::find(sets.begin(), sets.end(), text) != sets.end()) {
    const auto all = surveys::builtin_depths(text);
    for (const auto& f : filters) {
      const auto it =
          std::find_if(all.begin(), all.end(), [&](const auto& d) { return d.band == f.name; });
      if (it == all.end())
        sim::bad_setting("depths", text, "has no depth for filter '" + f.name + "'");
      out.push_back(*it);
    }
    return out;
  }
  const std::vector<double> m5 = s.get_doubles("depths");
  if (m5.size() != filters.size())
    sim::bad_setting("depths", text,
                     "gives " + std::to_string(m5.size()) + " values for " +
                         std::to_string(filters.size()) + " filters (one per filter)");
  for (std::size_t b = 0; b < m5.size(); ++b) out.push_back({filters[b].name, m5[b]});
  return out;
}

/// Source planes from a lightcone run's directory: kappa and both gammas per source plane.
std::vector<surveys::SourcePlane> source_planes(const std::string& dir) {
  std::vector<surveys::SourcePlane> planes;
  if (dir.empty()) return planes;
  if (!fs::is_directory(dir)) sim::bad_setting("lensing_dir", dir, "is not a directory");
  const std::string prefix = "lightcone_kappa_plane_z";
  for (const auto& entry : fs::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind(prefix, 0) != 0) continue;
    const bool healpix = name.size() > 13 && name.substr(name.size() - 13) == "_healpix.fits";
    const bool flat = name.size() > 10 && name.substr(name.size() - 10) == "_flat.fits";
    if (!healpix && !flat) continue;
    const std::string z_text =
        name.substr(prefix.size(), name.size() - prefix.size() - (healpix ? 13 : 10));
    surveys::SourcePlane p;
    p.z = std::stod(z_text);
    const std::string stem = dir + "/lightcone_gamma";
    const std::string tail = "_plane_z" + z_text + (healpix ? "_healpix.fits" : "_flat.fits");
    if (healpix) {
      p.kappa = sim::read_healpix_fits(entry.path().string());
      p.shear.gamma1 = sim::read_healpix_fits(stem + "1" + tail);
      p.shear.gamma2 = sim::read_healpix_fits(stem + "2" + tail);
    } else {
      p.flat_kappa = sim::read_flat_fits(entry.path().string());
      p.flat_shear.gamma1 = sim::read_flat_fits(stem + "1" + tail);
      p.flat_shear.gamma2 = sim::read_flat_fits(stem + "2" + tail);
    }
    planes.push_back(std::move(p));
  }
  if (planes.empty())
    sim::bad_setting("lensing_dir", dir,
                     "holds no lightcone_kappa_plane_z*_healpix.fits or _flat.fits (run with "
                     "--lightcone true --source_z ...)");
  std::sort(planes.begin(), planes.end(), [](const auto& a, const auto& b) { return a.z < b.z; });
  for (std::size_t i = 1; i < planes.size(); ++i)
    if (planes[i].z == planes[i - 1].z)
      sim::bad_setting("lensing_dir", dir,
                       "holds both HEALPix and flat maps of source plane z = " +
                           sim::format_setting(planes[i].z) + " (keep one kind)");
  return planes;
}

/// The run's seed: run_seed, else `seed = N` in lensing_dir/config.ini.
std::uint64_t run_seed(const sim::Settings& s) {
  if (!s.get_string("run_seed").empty()) {
    const long long v = s.get_int("run_seed");
    if (v < 0) sim::bad_setting("run_seed", s.get_string("run_seed"), "is negative");
    return static_cast<std::uint64_t>(v);
  }
  const std::string path = s.get_string("lensing_dir") + "/config.ini";
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    const auto eq = line.find('=');
    if (eq == std::string::npos) continue;
    std::string key = line.substr(0, eq), value = line.substr(eq + 1);
    key.erase(std::remove(key.begin(), key.end(), ' '), key.end());
    if (key == "seed") return std::stoull(value);
  }
  sim::bad_setting("run_seed", "",
                   "is needed: flat lensing maps shuffle the replicas with the run's seed and " +
                       path + " has no seed line");
}

int mock_catalog(const std::vector<std::string>& args) {
  const auto keys = catalog_keys();
  const ParsedArgs parsed = parse_command(
      "mock catalog",
      "usage: cosmograd mock catalog [config.ini] --halos FILE[,FILE...] [--key value ...] "
      "[--out DIR]",
      keys, args);
  if (parsed.help) return 0;
  const sim::Settings& s = parsed.settings;
  const auto halo_files = sim::split_list(s.get_string("halos"));
  if (halo_files.empty())
    throw std::invalid_argument(
        "cosmograd mock catalog: give --halos FILE[,FILE...] (catalogues of `cosmograd halos`)");
  const long long threads = s.get_int("threads");
  if (threads < 0)
    sim::bad_setting("threads", s.get_string("threads"), "is negative (allowed: >= 0)");
  sim::use_threads(static_cast<int>(threads));

  surveys::GalaxyMockOptions o;
  o.hod.params = hod_params(s);
  o.hod.mass_definition = surveys::parse_halo_mass(s.get_string("halo_mass"));
  const std::string velocity = s.get_string("satellite_velocity");
  if (velocity != "virial" && velocity != "none")
    sim::bad_setting("satellite_velocity", velocity, "is not virial or none");
  o.hod.velocity = velocity == "virial" ? surveys::SatelliteVelocity::kVirial
                                        : surveys::SatelliteVelocity::kNone;
  o.hod.concentration_scale = s.get_double("concentration_scale");
  o.hod.seed = seed_setting(s);
  o.star_formation.shmr.scatter_dex = s.get_double("shmr_scatter");
  o.star_formation.satellite_quenching = s.get_double("satellite_quenching");
  o.filters = filters_of(s.get_string("filters"));
  o.depths = depths_of(s, o.filters);
  o.snr_threshold = s.get_double("snr_threshold");
  if (!s.get_string("sed_quiescent").empty())
    o.template_quiescent = surveys::read_sed_template(s.get_string("sed_quiescent"));
  if (!s.get_string("sed_star_forming").empty())
    o.template_star_forming = surveys::read_sed_template(s.get_string("sed_star_forming"));
  const std::string axis = s.get_string("rsd_axis");
  if (axis != "x" && axis != "y" && axis != "z")
    sim::bad_setting("rsd_axis", axis, "is not x, y or z");
  o.rsd_axis = axis[0] - 'x';
  o.shape_noise = s.get_double("shape_noise");
  if (!s.get_string("photometry_z").empty()) o.photometry_z = s.get_double("photometry_z");
  o.validate();
  const std::string format = s.get_string("format");
  check_table_format(format);

  std::vector<sim::HaloCatalog> catalogs;
  for (const auto& f : halo_files) catalogs.push_back(sim::read_halo_catalog(f));
  const sim::CosmologyParams params =
      sim::cosmology_from_header(catalogs.front().header, sim::planck2015());
  const sim::Cosmology cosmo(params);
  const bool lightcone = s.get_bool("lightcone");
  if (!lightcone && catalogs.size() != 1)
    sim::bad_setting("halos", s.get_string("halos"),
                     "lists " + std::to_string(catalogs.size()) +
                         " catalogues; a box mock takes one (or set --lightcone true)");

  const driver::OutputDir out(s.get_string("out"), s.get_bool("overwrite"));
  const std::string dir = out.path();
  surveys::GalaxyMockSummary summary;
  Table table;
  if (lightcone) {
    surveys::LightconeHaloOptions lc;
    const double box = catalogs.front().header.box_size;
    lc.observer = {0.5 * box, 0.5 * box, 0.5 * box};
    if (!s.get_string("observer").empty()) {
      const auto v = s.get_doubles("observer");
      if (v.size() != 3) sim::bad_setting("observer", s.get_string("observer"), "is not x,y,z");
      lc.observer = {v[0], v[1], v[2]};
    }
    lc.z_min = s.get_double("z_min");
    lc.z_max = s.get_double("z_max");
    lc.half_angle_deg = s.get_double("half_angle_deg");
    const auto planes = source_planes(s.get_string("lensing_dir"));
    if (!planes.empty() && planes.front().flat_kappa.n > 0) {
      // Flat maps: the run shuffled its replicas; the halos must follow the same copies, and
      // only the field's cone is needed.
      lc.shuffle = true;
      lc.seed = run_seed(s);
      const double half = 0.5 * planes.front().flat_kappa.field_deg * M_PI / 180.0;
      lc.half_angle_deg =
          std::min(lc.half_angle_deg, std::atan(std::sqrt(2.0) * half) * 180.0 / M_PI + 0.5);
    }
    table = surveys::galaxy_table_lightcone(catalogs, cosmo, lc, planes, o, &summary);
  } else {
    table = surveys::galaxy_table_snapshot(catalogs.front(), cosmo, o, &summary);
  }
  std::vector<std::string> files = write_mock_tables(dir + "/galaxies", {table}, format);
  for (const auto& f : write_catalog_report(dir, table, catalogs, cosmo, o, summary, lightcone))
    files.push_back(f);
  finish_mock_dir(out, files, "", s, "cosmograd mock catalog");
  sim::log_info("mock catalog: ", table.rows(), " galaxies (", summary.centrals, " centrals, ",
                summary.satellites, " satellites) in ", dir);
  return 0;
}

}  // namespace

int cmd_mock(const std::vector<std::string>& args) {
  const std::string usage =
      "usage: cosmograd mock catalog|lightcurves|images|lenses|blends|stamps [config.ini]\n"
      "       [--key value ...]\n"
      "  catalog      HOD galaxies with stellar masses, SEDs, photometry (and shear)\n"
      "  lightcurves  transient light curves in a catalogue's galaxies (PLAsTiCC columns)\n"
      "  images       a survey tile of a lightcone catalogue (FITS, segmentation, truth)\n"
      "  lenses       a balanced strong-lens / non-lens stamp set from a lightcone catalogue\n"
      "  blends       BTK-style blend stamps for deblenders (isolated galaxies, segmentation)\n"
      "  stamps       single-galaxy stamps (PSF, noise, size and magnitude) for generative models";
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    std::printf("%s\n", usage.c_str());
    if (args.empty())
      throw std::invalid_argument(
          "cosmograd mock: give catalog, lightcurves, images, lenses, blends or stamps");
    return 0;
  }
  const std::vector<std::string> rest(args.begin() + 1, args.end());
  if (args[0] == "catalog") return mock_catalog(rest);
  if (args[0] == "lightcurves") return mock_lightcurves(rest);
  if (args[0] == "images") return mock_images(rest);
  if (args[0] == "lenses") return mock_lenses(rest);
  if (args[0] == "blends") return mock_blends(rest);
  if (args[0] == "stamps") return mock_stamps(rest);
  throw std::invalid_argument("cosmograd mock: unknown mode '" + args[0] +
                              "' (allowed: catalog, lightcurves, images, lenses, blends, stamps)");
}

}  // namespace cosmograd::apps
