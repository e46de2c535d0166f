#include "sim/config.hpp"

#include <algorithm>
#include <functional>
#include <sstream>
#include <stdexcept>

#include "sim/log.hpp"

namespace cosmograd::sim {
namespace {

/// Throws unless lo <= v <= hi, naming the key.
void check_int_range(const std::string& key, long long v, long long lo, long long hi) {
  if (v < lo || v > hi) {
    bad_setting(
        key, std::to_string(v),
        "is out of range (allowed: " + std::to_string(lo) + " to " + std::to_string(hi) + ")");
  }
}

}  // namespace

const std::vector<KeySpec>& cosmology_keys() {
  static const std::vector<KeySpec> keys = [] {
    const CosmologyParams p = planck2015();
    return std::vector<KeySpec>{
        {"Omega_m", "", format_setting(p.Omega_m), "total matter density today (CDM + baryons)"},
        {"Omega_b", "", format_setting(p.Omega_b), "baryon density today"},
        {"h", "", format_setting(p.h), "H0 / (100 km/s/Mpc)"},
        {"n_s", "", format_setting(p.n_s), "primordial spectral index"},
        {"sigma8", "", format_setting(p.sigma8), "rms linear density in 8 Mpc/h spheres at z = 0"},
        {"w0", "", format_setting(p.w0), "dark-energy equation of state today"},
        {"wa", "", format_setting(p.wa), "its evolution, w = w0 + wa (1 - a)"},
        {"Omega_k", "", format_setting(p.Omega_k), "curvature density (> 0 open)"},
        {"T_cmb", "K", format_setting(p.T_cmb), "CMB temperature (radiation density)"},
        {"N_eff", "", format_setting(p.N_eff), "effective number of massless neutrinos"},
        {"radiation", "", "false", "include photons and massless neutrinos in E(a)"},
        {"A_s", "", "0", "primordial amplitude for transfer tables (0: use sigma8)"},
        {"transfer", "", "eisenstein_hu",
         "linear power: eisenstein_hu, eisenstein_hu_nowiggle or table"},
        {"transfer_file", "", "", "CLASS _pk/_tk or CAMB _matterpower file for transfer = table"},
    };
  }();
  return keys;
}

const std::vector<KeySpec>& run_keys() {
  static const std::vector<KeySpec> keys = [] {
    std::vector<KeySpec> k = cosmology_keys();
    const std::vector<KeySpec> sim = {
        {"box_size", "Mpc/h", "256", "box side"},
        {"particles", "per side", "128", "particles per side of the lattice"},
        {"mesh", "per side", "256",
         "force mesh cells per side (any even number; B = mesh / particles)"},
        {"a_init", "", "0.1", "scale factor of the initial conditions"},
        {"steps", "", "10", "time steps from a_init to the last output (output times are added)"},
        {"time_steps", "", "linear", "step spacing: linear (in a) or log (in a)"},
        {"a_list", "", "", "explicit scale factors of the steps (overrides a_init, steps)"},
        {"z_out", "", "0", "output redshifts (comma-separated); the run ends at the lowest"},
        {"seed", "", "42", "white-noise seed"},
        {"lpt_order", "", "2", "initial conditions: 1 (Zel'dovich) or 2 (2LPT)"},
        {"fixed_amplitude", "", "false", "fix |delta_k| to its rms (Angulo & Pontzen 2016)"},
        {"paired", "", "false", "flip the phases (the pair of a fixed run)"},
        {"ic_linear_field", "", "", "HDF5 file with the linear density `delta` to start from"},
        {"painter", "", "cic", "force mass assignment: cic, tsc or pcs"},
        {"force_gradient", "", "fd4", "force gradient: fd4 (FastPM) or exact"},
        {"force_deconvolve", "", "false", "divide the force by the window W(k)^2"},
        {"precision", "", "float", "particles and meshes: float or double"},
        {"threads", "", "0", "OpenMP threads (0: all available)"},
        {"device", "", "cpu", "compute backend: cpu or cuda (a CUDA build with a GPU)"},
        {"fft_planning", "", "measure", "FFTW planning: measure (cached wisdom) or estimate"},
        {"output_dir", "", "cosmograd-out",
         "output directory (created; must be empty or new unless overwrite)"},
        {"overwrite", "", "false",
         "replace the outputs of an earlier run in output_dir (else a non-empty one is refused)"},
        {"write_snapshot", "", "true", "Gadget-4 HDF5 snapshot at each output"},
        {"write_density", "", "true", "density mesh (HDF5) at each output"},
        {"snapshot_length_unit", "", "kpc/h", "snapshot lengths: kpc/h (yt's default) or Mpc/h"},
        {"snapshot_files", "", "0",
         "files per snapshot (0: one per MPI rank, 1 when serial; at most one per rank)"},
        {"power_mesh", "per side", "0", "P(k) measurement mesh (0: the force mesh)"},
        {"power_interlace", "", "true", "interlaced P(k) measurement"},
        {"halos", "", "false", "FoF halo catalogue and mass function at each output"},
        {"halo_linking_length", "mean separations", "0.2", "FoF linking length b"},
        {"halo_min_members", "particles", "20", "smallest halo kept"},
        {"progress", "", "true", "progress bar with ETA"},
        {"log_level", "", "info", "debug, info, warn, error or off"},
    };
    k.insert(k.end(), sim.begin(), sim.end());
    return k;
  }();
  return keys;
}

CosmologyParams cosmology_from(const Settings& s) {
  CosmologyParams p;
  p.Omega_m = s.get_double("Omega_m");
  p.Omega_b = s.get_double("Omega_b");
  p.h = s.get_double("h");
  p.n_s = s.get_double("n_s");
  p.sigma8 = s.get_double("sigma8");
  p.w0 = s.get_double("w0");
  p.wa = s.get_double("wa");
  p.Omega_k = s.get_double("Omega_k");
  p.T_cmb = s.get_double("T_cmb");
  p.N_eff = s.get_double("N_eff");
  p.radiation = s.get_bool("radiation");
  p.A_s = s.get_double("A_s");
  p.validate();
  return p;
}

TransferChoice transfer_from(const Settings& s) {
  TransferChoice t{s.get_string("transfer"), s.get_string("transfer_file")};
  if (t.name == "table" && t.table_path.empty()) {
    bad_setting("transfer_file", "", "is empty but transfer = table needs a file");
  }
  return t;
}

double SimConfig::a_final() const {
  if (!a_list.empty()) return a_list.back();
  return 1.0 / (1.0 + z_out.back());
}

std::vector<double> SimConfig::time_grid() const {
  if (!a_list.empty()) return a_list;
  std::vector<double> outs;
  for (double z : z_out) outs.push_back(1.0 / (1.0 + z));
  return make_time_grid(a_init, a_final(), steps, spacing, outs);
}

SimConfig sim_config_from(const Settings& s) {
  SimConfig c;
  c.cosmology = cosmology_from(s);
  c.transfer = transfer_from(s);
  c.box_size = s.get_double("box_size");
  if (!(c.box_size > 0))
    bad_setting("box_size", s.get_string("box_size"), "is out of range (allowed: > 0 Mpc/h)");
  const long long particles = s.get_int("particles");
  check_int_range("particles", particles, 2, 4096);
  if (particles % 2 != 0)
    bad_setting("particles", s.get_string("particles"), "is odd (allowed: even numbers)");
  c.particles = static_cast<int>(particles);
  const long long mesh = s.get_int("mesh");
  check_int_range("mesh", mesh, 2, 8192);
  if (mesh % 2 != 0) bad_setting("mesh", s.get_string("mesh"), "is odd (allowed: even numbers)");
  c.mesh = static_cast<int>(mesh);
  if (c.mesh % c.particles != 0) {
    // Not an error, but the lattice is then not force-free and early growth suffers.
    log_warn("mesh = ", c.mesh, " is not a multiple of particles = ", c.particles,
             ": B = mesh / particles = ", static_cast<double>(c.mesh) / c.particles,
             " is not an integer, so the initial lattice is not force-free and growth in the "
             "first steps is 10-29% off on the measure of tests/sim/test_pm_evolution.cpp; "
             "use an integer B (1, 2, 3) unless you mean it");
  }
  c.a_init = s.get_double("a_init");
  if (!(c.a_init > 0 && c.a_init <= 1))
    bad_setting("a_init", s.get_string("a_init"), "is out of range (allowed: 0 < a_init <= 1)");
  const long long steps = s.get_int("steps");
  check_int_range("steps", steps, 0, 100000);
  c.steps = static_cast<int>(steps);
  c.spacing = parse_step_spacing(s.get_string("time_steps"));
  const std::vector<double> a_list = s.get_doubles("a_list");
  if (!a_list.empty()) c.a_list = checked_time_list(a_list);
  c.z_out = s.get_doubles("z_out");
  if (c.z_out.empty())
    bad_setting("z_out", s.get_string("z_out"), "is empty (allowed: one or more redshifts >= 0)");
  for (double z : c.z_out) {
    if (!(z >= -0.5) || !(1.0 / (1.0 + z) >= c.a_init - 1e-12)) {
      bad_setting("z_out", s.get_string("z_out"),
                  "has redshift " + format_setting(z) +
                      " outside the run (allowed: -0.5 <= z <= 1/a_init - 1 = " +
                      format_setting(1.0 / c.a_init - 1.0) + ")");
    }
  }
  std::sort(c.z_out.begin(), c.z_out.end(), std::greater<double>());
  if (!c.a_list.empty()) {
    c.a_init = c.a_list.front();
    for (double z : c.z_out) {
      const double a = 1.0 / (1.0 + z);
      const bool on_grid = std::any_of(c.a_list.begin(), c.a_list.end(),
                                       [a](double v) { return std::abs(v - a) <= 1e-9 * a; });
      if (!on_grid)
        bad_setting("z_out", s.get_string("z_out"),
                    "has redshift " + format_setting(z) + " whose a is not in a_list");
    }
  }
  const long long seed = s.get_int("seed");
  if (seed < 0) bad_setting("seed", s.get_string("seed"), "is negative (allowed: 0 to 2^63-1)");
  c.seed = static_cast<std::uint64_t>(seed);
  const long long order = s.get_int("lpt_order");
  check_int_range("lpt_order", order, 1, 2);
  c.lpt_order = static_cast<int>(order);
  c.fixed_amplitude = s.get_bool("fixed_amplitude");
  c.paired = s.get_bool("paired");
  c.ic_linear_field = s.get_string("ic_linear_field");
  c.painter = parse_paint_kernel(s.get_string("painter"));
  c.gradient = parse_gradient_kernel(s.get_string("force_gradient"));
  c.force_deconvolve = s.get_bool("force_deconvolve");
  const std::string& precision = s.get_string("precision");
  if (precision != "float" && precision != "double")
    bad_setting("precision", precision, "is not a precision (allowed: float, double)");
  c.double_precision = precision == "double";
  const long long threads = s.get_int("threads");
  check_int_range("threads", threads, 0, 4096);
  c.threads = static_cast<int>(threads);
  c.device = parse_device(s.get_string("device"));
  c.fft_planning = parse_fft_planning(s.get_string("fft_planning"));
  c.output_dir = s.get_string("output_dir");
  if (c.output_dir.empty()) bad_setting("output_dir", "", "is empty (allowed: a directory path)");
  c.write_snapshot = s.get_bool("write_snapshot");
  c.write_density = s.get_bool("write_density");
  const std::string& unit = s.get_string("snapshot_length_unit");
  if (unit != "kpc/h" && unit != "Mpc/h")
    bad_setting("snapshot_length_unit", unit, "is not a unit (allowed: kpc/h, Mpc/h)");
  c.snapshot_kpc = unit == "kpc/h";
  const long long files = s.get_int("snapshot_files");
  check_int_range("snapshot_files", files, 0, 65536);
  c.snapshot_files = static_cast<int>(files);
  const long long pmesh = s.get_int("power_mesh");
  check_int_range("power_mesh", pmesh, 0, 8192);
  if (pmesh % 2 != 0)
    bad_setting("power_mesh", s.get_string("power_mesh"), "is odd (allowed: 0 or even numbers)");
  c.power_mesh = static_cast<int>(pmesh);
  c.power_interlace = s.get_bool("power_interlace");
  c.progress = s.get_bool("progress");
  c.overwrite = s.get_bool("overwrite");
  c.halos = s.get_bool("halos");
  c.fof.linking_length = s.get_double("halo_linking_length");
  const long long min_members = s.get_int("halo_min_members");
  check_int_range("halo_min_members", min_members, 2, 1000000000);
  c.fof.min_members = static_cast<int>(min_members);
  c.fof.validate();
  c.time_grid();  // validates the grid now rather than mid-run
  return c;
}

}  // namespace cosmograd::sim
