// `cosmograd paint fit` (an LDL painter fitted with L-BFGS through the engine's vjps) and
// `cosmograd paint train` (the U-Net painter with its per-voxel mixture).
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <stdexcept>
#include <string>

#include "apps/emulate_common.hpp"
#include "apps/options.hpp"
#include "apps/paint_common.hpp"
#include "nn/baryon_painter.hpp"
#include "nn/ldl_file.hpp"
#include "sim/baryons/baryon_targets.hpp"
#include "sim/baryons/ldl_fit.hpp"
#include "sim/core/backend.hpp"
#include "sim/core/log.hpp"

namespace cosmograd::apps {
namespace {}  // namespace

int paint_fit(const std::vector<std::string>& args) {
  const std::vector<sim::KeySpec> keys = {
      {"train", "", "", "comma-separated target directories (cosmograd paint targets)"},
      {"target", "", "electron_pressure",
       "field to fit: bcm_matter, electron_pressure, hi_density"},
      {"mesh", "per side", "64", "mesh of the target directories (= the LDL mesh)"},
      {"layers", "", "2", "LDL displacement layers (5 parameters each)"},
      {"iterations", "", "60", "L-BFGS iterations"},
      {"smoothing", "Mpc/h", "1", "Gaussian smoothing radius of the field loss (0: none)"},
      {"mse_weight", "", "1", "weight of the field term (smoothed MSE over the target's variance)"},
      {"power_weight", "", "1", "weight of the log-power term (k <= half the mesh Nyquist)"},
      {"out", "", "ldl.cgm", "model file (type ldl; written atomically)"},
      {"threads", "", "0", "threads (0: all)"},
  };
  const ParsedArgs parsed = parse_command(
      "paint fit", "usage: cosmograd paint fit --train DIR[,DIR...] --target NAME --out FILE", keys,
      args, 0);
  if (parsed.help) return 0;
  const sim::Settings& s = parsed.settings;
  const std::string target = s.get_string("target");
  const sim::BaryonTarget t = sim::parse_baryon_target(target, "target");
  const int mesh = count_setting(s, "mesh", 4);
  const int layers = count_setting(s, "layers", 0);
  sim::LdlFitOptions o;
  o.max_iterations = count_setting(s, "iterations");
  o.loss.smoothing = s.get_double("smoothing");
  o.loss.power_weight = s.get_double("power_weight");
  o.loss.mse_weight = s.get_double("mse_weight");
  if (o.loss.mse_weight < 0)
    sim::bad_setting("mse_weight", s.get_string("mse_weight"), "is negative");
  if (o.loss.mse_weight + o.loss.power_weight <= 0) {
    sim::bad_setting("power_weight", s.get_string("power_weight"),
                     "and mse_weight are both 0: nothing to fit");
  }
  if (o.loss.smoothing < 0) sim::bad_setting("smoothing", s.get_string("smoothing"), "is negative");
  if (o.loss.power_weight < 0) {
    sim::bad_setting("power_weight", s.get_string("power_weight"), "is negative");
  }
  o.threads = sim::use_threads(static_cast<int>(s.get_int("threads")));
  std::vector<TargetBox> boxes = read_target_boxes("train", s.get_string("train"), target, mesh);
  std::vector<sim::Particles<double>> particles;
  std::vector<sim::Field<double>> targets;
  for (TargetBox& b : boxes) {
    particles.push_back(std::move(b.particles));
    targets.push_back(std::move(b.target));
  }
  const bool output = t != sim::BaryonTarget::matter;  // matter: the displaced particles' density
  const auto t0 = std::chrono::steady_clock::now();
  const sim::LdlModel start = sim::ldl_initial_model(mesh, layers, output, particles, targets, o);
  const sim::LdlFitResult r = sim::fit_ldl(start, particles, targets, o);
  const double seconds = seconds_since(t0);
  nn::ModelHeader h;
  h.set("train_data", s.get_string("train"));
  h.set("train_box_size", boxes.front().box);  // with the mesh: the cell size it was fitted at
  h.set("train_command", paint_command_line("fit", args));
  h.set("train_seconds", seconds);
  h.set("train_loss_initial", r.initial_loss);
  h.set("train_loss", r.final_loss);
  h.set("train_iterations", static_cast<int64_t>(r.iterations));
  h.set("train_evaluations", static_cast<int64_t>(r.evaluations));
  h.set("loss_smoothing", o.loss.smoothing);
  h.set("loss_power_weight", o.loss.power_weight);
  h.set("loss_mse_weight", o.loss.mse_weight);
  nn::save_ldl(s.get_string("out"), r.model, target, h);
  std::printf(
      "cosmograd paint fit: %s, %d parameters, loss %.4g -> %.4g in %d evaluations (%.1f s) -> "
      "%s\n",
      target.c_str(), r.model.num_parameters(), r.initial_loss, r.final_loss, r.evaluations,
      seconds, s.get_string("out").c_str());
  return 0;
}

int paint_train(const std::vector<std::string>& args) {
  const nn::BaryonPainterOptions arch;
  const nn::BaryonPainterTraining tr;
  const std::vector<sim::KeySpec> keys = {
      {"train", "", "", "comma-separated target directories (cosmograd paint targets)"},
      {"target", "", "electron_pressure",
       "field to learn: bcm_matter, electron_pressure, hi_density"},
      {"mesh", "per side", "64", "mesh of the target directories (a multiple of 2^depth)"},
      {"steps", "", std::to_string(tr.steps), "Adam steps (cosine schedule to lr / 20)"},
      {"lr", "", format_g(tr.lr), "peak learning rate"},
      {"depth", "", std::to_string(arch.depth), "U-Net downsamplings"},
      {"channels", "", std::to_string(arch.channels), "U-Net channels at the finest level"},
      {"components", "", std::to_string(arch.components), "Gaussians per voxel"},
      {"seed", "", "1", "seed of the weights, shifts, symmetries"},
      {"out", "", "baryon_painter.cgm", "model file (written atomically)"},
      {"threads", "", "0", "threads (0: all)"},
  };
  const ParsedArgs parsed = parse_command(
      "paint train", "usage: cosmograd paint train --train DIR[,DIR...] --target NAME --out FILE",
      keys, args, 0);
  if (parsed.help) return 0;
  const sim::Settings& s = parsed.settings;
  const std::string target = s.get_string("target");
  sim::parse_baryon_target(target, "target");
  const int mesh = count_setting(s, "mesh", 4);
  nn::BaryonPainterOptions o;
  o.depth = count_setting(s, "depth", 0);
  o.channels = count_setting(s, "channels");
  o.components = count_setting(s, "components");
  nn::BaryonPainterTraining t;
  t.steps = count_setting(s, "steps");
  t.lr = s.get_double("lr");
  t.seed = static_cast<uint64_t>(count_setting(s, "seed", 0));
  if (!(t.lr > 0)) sim::bad_setting("lr", s.get_string("lr"), "must be > 0");
  const int threads = sim::use_threads(static_cast<int>(s.get_int("threads")));
  torch::set_num_threads(threads);
  const std::vector<TargetBox> boxes =
      read_target_boxes("train", s.get_string("train"), target, mesh);
  std::vector<const sim::Field<double>*> dm, tg;
  for (const TargetBox& b : boxes) dm.push_back(&b.dmo), tg.push_back(&b.target);
  torch::manual_seed(t.seed);
  nn::BaryonPainter model(o);
  const auto t0 = std::chrono::steady_clock::now();
  const std::vector<double> losses = nn::train_baryon_painter(model, dm, tg, t);
  int64_t params = 0;
  for (const auto& p : model->parameters()) params += p.numel();
  nn::ModelHeader h = training_record("paint train", s.get_string("train"), losses,
                                      seconds_since(t0), params, s.get_string("out"));
  h.set("train_command", paint_command_line("train", args));
  nn::save_baryon_painter(s.get_string("out"), model, target, h);
  return 0;
}

}  // namespace cosmograd::apps
