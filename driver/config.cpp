#include "driver/config.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <sstream>
#include <string>

#include "sim/core/log.hpp"
#include "sim/cosmo/linear_power.hpp"
#include "sim/sky/lightcone.hpp"
#include "sim/sky/source_redshifts.hpp"

namespace cosmograd::driver {
namespace {

using sim::bad_setting;
using sim::check_int_range;
using sim::format_setting;

/// "true" or "false".
std::string bool_text(bool b) { return b ? "true" : "false"; }

/// `key` as an int, range-checked against what an int holds (the spec checks the rest).
int get_int(const Settings& s, const std::string& key) {
  const long long v = s.get_int(key);
  check_int_range(key, v, -2147483647LL, 2147483647LL);
  return static_cast<int>(v);
}

}  // namespace

const std::vector<KeySpec>& cosmology_keys() {
  static const std::vector<KeySpec> keys = [] {
    const sim::CosmologyParams p = sim::SimSpec{}.cosmology;
    const sim::TransferChoice t;
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
        {"radiation", "", bool_text(p.radiation), "include photons and massless neutrinos in E(a)"},
        {"A_s", "", format_setting(p.A_s),
         "primordial amplitude for transfer tables (0: use sigma8)"},
        {"transfer", "", t.name, "linear power: " + sim::transfer_names()},
        {"transfer_file", "", t.table_path,
         "CLASS _pk/_tk or CAMB _matterpower file for transfer = table"},
    };
  }();
  return keys;
}

const std::vector<KeySpec>& sim_keys() {
  static const std::vector<KeySpec> keys = [] {
    const sim::SimSpec d;
    std::vector<KeySpec> k = cosmology_keys();
    const std::vector<KeySpec> sim = {
        {"box_size", "Mpc/h", format_setting(d.box_size), "box side"},
        {"particles", "per side", std::to_string(d.particles),
         "particles per side of the lattice (even)"},
        {"mesh", "per side", std::to_string(d.mesh),
         "force mesh cells per side (any even number; B = mesh / particles)"},
        {"a_init", "", format_setting(d.a_init), "scale factor of the initial conditions"},
        {"steps", "", std::to_string(d.steps),
         "time steps from a_init to the last output (output times are added)"},
        {"time_steps", "", sim::step_spacing_name(d.spacing),
         "step spacing: linear (in a) or log (in a)"},
        {"a_list", "", "", "explicit scale factors of the steps (overrides a_init, steps)"},
        {"z_out", "", format_setting(d.z_out.front()),
         "output redshifts (comma-separated); the run ends at the lowest"},
        {"seed", "", std::to_string(d.seed), "white-noise seed"},
        {"lpt_order", "", std::to_string(d.lpt_order),
         "initial conditions: 1 (Zel'dovich) or 2 (2LPT)"},
        {"fixed_amplitude", "", bool_text(d.fixed_amplitude),
         "fix |delta_k| to its rms (Angulo & Pontzen 2016)"},
        {"paired", "", bool_text(d.paired), "flip the phases (the pair of a fixed run)"},
        {"ic_linear_field", "", d.ic_linear_field,
         "HDF5 file with the linear density `delta` to start from"},
        {"painter", "", sim::paint_kernel_name(d.painter),
         "mass assignment of the force and of P(k): " + sim::paint_kernel_names()},
        {"force_gradient", "", sim::gradient_kernel_name(d.gradient),
         "force gradient: " + sim::gradient_kernel_choices()},
        {"force_deconvolve", "", bool_text(d.force_deconvolve),
         "divide the force by the window W(k)^2"},
        {"precision", "", d.double_precision ? "double" : "float",
         "particles and meshes: float or double"},
        {"threads", "", std::to_string(d.threads), "OpenMP threads (0: all available)"},
        {"device", "", sim::device_name(d.device),
         "compute backend: cpu or cuda (a CUDA build with a GPU)"},
        {"fft_planning", "", sim::fft_planning_name(d.fft_planning),
         "FFTW planning: measure (cached wisdom) or estimate"},
    };
    k.insert(k.end(), sim.begin(), sim.end());
    return k;
  }();
  return keys;
}

const std::vector<KeySpec>& lensing_source_keys() {
  static const std::vector<KeySpec> keys = [] {
    const LightconeOptions d;
    return std::vector<KeySpec>{
        {"source_z", "", d.source_z,
         "convergence source-plane redshifts (comma-separated, 0 < z <= 20; empty: none)"},
        {"source_nz", "", d.source_nz,
         "convergence source n(z): comma-separated smail:ALPHA:BETA:Z0[:ZMAX] entries or files "
         "of two columns z n(z)"},
    };
  }();
  return keys;
}

const std::vector<KeySpec>& run_keys() {
  static const std::vector<KeySpec> keys = [] {
    const RunOptions d;
    std::vector<KeySpec> k = sim_keys();
    const std::vector<KeySpec> run = {
        {"output_dir", "", d.output_dir,
         "output directory (created; must be empty or new unless overwrite)"},
        {"overwrite", "", bool_text(d.overwrite),
         "replace the outputs of an earlier run in output_dir (else a non-empty one is refused)"},
        {"write_snapshot", "", bool_text(d.write_snapshot),
         "Gadget-4 HDF5 snapshot at each output"},
        {"write_density", "", bool_text(d.write_density), "density mesh (HDF5) at each output"},
        {"snapshot_length_unit", "", d.snapshot_kpc ? "kpc/h" : "Mpc/h",
         "snapshot lengths: kpc/h (yt's default) or Mpc/h"},
        {"snapshot_files", "", std::to_string(d.snapshot_files),
         "files per snapshot (0: one per MPI rank, 1 when serial; at most one per rank)"},
        {"power_mesh", "per side", std::to_string(d.power_mesh),
         "P(k) measurement mesh (0: the force mesh)"},
        {"power_interlace", "", bool_text(d.power_interlace), "interlaced P(k) measurement"},
        {"halos", "", bool_text(d.halos), "FoF halo catalogue and mass function at each output"},
        {"linking_length", "mean separations", format_setting(d.fof.linking_length),
         "FoF linking length b (0 < b <= 1)"},
        {"min_members", "particles", std::to_string(d.fof.min_members),
         "smallest halo kept (>= 2)"},
        {"progress", "", bool_text(d.progress), "progress bar with ETA"},
        {"restart_every", "steps, min or h", "0",
         "write restart files every N steps, or every X min / X h of wall clock (0: only at "
         "SIGTERM/SIGINT); continue with cosmograd run --resume output_dir"},
        {"lightcone", "", bool_text(d.lightcone.enabled),
         "record the past lightcone during the drifts (maps of mass and convergence)"},
        {"lightcone_z_max", "", format_setting(d.lightcone.z_max),
         "redshift of the lightcone's outer edge (below the initial redshift)"},
        {"lightcone_observer", "Mpc/h", "",
         "observer position x, y, z in the box (empty: the box centre)"},
        {"lightcone_shell_width", "Mpc/h", format_setting(d.lightcone.shell_width),
         "comoving width of the onion shells"},
        {"lightcone_shell_edges", "Mpc/h", "",
         "explicit shell edges, increasing, the last at most chi(lightcone_z_max) (empty: "
         "lightcone_shell_width from 0)"},
        {"lightcone_nside", "", std::to_string(d.lightcone.nside),
         "HEALPix nside of the full-sky shells (0: none; a power of 2)"},
        {"lightcone_healpix_deposit", "",
         d.lightcone.healpix_mesh       ? "mesh"
         : d.lightcone.healpix_bilinear ? "bilinear"
                                        : "nearest",
         "HEALPix shells: nearest (each crossing to its pixel), bilinear (to the four surrounding "
         "pixel centres; differentiable) or mesh (rays through the density at every step; fast, "
         "no gradient)"},
        {"lightcone_ray_step", "pixels", format_setting(d.lightcone.ray_step),
         "lightcone_healpix_deposit = mesh: step along the rays over the pixel size (0.25 to "
         "4; the mesh level is the finest not coarser than the step)"},
        {"lightcone_field_deg", "deg", format_setting(d.lightcone.field_deg),
         "side of a flat-sky field about +z with shuffled replicas (0: none; up to 60)"},
        {"lightcone_field_pixels", "per side", std::to_string(d.lightcone.field_pixels),
         "pixels of the flat-sky maps"},
        {"lightcone_particle_fraction", "", format_setting(d.lightcone.particle_fraction),
         "fraction of crossing particles written to lightcone_particles.hdf5 (0: none)"},
        {"lightcone_particle_cone_deg", "deg", format_setting(d.lightcone.particle_cone_deg),
         "half-angle about +z of the catalogued particles (180: full sky)"},
        {"lightcone_write_shells", "", bool_text(d.lightcone.write_shells),
         "one FITS mass map per shell besides the convergence maps"},
    };
    k.insert(k.end(), run.begin(), run.end());
    k.insert(k.end(), lensing_source_keys().begin(), lensing_source_keys().end());
    return k;
  }();
  return keys;
}

sim::CosmologyParams cosmology_from(const Settings& s) {
  sim::CosmologyParams p;
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

sim::TransferChoice transfer_from(const Settings& s) {
  sim::TransferChoice t{s.get_string("transfer"), s.get_string("transfer_file")};
  if (t.name == "table" && t.table_path.empty()) {
    bad_setting("transfer_file", "", "is empty but transfer = table needs a file");
  }
  return t;
}

sim::SimSpec sim_spec_from(const Settings& s) {
  sim::SimSpec c;
  c.cosmology = cosmology_from(s);
  c.transfer = transfer_from(s);
  c.box_size = s.get_double("box_size");
  c.particles = get_int(s, "particles");
  c.mesh = get_int(s, "mesh");
  c.a_init = s.get_double("a_init");
  c.steps = get_int(s, "steps");
  c.spacing = sim::parse_step_spacing(s.get_string("time_steps"));
  c.a_list = s.get_doubles("a_list");
  if (!c.a_list.empty()) c.a_init = c.a_list.front();
  c.z_out = s.get_doubles("z_out");
  std::sort(c.z_out.begin(), c.z_out.end(), std::greater<double>());
  const long long seed = s.get_int("seed");
  if (seed < 0) bad_setting("seed", s.get_string("seed"), "is negative (allowed: 0 to 2^63-1)");
  c.seed = static_cast<std::uint64_t>(seed);
  c.lpt_order = get_int(s, "lpt_order");
  c.fixed_amplitude = s.get_bool("fixed_amplitude");
  c.paired = s.get_bool("paired");
  c.ic_linear_field = s.get_string("ic_linear_field");
  c.painter = sim::parse_paint_kernel(s.get_string("painter"));
  c.gradient = sim::parse_gradient_kernel(s.get_string("force_gradient"));
  c.force_deconvolve = s.get_bool("force_deconvolve");
  const std::string& precision = s.get_string("precision");
  if (precision != "float" && precision != "double")
    bad_setting("precision", precision, "is not a precision (allowed: float, double)");
  c.double_precision = precision == "double";
  c.threads = get_int(s, "threads");
  c.device = sim::parse_device(s.get_string("device"));
  c.fft_planning = sim::parse_fft_planning(s.get_string("fft_planning"));
  c.validate();
  if (c.mesh % c.particles != 0) {
    // Not an error, but the lattice is then not force-free and early growth suffers.
    sim::log_warn("mesh = ", c.mesh, " is not a multiple of particles = ", c.particles,
                  ": B = mesh / particles = ", static_cast<double>(c.mesh) / c.particles,
                  " is not an integer, so the initial lattice is not force-free and growth in "
                  "the first steps is 10-29% off on the measure of "
                  "tests/sim/test_pm_evolution.cpp; use an integer B (1, 2, 3) unless you "
                  "mean it");
  }
  return c;
}

RestartPolicy parse_restart_every(const std::string& text) {
  const std::string key = "restart_every";
  std::istringstream in(text);
  double value = 0;
  std::string unit, rest;
  if (!(in >> value) || !std::isfinite(value) || value < 0) {
    sim::bad_setting(key, text,
                     "is not a number of steps or a time (allowed: 0 for off, N steps, X min, "
                     "X h)");
  }
  in >> unit >> rest;  // "30 min" or "30min"
  RestartPolicy p;
  if (unit.empty()) {
    if (value != std::floor(value) || value > 1e9) {
      sim::bad_setting(key, text, "is not a whole number of steps (allowed: 0, 1, 2, ...)");
    }
    p.steps = static_cast<int>(value);
  } else if ((unit == "min" || unit == "h") && rest.empty() && value > 0) {
    p.minutes = unit == "h" ? 60 * value : value;
  } else {
    sim::bad_setting(key, text, "has an unknown unit or form (allowed: 0, N steps, X min, X h)");
  }
  return p;
}

RunConfig run_config_from(const Settings& s) {
  RunConfig c;
  c.sim = sim_spec_from(s);
  RunOptions& o = c.out;
  o.output_dir = s.get_string("output_dir");
  if (o.output_dir.empty()) bad_setting("output_dir", "", "is empty (allowed: a directory path)");
  o.write_snapshot = s.get_bool("write_snapshot");
  o.write_density = s.get_bool("write_density");
  const std::string& unit = s.get_string("snapshot_length_unit");
  if (unit != "kpc/h" && unit != "Mpc/h")
    bad_setting("snapshot_length_unit", unit, "is not a unit (allowed: kpc/h, Mpc/h)");
  o.snapshot_kpc = unit == "kpc/h";
  const long long files = s.get_int("snapshot_files");
  check_int_range("snapshot_files", files, 0, 65536);
  o.snapshot_files = static_cast<int>(files);
  const long long pmesh = s.get_int("power_mesh");
  check_int_range("power_mesh", pmesh, 0, 8192);
  if (pmesh % 2 != 0)
    bad_setting("power_mesh", s.get_string("power_mesh"), "is odd (allowed: 0 or even numbers)");
  o.power_mesh = static_cast<int>(pmesh);
  o.power_interlace = s.get_bool("power_interlace");
  o.progress = s.get_bool("progress");
  o.overwrite = s.get_bool("overwrite");
  o.restart = parse_restart_every(s.get_string("restart_every"));
  o.halos = s.get_bool("halos");
  o.fof.linking_length = s.get_double("linking_length");
  const long long min_members = s.get_int("min_members");
  check_int_range("min_members", min_members, 2, 1000000000);
  o.fof.min_members = static_cast<int>(min_members);
  o.fof.validate();
  LightconeOptions& lc = o.lightcone;
  lc.enabled = s.get_bool("lightcone");
  lc.z_max = s.get_double("lightcone_z_max");
  const double z_init = 1.0 / c.sim.time_grid().front() - 1.0;
  if (!(lc.z_max > 0 && lc.z_max < z_init)) {
    bad_setting("lightcone_z_max", s.get_string("lightcone_z_max"),
                "is out of range (allowed: 0 < z_max < the initial redshift " +
                    format_setting(z_init) + ")");
  }
  lc.observer = s.get_doubles("lightcone_observer");
  if (!lc.observer.empty() && lc.observer.size() != 3) {
    bad_setting("lightcone_observer", s.get_string("lightcone_observer"),
                "is not a position (allowed: empty, or three numbers x, y, z in Mpc/h)");
  }
  for (double x : lc.observer) {
    if (!(x >= 0 && x <= c.sim.box_size)) {
      bad_setting("lightcone_observer", s.get_string("lightcone_observer"),
                  "is outside the box (allowed: 0 to box_size = " + format_setting(c.sim.box_size) +
                      " Mpc/h)");
    }
  }
  lc.shell_width = s.get_double("lightcone_shell_width");
  if (!(lc.shell_width > 0)) {
    bad_setting("lightcone_shell_width", s.get_string("lightcone_shell_width"),
                "is not positive (allowed: > 0 Mpc/h)");
  }
  lc.shell_edges = s.get_doubles("lightcone_shell_edges");
  lc.nside = get_int(s, "lightcone_nside");
  const std::string& deposit = s.get_string("lightcone_healpix_deposit");
  if (deposit != "nearest" && deposit != "bilinear" && deposit != "mesh") {
    bad_setting("lightcone_healpix_deposit", deposit,
                "is not a deposit (allowed: nearest, bilinear, mesh)");
  }
  lc.healpix_bilinear = deposit == "bilinear";
  lc.healpix_mesh = deposit == "mesh";
  lc.ray_step = s.get_double("lightcone_ray_step");
  if (!(lc.ray_step >= 0.25 && lc.ray_step <= 4)) {
    bad_setting("lightcone_ray_step", s.get_string("lightcone_ray_step"),
                "is out of range (allowed: 0.25 to 4 pixel sizes)");
  }
  lc.field_deg = s.get_double("lightcone_field_deg");
  lc.field_pixels = get_int(s, "lightcone_field_pixels");
  lc.particle_fraction = s.get_double("lightcone_particle_fraction");
  lc.particle_cone_deg = s.get_double("lightcone_particle_cone_deg");
  lc.write_shells = s.get_bool("lightcone_write_shells");
  lc.source_z = s.get_string("source_z");
  lc.source_nz = s.get_string("source_nz");
  if (lc.enabled) {
    // The geometry's and the sources' own checks, with their key names, before any work.
    sim::LightconeSpec spec;
    spec.shell_edges = lc.shell_edges.empty() ? std::vector<double>{0.0, 1.0} : lc.shell_edges;
    spec.nside = lc.nside;
    spec.flat_field_deg = lc.field_deg;
    spec.flat_pixels = lc.field_pixels;
    spec.particle_fraction = lc.particle_fraction;
    spec.particle_cone_deg = lc.particle_cone_deg;
    spec.validate(c.sim.box_size);
    const double chi_max = sim::Cosmology(c.sim.cosmology).chi(1.0 / (1.0 + lc.z_max));
    if (!lc.shell_edges.empty() && lc.shell_edges.back() > chi_max * (1 + 1e-12)) {
      bad_setting("lightcone_shell_edges", s.get_string("lightcone_shell_edges"),
                  "ends beyond chi(lightcone_z_max) = " + format_setting(chi_max) +
                      " Mpc/h (allowed: edges up to it, or a higher lightcone_z_max)");
    }
    sim::parse_sources(lc.source_z, lc.source_nz);
  }
  return c;
}

}  // namespace cosmograd::driver
