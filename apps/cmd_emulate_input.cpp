// `cosmograd emulate --input SNAPSHOT [--model FILE] [run output keys]`: super-resolution of a
// low-resolution run's snapshot (nn/superres.hpp) that writes what `cosmograd run` writes, at
// factor^3 times the particles.
#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <iostream>
#include <numeric>
#include <stdexcept>
#include <string>

#include "apps/emulate.hpp"
#include "apps/emulate_common.hpp"
#include "apps/options.hpp"
#include "apps/patch_progress.hpp"
#include "driver/config.hpp"
#include "driver/output_dir.hpp"
#include "driver/outputs.hpp"
#include "nn/bridge.hpp"
#include "nn/emulator.hpp"
#include "nn/superres.hpp"
#include "sim/core/atomic_file.hpp"
#include "sim/core/backend.hpp"
#include "sim/core/log.hpp"
#include "sim/cosmo/cosmology.hpp"
#include "sim/cosmo/linear_power.hpp"
#include "sim/io/snapshot.hpp"
#include "sim/measure/fof.hpp"
#include "sim/pm/gravity.hpp"

namespace cosmograd::apps {
namespace {

/// The (N^3, 6) lattice-order rows (displacement from the lattice, wrapped to [-L/2, L/2), and
/// momentum [Mpc/h]) of a cosmograd snapshot of an N^3 lattice (ids = lattice index + 1).
torch::Tensor snapshot_rows(const sim::SnapshotData<float>& snap, const std::string& path) {
  const double box = snap.header.box_size;
  const std::size_t m = snap.size();
  const auto n = static_cast<std::uint64_t>(std::llround(std::cbrt(static_cast<double>(m))));
  if (m == 0 || n * n * n != m) {
    sim::bad_setting("input", path,
                     "holds " + std::to_string(m) + " particles, not a full N^3 lattice");
  }
  torch::Tensor rows = torch::full({static_cast<int64_t>(m), 6}, NAN, torch::kFloat32);
  float* r = rows.data_ptr<float>();
  for (std::size_t j = 0; j < m; ++j) {
    const std::uint64_t id = snap.ids[j] - 1;
    if (snap.ids[j] == 0 || id >= m) {
      sim::bad_setting("input", path,
                       "has particle id " + std::to_string(snap.ids[j]) + " outside 1.." +
                           std::to_string(m) + " (need cosmograd's ids: lattice index + 1)");
    }
    const std::uint64_t c[3] = {id / (n * n), (id / n) % n, id % n};
    for (int d = 0; d < 3; ++d) {
      double dx = snap.pos[3 * j + d] - static_cast<double>(c[d]) * box / static_cast<double>(n);
      dx -= box * std::floor(dx / box + 0.5);
      r[6 * id + d] = static_cast<float>(dx);
      r[6 * id + 3 + d] = snap.mom[3 * j + d];
    }
  }
  if (torch::isnan(rows).any().item<bool>()) {
    sim::bad_setting("input", path, "has repeated particle ids (not every lattice index present)");
  }
  return rows;
}

}  // namespace

int superres_run(const std::vector<std::string>& args) {
  std::vector<sim::KeySpec> keys = driver::run_keys();
  keys.push_back({"input", "", "",
                  "low-resolution snapshot to super-resolve (a cosmograd Gadget-4 HDF5 file)"});
  keys.push_back({"model", "", "models/superres.cgm", "super-resolution model file"});
  keys.push_back({"patch", "particles", "32",
                  "patch edge of the patch-wise evaluation, in input particles (multiple of "
                  "2^depth)"});
  keys.push_back({"noise_seed", "", "0", "seed of the injected noise (-1: none)"});
  keys.push_back({"outside_domain", "", "false",
                  "super-resolve a snapshot whose cosmology differs from the training's"});
  const ParsedArgs parsed = parse_command(
      "emulate",
      "usage: cosmograd emulate --input SNAPSHOT [--model FILE] [--key value ...]\n"
      "  super-resolution: the snapshot's particles, factor^3 times as many, with the outputs\n"
      "  of `run` (box, particles, mesh = 2 x particles, cosmology and z from the snapshot)",
      keys, args);
  if (parsed.help) return 0;
  const sim::Settings& s = parsed.settings;
  driver::RunConfig config = driver::run_config_from(s);
  const int threads = sim::use_threads(config.sim.threads);
  torch::set_num_threads(threads);
  const std::string model_path = s.get_string("model");
  nn::ModelHeader header;
  nn::SuperRes model = nn::load_superres(model_path, &header);
  const nn::SuperResOptions& mo = model->options;

  // Everything the model cannot do is refused before any file is touched.
  const std::string input = s.get_string("input");
  const sim::SnapshotData<float> snap = sim::read_snapshot<float>(input);
  const sim::SnapshotHeader& h = snap.header;
  const torch::Tensor rows = snapshot_rows(snap, input);
  const auto n = static_cast<int64_t>(std::llround(std::cbrt(static_cast<double>(snap.size()))));
  if (std::abs(h.a - mo.a()) > 1e-6) {
    sim::bad_setting("input", input,
                     "is at a = " + format_g(h.a) + "; " + model_path +
                         " super-resolves a = " + format_g(mo.a()) + " only");
  }
  const double spacing = h.box_size / static_cast<double>(n);
  const double model_spacing = mo.box_size() / static_cast<double>(mo.particles());
  if (std::abs(spacing / model_spacing - 1.0) > 1e-6) {
    sim::bad_setting("input", input,
                     "has particle spacing " + format_g(spacing) + " Mpc/h (L = " +
                         format_g(h.box_size) + ", " + std::to_string(n) + "^3); " + model_path +
                         " was trained at " + format_g(model_spacing) + " Mpc/h");
  }
  if (n % model->alignment() != 0) {
    sim::bad_setting("input", input,
                     "has " + std::to_string(n) + " particles per side, not a multiple of " +
                         "2^depth = " + std::to_string(model->alignment()));
  }
  const long long patch = s.get_int("patch");
  if (patch < model->alignment() || patch % model->alignment() != 0) {
    sim::bad_setting(
        "patch", s.get_string("patch"),
        "is not a positive multiple of 2^depth = " + std::to_string(model->alignment()));
  }
  const sim::CosmologyParams cosmo = sim::cosmology_from_header(h);
  if (std::abs(cosmo.Omega_m - mo.omega_m()) > 1e-3 ||
      std::abs(cosmo.sigma8 - mo.sigma8()) > 1e-3) {
    const std::string msg = input + " has Omega_m = " + format_g(cosmo.Omega_m) +
                            ", sigma8 = " + format_g(cosmo.sigma8) + "; " + model_path +
                            " was trained at " + format_g(mo.omega_m()) + ", " +
                            format_g(mo.sigma8());
    if (!s.get_bool("outside_domain")) {
      throw std::invalid_argument(msg + " (set --outside_domain true to super-resolve anyway)");
    }
    sim::log_warn(msg, "; super-resolving anyway (outside_domain = true)");
  }
  if (config.out.lightcone.enabled) {
    sim::bad_setting("lightcone", "true", "is not supported by emulate (one output time)");
  }
  const int64_t f = mo.factor();
  sim::SimSpec& c = config.sim;
  c.cosmology = cosmo;
  c.box_size = h.box_size;
  c.particles = static_cast<int>(f * n);
  c.mesh = static_cast<int>(2 * f * n);
  c.z_out = {1.0 / h.a - 1.0};
  c.validate();

  const driver::OutputDir out_dir(config.out.output_dir, config.out.overwrite);
  // config.ini records what was run: the keys taken from the snapshot replace the defaults.
  sim::Settings resolved = s;
  for (const auto& [key, value] : {std::pair<std::string, double>{"box_size", c.box_size},
                                   {"particles", c.particles},
                                   {"mesh", c.mesh},
                                   {"z_out", c.z_out[0]},
                                   {"Omega_m", cosmo.Omega_m},
                                   {"Omega_b", cosmo.Omega_b},
                                   {"h", cosmo.h},
                                   {"n_s", cosmo.n_s},
                                   {"sigma8", cosmo.sigma8},
                                   {"w0", cosmo.w0},
                                   {"wa", cosmo.wa},
                                   {"Omega_k", cosmo.Omega_k}}) {
    resolved.set(key, format_g(value));
  }
  sim::write_file_atomic(
      config.out.output_dir + "/config.ini",
      resolved.to_ini("cosmograd emulate --input: the resolved configuration (box, particles, "
                      "mesh, z_out and cosmology from the snapshot)"));
  sim::log_info("cosmograd emulate: super-resolving ", input, " (", n, "^3 -> ", f * n,
                "^3 particles, L = ", h.box_size, " Mpc/h) with ", model_path, " (",
                header.get("parameters"), " parameters)");
  auto t0 = std::chrono::steady_clock::now();
  torch::Tensor fine;
  {
    torch::NoGradGuard no_grad;
    const long long noise_seed = s.get_int("noise_seed");
    const torch::Tensor noise = noise_seed < 0
                                    ? torch::Tensor()
                                    : model->make_noise(1, n, static_cast<uint64_t>(noise_seed))[0];
    PatchProgress progress;
    fine = nn::fields_to_particle_rows(
               nn::superres_patched(model, nn::particle_rows_to_fields(rows), noise, patch, -1,
                                    config.out.progress
                                        ? std::function<void(int64_t, int64_t)>(std::ref(progress))
                                        : nullptr))
               .contiguous();
  }
  const double sr_seconds = seconds_since(t0);
  sim::Particles<float> particles;
  particles.n_side = c.particles;
  particles.box_size = c.box_size;
  particles.id.resize(static_cast<std::size_t>(fine.size(0)));
  std::iota(particles.id.begin(), particles.id.end(), std::uint64_t{0});
  nn::from_particle_rows(fine, particles.id, particles.disp, particles.mom);

  t0 = std::chrono::steady_clock::now();
  const sim::Cosmology cosmology(c.cosmology);
  sim::LinearPowerOptions lopt;
  lopt.table_path = c.transfer.table_path;
  const auto linear = sim::make_linear_power<double>(c.transfer.name, cosmology, lopt);
  const std::size_t files =
      write_emulated_outputs(config, *linear, particles, h.a, threads, out_dir);
  std::cout << "cosmograd emulate --input: super-resolution " << sr_seconds << " s, outputs "
            << seconds_since(t0) << " s; " << files << " files in " << config.out.output_dir
            << "/\n";
  return 0;
}

}  // namespace cosmograd::apps
