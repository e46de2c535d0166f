// The SimCLR stamp encoder, its NT-Xent loss and training (see ssl_encoder.hpp).
#include "surveys/discovery/ssl_encoder.hpp"

#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <sstream>
#include <stdexcept>

#include "sim/core/log.hpp"
#include "sim/core/require.hpp"

namespace cosmograd::surveys {
namespace {

nn::ResNet2dOptions backbone_options(const SslEncoderConfig& c) {
  return nn::ResNet2dOptions()
      .in_channels(1)
      .out_features(c.embedding_dim)
      .stage_channels(c.stage_channels)
      .blocks_per_stage(c.blocks_per_stage);
}

/// Mean NT-Xent of views of x made with a fixed generator (no gradients, eval mode).
double validation_loss(SslEncoder& model, const torch::Tensor& x, const torch::Tensor& sigma,
                       const SslTrainOptions& o) {
  torch::NoGradGuard no_grad;
  model->eval();
  auto gen = at::make_generator<at::CPUGeneratorImpl>(o.seed + 99991);
  double sum = 0, count = 0;
  for (int64_t i = 0; i < x.size(0); i += o.batch) {
    const int64_t b = std::min(o.batch, x.size(0) - i);
    if (b < 2) break;
    const torch::Tensor xb = x.narrow(0, i, b), sb = sigma.narrow(0, i, b);
    const torch::Tensor z1 = model->project(model->forward(ssl_augment(xb, sb, o.augment, gen)));
    const torch::Tensor z2 = model->project(model->forward(ssl_augment(xb, sb, o.augment, gen)));
    sum += nt_xent_loss(z1, z2, o.temperature).item<double>() * static_cast<double>(b);
    count += static_cast<double>(b);
  }
  return count > 0 ? sum / count : NAN;
}

}  // namespace

void SslEncoderConfig::validate() const {
  const int64_t min_size = int64_t{1} << std::max<std::size_t>(1, stage_channels.size());
  sim::require(size >= min_size && size <= 1024, "size", static_cast<double>(size),
               "in [" + std::to_string(min_size) + ", 1024] (2^stages at least)");
  sim::require(!stage_channels.empty() && stage_channels.size() <= 6, "stage_channels",
               static_cast<double>(stage_channels.size()), "1 to 6 stages");
  for (int64_t c : stage_channels)
    sim::require(c >= 1 && c <= 1024, "stage_channels", static_cast<double>(c), "in [1, 1024]");
  sim::require(blocks_per_stage >= 1 && blocks_per_stage <= 8, "blocks_per_stage",
               static_cast<double>(blocks_per_stage), "in [1, 8]");
  sim::require(embedding_dim >= 2 && embedding_dim <= 4096, "embedding_dim",
               static_cast<double>(embedding_dim), "in [2, 4096]");
  sim::require(projection_dim >= 2 && projection_dim <= 4096, "projection_dim",
               static_cast<double>(projection_dim), "in [2, 4096]");
}

SslEncoderImpl::SslEncoderImpl(SslEncoderConfig config) : config_(std::move(config)) {
  config_.validate();
  backbone_ = register_module("backbone", nn::ResNet2d(backbone_options(config_)));
  projector_ = register_module(
      "projector",
      torch::nn::Sequential(torch::nn::Linear(config_.embedding_dim, config_.embedding_dim),
                            torch::nn::ReLU(),
                            torch::nn::Linear(config_.embedding_dim, config_.projection_dim)));
}

torch::Tensor SslEncoderImpl::forward(const torch::Tensor& x) {
  if (x.dim() != 4 || x.size(1) != 1)
    throw std::invalid_argument("ssl encoder input of shape " + c10::str(x.sizes()) +
                                ": must be [N, 1, S, S]");
  return backbone_->forward(x);
}

torch::Tensor SslEncoderImpl::project(const torch::Tensor& h) { return projector_->forward(h); }

torch::Tensor SslEncoderImpl::embed(const torch::Tensor& x, int64_t batch) {
  sim::require(batch >= 1, "batch", static_cast<double>(batch), ">= 1");
  torch::NoGradGuard no_grad;
  eval();
  std::vector<torch::Tensor> parts;
  for (int64_t i = 0; i < x.size(0); i += batch)
    parts.push_back(forward(x.narrow(0, i, std::min(batch, x.size(0) - i))));
  if (parts.empty()) return torch::zeros({0, config_.embedding_dim});
  return torch::cat(parts, 0);
}

nn::ModelHeader SslEncoderImpl::header() const {
  nn::ModelHeader h;
  h.set("model", kSslModelType);
  h.set("ssl_size", config_.size);
  std::string st;
  for (std::size_t i = 0; i < config_.stage_channels.size(); ++i)
    st += (i ? "," : "") + std::to_string(config_.stage_channels[i]);
  h.set("ssl_stage_channels", st);
  h.set("ssl_blocks_per_stage", config_.blocks_per_stage);
  h.set("ssl_embedding_dim", config_.embedding_dim);
  h.set("ssl_projection_dim", config_.projection_dim);
  return h;
}

SslEncoderConfig ssl_encoder_config_from(const nn::ModelHeader& h) {
  SslEncoderConfig c;
  c.size = h.get_int("ssl_size");
  c.stage_channels.clear();
  std::istringstream in(h.get("ssl_stage_channels"));
  std::string item;
  while (std::getline(in, item, ',')) {
    try {
      c.stage_channels.push_back(std::stoll(item));
    } catch (const std::exception&) {
      throw std::runtime_error(h.source() + ": ssl_stage_channels item '" + item +
                               "' is not an integer");
    }
  }
  c.blocks_per_stage = h.get_int("ssl_blocks_per_stage");
  c.embedding_dim = h.get_int("ssl_embedding_dim");
  c.projection_dim = h.get_int("ssl_projection_dim");
  try {
    c.validate();
  } catch (const std::invalid_argument& e) {
    throw std::runtime_error(h.source() + ": " + e.what());
  }
  return c;
}

SslEncoder load_ssl_encoder(const std::string& path, nn::ModelHeader* header) {
  return nn::load_model_of(
      path, kSslModelType,
      [](const nn::ModelHeader& h) { return SslEncoder(ssl_encoder_config_from(h)); }, header);
}

torch::Tensor nt_xent_loss(const torch::Tensor& z1, const torch::Tensor& z2, double tau) {
  sim::require(sim::positive(tau), "temperature", tau, "> 0");
  if (z1.dim() != 2 || z1.sizes() != z2.sizes() || z1.size(0) < 2)
    throw std::invalid_argument("nt_xent_loss: z1 and z2 must both be [N >= 2, P], got " +
                                c10::str(z1.sizes()) + " and " + c10::str(z2.sizes()));
  const int64_t n = z1.size(0);
  const torch::Tensor u = torch::nn::functional::normalize(
      torch::cat({z1, z2}, 0), torch::nn::functional::NormalizeFuncOptions().dim(1).eps(1e-12));
  torch::Tensor s = torch::matmul(u, u.t()) / tau;
  // Exclude k = i from the denominator.
  s = s.masked_fill(torch::eye(2 * n, torch::TensorOptions().dtype(torch::kBool)),
                    -std::numeric_limits<double>::infinity());
  const torch::Tensor idx = torch::arange(n, torch::kLong);
  const torch::Tensor target = torch::cat({idx + n, idx}, 0);
  return torch::nn::functional::cross_entropy(s, target);
}

void SslTrainOptions::validate() const {
  sim::require(epochs >= 1 && epochs <= 10000, "epochs", static_cast<double>(epochs),
               "in [1, 10000]");
  sim::require(batch >= 2 && batch <= 4096, "batch", static_cast<double>(batch), "in [2, 4096]");
  sim::require(lr > 0 && lr < 1, "lr", lr, "in (0, 1)");
  sim::require(weight_decay >= 0 && weight_decay < 1, "weight_decay", weight_decay, "in [0, 1)");
  sim::require(sim::positive(temperature) && temperature <= 10, "temperature", temperature,
               "in (0, 10]");
  sim::require(max_seconds >= 0 && std::isfinite(max_seconds), "max_seconds", max_seconds,
               ">= 0 and finite");
  augment.validate();
}

void train_ssl_encoder(SslEncoder& model, const torch::Tensor& x, const torch::Tensor& sigma,
                       const torch::Tensor& x_val, const torch::Tensor& sigma_val,
                       const SslTrainOptions& o, SslTrainReport* report) {
  o.validate();
  const int64_t s = model->config().size;
  for (const torch::Tensor* t : {&x, &x_val})
    if (t->dim() != 4 || t->size(1) != 1 || t->size(2) != s || t->size(3) != s)
      throw std::invalid_argument("ssl training stamps of shape " + c10::str(t->sizes()) +
                                  ": must be [N, 1, " + std::to_string(s) + ", " +
                                  std::to_string(s) + "]");
  if (x.size(0) < 2)
    throw std::invalid_argument("ssl training stamps: need at least 2, got " +
                                std::to_string(x.size(0)));
  if (sigma.dim() != 1 || sigma.size(0) != x.size(0) || sigma_val.dim() != 1 ||
      sigma_val.size(0) != x_val.size(0))
    throw std::invalid_argument("ssl training: one sigma per stamp");
  const auto t0 = std::chrono::steady_clock::now();
  const auto elapsed = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  };
  torch::manual_seed(o.seed);
  {
    SslEncoder fresh(model->config());  // the seed's initialisation
    torch::NoGradGuard no_grad;
    auto dst = model->parameters();
    auto src = fresh->parameters();
    for (std::size_t i = 0; i < dst.size(); ++i) dst[i].copy_(src[i]);
  }
  auto gen = at::make_generator<at::CPUGeneratorImpl>(o.seed + 17);
  torch::optim::AdamW opt(model->parameters(),
                          torch::optim::AdamWOptions(o.lr).weight_decay(o.weight_decay));
  const int64_t n = x.size(0);
  const int64_t b = std::min(o.batch, n);
  const int64_t steps_per_epoch = n / b;  // full batches only: NT-Xent depends on the batch
  const int64_t total = steps_per_epoch * o.epochs;
  const int64_t warmup = std::min<int64_t>(100, total / 10);
  SslTrainReport rep;
  int64_t step = 0;
  bool out_of_time = false;
  for (int64_t epoch = 0; epoch < o.epochs && !out_of_time; ++epoch) {
    model->train();
    const torch::Tensor perm = torch::randperm(n, gen, torch::kLong);
    double loss_sum = 0;
    int64_t done = 0;
    for (int64_t k = 0; k < steps_per_epoch; ++k, ++step) {
      const double f = step < warmup
                           ? static_cast<double>(step + 1) / warmup
                           : 0.02 + 0.98 * 0.5 *
                                        (1 + std::cos(M_PI * static_cast<double>(step - warmup) /
                                                      static_cast<double>(total - warmup)));
      for (auto& group : opt.param_groups())
        static_cast<torch::optim::AdamWOptions&>(group.options()).lr(o.lr * f);
      const torch::Tensor idx = perm.narrow(0, k * b, b);
      const torch::Tensor xb = x.index_select(0, idx), sb = sigma.index_select(0, idx);
      const torch::Tensor v1 = ssl_augment(xb, sb, o.augment, gen);
      const torch::Tensor v2 = ssl_augment(xb, sb, o.augment, gen);
      // One forward pass over both views (BatchNorm statistics of all 2b views).
      const torch::Tensor z = model->project(model->forward(torch::cat({v1, v2}, 0)));
      const torch::Tensor loss = nt_xent_loss(z.narrow(0, 0, b), z.narrow(0, b, b), o.temperature);
      opt.zero_grad();
      loss.backward();
      opt.step();
      loss_sum += loss.item<double>();
      ++done;
      ++rep.steps;
      if (o.max_seconds > 0 && elapsed() > o.max_seconds) {
        out_of_time = true;
        break;
      }
    }
    rep.train_loss.push_back(done > 0 ? loss_sum / static_cast<double>(done) : NAN);
    rep.validation_loss.push_back(x_val.size(0) >= 2 ? validation_loss(model, x_val, sigma_val, o)
                                                     : NAN);
    rep.epochs_done = epoch + 1;
    if (o.log)
      sim::log_info("ssl epoch ", epoch + 1, "/", o.epochs, ": train NT-Xent ",
                    rep.train_loss.back(), ", validation NT-Xent ", rep.validation_loss.back(),
                    " (", elapsed(), " s)");
  }
  model->eval();
  rep.seconds = elapsed();
  if (report != nullptr) *report = rep;
}

}  // namespace cosmograd::surveys
