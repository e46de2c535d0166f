// The mass-mapping U-Net, its training and its model file (see mass_map_net.hpp).
#include "surveys/discovery/mass_map_net.hpp"

#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <random>
#include <sstream>
#include <stdexcept>

#include "nn/train/header_values.hpp"
#include "nn/train/module_state.hpp"
#include "sim/core/log.hpp"
#include "sim/core/require.hpp"
#include "surveys/discovery/mass_map_filters.hpp"

namespace cosmograd::surveys {
namespace {

using Clock = std::chrono::steady_clock;

MassMapNetConfig config_from(const nn::ModelHeader& h) {
  MassMapNetConfig c;
  c.size = h.get_int("massmap_size");
  c.depth = h.get_int("massmap_depth");
  c.base_channels = h.get_int("massmap_base_channels");
  c.norm_groups = h.get_int("massmap_norm_groups");
  c.kappa_scale = h.get_double("massmap_kappa_scale");
  c.input_iterations = h.get_int("massmap_input_iterations");
  c.pixel_rad = h.get_double("massmap_pixel_rad");
  c.source_z = h.get_double("massmap_source_z");
  c.cl_ell = nn::header_doubles(h, "massmap_cl_ell");
  c.cl_theory = nn::header_doubles(h, "massmap_cl_theory");
  c.cl_pixwin2 = nn::header_doubles(h, "massmap_cl_pixwin2");
  c.noise.sigma_e = h.get_double("massmap_sigma_e");
  c.noise.n_gal = h.get_double("massmap_n_gal");
  c.noise.mask_fraction = h.get_double("massmap_mask_fraction");
  c.noise.hole_min = h.get_double("massmap_hole_min");
  c.noise.hole_max = h.get_double("massmap_hole_max");
  return c;
}

}  // namespace

void MassMapNetConfig::validate() const {
  sim::require(depth >= 1 && depth <= 5, "depth", static_cast<double>(depth), "in [1, 5]");
  sim::require(
      size >= 8 && size % (int64_t{1} << depth) == 0, "size", static_cast<double>(size),
      ">= 8 and a multiple of 2^depth = " + std::to_string(int64_t{1} << depth) + " [pixels]");
  sim::require(base_channels >= 2 && base_channels <= 256, "base_channels",
               static_cast<double>(base_channels), "in [2, 256]");
  sim::require(norm_groups >= 0 && (norm_groups == 0 || base_channels % norm_groups == 0),
               "norm_groups", static_cast<double>(norm_groups),
               ">= 0 and dividing base_channels = " + std::to_string(base_channels));
  sim::require(sim::positive(kappa_scale), "kappa_scale", kappa_scale, "> 0");
  sim::require(input_iterations >= 0 && input_iterations <= 1000, "input_iterations",
               static_cast<double>(input_iterations), "in [0, 1000]");
  sim::require(sim::positive(pixel_rad), "pixel_rad", pixel_rad, "> 0 [rad]");
  if (cl_ell.size() < 2 || cl_theory.size() != cl_ell.size() || cl_pixwin2.size() != cl_ell.size())
    throw std::invalid_argument("cl_ell, cl_theory, cl_pixwin2: need >= 2 points of equal count");
  noise.validate();
}

MassMapNetImpl::MassMapNetImpl(MassMapNetConfig config) : config_(std::move(config)) {
  config_.validate();
  unet_ = register_module("unet", nn::UNet2d(nn::UNet2dOptions()
                                                 .in_channels(2)
                                                 .out_channels(1)
                                                 .depth(config_.depth)
                                                 .base_channels(config_.base_channels)
                                                 .norm_groups(config_.norm_groups)
                                                 .dropout(0.0)));
  torch::NoGradGuard no_grad;
  for (auto& p : unet_->named_parameters())
    if (p.key().rfind("head.", 0) == 0) p.value().zero_();
}

torch::Tensor MassMapNetImpl::input(const torch::Tensor& gamma1, const torch::Tensor& gamma2,
                                    const torch::Tensor& mask) const {
  const int64_t t = gamma1.size(-1);
  const torch::Tensor prior =
      prior_from_cl(config_.cl_ell, config_.cl_theory, config_.cl_pixwin2, t, config_.pixel_rad);
  const double s = config_.noise.sigma_pixel(config_.pixel_rad);
  const double sigma2 = std::max(s * s, 1e-30);
  const torch::Tensor k =
      (config_.input_iterations > 0 ? wiener_filter(gamma1, gamma2, mask, prior, sigma2, 1e-12,
                                                    static_cast<int>(config_.input_iterations))
                                          .kappa
                                    : wiener_unmasked(gamma1, gamma2, prior, sigma2)) /
      config_.kappa_scale;
  return torch::stack({k.to(torch::kFloat32), mask.to(torch::kFloat32)}, 1);
}

torch::Tensor MassMapNetImpl::forward(const torch::Tensor& x) {
  return x.narrow(1, 0, 1) + unet_->forward(x);
}

torch::Tensor MassMapNetImpl::predict(const torch::Tensor& gamma1, const torch::Tensor& gamma2,
                                      const torch::Tensor& mask) {
  const int64_t mult = int64_t{1} << config_.depth;
  if (gamma1.dim() != 3 || gamma1.size(1) % mult != 0 || gamma1.size(2) != gamma1.size(1))
    throw std::invalid_argument("shear tiles must be [B, T, T] with T a multiple of 2^depth = " +
                                std::to_string(mult));
  torch::NoGradGuard no_grad;
  const bool was_training = is_training();
  eval();
  std::vector<torch::Tensor> out;
  for (int64_t i0 = 0; i0 < gamma1.size(0); i0 += 64) {
    const int64_t m = std::min<int64_t>(64, gamma1.size(0) - i0);
    const torch::Tensor x =
        input(gamma1.narrow(0, i0, m), gamma2.narrow(0, i0, m), mask.narrow(0, i0, m));
    out.push_back(forward(x).squeeze(1).to(torch::kFloat64) * config_.kappa_scale);
  }
  train(was_training);
  return torch::cat(out, 0);
}

nn::ModelHeader MassMapNetImpl::header() const {
  nn::ModelHeader h;
  h.set("model", "discover_massmap_unet");
  h.set("massmap_size", config_.size);
  h.set("massmap_depth", config_.depth);
  h.set("massmap_base_channels", config_.base_channels);
  h.set("massmap_norm_groups", config_.norm_groups);
  h.set("massmap_kappa_scale", config_.kappa_scale);
  h.set("massmap_input_iterations", config_.input_iterations);
  h.set("massmap_pixel_rad", config_.pixel_rad);
  h.set("massmap_source_z", config_.source_z);
  h.set("massmap_cl_ell", nn::join_doubles(config_.cl_ell));
  h.set("massmap_cl_theory", nn::join_doubles(config_.cl_theory));
  h.set("massmap_cl_pixwin2", nn::join_doubles(config_.cl_pixwin2));
  h.set("massmap_sigma_e", config_.noise.sigma_e);
  h.set("massmap_n_gal", config_.noise.n_gal);
  h.set("massmap_mask_fraction", config_.noise.mask_fraction);
  h.set("massmap_hole_min", config_.noise.hole_min);
  h.set("massmap_hole_max", config_.noise.hole_max);
  return h;
}

void MassMapTrainOptions::validate() const {
  sim::require(steps >= 1, "steps", static_cast<double>(steps), ">= 1");
  sim::require(batch >= 1 && batch <= 1024, "batch", static_cast<double>(batch), "in [1, 1024]");
  sim::require(sim::positive(lr), "lr", lr, "> 0");
  sim::require(validate_every >= 1, "validate_every", static_cast<double>(validate_every), ">= 1");
  sim::require(max_seconds >= 0 && std::isfinite(max_seconds), "max_seconds", max_seconds,
               ">= 0 [s]");
}

std::vector<torch::Tensor> observation_tensors(const MassMapObservation& obs, int64_t size) {
  const int64_t b = static_cast<int64_t>(obs.mask.size()) / (size * size);
  const auto t = [&](const std::vector<float>& v) {
    return torch::from_blob(const_cast<float*>(v.data()), {b, size, size}, torch::kFloat32)
        .to(torch::kFloat64);
  };
  return {t(obs.gamma1), t(obs.gamma2), t(obs.mask)};
}

MassMapNet train_mass_map_net(const MassMapTiles& tiles, MassMapNetConfig config,
                              const MassMapTrainOptions& o, MassMapTrainReport* report) {
  o.validate();
  const std::vector<std::size_t> train = tiles.indices(MassMapSplit::train),
                                 val = tiles.indices(MassMapSplit::validation);
  if (train.empty() || val.empty())
    throw std::invalid_argument(std::string("tiles: the ") +
                                (train.empty() ? "train" : "validation") +
                                " split is empty (give --train_runs and --validation_runs to "
                                "`discover massmap data`)");
  config.size = tiles.size;
  config.pixel_rad = tiles.pixel_rad;
  config.source_z = tiles.source_z;
  config.cl_ell = tiles.cl_ell;
  config.cl_theory = tiles.cl_theory;
  config.cl_pixwin2 = tiles.cl_pixwin2;
  {  // the network's convergence unit: the rms of the training tiles
    double s2 = 0;
    std::size_t n = 0;
    for (std::size_t r : train)
      for (std::size_t p = 0; p < tiles.pixels(); ++p) {
        const double k = tiles.kappa[r * tiles.pixels() + p];
        s2 += k * k;
        ++n;
      }
    config.kappa_scale = std::sqrt(s2 / static_cast<double>(n));
    if (!(config.kappa_scale > 0)) config.kappa_scale = 1e-3;
  }
  torch::manual_seed(o.seed);
  MassMapNet model(config);
  const int64_t t = tiles.size;
  // The fixed validation observation.
  std::vector<float> val_kappa;
  const MassMapObservation vobs =
      observe_tiles(tiles, val, config.noise, o.seed + 1, 0, nullptr, &val_kappa);
  const std::vector<torch::Tensor> vt = observation_tensors(vobs, t);
  const torch::Tensor vin = model->input(vt[0], vt[1], vt[2]);
  const torch::Tensor vtruth =
      torch::from_blob(val_kappa.data(), {static_cast<int64_t>(val.size()), t, t}, torch::kFloat32)
          .to(torch::kFloat64);
  const auto validate = [&]() {
    torch::NoGradGuard ng;
    model->eval();
    std::vector<torch::Tensor> out;
    for (int64_t i0 = 0; i0 < vin.size(0); i0 += 64) {
      const int64_t m = std::min<int64_t>(64, vin.size(0) - i0);
      out.push_back(model->forward(vin.narrow(0, i0, m)).squeeze(1));
    }
    model->train();
    return masked_mse(torch::cat(out, 0).to(torch::kFloat64) * config.kappa_scale, vtruth);
  };
  MassMapTrainReport rep;
  rep.train = train.size();
  rep.validation = val.size();
  rep.input_mse = masked_mse(vin.select(1, 0).to(torch::kFloat64) * config.kappa_scale, vtruth);
  rep.validation_mse = rep.input_mse;
  std::vector<torch::Tensor> best = nn::snapshot_state(*model);
  torch::optim::Adam opt(model->parameters(), torch::optim::AdamOptions(o.lr));
  std::mt19937_64 rng(o.seed * 7919 + 13);
  std::uniform_int_distribution<std::size_t> pick(0, train.size() - 1);
  std::uniform_int_distribution<int> flip(0, 7);
  const auto t0 = Clock::now();
  model->train();
  for (int64_t step = 1; step <= o.steps; ++step) {
    std::vector<std::size_t> rows(static_cast<std::size_t>(o.batch));
    std::vector<int> flips(rows.size());
    for (std::size_t i = 0; i < rows.size(); ++i) {
      rows[i] = train[pick(rng)];
      flips[i] = flip(rng);
    }
    std::vector<float> kappa;
    const MassMapObservation obs = observe_tiles(tiles, rows, config.noise, o.seed,
                                                 static_cast<std::uint64_t>(step), &flips, &kappa);
    const std::vector<torch::Tensor> bt = observation_tensors(obs, t);
    const torch::Tensor x = model->input(bt[0], bt[1], bt[2]);
    const torch::Tensor y =
        torch::from_blob(kappa.data(), {o.batch, 1, t, t}, torch::kFloat32) / config.kappa_scale;
    nn::set_cosine_lr(opt, o.lr, step, o.steps);
    opt.zero_grad();
    const torch::Tensor loss = torch::mse_loss(model->forward(x), y);
    loss.backward();
    opt.step();
    rep.steps_done = step;
    const double elapsed = std::chrono::duration<double>(Clock::now() - t0).count();
    const bool out_of_time = o.max_seconds > 0 && elapsed > o.max_seconds;
    if (step % o.validate_every == 0 || step == o.steps || out_of_time) {
      const double v = validate();
      sim::log_info("massmap train step " + std::to_string(step) + ": loss " +
                    std::to_string(loss.item<double>()) + ", validation MSE " + std::to_string(v) +
                    " (input filter " + std::to_string(rep.input_mse) + "), " +
                    std::to_string(elapsed) + " s");
      if (v < rep.validation_mse) {
        rep.validation_mse = v;
        rep.best_step = step;
        best = nn::snapshot_state(*model);
      }
    }
    if (out_of_time) break;
  }
  nn::restore_state(*model, best);
  model->eval();
  rep.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  if (report != nullptr) *report = rep;
  return model;
}

MassMapNet load_mass_map_net(const std::string& path, nn::ModelHeader* header) {
  return nn::load_model_of(
      path, "discover_massmap_unet",
      [](const nn::ModelHeader& h) { return MassMapNet(config_from(h)); }, header);
}

}  // namespace cosmograd::surveys
