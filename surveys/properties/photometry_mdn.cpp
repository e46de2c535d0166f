// Mixture density network on photometric features: model, training, files.
#include "surveys/properties/photometry_mdn.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>
#include <random>
#include <sstream>

#include "nn/train/module_state.hpp"
#include "sim/core/require.hpp"

namespace cosmograd::surveys {
namespace {

/// "128,128,128" from widths.
std::string join(const std::vector<int64_t>& v) {
  std::string s;
  for (std::size_t i = 0; i < v.size(); ++i) s += (i ? "," : "") + std::to_string(v[i]);
  return s;
}

/// Widths from "128,128,128".
std::vector<int64_t> split_ints(const std::string& s) {
  std::vector<int64_t> v;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ',')) v.push_back(std::stoll(item));
  return v;
}

torch::Tensor rows_tensor(const std::vector<float>& v, int64_t cols) {
  return torch::from_blob(const_cast<float*>(v.data()),
                          {static_cast<int64_t>(v.size()) / cols, cols}, torch::kFloat32)
      .clone();
}

}  // namespace

void PhotometryMdnConfig::validate() const {
  sim::require(features >= 1, "features", static_cast<double>(features), ">= 1");
  sim::require(components >= 1 && components <= 64, "components", static_cast<double>(components),
               "in [1, 64]");
  for (int64_t h : hidden)
    sim::require(h >= 1 && h <= 4096, "hidden", static_cast<double>(h),
                 "comma-separated widths in [1, 4096]");
}

void PhotometryMdnTrainOptions::validate() const {
  sim::require(epochs >= 1, "epochs", static_cast<double>(epochs), ">= 1");
  sim::require(batch >= 1, "batch", static_cast<double>(batch), ">= 1");
  sim::require(sim::positive(lr), "lr", lr, "> 0");
  sim::require(weight_decay >= 0 && std::isfinite(weight_decay), "weight_decay", weight_decay,
               ">= 0");
}

PhotometryMdnImpl::PhotometryMdnImpl(PhotometryMdnConfig config) : config_(std::move(config)) {
  config_.validate();
  const int64_t width = config_.hidden.empty() ? config_.features : config_.hidden.back();
  if (config_.hidden.empty()) {
    trunk_ = register_module("trunk", nn::MLP(nn::MLPOptions(config_.features, width, {})));
  } else {
    std::vector<int64_t> inner(config_.hidden.begin(), config_.hidden.end() - 1);
    trunk_ = register_module("trunk", nn::MLP(nn::MLPOptions(config_.features, width, inner)
                                                  .output_activation(nn::Activation::gelu)));
  }
  head_ = register_module(
      "head", nn::MixtureDensityHead(
                  nn::MixtureDensityHeadOptions(width, 1, config_.components).min_scale(1e-3)));
  x_mean_ = register_buffer("x_mean", torch::zeros({config_.features}));
  x_std_ = register_buffer("x_std", torch::ones({config_.features}));
  y_mean_ = register_buffer("y_mean", torch::zeros({1}));
  y_std_ = register_buffer("y_std", torch::ones({1}));
}

void PhotometryMdnImpl::set_standardisation(const std::vector<float>& x,
                                            const std::vector<float>& y) {
  torch::NoGradGuard no_grad;
  const torch::Tensor tx = rows_tensor(x, config_.features), ty = rows_tensor(y, 1);
  x_mean_.copy_(tx.mean(0));
  x_std_.copy_(tx.std(0).clamp_min(1e-6));
  y_mean_.copy_(ty.mean(0));
  y_std_.copy_(ty.std(0).clamp_min(1e-6));
}

torch::Tensor PhotometryMdnImpl::log_prob(const torch::Tensor& x, const torch::Tensor& y) {
  const torch::Tensor h = trunk_->forward((x - x_mean_) / x_std_);
  const torch::Tensor ys = ((y.reshape({-1, 1}) - y_mean_) / y_std_);
  // Change of variables y -> (y - mean) / std: log p(y) = log p_s(y_s) - log std.
  return head_->log_prob(h, ys) - torch::log(y_std_).squeeze();
}

Mixtures PhotometryMdnImpl::mixtures(const std::vector<float>& x) {
  torch::NoGradGuard no_grad;
  const torch::Tensor tx = rows_tensor(x, config_.features);
  const int64_t n = tx.size(0), k = config_.components;
  Mixtures m;
  m.components = static_cast<std::size_t>(k);
  m.weights.resize(n * k);
  m.means.resize(n * k);
  m.sigmas.resize(n * k);
  const double ym = y_mean_.item<double>(), ys = y_std_.item<double>();
  for (int64_t start = 0; start < n; start += 4096) {
    const int64_t stop = std::min(n, start + 4096);
    const nn::MixtureParams p =
        head_->forward(trunk_->forward((tx.slice(0, start, stop) - x_mean_) / x_std_));
    const torch::Tensor w = p.log_weights.exp().to(torch::kFloat64).contiguous();
    const torch::Tensor mu = p.means.squeeze(-1).to(torch::kFloat64).contiguous();
    const torch::Tensor sd = p.scale_tril.squeeze(-1).squeeze(-1).to(torch::kFloat64).contiguous();
    std::copy(w.data_ptr<double>(), w.data_ptr<double>() + w.numel(),
              m.weights.begin() + start * k);
    for (int64_t i = 0; i < (stop - start) * k; ++i) {
      m.means[start * k + i] = ym + ys * mu.data_ptr<double>()[i];
      m.sigmas[start * k + i] = ys * sd.data_ptr<double>()[i];
    }
  }
  return m;
}

nn::ModelHeader PhotometryMdnImpl::header() const {
  nn::ModelHeader h;
  h.set("model", "photometry_mdn");
  h.set("mdn_features", config_.features);
  h.set("mdn_hidden", join(config_.hidden));
  h.set("mdn_components", config_.components);
  h.set("mdn_target", config_.target);
  h.set("mdn_inputs", config_.inputs);
  return h;
}

PhotometryMdn train_photometry_mdn(const PhotometryMdnConfig& config, const std::vector<float>& x,
                                   const std::vector<float>& y, const std::vector<float>& x_val,
                                   const std::vector<float>& y_val,
                                   const PhotometryMdnTrainOptions& o,
                                   PhotometryMdnTrainReport* report) {
  o.validate();
  const auto t0 = std::chrono::steady_clock::now();
  const int64_t f = config.features, n = static_cast<int64_t>(y.size());
  sim::require(n >= 2 && static_cast<int64_t>(x.size()) == n * f, "training galaxies",
               static_cast<double>(n), ">= 2 with F features each");
  sim::require(!y_val.empty() && x_val.size() == y_val.size() * f, "validation galaxies",
               static_cast<double>(y_val.size()), ">= 1 with F features each");
  torch::manual_seed(o.seed);
  PhotometryMdn model(config);
  model->set_standardisation(x, y);
  const torch::Tensor tx = rows_tensor(x, f), ty = rows_tensor(y, 1).squeeze(1);
  const torch::Tensor vx = rows_tensor(x_val, f), vy = rows_tensor(y_val, 1).squeeze(1);
  torch::optim::Adam opt(model->parameters(),
                         torch::optim::AdamOptions(o.lr).weight_decay(o.weight_decay));
  const int64_t steps_per_epoch = std::max<int64_t>(1, n / o.batch);
  const int64_t total = steps_per_epoch * o.epochs;
  std::mt19937_64 rng(o.seed);
  std::vector<int64_t> order(static_cast<std::size_t>(n));
  std::iota(order.begin(), order.end(), 0);
  double best = std::numeric_limits<double>::infinity();
  int64_t best_epoch = 0, step = 0;
  std::vector<torch::Tensor> best_state = nn::snapshot_state(*model);
  for (int64_t epoch = 1; epoch <= o.epochs; ++epoch) {
    model->train();
    std::shuffle(order.begin(), order.end(), rng);
    const torch::Tensor perm = torch::tensor(order, torch::kInt64);
    for (int64_t s = 0; s < steps_per_epoch; ++s, ++step) {
      nn::set_cosine_lr(opt, o.lr, step, total);
      const torch::Tensor idx = perm.slice(0, s * o.batch, std::min(n, (s + 1) * o.batch));
      const torch::Tensor loss =
          -model->log_prob(tx.index_select(0, idx), ty.index_select(0, idx)).mean();
      opt.zero_grad();
      loss.backward();
      opt.step();
    }
    model->eval();
    torch::NoGradGuard no_grad;
    const double val = -model->log_prob(vx, vy).mean().item<double>();
    if (val < best) {
      best = val;
      best_epoch = epoch;
      best_state = nn::snapshot_state(*model);
    }
  }
  nn::restore_state(*model, best_state);
  model->eval();
  if (report) {
    report->train = static_cast<std::size_t>(n);
    report->validation = y_val.size();
    report->best_epoch = best_epoch;
    report->validation_nll = best;
    report->seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  }
  return model;
}

PhotometryMdn load_photometry_mdn(const std::string& path, const std::string& target,
                                  nn::ModelHeader* header) {
  const nn::ModelHeader h = nn::read_model_header_of(path, "photometry_mdn");
  PhotometryMdnConfig c;
  c.features = h.get_int("mdn_features");
  c.hidden = split_ints(h.get("mdn_hidden"));
  c.components = h.get_int("mdn_components");
  c.target = h.get("mdn_target");
  c.inputs = h.get("mdn_inputs");
  if (!target.empty() && c.target != target)
    throw std::runtime_error(path + ": a photometry_mdn of " + c.target + ", expected one of " +
                             target);
  PhotometryMdn model(c);
  nn::load_model_weights(path, *model);
  model->eval();
  if (header) *header = h;
  return model;
}

}  // namespace cosmograd::surveys
