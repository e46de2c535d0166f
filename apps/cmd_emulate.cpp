// `cosmograd emulate [config.ini] --model FILE [run keys]`: an emulated run (2LPT at z = 0, then
// the emulator, nn/emulator.hpp) that writes what `cosmograd run` writes; and the dispatch to
// `emulate data|train|evaluate` (apps/cmd_emulate_train.cpp).
#include <torch/torch.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <memory>
#include <stdexcept>
#include <string>

#include "apps/commands.hpp"
#include "apps/emulate.hpp"
#include "apps/emulate_common.hpp"
#include "apps/options.hpp"
#include "apps/patch_progress.hpp"
#include "driver/config.hpp"
#include "driver/output_dir.hpp"
#include "driver/outputs.hpp"
#include "nn/bridge.hpp"
#include "nn/emulator.hpp"
#include "sim/core/atomic_file.hpp"
#include "sim/core/backend.hpp"
#include "sim/core/log.hpp"
#include "sim/cosmo/cosmology.hpp"
#include "sim/cosmo/linear_power.hpp"
#include "sim/mesh/fft.hpp"
#include "sim/pm/initial_modes.hpp"
#include "sim/pm/lpt.hpp"

namespace cosmograd::apps {
namespace {

/// Refuses (or, with `outside_domain`, warns about) a run the model was not trained for:
/// Omega_m or sigma8 outside the training ranges, other parameters off planck2015, another
/// transfer function than Eisenstein & Hu.
void check_domain(const nn::Emulator& model, const std::string& path, const sim::SimSpec& c,
                  bool outside_domain) {
  const nn::EmulatorOptions& o = model->options;
  std::string list;
  auto add = [&](const std::string& what) { list += (list.empty() ? "" : "; ") + what; };
  const sim::CosmologyParams& p = c.cosmology;
  if (p.Omega_m < o.omega_m_min() || p.Omega_m > o.omega_m_max()) {
    add("Omega_m = " + format_g(p.Omega_m) + " outside [" + format_g(o.omega_m_min()) + ", " +
        format_g(o.omega_m_max()) + "]");
  }
  if (p.sigma8 < o.sigma8_min() || p.sigma8 > o.sigma8_max()) {
    add("sigma8 = " + format_g(p.sigma8) + " outside [" + format_g(o.sigma8_min()) + ", " +
        format_g(o.sigma8_max()) + "]");
  }
  const sim::CosmologyParams planck = sim::planck2015();
  auto fixed = [&](const char* name, double v, double ref) {
    if (std::abs(v - ref) > 1e-3 * std::max(1.0, std::abs(ref))) {
      add(std::string(name) + " = " + format_g(v) + " (trained at " + format_g(ref) + ")");
    }
  };
  fixed("Omega_b", p.Omega_b, planck.Omega_b);
  fixed("h", p.h, planck.h);
  fixed("n_s", p.n_s, planck.n_s);
  fixed("w0", p.w0, planck.w0);
  fixed("wa", p.wa, planck.wa);
  if (c.transfer.name != "eisenstein_hu") {
    add("transfer = " + c.transfer.name + " (trained with eisenstein_hu)");
  }
  if (list.empty()) return;
  const std::string msg = "the run is outside the training domain of " + path + ": " + list;
  if (!outside_domain) {
    throw std::invalid_argument(msg + " (set --outside_domain true to emulate it anyway)");
  }
  sim::log_warn(msg, "; emulating it anyway (outside_domain = true)");
}

int emulate_run(const std::vector<std::string>& args) {
  std::vector<sim::KeySpec> keys = driver::run_keys();
  keys.push_back({"model", "", "models/emulator.cgm",
                  "emulator model file (the shipped one, or cosmograd emulate train)"});
  keys.push_back({"patch", "particles", "64",
                  "patch edge of the patch-wise evaluation (a multiple of 2^depth)"});
  keys.push_back({"outside_domain", "", "false",
                  "emulate a cosmology outside the model's training domain (with a warning)"});
  const ParsedArgs parsed = parse_command(
      "emulate",
      "usage: cosmograd emulate [config.ini] --model FILE [--key value ...]\n"
      "  an emulated run: 2LPT at z = 0 through the emulator, with the outputs of `run`\n"
      "  (the keys of `run`; particles and box_size must keep the model's particle spacing)\n"
      "       cosmograd emulate data|train|evaluate --help\n"
      "  super-resolution of a run's snapshot: cosmograd emulate --input SNAPSHOT --help\n"
      "       cosmograd emulate superres data|train|evaluate --help",
      keys, args);
  if (parsed.help) return 0;
  const sim::Settings& s = parsed.settings;
  const driver::RunConfig config = driver::run_config_from(s);
  const sim::SimSpec& c = config.sim;
  const int threads = sim::use_threads(c.threads);
  torch::set_num_threads(threads);
  const std::string model_path = s.get_string("model");
  nn::ModelHeader header;
  nn::Emulator model = nn::load_emulator(model_path, &header);
  const nn::EmulatorOptions& mo = model->options;

  // Everything the model cannot do is refused before any file is touched.
  if (c.device != sim::Device::cpu) {
    sim::bad_setting("device", s.get_string("device"), "is not supported by emulate (cpu only)");
  }
  if (c.z_out.size() != 1 || std::abs(1.0 / (1.0 + c.z_out[0]) - mo.a()) > 1e-9) {
    sim::bad_setting("z_out", s.get_string("z_out"),
                     "is not allowed: the model emulates a = " + format_g(mo.a()) +
                         " only (z_out = " + format_g(1.0 / mo.a() - 1.0) + ")");
  }
  const double spacing = c.box_size / c.particles;
  const double model_spacing = mo.box_size() / static_cast<double>(mo.particles());
  if (std::abs(spacing / model_spacing - 1.0) > 1e-6) {
    sim::bad_setting("particles", s.get_string("particles"),
                     "gives a particle spacing box_size / particles = " + format_g(spacing) +
                         " Mpc/h; " + model_path + " was trained at " + format_g(model_spacing) +
                         " Mpc/h");
  }
  if (c.particles % model->alignment() != 0) {
    sim::bad_setting("particles", s.get_string("particles"),
                     "is not a multiple of 2^depth = " + std::to_string(model->alignment()));
  }
  const long long patch = s.get_int("patch");
  if (patch < model->alignment() || patch % model->alignment() != 0) {
    sim::bad_setting(
        "patch", s.get_string("patch"),
        "is not a positive multiple of 2^depth = " + std::to_string(model->alignment()));
  }
  if (config.out.lightcone.enabled) {
    sim::bad_setting("lightcone", "true", "is not supported by emulate (one output time)");
  }
  check_domain(model, model_path, c, s.get_bool("outside_domain"));
  if (c.double_precision) sim::log_warn("emulate runs in float32; double_precision is ignored");

  const driver::OutputDir out_dir(config.out.output_dir, config.out.overwrite);
  sim::write_file_atomic(config.out.output_dir + "/config.ini",
                         s.to_ini("cosmograd emulate: the resolved configuration"));
  sim::log_info("cosmograd emulate: ", c.particles, "^3 particles, L = ", c.box_size,
                " Mpc/h, model ", model_path, " (", header.get("parameters"), " parameters)");
  const sim::Cosmology cosmology(c.cosmology);
  sim::LinearPowerOptions lopt;
  lopt.table_path = c.transfer.table_path;
  const auto linear = sim::make_linear_power<double>(c.transfer.name, cosmology, lopt);

  // 2LPT at the model's a, from the same initial modes as `run` (seed, fixed/paired, ICs file).
  auto t0 = std::chrono::steady_clock::now();
  const sim::Decomposition dp(c.particles);
  sim::Particles<float> particles;
  {
    const sim::Fft<float> fft(dp, threads, sim::FftPlanning::estimate);
    const sim::Field<float> modes = sim::initial_modes<float>(c, *linear, fft, dp);
    particles = sim::lpt_particles(modes, c.box_size, c.lpt_order, cosmology, mo.a(), fft);
  }
  const torch::Tensor rows = nn::to_particle_rows(particles.id, particles.disp, particles.mom);
  const double lpt_seconds = seconds_since(t0);

  t0 = std::chrono::steady_clock::now();
  torch::Tensor emulated;
  {
    torch::NoGradGuard no_grad;
    const torch::Tensor theta =
        torch::tensor({c.cosmology.Omega_m, c.cosmology.sigma8}, torch::kFloat32);
    PatchProgress progress;
    emulated =
        nn::fields_to_particle_rows(
            nn::emulate_patched(model, nn::particle_rows_to_fields(rows), theta, patch, -1,
                                config.out.progress
                                    ? std::function<void(int64_t, int64_t)>(std::ref(progress))
                                    : nullptr))
            .contiguous();
  }
  const double emulator_seconds = seconds_since(t0);
  nn::from_particle_rows(emulated, particles.id, particles.disp, particles.mom);

  t0 = std::chrono::steady_clock::now();
  const std::size_t files =
      write_emulated_outputs(config, *linear, particles, mo.a(), threads, out_dir);
  const double output_seconds = seconds_since(t0);
  std::cout << "cosmograd emulate: 2LPT " << lpt_seconds << " s, emulator " << emulator_seconds
            << " s, outputs " << output_seconds << " s; " << files << " files in "
            << config.out.output_dir << "/\n";
  return 0;
}

}  // namespace

int cmd_emulate(const std::vector<std::string>& args) {
  if (!args.empty()) {
    const std::vector<std::string> rest(args.begin() + 1, args.end());
    if (args[0] == "data") return emulate_data(rest);
    if (args[0] == "train") return emulate_train(rest);
    if (args[0] == "evaluate") return emulate_evaluate(rest);
    if (args[0] == "superres") return emulate_superres(rest);
  }
  for (const std::string& a : args) {
    if (a == "--input" || a.rfind("--input=", 0) == 0) return superres_run(args);
  }
  return emulate_run(args);
}

}  // namespace cosmograd::apps
