// The structural-parameter CNN, its inputs, training and model files (see structure_net.hpp).
#include "surveys/properties/structure_net.hpp"

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

namespace cosmograd::surveys {
namespace {

using Clock = std::chrono::steady_clock;

/// Bounds of the predicted log sigma (standardised units).
constexpr double kLogSigmaMin = -7, kLogSigmaMax = 3;

/// Comma-separated values with 17 significant digits.
template <class C>
std::string join(const C& v) {
  std::ostringstream o;
  o.precision(17);
  bool first = true;
  for (const auto& x : v) {
    o << (first ? "" : ",") << x;
    first = false;
  }
  return o.str();
}

/// Appends Conv3x3 (stride s, no bias) - BatchNorm - ReLU to f.
void add_conv_bn_relu(torch::nn::Sequential& f, int64_t in, int64_t out, int64_t stride) {
  f->push_back(torch::nn::Conv2d(
      torch::nn::Conv2dOptions(in, out, 3).stride(stride).padding(1).bias(false)));
  f->push_back(torch::nn::BatchNorm2d(out));
  f->push_back(torch::nn::ReLU());
}

/// Mean Gaussian NLL per target of standardised outputs [N, 10] against targets [N, 5].
torch::Tensor gaussian_nll(const torch::Tensor& out, const torch::Tensor& y) {
  const torch::Tensor mu = out.narrow(1, 0, kStructureTargets);
  const torch::Tensor log_s =
      out.narrow(1, kStructureTargets, kStructureTargets).clamp(kLogSigmaMin, kLogSigmaMax);
  return (0.5 * ((y - mu) * torch::exp(-log_s)).square() + log_s).mean();
}

}  // namespace

void StructureNetConfig::validate() const {
  sim::require(!channels.empty() && channels.size() <= 6, "channels", channels.size(),
               "1 to 6 stages");
  for (std::size_t i = 0; i < channels.size(); ++i)
    sim::require(channels[i] >= 1 && channels[i] <= 1024, "channels[" + std::to_string(i) + "]",
                 static_cast<double>(channels[i]), "in [1, 1024]");
  sim::require(stem_stride == 1 || stem_stride == 2, "stem_stride",
               static_cast<double>(stem_stride), "1 or 2");
  const int64_t mult = stem_stride * (int64_t{1} << (channels.size() - 1));
  sim::require(
      size >= 8 && size % mult == 0, "size", static_cast<double>(size),
      ">= 8 and a multiple of stem_stride 2^(stages - 1) = " + std::to_string(mult) + " [pixels]");
  sim::require(hidden >= 1 && hidden <= 65536, "hidden", static_cast<double>(hidden),
               "in [1, 65536]");
  sim::require(sim::positive(soften), "soften", soften, "> 0 [sigma]");
  sim::require(sim::positive(pixel_scale), "pixel_scale", pixel_scale, "> 0 [arcsec]");
  for (int i = 0; i < kStructureTargets; ++i) {
    sim::require(std::isfinite(mean[static_cast<std::size_t>(i)]),
                 "mean[" + std::to_string(i) + "]", mean[static_cast<std::size_t>(i)], "finite");
    sim::require(sim::positive(scale[static_cast<std::size_t>(i)]),
                 "scale[" + std::to_string(i) + "]", scale[static_cast<std::size_t>(i)], "> 0");
    sim::require(sim::positive(sigma_scale[static_cast<std::size_t>(i)]),
                 "sigma_scale[" + std::to_string(i) + "]", sigma_scale[static_cast<std::size_t>(i)],
                 "> 0 (finite)");
  }
}

StructureNetImpl::StructureNetImpl(StructureNetConfig config) : config_(std::move(config)) {
  config_.validate();
  torch::nn::Sequential f;
  add_conv_bn_relu(f, 2, config_.channels[0], config_.stem_stride);
  for (std::size_t i = 1; i < config_.channels.size(); ++i) {
    add_conv_bn_relu(f, config_.channels[i - 1], config_.channels[i], 2);
    add_conv_bn_relu(f, config_.channels[i], config_.channels[i], 1);
  }
  features_ = register_module("features", f);
  const int64_t side = config_.size / config_.stem_stride >> (config_.channels.size() - 1);
  head_ = register_module(
      "head", torch::nn::Sequential(
                  torch::nn::Flatten(),
                  torch::nn::Linear(config_.channels.back() * side * side, config_.hidden),
                  torch::nn::ReLU(), torch::nn::Linear(config_.hidden, 2 * kStructureTargets)));
}

torch::Tensor StructureNetImpl::forward(const torch::Tensor& x) {
  return head_->forward(features_->forward(x));
}

torch::Tensor structure_input(const torch::Tensor& images, const torch::Tensor& psfs,
                              const torch::Tensor& sigma, double soften) {
  if (images.dim() != 3 || images.size(1) != images.size(2))
    throw std::invalid_argument("images of shape " + c10::str(images.sizes()) +
                                ": must be [B, S, S]");
  const int64_t b = images.size(0), s = images.size(1);
  if (psfs.dim() != 3 || psfs.size(0) != b || psfs.size(1) != psfs.size(2) ||
      psfs.size(1) % 2 == 0 || psfs.size(1) > s)
    throw std::invalid_argument("psfs of shape " + c10::str(psfs.sizes()) + ": must be [" +
                                std::to_string(b) +
                                ", P, P] with P odd and <= " + std::to_string(s));
  if (sigma.numel() != b)
    throw std::invalid_argument("sigma of shape " + c10::str(sigma.sizes()) + ": must hold " +
                                std::to_string(b) + " values");
  const torch::Tensor sig = sigma.to(torch::kFloat32).reshape({b, 1, 1});
  const torch::Tensor x = torch::asinh(images.to(torch::kFloat32) / (soften * sig));
  const int64_t p = psfs.size(1), o = s / 2 - p / 2;
  torch::Tensor canvas = torch::zeros({b, s, s}, torch::kFloat32);
  const torch::Tensor pf = psfs.to(torch::kFloat32);
  canvas.narrow(1, o, p).narrow(2, o, p).copy_(pf / pf.amax({1, 2}, true).clamp_min(1e-30));
  return torch::stack({x, canvas}, 1);
}

std::pair<torch::Tensor, torch::Tensor> structure_augment(const torch::Tensor& x,
                                                          const torch::Tensor& e, int turns,
                                                          bool mirror) {
  if (x.dim() != 4 || e.dim() != 2 || e.size(1) != 2 || e.size(0) != x.size(0))
    throw std::invalid_argument("structure_augment: x of shape " + c10::str(x.sizes()) +
                                " and e of shape " + c10::str(e.sizes()) +
                                ": must be [N, C, S, S] and [N, 2]");
  if (turns < 0 || turns > 3)
    throw std::invalid_argument("structure_augment: turns = " + std::to_string(turns) +
                                ", allowed 0, 1, 2, 3");
  torch::Tensor xa = turns != 0 ? torch::rot90(x, turns, {2, 3}) : x;
  torch::Tensor ea = turns % 2 == 1 ? -e : e.clone();
  if (mirror) {
    xa = xa.flip({3});
    ea.select(1, 1).neg_();
  }
  return {xa, ea};
}

torch::Tensor structure_targets(const SersicStampSet& set, const std::vector<std::size_t>& rows) {
  torch::Tensor t =
      torch::empty({static_cast<int64_t>(rows.size()), kStructureTargets}, torch::kFloat64);
  double* v = t.data_ptr<double>();
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const std::size_t r = rows[i];
    const double e = (1 - set.q[r]) / (1 + set.q[r]);
    v[i * 5 + 0] = std::log10(set.flux[r] / set.noise_sigma[r]);
    v[i * 5 + 1] = std::log10(set.half_light_radius[r]);
    v[i * 5 + 2] = std::log10(set.n[r]);
    v[i * 5 + 3] = e * std::cos(2 * set.pa[r]);
    v[i * 5 + 4] = e * std::sin(2 * set.pa[r]);
  }
  return t;
}

StructureRows structure_rows(const SersicStampSet& set, const std::vector<std::size_t>& rows) {
  const auto b = static_cast<int64_t>(rows.size());
  const int64_t s = set.size, p = set.psf_size;
  StructureRows t{torch::empty({b, s, s}), torch::empty({b, p, p}), torch::empty({b})};
  const auto px = static_cast<std::ptrdiff_t>(s * s), pp = static_cast<std::ptrdiff_t>(p * p);
  for (int64_t k = 0; k < b; ++k) {
    const std::size_t r = rows[static_cast<std::size_t>(k)];
    sim::require(r < set.count(), "row", static_cast<double>(r),
                 "< the set's " + std::to_string(set.count()) + " stamps");
    std::copy_n(set.images.begin() + static_cast<std::ptrdiff_t>(r) * px, px,
                t.images[k].data_ptr<float>());
    std::copy_n(set.psfs.begin() + static_cast<std::ptrdiff_t>(r) * pp, pp,
                t.psfs[k].data_ptr<float>());
    t.sigma[k] = static_cast<float>(set.noise_sigma[r]);
  }
  return t;
}

StructurePrediction StructureNetImpl::predict(const torch::Tensor& images,
                                              const torch::Tensor& psfs, const torch::Tensor& sigma,
                                              bool calibrated) {
  torch::NoGradGuard no_grad;
  const bool was_training = is_training();
  eval();
  const int64_t n = images.size(0);
  std::vector<torch::Tensor> outs;
  for (int64_t i0 = 0; i0 < n; i0 += 256) {
    const int64_t m = std::min<int64_t>(256, n - i0);
    outs.push_back(forward(structure_input(images.narrow(0, i0, m), psfs.narrow(0, i0, m),
                                           sigma.narrow(0, i0, m), config_.soften)));
  }
  if (was_training) train();
  StructurePrediction p;
  if (n == 0) return p;
  const torch::Tensor out = torch::cat(outs, 0).to(torch::kFloat64).contiguous();
  const torch::Tensor sig = sigma.to(torch::kFloat64).reshape({n}).contiguous();
  const double* o = out.data_ptr<double>();
  const double* sg = sig.data_ptr<double>();
  const double ln10 = std::log(10.0);
  for (int64_t k = 0; k < n; ++k) {
    double mu[kStructureTargets], sd[kStructureTargets];
    for (int j = 0; j < kStructureTargets; ++j) {
      const auto js = static_cast<std::size_t>(j);
      mu[j] = config_.mean[js] + config_.scale[js] * o[k * 10 + j];
      sd[j] = config_.scale[js] * (calibrated ? config_.sigma_scale[js] : 1.0) *
              std::exp(std::clamp(o[k * 10 + 5 + j], kLogSigmaMin, kLogSigmaMax));
      p.target_mean.push_back(mu[j]);
      p.target_sigma.push_back(sd[j]);
    }
    const double f = std::pow(10.0, mu[0]) * sg[k];
    p.flux.push_back(f);
    p.flux_err.push_back(f * ln10 * sd[0]);
    p.re.push_back(std::pow(10.0, mu[1]));
    p.re_err.push_back(p.re.back() * ln10 * sd[1]);
    p.n.push_back(std::pow(10.0, mu[2]));
    p.n_err.push_back(p.n.back() * ln10 * sd[2]);
    p.e1.push_back(mu[3]);
    p.e1_err.push_back(sd[3]);
    p.e2.push_back(mu[4]);
    p.e2_err.push_back(sd[4]);
    // q and PA from (e1, e2) with independent Gaussian errors, propagated linearly.
    const double e = std::min(std::hypot(mu[3], mu[4]), 0.999);
    p.q.push_back((1 - e) / (1 + e));
    p.pa.push_back(0.5 * std::atan2(mu[4], mu[3]));
    const double ee = std::max(e, 1e-12);
    const double var_e =
        (mu[3] * mu[3] * sd[3] * sd[3] + mu[4] * mu[4] * sd[4] * sd[4]) / (ee * ee);
    p.q_err.push_back(2 / ((1 + e) * (1 + e)) * std::sqrt(var_e));
    const double var_pa =
        0.25 * (mu[4] * mu[4] * sd[3] * sd[3] + mu[3] * mu[3] * sd[4] * sd[4]) / std::pow(ee, 4);
    p.pa_err.push_back(std::min(std::sqrt(var_pa), 0.5 * M_PI));
  }
  return p;
}

void StructureNetImpl::set_sigma_scale(const std::array<double, kStructureTargets>& f) {
  StructureNetConfig c = config_;
  c.sigma_scale = f;
  c.validate();
  config_ = c;
}

nn::ModelHeader StructureNetImpl::header() const {
  const StructureNetConfig& c = config_;
  nn::ModelHeader h;
  h.set("model", "properties_structure");
  h.set("structure_size", c.size);
  h.set("structure_channels", join(c.channels));
  h.set("structure_stem_stride", c.stem_stride);
  h.set("structure_hidden", c.hidden);
  h.set("structure_soften", c.soften);
  h.set("structure_pixel_scale", c.pixel_scale);
  h.set("structure_band", c.band);
  h.set("structure_input", "asinh(image / (soften sigma)), psf centred / peak");
  h.set("structure_targets", "log10(flux/sigma),log10(re_px),log10(n),e1,e2");
  h.set("structure_target_mean", join(c.mean));
  h.set("structure_target_scale", join(c.scale));
  h.set("structure_sigma_scale", join(c.sigma_scale));
  return h;
}

void StructureTrainOptions::validate() const {
  sim::require(steps >= 1, "steps", static_cast<double>(steps), ">= 1");
  sim::require(batch >= 2 && batch <= 4096, "batch", static_cast<double>(batch), "in [2, 4096]");
  sim::require(lr > 0 && lr < 1, "lr", lr, "in (0, 1)");
  sim::require(weight_decay >= 0 && weight_decay < 1, "weight_decay", weight_decay, "in [0, 1)");
  sim::require(
      validation_fraction > 0 && test_fraction >= 0 && validation_fraction + test_fraction < 0.9,
      "validation_fraction + test_fraction", validation_fraction + test_fraction,
      "validation > 0, test >= 0, sum < 0.9");
  sim::require(validate_every >= 1, "validate_every", static_cast<double>(validate_every), ">= 1");
  sim::require(max_seconds >= 0 && std::isfinite(max_seconds), "max_seconds", max_seconds,
               ">= 0 [s] (0: no limit)");
}

StructureNet train_structure_net(const SersicStampSet& set, const StructureTrainOptions& o,
                                 StructureTrainReport* report) {
  o.validate();
  set.validate();
  const StampSplit split =
      split_stamps(set.count(), o.validation_fraction, o.test_fraction, o.seed);
  sim::require(split.train.size() >= 8 && !split.validation.empty(), "stamps",
               static_cast<double>(set.count()),
               "enough for >= 8 training and >= 1 validation stamps after the fractions");
  torch::manual_seed(o.seed);
  std::mt19937_64 rng(o.seed);

  StructureNetConfig c;
  c.size = set.size;
  c.channels = o.channels;
  c.stem_stride = o.stem_stride;
  c.hidden = o.hidden;
  c.soften = o.soften;
  c.pixel_scale = set.pixel_scale;
  c.band = set.band;
  const torch::Tensor y_train = structure_targets(set, split.train);
  const torch::Tensor mean = y_train.mean(0), sd = y_train.std(0).clamp_min(1e-6);
  for (int j = 0; j < kStructureTargets; ++j) {
    c.mean[static_cast<std::size_t>(j)] = mean[j].item<double>();
    c.scale[static_cast<std::size_t>(j)] = sd[j].item<double>();
  }
  StructureNet model(c);
  const torch::Tensor ys_train = ((y_train - mean) / sd).to(torch::kFloat32);
  const StructureRows train = structure_rows(set, split.train);
  const StructureRows val = structure_rows(set, split.validation);
  const torch::Tensor x_train = structure_input(train.images, train.psfs, train.sigma, c.soften);
  const torch::Tensor x_val = structure_input(val.images, val.psfs, val.sigma, c.soften);
  const torch::Tensor ys_val =
      ((structure_targets(set, split.validation) - mean) / sd).to(torch::kFloat32);
  // Validation NLL in eval mode, batches of 256.
  const auto validation_nll = [&]() {
    torch::NoGradGuard no_grad;
    model->eval();
    double sum = 0;
    const int64_t n = x_val.size(0);
    for (int64_t i0 = 0; i0 < n; i0 += 256) {
      const int64_t m = std::min<int64_t>(256, n - i0);
      sum += gaussian_nll(model->forward(x_val.narrow(0, i0, m)), ys_val.narrow(0, i0, m))
                 .item<double>() *
             static_cast<double>(m);
    }
    model->train();
    return sum / static_cast<double>(n);
  };

  std::uniform_int_distribution<int64_t> pick(0, static_cast<int64_t>(split.train.size()) - 1);
  torch::optim::Adam opt(model->parameters(),
                         torch::optim::AdamOptions(o.lr).weight_decay(o.weight_decay));
  const torch::Tensor e_mean = torch::tensor({c.mean[3], c.mean[4]}).to(torch::kFloat32);
  const torch::Tensor e_scale = torch::tensor({c.scale[3], c.scale[4]}).to(torch::kFloat32);
  StructureTrainReport rep;
  double best = std::numeric_limits<double>::infinity();
  std::vector<torch::Tensor> best_state = nn::snapshot_state(*model);
  const auto t0 = Clock::now();
  model->train();
  int64_t step = 0;
  for (; step < o.steps; ++step) {
    if (o.max_seconds > 0 &&
        std::chrono::duration<double>(Clock::now() - t0).count() > o.max_seconds) {
      sim::log_warn("structure net: stopped at step ", step, " of ", o.steps,
                    " (max_seconds = ", o.max_seconds, ")");
      break;
    }
    nn::set_cosine_lr(opt, o.lr, step, o.steps);
    std::vector<int64_t> rows(static_cast<std::size_t>(o.batch));
    for (auto& r : rows) r = pick(rng);
    const torch::Tensor idx = torch::tensor(rows, torch::kLong);
    torch::Tensor y = ys_train.index_select(0, idx).clone();
    const int turns = static_cast<int>(rng() % 4);
    const bool mirror = (rng() & 1U) != 0;
    // One of the 8 symmetries of the square for the whole batch, on the physical (e1, e2).
    auto [x, e] = structure_augment(x_train.index_select(0, idx),
                                    y.narrow(1, 3, 2) * e_scale + e_mean, turns, mirror);
    y.narrow(1, 3, 2).copy_((e - e_mean) / e_scale);
    const torch::Tensor loss = gaussian_nll(model->forward(x), y);
    opt.zero_grad();
    loss.backward();
    torch::nn::utils::clip_grad_norm_(model->parameters(), 10.0);
    opt.step();
    if ((step + 1) % o.validate_every == 0 || step + 1 == o.steps) {
      const double v = validation_nll();
      if (v < best) {
        best = v;
        best_state = nn::snapshot_state(*model);
        rep.best_step = step + 1;
        rep.validation_nll = v;
      }
      sim::log_info("structure net step ", step + 1, "/", o.steps, ": loss ", loss.item<double>(),
                    ", validation NLL ", v, " (",
                    std::chrono::duration<double>(Clock::now() - t0).count(), " s)");
    }
  }
  if (rep.best_step == 0) {  // stopped before the first validation
    rep.validation_nll = validation_nll();
    best_state = nn::snapshot_state(*model);
    rep.best_step = step;
  }
  nn::restore_state(*model, best_state);
  model->eval();
  {
    // Temperature scaling per target: the rms of the validation pulls (y - mu) / sigma.
    torch::NoGradGuard no_grad;
    torch::Tensor sum = torch::zeros({kStructureTargets}, torch::kFloat64);
    const int64_t n = x_val.size(0);
    for (int64_t i0 = 0; i0 < n; i0 += 256) {
      const int64_t m = std::min<int64_t>(256, n - i0);
      const torch::Tensor out = model->forward(x_val.narrow(0, i0, m)).to(torch::kFloat64);
      const torch::Tensor mu = out.narrow(1, 0, kStructureTargets);
      const torch::Tensor log_s =
          out.narrow(1, kStructureTargets, kStructureTargets).clamp(kLogSigmaMin, kLogSigmaMax);
      sum +=
          ((ys_val.narrow(0, i0, m).to(torch::kFloat64) - mu) * torch::exp(-log_s)).square().sum(0);
    }
    const torch::Tensor rms = (sum / static_cast<double>(n)).sqrt();
    for (int j = 0; j < kStructureTargets; ++j)
      rep.sigma_scale[static_cast<std::size_t>(j)] = rms[j].item<double>();
    model->set_sigma_scale(rep.sigma_scale);
    sim::log_info("structure net: sigma calibration factors (validation pull rms) ",
                  join(rep.sigma_scale));
  }
  rep.steps_done = step;
  rep.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  rep.train = split.train.size();
  rep.validation = split.validation.size();
  rep.test = split.test.size();
  if (report != nullptr) *report = rep;
  return model;
}

void add_structure_training_header(nn::ModelHeader& h, const SersicStampSet& set,
                                   const StructureTrainOptions& o, const StructureTrainReport& r) {
  std::string source = set.source;
  std::replace(source.begin(), source.end(), '\n', ' ');
  h.set("structure_train_source", source.empty() ? std::string("unknown") : source);
  h.set("structure_train_stamps", static_cast<int64_t>(set.count()));
  h.set("structure_train_seed", static_cast<int64_t>(o.seed));
  h.set("structure_train_validation_fraction", o.validation_fraction);
  h.set("structure_train_test_fraction", o.test_fraction);
  h.set("structure_train_steps", o.steps);
  h.set("structure_train_steps_done", r.steps_done);
  h.set("structure_train_batch", o.batch);
  h.set("structure_train_lr", o.lr);
  h.set("structure_train_best_step", r.best_step);
  h.set("structure_train_seconds", r.seconds);
  h.set("structure_train_validation_nll", r.validation_nll);
  h.set("structure_train_split", static_cast<int64_t>(r.train));
  h.set("structure_validation_split", static_cast<int64_t>(r.validation));
  h.set("structure_test_split", static_cast<int64_t>(r.test));
}

StructureNet load_structure_net(const std::string& path, nn::ModelHeader* header) {
  const nn::ModelHeader h = nn::read_model_header_of(path, "properties_structure");
  StructureNetConfig c;
  c.size = h.get_int("structure_size");
  c.channels.clear();
  for (double v : nn::header_doubles(h, "structure_channels"))
    c.channels.push_back(std::llround(v));
  c.stem_stride = h.has("structure_stem_stride") ? h.get_int("structure_stem_stride") : 1;
  c.hidden = h.get_int("structure_hidden");
  c.soften = h.get_double("structure_soften");
  c.pixel_scale = h.get_double("structure_pixel_scale");
  c.band = h.get("structure_band");
  const std::vector<double> mean = nn::header_doubles(h, "structure_target_mean"),
                            scale = nn::header_doubles(h, "structure_target_scale");
  if (mean.size() != kStructureTargets || scale.size() != kStructureTargets)
    throw std::runtime_error(path + ": structure_target_mean / structure_target_scale hold " +
                             std::to_string(mean.size()) + " / " + std::to_string(scale.size()) +
                             " values, expected 5");
  std::copy(mean.begin(), mean.end(), c.mean.begin());
  std::copy(scale.begin(), scale.end(), c.scale.begin());
  if (h.has("structure_sigma_scale")) {  // absent in uncalibrated (older) files: factors 1
    const std::vector<double> f = nn::header_doubles(h, "structure_sigma_scale");
    if (f.size() != kStructureTargets)
      throw std::runtime_error(path + ": structure_sigma_scale holds " + std::to_string(f.size()) +
                               " values, expected 5");
    std::copy(f.begin(), f.end(), c.sigma_scale.begin());
  }
  try {
    c.validate();
  } catch (const std::invalid_argument& e) {
    throw std::runtime_error(path + ": " + e.what());
  }
  StructureNet model(c);
  nn::load_model_weights(path, *model);
  model->eval();
  if (header != nullptr) *header = h;
  return model;
}

}  // namespace cosmograd::surveys
