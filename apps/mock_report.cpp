// The galaxy mock's report: summary, HOD occupation against Zheng et al. 2007, colour tracks.
#include <algorithm>
#include <cmath>
#include <sstream>

#include "apps/mock_common.hpp"
#include "sim/core/atomic_file.hpp"
#include "sim/core/settings.hpp"
#include "sim/cosmo/linear_power.hpp"
#include "sim/cosmo/mass_function.hpp"
#include "sim/io/png.hpp"
#include "surveys/images/image_fits.hpp"
#include "surveys/mocks/photometry.hpp"
#include "surveys/mocks/sed.hpp"
#include "viz/plot.hpp"

namespace cosmograd::apps {
namespace {

/// Measured and expected occupation in halo-mass bins of the (first) catalogue.
struct Occupation {
  std::vector<double> m_lo, m_hi, halos, ncen, nsat, exp_cen, exp_sat;
};

Occupation occupation(const surveys::Table& table, const sim::HaloCatalog& cat,
                      const surveys::GalaxyMockOptions& o) {
  const auto halos = surveys::hod_halos(cat, o.hod.mass_definition);
  Occupation occ;
  if (halos.empty()) return occ;
  double lo = 1e300, hi = 0;
  for (const auto& h : halos) {
    lo = std::min(lo, h.mass);
    hi = std::max(hi, h.mass);
  }
  const int bins = std::max(1, static_cast<int>(std::ceil(4.0 * std::log10(hi / lo))));
  const double step = std::log10(hi / lo) / bins + 1e-12;
  auto bin_of = [&](double m) {
    return std::min(bins - 1, static_cast<int>(std::log10(m / lo) / step));
  };
  for (int b = 0; b < bins; ++b) {
    occ.m_lo.push_back(lo * std::pow(10.0, b * step));
    occ.m_hi.push_back(lo * std::pow(10.0, (b + 1) * step));
  }
  occ.halos.assign(static_cast<std::size_t>(bins), 0.0);
  occ.ncen = occ.nsat = occ.exp_cen = occ.exp_sat = occ.halos;
  for (const auto& h : halos) {
    const auto b = static_cast<std::size_t>(bin_of(h.mass));
    occ.halos[b] += 1;
    occ.exp_cen[b] += surveys::mean_ncen(o.hod.params, h.mass);
    occ.exp_sat[b] += surveys::mean_nsat(o.hod.params, h.mass);
  }
  const auto& central = table.column("central").as<bool>();
  const auto& mass = table.column("halo_mass").as<double>();
  for (std::size_t i = 0; i < table.rows(); ++i)
    (central[i] ? occ.ncen : occ.nsat)[static_cast<std::size_t>(bin_of(mass[i]))] += 1;
  return occ;
}

std::string occupation_table(const Occupation& occ) {
  std::ostringstream t;
  t << "# HOD occupation per halo-mass bin: measured (this mock) vs Zheng et al. 2007 (mean over\n"
       "# the bin's halos); pulls = (measured - expected) / binomial or Poisson error\n"
       "# m_lo[Msun/h] m_hi[Msun/h] halos <N_cen> expected pull <N_sat> expected pull\n";
  for (std::size_t b = 0; b < occ.halos.size(); ++b) {
    if (occ.halos[b] == 0) continue;
    const double n = occ.halos[b];
    const double pc = occ.exp_cen[b] / n;
    const double var_c = n * pc * (1 - pc);
    const double pull_c = var_c > 0 ? (occ.ncen[b] - occ.exp_cen[b]) / std::sqrt(var_c) : 0.0;
    const double pull_s =
        occ.exp_sat[b] > 0 ? (occ.nsat[b] - occ.exp_sat[b]) / std::sqrt(occ.exp_sat[b]) : 0.0;
    char line[256];
    std::snprintf(line, sizeof line, "%.4e %.4e %8.0f %.4f %.4f %+6.2f %.4f %.4f %+6.2f\n",
                  occ.m_lo[b], occ.m_hi[b], n, occ.ncen[b] / n, pc, pull_c, occ.nsat[b] / n,
                  occ.exp_sat[b] / n, pull_s);
    t << line;
  }
  return t.str();
}

void occupation_plot(const std::string& path, const Occupation& occ, const surveys::HodParams& p) {
  viz::PlotSpec spec;
  spec.title = "HOD occupation: mock vs Zheng et al. 2007";
  spec.xlabel = "halo mass [Msun/h]";
  spec.ylabel = "<N> per halo";
  spec.logx = spec.logy = true;
  viz::Series mc, ms, ac, as;
  mc.label = "centrals (mock)";
  ms.label = "satellites (mock)";
  for (viz::Series* s : {&mc, &ms}) {
    s->line = viz::LineStyle::none;
    s->marker = viz::Marker::circle;
  }
  for (std::size_t b = 0; b < occ.halos.size(); ++b) {
    if (occ.halos[b] == 0) continue;
    const double m = std::sqrt(occ.m_lo[b] * occ.m_hi[b]), n = occ.halos[b];
    mc.x.push_back(m);
    mc.y.push_back(occ.ncen[b] / n);
    ms.x.push_back(m);
    ms.y.push_back(occ.nsat[b] / n);
    const double es = std::sqrt(occ.nsat[b]) / n;  // Poisson; none for empty bins
    ms.y_lo.push_back(occ.nsat[b] / n - es);
    ms.y_hi.push_back(occ.nsat[b] / n + es);
  }
  ac.label = "<N_cen> (Zheng07)";
  as.label = "<N_sat> (Zheng07)";
  ac.color = mc.color = viz::tab10(0);
  as.color = ms.color = viz::tab10(1);
  const double lo = occ.m_lo.front(), hi = occ.m_hi.back();
  for (int i = 0; i <= 100; ++i) {
    const double m = lo * std::pow(hi / lo, i / 100.0);
    ac.x.push_back(m);
    ac.y.push_back(surveys::mean_ncen(p, m));
    as.x.push_back(m);
    as.y.push_back(surveys::mean_nsat(p, m));
  }
  spec.series = {ac, as, mc, ms};
  const double top = ms.y.empty() ? 1.0 : *std::max_element(ms.y.begin(), ms.y.end());
  spec.yrange = viz::AxisRange{1e-3, std::max(10.0, 2.0 * top)};
  viz::write_plot_png(path, spec);
}

/// Colour tracks of two reference galaxies (quiescent 1e11 Msun; star-forming 1e10 Msun on the
/// main sequence) for z in [0.05, 2], with the mock's galaxies; bands: the first three.
void colour_plot(const std::string& path, const surveys::Table& table, const sim::Cosmology& cosmo,
                 const surveys::GalaxyMockOptions& o, bool lightcone) {
  const auto& f = o.filters;
  const std::size_t b0 = f.size() >= 4 ? 1 : 0;  // g - r for ugrizy
  const std::string c = f[b0].name + " - " + f[b0 + 1].name;
  viz::PlotSpec spec;
  spec.title = "Colour " + c + " of the parametric SEDs vs redshift";
  spec.xlabel = "redshift";
  spec.ylabel = c + " [mag]";
  viz::Series q, sf, gal;
  q.label = "quiescent, M* = 1e11 Msun";
  sf.label = "star-forming, M* = 1e10 Msun (main sequence)";
  const double h = cosmo.params().h;
  for (int i = 0; i <= 60; ++i) {
    const double z = 0.05 + (2.0 - 0.05) * i / 60.0, a = 1.0 / (1.0 + z);
    const double dl = cosmo.luminosity_distance(a) / h;
    const double t = cosmo.age(a);
    surveys::StellarProperties quiet{1e11, 0.01, true, 1e13};
    surveys::StellarProperties active{1e10, std::pow(10.0, surveys::speagle14_log_sfr(1e10, t)),
                                      false, 1e12};
    for (auto [g, s] : {std::pair{&quiet, &q}, std::pair{&active, &sf}}) {
      const auto sed = surveys::parametric_sed(surveys::galaxy_sed_params(*g, t, 0, 0));
      s->x.push_back(z);
      s->y.push_back(surveys::ab_magnitude(sed, z, dl, f[b0]) -
                     surveys::ab_magnitude(sed, z, dl, f[b0 + 1]));
    }
  }
  gal.label = "mock galaxies (noiseless)";
  gal.line = viz::LineStyle::none;
  gal.marker = viz::Marker::circle;
  gal.marker_size = 0.3;
  gal.color = sim::RGB{150, 150, 150};
  const auto& m0 = table.column("mag_true_" + f[b0].name).as<double>();
  const auto& m1 = table.column("mag_true_" + f[b0 + 1].name).as<double>();
  const auto& z = table.column(lightcone ? "redshift_true" : "halo_mass").as<double>();
  const std::size_t stride = std::max<std::size_t>(1, table.rows() / 3000);
  for (std::size_t i = 0; lightcone && i < table.rows(); i += stride) {
    gal.x.push_back(z[i]);
    gal.y.push_back(m0[i] - m1[i]);
  }
  spec.series = {gal, q, sf};
  spec.xrange = viz::AxisRange{0.0, 2.05};
  viz::write_plot_png(path, spec);
}

/// The Tinker et al. 2008 mass-function integral of <N_cen> + <N_sat> above m_min [(h/Mpc)^3].
double hmf_galaxy_density(const sim::Cosmology& cosmo, double a, double m_min,
                          const surveys::HodParams& p) {
  const sim::EisensteinHuPower power(cosmo);
  const int n = 400;
  const double lo = std::log(m_min), hi = std::log(1e16);
  double sum = 0;
  for (int i = 0; i <= n; ++i) {
    const double m = std::exp(lo + (hi - lo) * i / n);
    const double w = (i == 0 || i == n ? 0.5 : 1.0) * (hi - lo) / n;
    sum += w * sim::mass_function(power, sim::MassFunctionModel::tinker08, m, a) *
           (surveys::mean_ncen(p, m) + surveys::mean_nsat(p, m));
  }
  return sum;
}

}  // namespace

surveys::Table read_galaxy_table(const std::string& path) {
  for (auto& t : surveys::read_tables_hdf5(path))
    if (t.name == "galaxies") return t;
  throw std::invalid_argument(path + ": no table 'galaxies' (a file of `cosmograd mock catalog`)");
}

sim::Cosmology mock_cosmology(const surveys::Table& galaxies) {
  sim::CosmologyParams params = sim::planck2015();
  for (const auto& [key, value] : galaxies.numeric_meta) {
    if (key == "OmegaM") params.Omega_m = value;
    if (key == "HubbleParam") params.h = value;
  }
  return sim::Cosmology(params);
}

std::uint64_t seed_setting(const sim::Settings& s) {
  const long long seed = s.get_int("seed");
  if (seed < 0) sim::bad_setting("seed", s.get_string("seed"), "is negative (allowed: >= 0)");
  return static_cast<std::uint64_t>(seed);
}

std::vector<std::pair<std::string, double>> band_values(const sim::Settings& s,
                                                        const std::string& key) {
  std::vector<std::pair<std::string, double>> out;
  for (const auto& item : sim::split_list(s.get_string(key))) {
    const auto colon = item.find(':');
    if (colon == std::string::npos)
      sim::bad_setting(key, s.get_string(key), "is not BAND:VALUE,...");
    try {
      out.emplace_back(item.substr(0, colon), std::stod(item.substr(colon + 1)));
    } catch (const std::exception&) {
      sim::bad_setting(key, s.get_string(key), "item '" + item + "' has no number after ':'");
    }
  }
  return out;
}

bool write_stamp_grid_png(const std::string& path, const std::vector<float>& images, std::size_t nb,
                          int s, const std::vector<std::size_t>& cells, int zoom) {
  if (nb < 3) return false;
  constexpr int kCells = 4;
  const std::size_t px = static_cast<std::size_t>(s) * s, count = images.size() / (nb * px);
  const std::size_t r = nb >= 4 ? 3 : nb - 1, g = r - 1, b = r - 2;
  sim::Image grid(kCells * s * zoom, kCells * s * zoom, sim::RGB{0, 0, 0});
  auto band = [&](std::size_t k, std::size_t c) {
    surveys::BandImage img;
    img.band = std::to_string(c);
    img.nx = img.ny = s;
    const float* v = &images[(k * nb + c) * px];
    img.values.assign(v, v + px);
    return img;
  };
  for (std::size_t cell = 0; cell < cells.size() && cell < kCells * kCells; ++cell) {
    const std::size_t k = cells[cell];
    if (k >= count) continue;
    // Stretch: a tenth of the stamp's brightest pixel in the red band, so faint light shows.
    const auto red = band(k, r);
    const double peak = *std::max_element(red.values.begin(), red.values.end());
    const auto rgb =
        surveys::lupton_rgb(red, band(k, g), band(k, b), std::max(1.0, 0.1 * peak), 8.0);
    const int cx = static_cast<int>(cell % kCells) * s * zoom;
    const int cy = static_cast<int>(cell / kCells) * s * zoom;
    for (int y = 0; y < s; ++y)
      for (int x = 0; x < s; ++x) {
        const std::size_t o = 3 * (static_cast<std::size_t>(y) * s + x);
        for (int dy = 0; dy < zoom; ++dy)
          for (int dx = 0; dx < zoom; ++dx)
            grid.set(cx + zoom * x + dx, cy + zoom * y + dy,
                     sim::RGB{rgb[o], rgb[o + 1], rgb[o + 2]});
      }
  }
  sim::write_png(path, grid);
  return true;
}

void finish_mock_dir(const driver::OutputDir& out, std::vector<std::string> files,
                     const std::string& summary, const sim::Settings& s,
                     const std::string& command) {
  const std::string& dir = out.path();
  if (!summary.empty()) {
    sim::write_file_atomic(dir + "/summary.txt", summary);
    files.push_back(dir + "/summary.txt");
  }
  sim::write_file_atomic(dir + "/config.ini", s.to_ini(command));
  files.push_back(dir + "/config.ini");
  // Full paths: write_manifest sizes them and writes them relative to the directory.
  out.write_manifest(files);
}

void check_table_format(const std::string& format) {
  if (format != "hdf5" && format != "fits" && format != "both")
    sim::bad_setting("format", format, "is not hdf5, fits or both");
}

std::vector<std::string> write_mock_tables(const std::string& stem,
                                           const std::vector<surveys::Table>& tables,
                                           const std::string& format) {
  check_table_format(format);
  std::vector<std::string> files;
  if (format != "fits") {
    surveys::write_tables_hdf5(stem + ".h5", tables);
    files.push_back(stem + ".h5");
  }
  if (format != "hdf5") {
    surveys::write_tables_fits(stem + ".fits", tables);
    files.push_back(stem + ".fits");
  }
  return files;
}

std::vector<std::string> write_catalog_report(const std::string& dir, const surveys::Table& table,
                                              const std::vector<sim::HaloCatalog>& catalogs,
                                              const sim::Cosmology& cosmo,
                                              const surveys::GalaxyMockOptions& o,
                                              const surveys::GalaxyMockSummary& summary,
                                              bool lightcone) {
  std::vector<std::string> files;
  std::ostringstream s;
  s << "# cosmograd mock catalog (" << (lightcone ? "lightcone" : "box") << ")\n"
    << "galaxies " << table.rows() << "\ncentrals " << summary.centrals << "\nsatellites "
    << summary.satellites << "\nsatellite_fraction "
    << (table.rows() ? static_cast<double>(summary.satellites) / table.rows() : 0.0) << "\nhalos "
    << summary.halos << "\nhalo_mass_definition " << surveys::halo_mass_name(o.hod.mass_definition)
    << "\nso_fallbacks " << summary.so_fallbacks << "\n";
  if (lightcone) s << "outside_lensing_field " << summary.outside_maps << "\n";
  // Occupation per halo: box mode only (lightcone halos are copies from several catalogues).
  const Occupation occ = lightcone ? Occupation{} : occupation(table, catalogs.front(), o);
  if (!occ.halos.empty()) {
    // Galaxies of well-resolved halos (>= 100 particles) against the Tinker et al. 2008
    // integral above the same mass: below it FoF catalogues of PM runs are incomplete.
    const auto& h = catalogs.front().header;
    const double volume = h.box_size * h.box_size * h.box_size;
    const double m_res = 100.0 * h.particle_mass * 1e10;
    const auto& mass = table.column("halo_mass").as<double>();
    const double n_res = static_cast<double>(
        std::count_if(mass.begin(), mass.end(), [&](double m) { return m >= m_res; }));
    double expected = 0;  // the HOD's mean over this catalogue's halos
    for (std::size_t b = 0; b < occ.halos.size(); ++b) expected += occ.exp_cen[b] + occ.exp_sat[b];
    s << "number_density " << table.rows() / volume << " (h/Mpc)^3\n"
      << "number_density_expected " << expected / volume
      << " (h/Mpc)^3  (sum of <N_cen> + <N_sat> over the catalogue's halos; Poisson error "
      << std::sqrt(expected) / volume << ")\n"
      << "number_density_above_100_particles " << n_res / volume
      << " (h/Mpc)^3  (halo mass >= " << sim::format_setting(m_res) << " Msun/h)\n"
      << "number_density_tinker08_above_100_particles "
      << hmf_galaxy_density(cosmo, h.a, m_res, o.hod.params)
      << " (h/Mpc)^3  (integral of dn/dlnM (<N_cen> + <N_sat>) above the same mass)\n";
  }
  if (!o.filters.empty() && table.rows() > 0 &&
      std::isnan(table.column("mag_true_" + o.filters.front().name).as<double>().front()))
    s << "photometry none: the galaxies are at z < 0.001 (set photometry_z)\n";
  for (std::size_t b = 0; b < o.filters.size(); ++b) {
    const auto& det = table.column("detected_" + o.filters[b].name).as<bool>();
    const double n = static_cast<double>(std::count(det.begin(), det.end(), true));
    s << "detected_fraction_" << o.filters[b].name << " " << (table.rows() ? n / table.rows() : 0)
      << "\n";
  }
  sim::write_file_atomic(dir + "/summary.txt", s.str());
  files.push_back(dir + "/summary.txt");
  if (!occ.halos.empty()) {
    sim::write_file_atomic(dir + "/hod_occupation.txt", occupation_table(occ));
    files.push_back(dir + "/hod_occupation.txt");
    occupation_plot(dir + "/hod_occupation.png", occ, o.hod.params);
    files.push_back(dir + "/hod_occupation.png");
  }
  if (o.filters.size() >= 2 && table.rows() > 0) {
    colour_plot(dir + "/colours_vs_z.png", table, cosmo, o, lightcone);
    files.push_back(dir + "/colours_vs_z.png");
  }
  return files;
}

}  // namespace cosmograd::apps
