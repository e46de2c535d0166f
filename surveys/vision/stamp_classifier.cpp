// The ResNet deep ensemble with temperature scaling (see stamp_classifier.hpp).
#include "surveys/vision/stamp_classifier.hpp"

#include <torch/torch.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <string>

#include "nn/train/module_state.hpp"
#include "sim/core/log.hpp"
#include "sim/core/require.hpp"
#include "surveys/vision/classifier_metrics.hpp"

namespace cosmograd::surveys {
namespace {

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (std::size_t i = 0; i < v.size(); ++i) out += (i ? "," : "") + v[i];
  return out;
}

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  std::string item;
  std::istringstream in(s);
  while (std::getline(in, item, ',')) out.push_back(item);
  return out;
}

/// Class logits [N, K] of one member's raw outputs (binary: (0, z)).
torch::Tensor as_class_logits(const torch::Tensor& out, bool binary) {
  return binary ? two_class_logits(out.squeeze(-1)) : out;
}

/// Member m's class logits of x in eval mode, `batch` rows at a time.
torch::Tensor member_class_logits(nn::ResNet2d& net, const torch::Tensor& x, bool binary,
                                  int64_t batch) {
  torch::NoGradGuard no_grad;
  net->eval();
  std::vector<torch::Tensor> parts;
  for (int64_t i = 0; i < x.size(0); i += batch)
    parts.push_back(
        as_class_logits(net->forward(x.narrow(0, i, std::min(batch, x.size(0) - i))), binary));
  return torch::cat(parts, 0);
}

/// The ResNet2d options of every member.
nn::ResNet2dOptions member_options(const StampClassifierConfig& c) {
  return nn::ResNet2dOptions()
      .in_channels(c.in_channels)
      .out_features(c.binary ? 1 : c.classes())
      .stage_channels(c.stage_channels)
      .blocks_per_stage(c.blocks_per_stage);
}

}  // namespace

void StampClassifierConfig::validate() const {
  if (model_type.empty()) throw std::invalid_argument("model_type: must not be empty");
  sim::require(in_channels >= 1 && in_channels <= 64, "in_channels",
               static_cast<double>(in_channels), "in [1, 64]");
  const int64_t min_size = int64_t{1} << std::max<std::size_t>(1, stage_channels.size());
  sim::require(size >= min_size && size <= 1024, "size", static_cast<double>(size),
               "in [" + std::to_string(min_size) + ", 1024] (2^stages at least)");
  sim::require(class_names.size() >= 2 && class_names.size() <= 1000, "classes",
               static_cast<double>(class_names.size()), "in [2, 1000]");
  sim::require(!binary || class_names.size() == 2, "classes",
               static_cast<double>(class_names.size()), "2 for a binary classifier");
  for (const std::string& n : class_names) {
    bool ok = !n.empty();
    for (char c : n)
      ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '+' || c == '-');
    if (!ok)
      throw std::invalid_argument("class_names: '" + n +
                                  "' must be one or more letters, digits, '_', '+' or '-'");
  }
  sim::require(!stage_channels.empty() && stage_channels.size() <= 6, "stage_channels",
               static_cast<double>(stage_channels.size()), "1 to 6 stages");
  for (int64_t c : stage_channels)
    sim::require(c >= 1 && c <= 1024, "stage_channels", static_cast<double>(c), "in [1, 1024]");
  sim::require(blocks_per_stage >= 1 && blocks_per_stage <= 8, "blocks_per_stage",
               static_cast<double>(blocks_per_stage), "in [1, 8]");
  sim::require(members >= 1 && members <= 32, "members", static_cast<double>(members),
               "in [1, 32]");
}

StampClassifierImpl::StampClassifierImpl(StampClassifierConfig config)
    : config_(std::move(config)) {
  config_.validate();
  members_ = register_module("members", torch::nn::ModuleList());
  for (int64_t m = 0; m < config_.members; ++m)
    members_->push_back(nn::ResNet2d(member_options(config_)));
  temperature_ = register_buffer("temperature", torch::ones({1}, torch::kFloat64));
}

nn::ResNet2d StampClassifierImpl::member(int64_t m) const {
  sim::require(m >= 0 && m < config_.members, "member", static_cast<double>(m),
               "in [0, " + std::to_string(config_.members) + ")");
  return nn::ResNet2d(members_->ptr<nn::ResNet2dImpl>(static_cast<std::size_t>(m)));
}

torch::Tensor StampClassifierImpl::member_outputs(const torch::Tensor& x) {
  std::vector<torch::Tensor> out;
  for (int64_t m = 0; m < config_.members; ++m) out.push_back(member(m)->forward(x));
  return torch::stack(out, 0);
}

torch::Tensor StampClassifierImpl::class_logits(const torch::Tensor& x, int64_t batch) {
  sim::require(batch >= 1, "batch", static_cast<double>(batch), ">= 1");
  if (x.dim() != 4 || x.size(1) != config_.in_channels)
    throw std::invalid_argument("stamp classifier input of shape " + c10::str(x.sizes()) +
                                ": must be [N, " + std::to_string(config_.in_channels) + ", H, W]");
  std::vector<torch::Tensor> out;
  for (int64_t m = 0; m < config_.members; ++m) {
    nn::ResNet2d net = member(m);
    out.push_back(member_class_logits(net, x, config_.binary, batch));
  }
  return torch::stack(out, 0);
}

torch::Tensor StampClassifierImpl::probabilities(const torch::Tensor& x, bool calibrated) {
  return ensemble_probabilities(class_logits(x), calibrated ? temperature() : 1.0);
}

double StampClassifierImpl::temperature() const { return temperature_.item<double>(); }

void StampClassifierImpl::set_temperature(double t) {
  sim::require(sim::positive(t), "temperature", t, "> 0 and finite");
  torch::NoGradGuard no_grad;
  temperature_.fill_(t);
}

nn::ModelHeader StampClassifierImpl::header() const {
  nn::ModelHeader h;
  const StampClassifierConfig& c = config_;
  h.set("model", c.model_type);
  h.set("clf_in_channels", c.in_channels);
  h.set("clf_size", c.size);
  h.set("clf_classes", join(c.class_names));
  h.set("clf_binary", c.binary ? "true" : "false");
  std::vector<std::string> st;
  for (int64_t v : c.stage_channels) st.push_back(std::to_string(v));
  h.set("clf_stage_channels", join(st));
  h.set("clf_blocks_per_stage", c.blocks_per_stage);
  h.set("clf_members", c.members);
  h.set("clf_temperature", temperature());
  return h;
}

StampClassifierConfig stamp_classifier_config_from(const nn::ModelHeader& h) {
  StampClassifierConfig c;
  c.model_type = h.get("model");
  c.in_channels = h.get_int("clf_in_channels");
  c.size = h.get_int("clf_size");
  c.class_names = split(h.get("clf_classes"));
  const std::string b = h.get("clf_binary");
  if (b != "true" && b != "false")
    throw std::runtime_error(h.source() + ": clf_binary = '" + b + "' (allowed: true, false)");
  c.binary = b == "true";
  c.stage_channels.clear();
  for (const std::string& v : split(h.get("clf_stage_channels"))) {
    try {
      c.stage_channels.push_back(std::stoll(v));
    } catch (const std::exception&) {
      throw std::runtime_error(h.source() + ": clf_stage_channels item '" + v +
                               "' is not an integer");
    }
  }
  c.blocks_per_stage = h.get_int("clf_blocks_per_stage");
  c.members = h.get_int("clf_members");
  try {
    c.validate();
  } catch (const std::invalid_argument& e) {
    throw std::runtime_error(h.source() + ": " + e.what());
  }
  return c;
}

StampClassifier load_stamp_classifier(const std::string& path, const std::string& model_type,
                                      nn::ModelHeader* header) {
  return nn::load_model_of(
      path, model_type,
      [](const nn::ModelHeader& h) { return StampClassifier(stamp_classifier_config_from(h)); },
      header);
}

void StampClassifierTrainOptions::validate() const {
  sim::require(epochs >= 1 && epochs <= 10000, "epochs", static_cast<double>(epochs),
               "in [1, 10000]");
  sim::require(batch >= 2 && batch <= 4096, "batch", static_cast<double>(batch), "in [2, 4096]");
  sim::require(lr > 0 && lr < 1, "lr", lr, "in (0, 1)");
  sim::require(weight_decay >= 0 && weight_decay < 1, "weight_decay", weight_decay, "in [0, 1)");
  sim::require(temperature_prior_sigma >= 0 && std::isfinite(temperature_prior_sigma),
               "temperature_prior_sigma", temperature_prior_sigma, ">= 0 and finite");
}

torch::Tensor square_symmetry(const torch::Tensor& x, int64_t k) {
  sim::require(k >= 0 && k < 8, "symmetry", static_cast<double>(k), "in [0, 8)");
  torch::Tensor y = torch::rot90(x, k % 4, {-2, -1});
  return k >= 4 ? y.flip({-1}) : y;
}

void train_stamp_classifier(StampClassifier& model, const torch::Tensor& x_train,
                            const torch::Tensor& y_train, const torch::Tensor& x_val,
                            const torch::Tensor& y_val, const StampClassifierTrainOptions& o,
                            StampClassifierTrainReport* report) {
  o.validate();
  const StampClassifierConfig& c = model->config();
  for (const torch::Tensor* x : {&x_train, &x_val})
    if (x->dim() != 4 || x->size(1) != c.in_channels || x->size(0) < 1)
      throw std::invalid_argument("stamp classifier training input of shape " +
                                  c10::str(x->sizes()) + ": must be [N >= 1, " +
                                  std::to_string(c.in_channels) + ", H, W]");
  if (y_train.dim() != 1 || y_train.size(0) != x_train.size(0) || y_val.dim() != 1 ||
      y_val.size(0) != x_val.size(0))
    throw std::invalid_argument("stamp classifier labels: one per training and validation stamp");
  const torch::Tensor yt = y_train.to(torch::kLong), yv = y_val.to(torch::kLong);
  for (const torch::Tensor* y : {&yt, &yv})
    sim::require(y->min().item<int64_t>() >= 0 && y->max().item<int64_t>() < c.classes(), "labels",
                 static_cast<double>(y->max().item<int64_t>()),
                 "in [0, " + std::to_string(c.classes()) + ")");
  const auto t0 = std::chrono::steady_clock::now();
  StampClassifierTrainReport rep;
  const int64_t n = x_train.size(0);
  const int64_t steps_per_epoch = (n + o.batch - 1) / o.batch;
  const int64_t total = steps_per_epoch * o.epochs;
  const int64_t warmup = std::min<int64_t>(100, total / 10);
  std::vector<torch::Tensor> val_logits;
  for (int64_t m = 0; m < c.members; ++m) {
    const std::uint64_t seed = o.seed + 1000 * static_cast<std::uint64_t>(m);
    nn::ResNet2d member = model->member(m);
    torch::manual_seed(seed);
    nn::restore_state(*member,
                      nn::snapshot_state(*nn::ResNet2d(member_options(c))));  // member m's own draw
    auto gen = at::make_generator<at::CPUGeneratorImpl>(seed + 17);
    torch::optim::AdamW opt(member->parameters(),
                            torch::optim::AdamWOptions(o.lr).weight_decay(o.weight_decay));
    std::vector<double> vcurve, tcurve;
    double best = std::numeric_limits<double>::infinity();
    int64_t best_epoch = 0;
    std::vector<torch::Tensor> best_state = nn::snapshot_state(*member);
    int64_t step = 0;
    for (int64_t epoch = 0; epoch < o.epochs; ++epoch) {
      member->train();
      const torch::Tensor perm = torch::randperm(n, gen, torch::kLong);
      double loss_sum = 0;
      for (int64_t s = 0; s < steps_per_epoch; ++s, ++step) {
        const double f = step < warmup
                             ? static_cast<double>(step + 1) / warmup
                             : 0.02 + 0.98 * 0.5 *
                                          (1 + std::cos(M_PI * static_cast<double>(step - warmup) /
                                                        static_cast<double>(total - warmup)));
        for (auto& group : opt.param_groups())
          static_cast<torch::optim::AdamWOptions&>(group.options()).lr(o.lr * f);
        const torch::Tensor idx = perm.narrow(0, s * o.batch, std::min(o.batch, n - s * o.batch));
        if (idx.size(0) < 2) continue;  // BatchNorm needs two stamps
        torch::Tensor xb = x_train.index_select(0, idx);
        if (o.augment) {
          const torch::Tensor sym = torch::randint(0, 8, {idx.size(0)}, gen, torch::kLong);
          torch::Tensor out = torch::empty_like(xb);
          for (int64_t k = 0; k < 8; ++k) {
            const torch::Tensor rows = sym.eq(k).nonzero().view(-1);
            if (rows.numel() == 0) continue;
            out.index_copy_(0, rows, square_symmetry(xb.index_select(0, rows), k));
          }
          xb = out;
        }
        const torch::Tensor logits = as_class_logits(member->forward(xb), c.binary);
        const torch::Tensor loss =
            torch::nn::functional::cross_entropy(logits, yt.index_select(0, idx));
        opt.zero_grad();
        loss.backward();
        opt.step();
        loss_sum += loss.item<double>() * static_cast<double>(idx.size(0));
      }
      const torch::Tensor vl = member_class_logits(member, x_val, c.binary, 256);
      const double vnll = multiclass_nll(torch::softmax(vl.to(torch::kFloat64), 1), yv);
      vcurve.push_back(vnll);
      tcurve.push_back(loss_sum / static_cast<double>(n));
      if (vnll < best) {
        best = vnll;
        best_epoch = epoch + 1;
        best_state = nn::snapshot_state(*member);
      }
      if (o.log)
        sim::log_info("member ", m + 1, "/", c.members, " epoch ", epoch + 1, "/", o.epochs,
                      ": train loss ", tcurve.back(), ", validation NLL ", vnll, ", accuracy ",
                      top1_accuracy(torch::softmax(vl.to(torch::kFloat64), 1), yv), " (",
                      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(),
                      " s)");
    }
    nn::restore_state(*member, best_state);
    member->eval();
    val_logits.push_back(member_class_logits(member, x_val, c.binary, 256));
    rep.validation_nll.push_back(vcurve);
    rep.train_loss.push_back(tcurve);
    rep.best_epoch.push_back(best_epoch);
  }
  const torch::Tensor z = torch::stack(val_logits, 0);
  rep.validation_nll_uncalibrated = multiclass_nll(ensemble_probabilities(z, 1.0), yv);
  rep.temperature = fit_temperature(z, yv, o.temperature_prior_sigma);
  rep.validation_nll_calibrated = multiclass_nll(ensemble_probabilities(z, rep.temperature), yv);
  model->set_temperature(rep.temperature);
  model->eval();
  rep.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (report != nullptr) *report = rep;
}

}  // namespace cosmograd::surveys
