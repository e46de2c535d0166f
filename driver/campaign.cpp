#include "driver/campaign.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>

#include "driver/config.hpp"
#include "sim/core/atomic_file.hpp"
#include "sim/core/backend.hpp"
#include "sim/core/log.hpp"
#include "sim/io/detail/hdf5_file.hpp"
#include "sim/io/snapshot.hpp"
#include "sim/measure/power_spectrum.hpp"
#include "sim/mesh/ghosts.hpp"
#include "sim/pm/adjoint.hpp"

namespace cosmograd::driver {

namespace fs = std::filesystem;
using sim::KeySpec;
using sim::Settings;
using namespace sim::detail;  // the HDF5 helpers

namespace {

constexpr const char* kSummaryNames = "density, power, bispectrum, halos";

CampaignSummaries parse_summaries(const Settings& s) {
  CampaignSummaries out;
  const std::vector<std::string> names = sim::split_list(s.get_string("summaries"));
  for (const std::string& name : names) {
    if (name == "density") {
      out.density = true;
    } else if (name == "power") {
      out.power = true;
    } else if (name == "bispectrum") {
      out.bispectrum = true;
    } else if (name == "halos") {
      out.halos = true;
    } else {
      sim::bad_setting("summaries", name,
                       std::string("is not a summary (allowed: ") + kSummaryNames + ")");
    }
  }
  if (names.empty()) {
    sim::bad_setting("summaries", "''", std::string("is empty (allowed: ") + kSummaryNames + ")");
  }
  const long long dm = s.get_int("density_mesh");
  if (dm < 2 || dm > 1024 || dm % 2 != 0) {
    sim::bad_setting("density_mesh", s.get_string("density_mesh"),
                     "is not allowed (allowed: even, 2 to 1024)");
  }
  out.density_mesh = static_cast<int>(dm);
  const long long pm = s.get_int("power_mesh");
  if (pm < 0 || pm > 4096 || pm % 2 != 0) {
    sim::bad_setting("power_mesh", s.get_string("power_mesh"),
                     "is not allowed (allowed: 0 for the force mesh, or even up to 4096)");
  }
  out.power_mesh = static_cast<int>(pm);
  out.power_interlace = s.get_bool("power_interlace");
  out.power_k_max = s.get_double("power_k_max");
  if (out.power_k_max < 0) {
    sim::bad_setting("power_k_max", s.get_string("power_k_max"), "is negative (allowed: >= 0)");
  }
  out.shells = {s.get_double("bispectrum_dk"), s.get_double("bispectrum_k_min"),
                s.get_double("bispectrum_k_max")};
  out.triangles =
      sim::parse_triangle_set(s.get_string("bispectrum_triangles"), "bispectrum_triangles");
  if (out.triangles == sim::TriangleSet::angle) {
    sim::bad_setting("bispectrum_triangles", "angle",
                     "is not a campaign summary (allowed: all, equilateral)");
  }
  out.halo_mass_edges = s.get_doubles("halo_mass_bins");
  if (out.halo_mass_edges.size() < 2 ||
      !std::is_sorted(out.halo_mass_edges.begin(), out.halo_mass_edges.end(),
                      [](double a, double b) { return a <= b; })) {
    sim::bad_setting("halo_mass_bins", s.get_string("halo_mass_bins"),
                     "is not allowed (allowed: at least two increasing log10 M edges)");
  }
  out.fof.linking_length = s.get_double("linking_length");
  out.fof.min_members = static_cast<int>(s.get_int("min_members"));
  if (!(out.fof.linking_length > 0 && out.fof.linking_length <= 1)) {
    sim::bad_setting("linking_length", s.get_string("linking_length"),
                     "is not allowed (allowed: 0 < b <= 1)");
  }
  sim::check_int_range("min_members", out.fof.min_members, 2, 1000000);
  return out;
}

/// "i:j" of the `tasks` key: [i, j) clipped to the design's size; "" is everything.
void parse_tasks(const std::string& text, int total, int* begin, int* end) {
  *begin = 0;
  *end = total;
  if (text.empty()) return;
  const std::size_t colon = text.find(':');
  try {
    if (colon == std::string::npos) throw std::invalid_argument(text);
    std::size_t used = 0;
    const std::string a = text.substr(0, colon), b = text.substr(colon + 1);
    *begin = a.empty() ? 0 : std::stoi(a, &used);
    if (!a.empty() && used != a.size()) throw std::invalid_argument(a);
    *end = b.empty() ? total : std::stoi(b, &used);
    if (!b.empty() && used != b.size()) throw std::invalid_argument(b);
  } catch (const std::logic_error&) {
    sim::bad_setting("tasks", text, "is not I:J (the points with I <= index < J)");
  }
  if (*begin < 0 || *begin >= *end || *end > total) {
    sim::bad_setting("tasks", text,
                     "is out of range (allowed: 0 <= I < J <= " + std::to_string(total) + ")");
  }
}

/// The design as text: one line per point.
std::string design_text(const CampaignConfig& c, const std::vector<DesignPoint>& points,
                        bool only_complete, const std::set<int>& complete) {
  std::ostringstream os;
  os << "# index seed set";
  for (const ParameterRange& r : c.prior) os << " " << sim::cosmo_param_name(r.param);
  os << " file\n";
  char buf[64];
  for (const DesignPoint& p : points) {
    if (only_complete && complete.count(p.index) == 0) continue;
    os << p.index << " " << p.seed << " " << (p.fiducial ? "fiducial" : "design");
    for (double v : p.values) {
      std::snprintf(buf, sizeof buf, " %.17g", v);
      os << buf;
    }
    os << " " << campaign_sim_file(p.index) << "\n";
  }
  return os.str();
}

/// Indices with a complete summary file in c.out/sims (a complete file has its final name).
std::set<int> complete_points(const CampaignConfig& c, int total) {
  std::set<int> done;
  for (int i = 0; i < total; ++i) {
    if (fs::is_regular_file(fs::path(c.out) / campaign_sim_file(i))) done.insert(i);
  }
  return done;
}

/// Removes the temporaries a killed job left for the points [begin, end).
void remove_stale_temporaries(const CampaignConfig& c, int begin, int end) {
  const fs::path dir = fs::path(c.out) / "sims";
  if (!fs::is_directory(dir)) return;
  for (const fs::directory_entry& e : fs::directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    int index = -1;
    if (std::sscanf(name.c_str(), "sim_%d.h5.tmp.", &index) == 1 &&
        name.find(".h5.tmp.") != std::string::npos && index >= begin && index < end) {
      std::error_code ec;
      fs::remove(e.path(), ec);
    }
  }
}

/// Writes campaign.ini, or checks that the one there describes the same campaign.
void claim_directory(const CampaignConfig& c, const Settings& identity) {
  const fs::path ini = fs::path(c.out) / "campaign.ini";
  const std::string text =
      identity.to_ini("cosmograd campaign: the settings that define this campaign's files");
  if (fs::exists(ini)) {
    std::ifstream in(ini);
    std::string line;
    std::getline(in, line);  // header
    std::map<std::string, std::string> there;
    while (std::getline(in, line)) {
      const std::size_t eq = line.find(" = ");
      if (eq != std::string::npos) there[line.substr(0, eq)] = line.substr(eq + 3);
    }
    for (const auto& [k, v] : identity.values()) {
      const auto it = there.find(k);
      const std::string old = it == there.end() ? "(absent)" : it->second;
      if (old != v) {
        throw std::invalid_argument(
            "out = " + c.out + " holds another campaign: its campaign.ini has " + k + " = '" + old +
            "' where this one has '" + v +
            "' (allowed: the same settings, to resume it or run another slice with tasks; or a "
            "new out)");
      }
    }
    return;
  }
  sim::write_file_atomic(ini.string(), text);
}

/// The CIC density contrast of `p` on an m^3 mesh (real values, C order).
template <class T>
std::vector<float> density_summary(const sim::Particles<T>& p, int m) {
  sim::Field<T> rho{sim::Decomposition(m)};
  rho.fill(T(0));
  const double n3 = std::pow(static_cast<double>(m), 3);
  const T mass = static_cast<T>(n3 / static_cast<double>(p.size()));
  sim::paint(rho, p, p.box_size, sim::PaintKernel::cic, mass, 0.0);
  sim::reduce_ghosts(rho);
  std::vector<float> out(static_cast<std::size_t>(n3));
  for (int x = 0; x < m; ++x)
    for (int y = 0; y < m; ++y)
      for (int z = 0; z < m; ++z) {
        out[(static_cast<std::size_t>(x) * m + y) * m + z] =
            static_cast<float>(rho.at(x, y, z) - T(1));
      }
  return out;
}

/// Halo counts per log10 mass bin of the FoF halos of `p`.
template <class T>
std::vector<std::int64_t> halo_counts(const sim::Particles<T>& p, const sim::SimSpec& spec,
                                      const CampaignSummaries& s) {
  sim::SnapshotHeader h;
  h.box_size = spec.box_size;
  h.a = spec.a_final();
  h.Omega_m = spec.cosmology.Omega_m;
  h.Omega_lambda = sim::Cosmology(spec.cosmology).Omega_de();
  h.h = spec.cosmology.h;
  h.particle_mass = sim::lattice_particle_mass(spec.cosmology.Omega_m, spec.box_size,
                                               static_cast<std::uint64_t>(p.size()));
  const sim::HaloCatalog cat = sim::find_halos(p, h, s.fof);
  std::vector<std::int64_t> counts(s.halo_mass_edges.size() - 1, 0);
  for (const sim::Halo& halo : cat.halos) {
    const double lm = std::log10(halo.mass);
    for (std::size_t b = 0; b + 1 < s.halo_mass_edges.size(); ++b) {
      if (lm >= s.halo_mass_edges[b] && lm < s.halo_mass_edges[b + 1]) ++counts[b];
    }
  }
  return counts;
}

/// Simulates point `pt` and writes its summary file atomically.
template <class T>
void simulate_point(const CampaignConfig& c, const DesignPoint& pt) {
  sim::SimSpec spec = c.base;
  spec.cosmology = pt.cosmology;
  spec.seed = pt.seed;
  const int threads = sim::use_threads(spec.threads);
  sim::DifferentiableSim<T> engine(spec, sim::GradientMode::adjoint, 1, sim::Comm::self());
  const sim::Particles<T>& p = engine.forward(engine.white_noise());
  const CampaignSummaries& s = c.summaries;

  const std::string path = (fs::path(c.out) / campaign_sim_file(pt.index)).string();
  sim::AtomicWrite write(path);
  const std::string& tmp = write.temp_path();
  {
    H5Id file = h5_create_file(tmp);
    const hid_t root = file.get();
    h5_write_attribute<std::int64_t>(root, "index", pt.index, tmp);
    h5_write_attribute<std::uint64_t>(root, "seed", pt.seed, tmp);
    h5_write_attribute<std::int32_t>(root, "fiducial", pt.fiducial ? 1 : 0, tmp);
    h5_write_attribute<double>(root, "box_size", spec.box_size, tmp);
    h5_write_attribute<double>(root, "redshift", 1.0 / spec.a_final() - 1.0, tmp);
    h5_write_attribute<std::int32_t>(root, "particles", spec.particles, tmp);
    h5_write_string_attribute(root, "parameter_names", format_prior(c.prior), tmp);
    h5_write_attribute<double>(root, "parameters", pt.values, tmp);
    std::vector<double> all(sim::kNumCosmoParams);
    sim::CosmologyParams cp = pt.cosmology;
    for (int i = 0; i < sim::kNumCosmoParams; ++i) {
      all[i] = sim::param(cp, static_cast<sim::CosmoParam>(i));
    }
    h5_write_attribute<double>(root, "cosmology", all, tmp);
    h5_write_string_attribute(root, "cosmology_names", "Omega_m,Omega_b,h,n_s,sigma8,w0,wa", tmp);
    if (s.density) {
      const int m = s.density_mesh;
      const std::vector<float> delta = density_summary(p, m);
      H5Id space = h5_dataspace({hsize_t(m), hsize_t(m), hsize_t(m)}, tmp + "/density");
      H5Id dset = h5_create_dataset(root, "density", h5_file_float_type<float>(), space.get(),
                                    tmp + "/density");
      h5_check(H5Dwrite(dset.get(), H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, delta.data()),
               "H5Dwrite", tmp + "/density");
      h5_write_string_attribute(dset.get(), "quantity",
                                "CIC density contrast rho / rho_mean - 1 (real space)", tmp);
      dset.close("H5Dclose", tmp + "/density");
    }
    sim::PowerOptions po;
    po.mesh = s.power_mesh > 0 ? s.power_mesh : spec.mesh;
    po.window = sim::PaintKernel::cic;
    po.interlace = s.power_interlace;
    po.subtract_shot_noise = false;
    po.k_max = s.power_k_max;
    if (s.power) {
      const sim::PowerSpectrum ps = sim::particle_power(p, p.size(), po, threads);
      H5Id g = h5_create_group(root, "power", tmp);
      h5_write_dataset(g.get(), "k", h5_file_float_type<double>(), ps.k, 0, tmp + "/power");
      h5_write_dataset(g.get(), "power", h5_file_float_type<double>(), ps.power, 0, tmp + "/power");
      h5_write_dataset(g.get(), "modes", h5_file_float_type<double>(), ps.modes, 0, tmp + "/power");
      h5_write_attribute<std::int32_t>(g.get(), "mesh", po.mesh, tmp);
    }
    if (s.bispectrum) {
      const sim::Fft<T> fft(sim::Decomposition(po.mesh), threads);
      const sim::Field<T> modes = sim::density_modes(p, p.size(), po, fft);
      const std::vector<double> centres = sim::shell_centres(s.shells, po.mesh, spec.box_size);
      const sim::Bispectrum b = sim::bispectrum(
          modes, spec.box_size, s.shells, sim::shell_triangles(s.triangles, centres), threads);
      std::vector<double> cols[6];
      for (const sim::BispectrumTriangle& t : b.triangles) {
        cols[0].push_back(t.k1_mean);
        cols[1].push_back(t.k2_mean);
        cols[2].push_back(t.k3_mean);
        cols[3].push_back(t.triangles);
        cols[4].push_back(t.bispectrum);
        cols[5].push_back(t.reduced);
      }
      H5Id g = h5_create_group(root, "bispectrum", tmp);
      const char* names[6] = {"k1", "k2", "k3", "triangles", "bispectrum", "reduced"};
      for (int i = 0; i < 6; ++i) {
        h5_write_dataset(g.get(), names[i], h5_file_float_type<double>(), cols[i], 0,
                         tmp + "/bispectrum");
      }
      h5_write_attribute<std::int32_t>(g.get(), "mesh", po.mesh, tmp);
    }
    if (s.halos) {
      const std::vector<std::int64_t> counts = halo_counts(p, spec, s);
      H5Id g = h5_create_group(root, "halos", tmp);
      h5_write_dataset(g.get(), "log10_mass_edges", h5_file_float_type<double>(), s.halo_mass_edges,
                       0, tmp + "/halos");
      h5_write_dataset(g.get(), "counts", H5T_STD_I64LE, counts, 0, tmp + "/halos");
    }
    file.close("H5Fclose", tmp);
  }
  write.commit();
}

}  // namespace

const std::vector<KeySpec>& campaign_keys() {
  static const std::vector<KeySpec> keys = [] {
    std::vector<KeySpec> k = sim_keys();
    const std::map<std::string, std::string> defaults = {
        {"particles", "32"}, {"mesh", "64"}, {"box_size", "256"}, {"fft_planning", "estimate"}};
    for (KeySpec& spec : k) {
      const auto it = defaults.find(spec.name);
      if (it != defaults.end()) spec.default_value = it->second;
      if (spec.name == "fft_planning") spec.help += " (estimate: files identical on every rerun)";
      if (spec.name == "seed") spec.help = "unused: every point's seed comes from design_seed";
    }
    const CampaignSummaries d;
    const std::vector<KeySpec> campaign = {
        {"out", "", "", "the campaign directory (required)"},
        {"prior", "", "Omega_m:0.1:0.5,sigma8:0.6:1.0",
         "uniform prior: NAME:LO:HI entries of Omega_m, Omega_b, h, n_s, sigma8, w0, wa"},
        {"design", "", "lhs", "lhs (Latin hypercube) or sobol (digitally shifted)"},
        {"simulations", "", "100", "design points"},
        {"fiducial_simulations", "", "0",
         "extra simulations at the base cosmology (covariances), after the design points"},
        {"design_seed", "", "1", "seed of the design and of every point's white noise"},
        {"summaries", "", "density,power", std::string("what each file holds: ") + kSummaryNames},
        {"density_mesh", "per side", std::to_string(d.density_mesh), "density summary mesh"},
        {"power_mesh", "per side", "0", "P(k) and bispectrum mesh (0: the force mesh)"},
        {"power_interlace", "", "true", "interlaced P(k) and bispectrum"},
        {"power_k_max", "h/Mpc", "0", "last P(k) bin edge (0: Nyquist)"},
        {"bispectrum_triangles", "", "all", "all (k1 <= k2 <= k3, closed) or equilateral"},
        {"bispectrum_dk", "h/Mpc", "0", "bispectrum shell width (0: 2 pi / L)"},
        {"bispectrum_k_min", "h/Mpc", "0", "centre of the first shell (0: bispectrum_dk)"},
        {"bispectrum_k_max", "h/Mpc", "0", "last shell centre at most this (0: k_Nyquist / 2)"},
        {"halo_mass_bins", "log10 Msun/h", "12,12.5,13,13.5,14,15", "halo count bin edges"},
        {"linking_length", "", "0.2", "FoF linking length (mean separations)"},
        {"min_members", "", "20", "smallest FoF halo"},
        {"tasks", "", "", "I:J: only the points with I <= index < J (batch arrays; '' all)"},
        {"progress", "", "true", "a log line per simulation"},
    };
    k.insert(k.end(), campaign.begin(), campaign.end());
    return k;
  }();
  return keys;
}

bool campaign_key_is_local(const std::string& key) {
  return key == "out" || key == "tasks" || key == "threads" || key == "progress" ||
         key == "log_level";
}

CampaignConfig campaign_config_from(const Settings& s) {
  CampaignConfig c;
  c.base = sim_spec_from(s);
  c.out = s.get_string("out");
  if (c.out.empty()) sim::bad_setting("out", "''", "is empty (give the campaign directory)");
  c.prior = parse_prior("prior", s.get_string("prior"));
  c.design = parse_design_kind(s.get_string("design"));
  const long long n = s.get_int("simulations");
  sim::check_int_range("simulations", n, 1, 10000000);
  c.simulations = static_cast<int>(n);
  const long long f = s.get_int("fiducial_simulations");
  sim::check_int_range("fiducial_simulations", f, 0, 10000000);
  c.fiducial = static_cast<int>(f);
  const long long seed = s.get_int("design_seed");
  if (seed < 0) sim::bad_setting("design_seed", s.get_string("design_seed"), "is negative");
  c.design_seed = static_cast<std::uint64_t>(seed);
  c.summaries = parse_summaries(s);
  c.progress = s.get_bool("progress");
  parse_tasks(s.get_string("tasks"), c.simulations + c.fiducial, &c.task_begin, &c.task_end);
  return c;
}

std::string campaign_sim_file(int index) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "sims/sim_%06d.h5", index);
  return buf;
}

CampaignReport run_campaign(const CampaignConfig& c, const Settings& identity,
                            const sim::Comm& comm) {
  const auto start = std::chrono::steady_clock::now();
  const std::vector<DesignPoint> points = campaign_design(
      c.prior, c.design, c.simulations, c.fiducial, c.design_seed, c.base.cosmology);
  CampaignReport report;
  report.total = static_cast<int>(points.size());
  if (comm.rank() == 0) {
    fs::create_directories(fs::path(c.out) / "sims");
    claim_directory(c, identity);
    sim::write_file_atomic((fs::path(c.out) / "design.txt").string(),
                           design_text(c, points, false, {}));
    remove_stale_temporaries(c, c.task_begin, c.task_end);
  }
  comm.barrier();
  const std::set<int> done = complete_points(c, report.total);
  std::vector<int> todo;
  for (int i = c.task_begin; i < c.task_end; ++i) {
    if (done.count(i) > 0) {
      ++report.skipped;
    } else {
      todo.push_back(i);
    }
  }
  if (comm.rank() == 0) {
    sim::log_info("campaign: ", todo.size(), " of ", c.task_end - c.task_begin,
                  " simulations to run (", report.skipped, " complete) on ", comm.size(),
                  " rank(s)");
  }
  std::int64_t ran = 0;
  for (std::size_t k = comm.rank(); k < todo.size(); k += comm.size()) {
    const DesignPoint& pt = points[todo[k]];
    const auto t0 = std::chrono::steady_clock::now();
    if (c.base.double_precision) {
      simulate_point<double>(c, pt);
    } else {
      simulate_point<float>(c, pt);
    }
    ++ran;
    if (c.progress) {
      std::ostringstream os;
      for (std::size_t d = 0; d < c.prior.size(); ++d) {
        os << (d ? ", " : "") << sim::cosmo_param_name(c.prior[d].param) << " = " << pt.values[d];
      }
      const double sec =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      std::fprintf(stderr, "campaign: [rank %d] sim %d%s (%s) %.2f s\n", comm.rank(), pt.index,
                   pt.fiducial ? " fiducial" : "", os.str().c_str(), sec);
    }
  }
  comm.sum(&ran, 1);
  report.ran = static_cast<int>(ran);
  comm.barrier();
  if (comm.rank() == 0) {
    sim::write_file_atomic((fs::path(c.out) / "manifest.txt").string(),
                           design_text(c, points, true, complete_points(c, report.total)));
  }
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return report;
}

CampaignManifest read_campaign_manifest(const std::string& dir) {
  const std::string path = (fs::path(dir) / "manifest.txt").string();
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open campaign manifest '" + path + "'");
  CampaignManifest m;
  std::string line;
  int lineno = 0;
  while (std::getline(in, line)) {
    ++lineno;
    std::istringstream ls(line);
    if (lineno == 1) {
      std::string word;
      ls >> word;  // '#'
      for (int i = 0; i < 3; ++i) ls >> word;
      while (ls >> word && word != "file") m.parameters.push_back(word);
      continue;
    }
    if (line.empty() || line[0] == '#') continue;
    CampaignEntry e;
    std::string set;
    ls >> e.index >> e.seed >> set;
    e.fiducial = set == "fiducial";
    e.values.resize(m.parameters.size());
    for (double& v : e.values) ls >> v;
    ls >> e.file;
    if (!ls || (set != "design" && set != "fiducial")) {
      throw std::runtime_error(path + ":" + std::to_string(lineno) +
                               ": expected 'index seed design|fiducial values... file'");
    }
    e.file = (fs::path(dir) / e.file).string();
    m.entries.push_back(e);
  }
  return m;
}

}  // namespace cosmograd::driver
