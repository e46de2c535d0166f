// The restoration U-Net, its training and the restoration metrics (see restorer.hpp).
#include "surveys/vision/restorer.hpp"

#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <random>
#include <sstream>
#include <stdexcept>

#include "nn/train/header_values.hpp"
#include "nn/train/module_state.hpp"
#include "sim/core/log.hpp"
#include "sim/core/require.hpp"
#include "surveys/batched/galaxy_vae_train.hpp"
#include "surveys/images/stamp_measures.hpp"
#include "surveys/vision/image_tensors.hpp"

namespace cosmograd::surveys {
namespace {

using Clock = std::chrono::steady_clock;

/// The mean over rows of mse_over_sigma2.
double mean_mse(const torch::Tensor& restored, const torch::Tensor& truth,
                const torch::Tensor& sigma) {
  return mse_over_sigma2(restored, truth, sigma).mean().item<double>();
}

}  // namespace

void RestorerConfig::validate() const {
  sim::require(depth >= 1 && depth <= 6, "depth", static_cast<double>(depth), "in [1, 6]");
  sim::require(
      size >= 8 && size % (int64_t{1} << depth) == 0, "size", static_cast<double>(size),
      ">= 8 and a multiple of 2^depth = " + std::to_string(int64_t{1} << depth) + " [pixels]");
  sim::require(base_channels >= 2 && base_channels <= 256, "base_channels",
               static_cast<double>(base_channels), "in [2, 256]");
  sim::require(norm_groups >= 0 && (norm_groups == 0 || base_channels % norm_groups == 0),
               "norm_groups", static_cast<double>(norm_groups),
               ">= 0 and dividing base_channels = " + std::to_string(base_channels));
  sim::require(sim::positive(soften), "soften", soften, "> 0 [sigma]");
  if (output != "asinh" && output != "linear")
    throw std::invalid_argument("output = '" + output + "': must be asinh or linear");
  sim::require(sim::positive(pixel_scale), "pixel_scale", pixel_scale, "> 0 [arcsec]");
  sim::require(rl_iterations >= 0, "rl_iterations", static_cast<double>(rl_iterations), ">= 0");
  sim::require(rl_pedestal_sigmas >= 0 && std::isfinite(rl_pedestal_sigmas), "rl_pedestal_sigmas",
               rl_pedestal_sigmas, ">= 0 [sigma]");
  if (!wiener.k.empty()) wiener.validate();
}

RestorerImpl::RestorerImpl(RestorerConfig config) : config_(std::move(config)) {
  config_.validate();
  unet_ = register_module("unet", nn::UNet2d(nn::UNet2dOptions()
                                                 .in_channels(2)
                                                 .out_channels(1)
                                                 .depth(config_.depth)
                                                 .base_channels(config_.base_channels)
                                                 .norm_groups(config_.norm_groups)
                                                 .dropout(0.0)));
}

torch::Tensor RestorerImpl::forward(const torch::Tensor& input) {
  torch::Tensor out = unet_->forward(input);
  if (config_.residual) {
    const torch::Tensor y = input.narrow(1, 0, 1);  // asinh(y / (soften sigma))
    out = out + (config_.output == "asinh" ? y : torch::sinh(y));
  }
  return out;
}

torch::Tensor restorer_input(const torch::Tensor& images, const torch::Tensor& psfs,
                             const torch::Tensor& sigma, double soften) {
  if (images.dim() != 3 || images.size(1) != images.size(2))
    throw std::invalid_argument("images of shape " + c10::str(images.sizes()) +
                                ": must be [B, S, S]");
  const int64_t b = images.size(0), s = images.size(1);
  if (psfs.dim() != 3 || psfs.size(0) != b)
    throw std::invalid_argument("psfs of shape " + c10::str(psfs.sizes()) + ": must be [" +
                                std::to_string(b) + ", P, P]");
  if (sigma.numel() != b)
    throw std::invalid_argument("sigma of shape " + c10::str(sigma.sizes()) + ": must hold " +
                                std::to_string(b) + " values");
  const torch::Tensor sig = sigma.to(torch::kFloat32).reshape({b, 1});
  if (b > 0) {
    const double lo = sig.min().item<double>();
    sim::require(sim::positive(lo), "sigma", lo, "> 0 [image unit]");
  }
  const torch::Tensor x = asinh_scale(images.to(torch::kFloat32).unsqueeze(1), sig, soften);
  torch::Tensor p = psf_centred(psfs.to(torch::kFloat32), s);
  p = p / p.amax({1, 2}, true).clamp_min(1e-30);
  return torch::cat({x, p.unsqueeze(1)}, 1);
}

torch::Tensor RestorerImpl::restore(const torch::Tensor& images, const torch::Tensor& psfs,
                                    const torch::Tensor& sigma) {
  const int64_t mult = int64_t{1} << config_.depth;
  if (images.dim() != 3 || images.size(1) % mult != 0 || images.size(2) % mult != 0)
    throw std::invalid_argument(
        "images of shape " + c10::str(images.sizes()) +
        ": must be [B, S, S] with S a multiple of 2^depth = " + std::to_string(mult));
  torch::NoGradGuard no_grad;
  const bool was_training = is_training();
  eval();
  std::vector<torch::Tensor> out;
  const int64_t n = images.size(0);
  for (int64_t i0 = 0; i0 < n; i0 += 256) {
    const int64_t m = std::min<int64_t>(256, n - i0);
    const torch::Tensor sig = sigma.narrow(0, i0, m).to(torch::kFloat32);
    const torch::Tensor in =
        restorer_input(images.narrow(0, i0, m), psfs.narrow(0, i0, m), sig, config_.soften);
    out.push_back(restorer_decode(forward(in), sig, config_));
  }
  if (was_training) train();
  if (out.empty()) return torch::empty({0, images.size(1), images.size(2)});
  return torch::cat(out, 0);
}

nn::ModelHeader RestorerImpl::header() const {
  const RestorerConfig& c = config_;
  nn::ModelHeader h;
  h.set("model", "vision_restorer");
  h.set("restore_size", c.size);
  h.set("restore_depth", c.depth);
  h.set("restore_base_channels", c.base_channels);
  h.set("restore_norm_groups", c.norm_groups);
  h.set("restore_soften", c.soften);
  h.set("restore_input", "asinh(image / (soften sigma)), psf centred / peak");
  h.set("restore_output", c.output);
  h.set("restore_residual", static_cast<int64_t>(c.residual ? 1 : 0));
  h.set("restore_pixel_scale", c.pixel_scale);
  h.set("restore_band", c.band.empty() ? std::string("unknown") : c.band);
  h.set("restore_unit", c.unit);
  h.set("rl_iterations", c.rl_iterations);
  h.set("rl_pedestal_sigmas", c.rl_pedestal_sigmas);
  if (!c.wiener.k.empty()) {
    h.set("wiener_size", c.wiener.size);
    h.set("wiener_k", nn::join_doubles(c.wiener.k));
    h.set("wiener_power", nn::join_doubles(c.wiener.power));
  }
  return h;
}

torch::Tensor restorer_target(const torch::Tensor& intrinsic, const torch::Tensor& sigma,
                              const RestorerConfig& config) {
  const torch::Tensor x = intrinsic.to(torch::kFloat32).unsqueeze(1);
  const torch::Tensor sig = sigma.to(torch::kFloat32).reshape({-1, 1});
  if (config.output == "linear") return x / (config.soften * sig.view({-1, 1, 1, 1}));
  return asinh_scale(x, sig, config.soften);
}

torch::Tensor restorer_decode(const torch::Tensor& output, const torch::Tensor& sigma,
                              const RestorerConfig& config) {
  const torch::Tensor scale = config.soften * sigma.to(output.scalar_type()).reshape({-1, 1, 1});
  const torch::Tensor o = output.squeeze(1);
  return config.output == "linear" ? scale * o : scale * torch::sinh(o);
}

RestorerConfig restorer_config_from(const nn::ModelHeader& h) {
  RestorerConfig c;
  c.size = h.get_int("restore_size");
  c.depth = h.get_int("restore_depth");
  c.base_channels = h.get_int("restore_base_channels");
  c.norm_groups = h.get_int("restore_norm_groups");
  c.soften = h.get_double("restore_soften");
  c.output = h.get("restore_output");
  c.residual = h.get_int("restore_residual") != 0;
  c.pixel_scale = h.get_double("restore_pixel_scale");
  c.band = h.get("restore_band");
  c.unit = h.get("restore_unit");
  c.rl_iterations = h.get_int("rl_iterations");
  c.rl_pedestal_sigmas = h.get_double("rl_pedestal_sigmas");
  if (h.has("wiener_k")) {
    c.wiener.size = h.get_int("wiener_size");
    c.wiener.k = nn::header_doubles(h, "wiener_k");
    c.wiener.power = nn::header_doubles(h, "wiener_power");
  }
  try {
    c.validate();
  } catch (const std::invalid_argument& e) {
    throw std::runtime_error(h.source() + ": " + e.what());
  }
  return c;
}

Restorer load_restorer(const std::string& path, nn::ModelHeader* header) {
  return nn::load_model_of(
      path, "vision_restorer",
      [](const nn::ModelHeader& h) { return Restorer(restorer_config_from(h)); }, header);
}

void RestorerTrainOptions::validate() const {
  sim::require(steps >= 1, "steps", static_cast<double>(steps), ">= 1");
  sim::require(batch >= 1 && batch <= 4096, "batch", static_cast<double>(batch), "in [1, 4096]");
  sim::require(lr > 0 && lr < 1, "lr", lr, "in (0, 1)");
  sim::require(
      validation_fraction > 0 && test_fraction >= 0 && validation_fraction + test_fraction < 0.9,
      "validation_fraction + test_fraction", validation_fraction + test_fraction,
      "validation > 0, test >= 0, sum < 0.9");
  sim::require(validate_every >= 1, "validate_every", static_cast<double>(validate_every), ">= 1");
  sim::require(rl_max_iterations >= 1 && rl_max_iterations <= 100000, "rl_max_iterations",
               static_cast<double>(rl_max_iterations), "in [1, 100000]");
  sim::require(log_every >= 0, "log_every", static_cast<double>(log_every), ">= 0");
  sim::require(linear_weight >= 0 && std::isfinite(linear_weight), "linear_weight", linear_weight,
               ">= 0");
  sim::require(flux_weight >= 0 && std::isfinite(flux_weight), "flux_weight", flux_weight, ">= 0");
  if (output != "asinh" && output != "linear")
    throw std::invalid_argument("output = '" + output + "': must be asinh or linear");
}

RestoreRows restore_rows(const StampSet& set, const std::vector<std::size_t>& rows) {
  const int64_t b = static_cast<int64_t>(rows.size()), s = set.size, p = set.psf_size;
  const bool truth = !set.intrinsic.empty();
  RestoreRows t{torch::empty({b, s, s}), truth ? torch::empty({b, s, s}) : torch::Tensor(),
                torch::empty({b, p, p}), torch::empty({b})};
  float* sig = t.sigma.data_ptr<float>();
  for (int64_t k = 0; k < b; ++k) {
    const std::size_t r = rows[static_cast<std::size_t>(k)];
    sim::require(r < set.count(), "row", static_cast<double>(r),
                 "< the set's " + std::to_string(set.count()) + " stamps");
    const auto px = static_cast<std::ptrdiff_t>(s * s), pp = static_cast<std::ptrdiff_t>(p * p);
    std::copy_n(set.images.begin() + static_cast<std::ptrdiff_t>(r) * px, px,
                t.images[k].data_ptr<float>());
    if (truth)
      std::copy_n(set.intrinsic.begin() + static_cast<std::ptrdiff_t>(r) * px, px,
                  t.intrinsic[k].data_ptr<float>());
    std::copy_n(set.psfs.begin() + static_cast<std::ptrdiff_t>(r) * pp, pp,
                t.psfs[k].data_ptr<float>());
    sig[k] = set.noise_sigma[r];
  }
  return t;
}

Restorer train_restorer(const StampSet& set, const RestorerTrainOptions& o,
                        RestorerTrainReport* report) {
  o.validate();
  set.validate();
  if (set.intrinsic.empty())
    throw std::invalid_argument(
        "stamps: the set has no /intrinsic (the restoration truth); "
        "make it with `cosmograd mock stamps`");
  const StampSplit split =
      split_stamps(set.count(), o.validation_fraction, o.test_fraction, o.seed);
  sim::require(split.train.size() >= 16, "stamps", static_cast<double>(set.count()),
               "enough for >= 16 training stamps after the validation and test fractions");
  torch::manual_seed(o.seed);
  std::mt19937_64 rng(o.seed);

  RestorerConfig c;
  c.size = set.size;
  c.depth = o.depth;
  c.base_channels = o.base_channels;
  c.norm_groups = o.norm_groups;
  c.soften = o.soften;
  c.output = o.output;
  c.residual = o.residual;
  c.pixel_scale = set.pixel_scale;
  c.band = set.band;
  c.unit = set.unit;
  c.rl_pedestal_sigmas = o.rl_pedestal_sigmas;
  const RestoreRows train = restore_rows(set, split.train);
  const RestoreRows val = restore_rows(set, split.validation);
  c.wiener = fit_wiener_prior(train.intrinsic);
  Restorer model(c);
  RestorerTrainReport rep;

  // The baselines on the validation rows: Wiener, and the Richardson-Lucy iteration count.
  rep.validation_wiener_mse_sigma2 =
      mean_mse(wiener_deconvolve(val.images, val.psfs, val.sigma, wiener_prior_grid(c.wiener)),
               val.intrinsic, val.sigma);
  {
    double best_rl = std::numeric_limits<double>::infinity();
    int64_t best_it = 1;
    richardson_lucy(val.images, val.psfs, val.sigma, o.rl_max_iterations, o.rl_pedestal_sigmas,
                    [&](int64_t it, const torch::Tensor& u) {
                      const double v = mean_mse(u, val.intrinsic, val.sigma);
                      if (v < best_rl) {
                        best_rl = v;
                        best_it = it;
                      }
                    });
    model->set_rl_iterations(best_it);
    rep.validation_rl_mse_sigma2 = best_rl;
    if (best_it == o.rl_max_iterations)
      sim::log_warn(
          "restorer: Richardson-Lucy's validation MSE still falls at rl_max_iterations = ",
          o.rl_max_iterations, "; raise it");
    sim::log_info("restorer: validation MSE/sigma^2 Wiener ", rep.validation_wiener_mse_sigma2,
                  ", Richardson-Lucy ", best_rl, " at ", best_it, " iterations");
  }

  // Scaled inputs and targets of the training rows (the PSF channel is rebuilt per batch from
  // the rotated PSFs, so that its centre stays at (S/2, S/2)).
  const torch::Tensor sig_t = train.sigma.view({-1, 1});
  const torch::Tensor x_train = asinh_scale(train.images.unsqueeze(1), sig_t, o.soften);
  const torch::Tensor y_train = restorer_target(train.intrinsic, train.sigma, c);
  const int64_t s = set.size;
  std::uniform_int_distribution<int64_t> pick(0, static_cast<int64_t>(split.train.size()) - 1);

  const auto t0 = Clock::now();
  torch::optim::Adam opt(model->parameters(), torch::optim::AdamOptions(o.lr));
  double best = std::numeric_limits<double>::infinity();
  std::vector<torch::Tensor> best_state = nn::snapshot_state(*model);
  model->train();
  for (int64_t step = 0; step < o.steps; ++step) {
    nn::set_cosine_lr(opt, o.lr, step, o.steps);
    std::vector<int64_t> rows(static_cast<std::size_t>(o.batch));
    for (auto& r : rows) r = pick(rng);
    const torch::Tensor idx = torch::tensor(rows, torch::kLong);
    torch::Tensor x = x_train.index_select(0, idx), y = y_train.index_select(0, idx);
    torch::Tensor psf = train.psfs.index_select(0, idx);
    const int64_t turns = static_cast<int64_t>(rng() % 4);
    const bool mirror = (rng() & 1U) != 0;
    x = torch::rot90(x, turns, {2, 3});
    y = torch::rot90(y, turns, {2, 3});
    psf = torch::rot90(psf, turns, {1, 2});
    if (mirror) {
      x = x.flip({3});
      y = y.flip({3});
      psf = psf.flip({2});
    }
    torch::Tensor pc = psf_centred(psf, s);
    pc = pc / pc.amax({1, 2}, true).clamp_min(1e-30);
    const torch::Tensor pred = model->forward(torch::cat({x, pc.unsqueeze(1)}, 1));
    torch::Tensor loss = (pred - y).square().mean();
    if (o.linear_weight > 0) {
      // (x_hat - x) / (soften sigma) from the outputs (clamped against sinh overflow).
      const bool lin = c.output == "linear";
      const torch::Tensor xh = lin ? pred : torch::sinh(pred.clamp(-12, 12));
      const torch::Tensor xt = lin ? y : torch::sinh(y);
      loss = loss + o.linear_weight * (xh - xt).square().mean();
    }
    if (o.flux_weight > 0) {
      const bool lin = c.output == "linear";
      const torch::Tensor xh = lin ? pred : torch::sinh(pred.clamp(-12, 12));
      const torch::Tensor xt = lin ? y : torch::sinh(y);
      loss = loss +
             o.flux_weight * ((xh - xt).sum({1, 2, 3}) / static_cast<double>(s)).square().mean();
    }
    opt.zero_grad();
    loss.backward();
    torch::nn::utils::clip_grad_norm_(model->parameters(), 10.0);
    opt.step();
    if ((step + 1) % o.validate_every == 0 || step + 1 == o.steps) {
      const torch::Tensor r = model->restore(val.images, val.psfs, val.sigma);
      const double v = mean_mse(r, val.intrinsic, val.sigma);
      if (v < best) {
        best = v;
        best_state = nn::snapshot_state(*model);
        rep.best_step = step + 1;
        rep.validation_mse_sigma2 = v;
        rep.validation_loss =
            (restorer_target(r, val.sigma, c) - restorer_target(val.intrinsic, val.sigma, c))
                .square()
                .mean()
                .item<double>();
      }
      if (o.log_every > 0 && (step + 1) % o.log_every == 0)
        sim::log_info("restorer step ", step + 1, "/", o.steps, ": loss ", loss.item<double>(),
                      ", validation MSE/sigma^2 ", v, " (",
                      std::chrono::duration<double>(Clock::now() - t0).count(), " s)");
    }
  }
  nn::restore_state(*model, best_state);
  model->eval();
  rep.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  rep.train = split.train.size();
  rep.validation = split.validation.size();
  rep.test = split.test.size();
  if (report != nullptr) *report = rep;
  return model;
}

void add_restorer_training_header(nn::ModelHeader& h, const StampSet& set,
                                  const RestorerTrainOptions& o, const RestorerTrainReport& r) {
  std::string source = set.source;
  std::replace(source.begin(), source.end(), '\n', ' ');
  h.set("restore_train_source", source.empty() ? std::string("unknown") : source);
  h.set("restore_train_stamps", static_cast<int64_t>(set.count()));
  h.set("restore_train_seed", static_cast<int64_t>(o.seed));
  h.set("restore_train_validation_fraction", o.validation_fraction);
  h.set("restore_train_test_fraction", o.test_fraction);
  h.set("restore_train_steps", o.steps);
  h.set("restore_train_batch", o.batch);
  h.set("restore_train_lr", o.lr);
  h.set("restore_train_linear_weight", o.linear_weight);
  h.set("restore_train_flux_weight", o.flux_weight);
  h.set("restore_train_rl_max_iterations", o.rl_max_iterations);
  h.set("restore_train_best_step", r.best_step);
  h.set("restore_train_seconds", r.seconds);
  h.set("restore_train_validation_loss", r.validation_loss);
  h.set("restore_train_validation_mse_sigma2", r.validation_mse_sigma2);
  h.set("restore_train_validation_wiener_mse_sigma2", r.validation_wiener_mse_sigma2);
  h.set("restore_train_validation_rl_mse_sigma2", r.validation_rl_mse_sigma2);
}

torch::Tensor mse_over_sigma2(const torch::Tensor& restored, const torch::Tensor& truth,
                              const torch::Tensor& sigma) {
  if (restored.sizes() != truth.sizes() || restored.dim() != 3 || sigma.numel() != restored.size(0))
    throw std::invalid_argument("mse_over_sigma2: restored " + c10::str(restored.sizes()) +
                                ", truth " + c10::str(truth.sizes()) + ", sigma " +
                                c10::str(sigma.sizes()) + ": must be [B, S, S] twice and [B]");
  const torch::Tensor d = restored.to(torch::kFloat64) - truth.to(torch::kFloat64);
  return d.square().mean({1, 2}) / sigma.to(torch::kFloat64).reshape({-1}).square();
}

torch::Tensor relative_mse(const torch::Tensor& restored, const torch::Tensor& truth) {
  if (restored.sizes() != truth.sizes() || restored.dim() != 3)
    throw std::invalid_argument("relative_mse: restored " + c10::str(restored.sizes()) +
                                ", truth " + c10::str(truth.sizes()) + ": must be [B, S, S]");
  const torch::Tensor t = truth.to(torch::kFloat64);
  return (restored.to(torch::kFloat64) - t).square().sum({1, 2}) / t.square().sum({1, 2});
}

torch::Tensor flux_error(const torch::Tensor& restored, const torch::Tensor& truth) {
  if (restored.sizes() != truth.sizes() || restored.dim() != 3)
    throw std::invalid_argument("flux_error: restored " + c10::str(restored.sizes()) + ", truth " +
                                c10::str(truth.sizes()) + ": must be [B, S, S]");
  const torch::Tensor ft = truth.to(torch::kFloat64).sum({1, 2});
  return (restored.to(torch::kFloat64).sum({1, 2}) - ft) / ft;
}

RobustStats robust_stats(std::vector<double> v) {
  v.erase(std::remove_if(v.begin(), v.end(), [](double x) { return !std::isfinite(x); }), v.end());
  RobustStats r;
  r.count = v.size();
  if (v.empty()) {
    r.median = r.scatter = std::nan("");
    return r;
  }
  auto median = [](std::vector<double>& x) {
    const std::size_t n = x.size();
    std::nth_element(x.begin(), x.begin() + n / 2, x.end());
    const double hi = x[n / 2];
    if (n % 2 == 1) return hi;
    return 0.5 * (hi + *std::max_element(x.begin(), x.begin() + n / 2));
  };
  r.median = median(v);
  for (double& x : v) x = std::abs(x - r.median);
  r.scatter = 1.4826 * median(v);
  return r;
}

std::vector<double> half_light_radii(const torch::Tensor& stamps,
                                     const std::vector<double>& sigma) {
  if (stamps.dim() != 3 || stamps.size(0) != static_cast<int64_t>(sigma.size()))
    throw std::invalid_argument("half_light_radii: stamps " + c10::str(stamps.sizes()) + " with " +
                                std::to_string(sigma.size()) +
                                " sigmas: must be [B, H, W] with B sigmas");
  const torch::Tensor host = stamps.to(torch::kFloat64).contiguous();
  const int ny = static_cast<int>(host.size(1)), nx = static_cast<int>(host.size(2));
  std::vector<double> out(sigma.size());
  for (std::size_t i = 0; i < out.size(); ++i) {
    Image img = Image::zeros(nx, ny);
    const double* v = host[static_cast<int64_t>(i)].data_ptr<double>();
    std::copy(v, v + static_cast<std::ptrdiff_t>(nx) * ny, img.values.begin());
    const StampMeasures m = measure_stamp(img, sigma[i]);
    out[i] = m.ok ? m.half_light_radius : std::nan("");
  }
  return out;
}

}  // namespace cosmograd::surveys
