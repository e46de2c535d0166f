// The GRU light-curve classifier and its training (see transient_classifier.hpp).
#include "surveys/discovery/transient_classifier.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>
#include <stdexcept>

#include "nn/train/module_state.hpp"
#include "sim/core/log.hpp"
#include "sim/core/require.hpp"
#include "surveys/discovery/transient_metrics.hpp"

namespace cosmograd::surveys {

void TransientNetConfig::validate() const {
  sim::require(hidden >= 4 && hidden <= 1024, "hidden", static_cast<double>(hidden),
               "in [4, 1024]");
  sim::require(layers >= 1 && layers <= 8, "layers", static_cast<double>(layers), "in [1, 8]");
  sim::require(sim::positive(flux_scale), "flux_scale", flux_scale, "> 0 FLUXCAL");
  sim::require(sim::positive(time_scale), "time_scale", time_scale, "> 0 days");
  sim::require(window_pre_days >= 0 && std::isfinite(window_pre_days), "window_pre_days",
               window_pre_days, ">= 0 days");
  sim::require(sim::positive(window_post_days), "window_post_days", window_post_days, "> 0 days");
}

TransientNetImpl::TransientNetImpl(const TransientNetConfig& config) : config_(config) {
  config_.validate();
  gru =
      register_module("gru", torch::nn::GRU(torch::nn::GRUOptions(kTransientInputs, config_.hidden)
                                                .num_layers(config_.layers)
                                                .batch_first(true)));
  head = register_module("head", torch::nn::Linear(2 * config_.hidden, kLightCurveClasses));
}

torch::Tensor TransientNetImpl::forward(const torch::Tensor& x, const torch::Tensor& lengths) {
  const torch::Tensor out = std::get<0>(gru->forward(x));  // [B, T, H]
  const torch::Tensor len = lengths.to(torch::kLong).clamp_min(1);
  const torch::Tensor idx = (len - 1).view({-1, 1, 1}).expand({-1, 1, out.size(2)});
  const torch::Tensor last = out.gather(1, idx).squeeze(1);
  // Mean of the top layer's outputs over the valid steps (padding masked out).
  const torch::Tensor mask =
      (torch::arange(out.size(1), len.options()).view({1, -1}) < len.view({-1, 1}))
          .to(out.scalar_type())
          .unsqueeze(2);
  const torch::Tensor mean = (out * mask).sum(1) / len.to(out.scalar_type()).view({-1, 1});
  return head->forward(torch::cat({last, mean}, 1));
}

nn::ModelHeader TransientNetImpl::header() const {
  nn::ModelHeader h;
  h.set("model", kTransientModelKind);
  h.set("tr_hidden", config_.hidden);
  h.set("tr_layers", config_.layers);
  h.set("tr_flux_scale", config_.flux_scale);
  h.set("tr_time_scale", config_.time_scale);
  h.set("tr_window_pre_days", config_.window_pre_days);
  h.set("tr_window_post_days", config_.window_post_days);
  h.set("tr_inputs", kTransientInputs);
  h.set("tr_classes", "SNIa,SNII,SNIbc,SLSN-I,TDE,AGN");
  return h;
}

TransientNetConfig transient_net_config_from(const nn::ModelHeader& h) {
  if (h.get_int("tr_inputs") != kTransientInputs)
    throw std::runtime_error(h.source() + ": tr_inputs = " + h.get("tr_inputs") +
                             " (this build reads " + std::to_string(kTransientInputs) + ")");
  TransientNetConfig c;
  c.hidden = h.get_int("tr_hidden");
  c.layers = h.get_int("tr_layers");
  c.flux_scale = h.get_double("tr_flux_scale");
  c.time_scale = h.get_double("tr_time_scale");
  c.window_pre_days = h.get_double("tr_window_pre_days");
  c.window_post_days = h.get_double("tr_window_post_days");
  c.validate();
  return c;
}

TransientNet load_transient_net(const std::string& path, nn::ModelHeader* header) {
  return nn::load_model_of(
      path, kTransientModelKind,
      [](const nn::ModelHeader& h) { return TransientNet(transient_net_config_from(h)); }, header);
}

TransientSequences transient_sequences(const std::vector<const LightCurve*>& curves,
                                       const std::vector<bool>& z_known,
                                       const TransientNetConfig& c) {
  if (z_known.size() != curves.size())
    throw std::invalid_argument("transient_sequences: " + std::to_string(curves.size()) +
                                " curves but " + std::to_string(z_known.size()) +
                                " z_known flags (allowed: equal)");
  const auto b = static_cast<int64_t>(curves.size());
  int64_t t_max = 1;
  for (const LightCurve* lc : curves)
    t_max = std::max<int64_t>(t_max, static_cast<int64_t>(lc->obs.size()));
  TransientSequences s;
  s.x = torch::zeros({b, t_max, kTransientInputs}, torch::kFloat32);
  s.lengths = torch::ones({b}, torch::kLong);
  float* x = s.x.data_ptr<float>();
  int64_t* len = s.lengths.data_ptr<int64_t>();
  for (int64_t i = 0; i < b; ++i) {
    const LightCurve& lc = *curves[static_cast<std::size_t>(i)];
    len[i] = std::max<int64_t>(1, static_cast<int64_t>(lc.obs.size()));
    const bool zk = z_known[static_cast<std::size_t>(i)];
    // The curve's own flux scale: its largest |flux| at S/N >= 3 (at least flux_scale).
    double norm = c.flux_scale;
    for (const LightCurveObs& o : lc.obs)
      if (std::abs(o.flux) >= 3 * o.flux_err) norm = std::max(norm, std::abs(o.flux));
    for (std::size_t j = 0; j < lc.obs.size(); ++j) {
      const LightCurveObs& o = lc.obs[j];
      float* r = x + (i * t_max + static_cast<int64_t>(j)) * kTransientInputs;
      r[0] = static_cast<float>((o.mjd - lc.obs.front().mjd) / c.time_scale);
      r[1] = static_cast<float>(j == 0 ? 0.0 : std::min(o.mjd - lc.obs[j - 1].mjd, 100.0) / 10.0);
      r[2 + o.band] = 1.0f;
      r[8] = static_cast<float>(std::asinh(o.flux / c.flux_scale));
      r[9] = static_cast<float>(std::asinh(o.flux_err / c.flux_scale));
      r[10] = o.detected ? 1.0f : 0.0f;
      r[11] = zk ? static_cast<float>(lc.z) : 0.0f;
      r[12] = zk ? 1.0f : 0.0f;
      r[13] = static_cast<float>(o.flux / norm);
      r[14] = static_cast<float>(o.flux_err / norm);
    }
    if (lc.obs.empty() && zk) {  // the single zero step still carries the redshift
      float* r = x + i * t_max * kTransientInputs;
      r[11] = static_cast<float>(lc.z);
      r[12] = 1.0f;
    }
  }
  return s;
}

namespace {

/// Indices of `n` curves sorted by length in batches of `batch` (shuffled batch order when rng).
std::vector<std::vector<std::size_t>> length_batches(const std::vector<LightCurve>& curves,
                                                     int64_t batch, std::mt19937_64* rng) {
  std::vector<std::size_t> order(curves.size());
  std::iota(order.begin(), order.end(), 0);
  if (rng != nullptr) std::shuffle(order.begin(), order.end(), *rng);
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return curves[a].obs.size() < curves[b].obs.size();
  });
  std::vector<std::vector<std::size_t>> out;
  for (std::size_t i = 0; i < order.size(); i += static_cast<std::size_t>(batch))
    out.emplace_back(order.begin() + static_cast<std::ptrdiff_t>(i),
                     order.begin() + static_cast<std::ptrdiff_t>(std::min(
                                         order.size(), i + static_cast<std::size_t>(batch))));
  if (rng != nullptr) std::shuffle(out.begin(), out.end(), *rng);
  return out;
}

/// Logits [N, K] (float32) of windowed curves with per-curve z flags, batched by length.
torch::Tensor logits_of(TransientNet& net, const std::vector<LightCurve>& curves,
                        const std::vector<bool>& z_known, int64_t batch) {
  torch::NoGradGuard no_grad;
  torch::Tensor out = torch::zeros({static_cast<int64_t>(curves.size()), kLightCurveClasses});
  for (const auto& idx : length_batches(curves, batch, nullptr)) {
    std::vector<const LightCurve*> ptr;
    std::vector<bool> zk;
    for (std::size_t i : idx) {
      ptr.push_back(&curves[i]);
      zk.push_back(z_known[i]);
    }
    const TransientSequences s = transient_sequences(ptr, zk, net->config());
    const torch::Tensor l = net->forward(s.x, s.lengths);
    std::vector<int64_t> rows(idx.begin(), idx.end());
    out.index_copy_(0, torch::tensor(rows, torch::kLong), l);
  }
  return out;
}

}  // namespace

torch::Tensor transient_probabilities(TransientNet& net, const std::vector<LightCurve>& curves,
                                      bool with_redshift, int64_t batch) {
  net->eval();
  const std::vector<bool> zk(curves.size(), with_redshift);
  return torch::softmax(logits_of(net, curves, zk, batch), 1).to(torch::kFloat64);
}

void TransientTrainOptions::validate() const {
  sim::require(epochs >= 1, "epochs", epochs, ">= 1");
  sim::require(batch >= 1, "batch", static_cast<double>(batch), ">= 1");
  sim::require(sim::positive(lr), "lr", lr, "> 0");
  sim::require(weight_decay >= 0 && std::isfinite(weight_decay), "weight_decay", weight_decay,
               ">= 0");
  sim::require(validation_fraction >= 0 && validation_fraction <= 0.5, "validation_fraction",
               validation_fraction, "in [0, 0.5]");
  sim::require(truncate_fraction >= 0 && truncate_fraction <= 1, "truncate_fraction",
               truncate_fraction, "in [0, 1]");
  sim::require(std::isfinite(truncate_lo_days), "truncate_lo_days", truncate_lo_days, "finite");
  sim::require(truncate_hi_days > truncate_lo_days && std::isfinite(truncate_hi_days),
               "truncate_hi_days", truncate_hi_days, "finite and > truncate_lo_days");
  sim::require(z_drop >= 0 && z_drop <= 1, "z_drop", z_drop, "in [0, 1]");
  sim::require(min_detections >= 0, "min_detections", min_detections, ">= 0");
  sim::require(before_days >= 0 && std::isfinite(before_days), "before_days", before_days,
               ">= 0 days");
  sim::require(max_seconds >= 0 && std::isfinite(max_seconds), "max_seconds", max_seconds,
               ">= 0 (0: no limit)");
}

void train_transient_net(TransientNet& net, const LightCurveSet& set,
                         const TransientTrainOptions& o, TransientTrainReport* report) {
  o.validate();
  const auto t_start = std::chrono::steady_clock::now();
  const TransientNetConfig& c = net->config();
  std::vector<std::size_t> keep;
  TransientTrainReport rep;
  for (std::size_t i = 0; i < set.curves.size(); ++i) {
    if (count_detections(set.curves[i]) >= o.min_detections)
      keep.push_back(i);
    else
      ++rep.dropped_curves;
  }
  std::mt19937_64 rng(o.seed);
  std::shuffle(keep.begin(), keep.end(), rng);
  const auto n_val = static_cast<std::size_t>(std::floor(o.validation_fraction * keep.size()));
  const std::vector<std::size_t> val(keep.begin(),
                                     keep.begin() + static_cast<std::ptrdiff_t>(n_val));
  const std::vector<std::size_t> train(keep.begin() + static_cast<std::ptrdiff_t>(n_val),
                                       keep.end());
  if (train.empty())
    throw std::invalid_argument(
        "train_transient_net: no training curve with >= " + std::to_string(o.min_detections) +
        " detections among " + std::to_string(set.curves.size()));
  rep.train_curves = static_cast<int64_t>(train.size());
  rep.val_curves = static_cast<int64_t>(val.size());
  // Flat weighting: class weight N / (K N_c) over the training curves.
  std::vector<double> count(kLightCurveClasses, 0.0);
  for (std::size_t i : train) count[static_cast<std::size_t>(set.curves[i].label)] += 1;
  std::vector<float> cw(kLightCurveClasses, 0.0f);
  int present = 0;
  for (double n : count) present += n > 0;
  for (int k = 0; k < kLightCurveClasses; ++k)
    if (count[static_cast<std::size_t>(k)] > 0)
      cw[static_cast<std::size_t>(k)] = static_cast<float>(
          static_cast<double>(train.size()) / (present * count[static_cast<std::size_t>(k)]));
  const torch::Tensor class_weight = torch::tensor(cw);

  // Validation curves: every phase, z known for the even positions and masked for the odd.
  std::vector<LightCurve> vcurves;
  std::vector<bool> vz;
  std::vector<int64_t> vlab;
  for (std::size_t j = 0; j < val.size(); ++j) {
    const LightCurve& lc = set.curves[val[j]];
    for (LightCurvePhase ph :
         {LightCurvePhase::kFull, LightCurvePhase::kAtPeak, LightCurvePhase::kBeforePeak}) {
      const LightCurve tr = truncate_light_curve(
          lc, phase_cut_mjd(lc, ph, o.before_days, set.first_mjd, set.last_mjd));
      if (count_detections(tr) < o.min_detections) continue;
      vcurves.push_back(observation_window(tr, c.window_pre_days, c.window_post_days));
      vz.push_back(vcurves.size() % 2 == 0);
      vlab.push_back(lc.label);
    }
  }
  const torch::Tensor vy = torch::tensor(vlab, torch::kLong);

  torch::optim::AdamW opt(net->parameters(),
                          torch::optim::AdamWOptions(o.lr).weight_decay(o.weight_decay));
  const int64_t steps_per_epoch = (static_cast<int64_t>(train.size()) + o.batch - 1) / o.batch;
  const int64_t total = steps_per_epoch * o.epochs;
  int64_t step = 0;
  double best = std::numeric_limits<double>::infinity();
  std::vector<torch::Tensor> best_state;
  std::uniform_real_distribution<double> u01(0.0, 1.0);
  for (int epoch = 0; epoch < o.epochs; ++epoch) {
    std::vector<LightCurve> curves;
    std::vector<bool> zk;
    std::vector<int64_t> lab;
    curves.reserve(train.size());
    for (std::size_t i : train) {
      const LightCurve& lc = set.curves[i];
      LightCurve use = lc;
      if (u01(rng) < o.truncate_fraction) {
        const double cut = reference_peak_mjd(lc, set.first_mjd, set.last_mjd) +
                           o.truncate_lo_days +
                           (o.truncate_hi_days - o.truncate_lo_days) * u01(rng);
        LightCurve tr = truncate_light_curve(lc, cut);
        if (count_detections(tr) >= o.min_detections) use = std::move(tr);
      }
      curves.push_back(observation_window(use, c.window_pre_days, c.window_post_days));
      zk.push_back(u01(rng) >= o.z_drop);
      lab.push_back(lc.label);
    }
    net->train();
    double loss_sum = 0;
    int64_t loss_n = 0;
    for (const auto& idx : length_batches(curves, o.batch, &rng)) {
      std::vector<const LightCurve*> ptr;
      std::vector<bool> z;
      std::vector<int64_t> y;
      for (std::size_t i : idx) {
        ptr.push_back(&curves[i]);
        z.push_back(zk[i]);
        y.push_back(lab[i]);
      }
      const TransientSequences s = transient_sequences(ptr, z, c);
      // Cosine decay over the steps, or over max_seconds when that comes first.
      double progress = static_cast<double>(step) / static_cast<double>(total);
      if (o.max_seconds > 0)
        progress = std::max(
            progress,
            std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count() /
                o.max_seconds);
      const double f = 0.05 + 0.95 * 0.5 * (1 + std::cos(M_PI * std::min(1.0, progress)));
      for (auto& g : opt.param_groups())
        static_cast<torch::optim::AdamWOptions&>(g.options()).lr(o.lr * f);
      opt.zero_grad();
      const torch::Tensor loss = torch::nn::functional::cross_entropy(
          net->forward(s.x, s.lengths), torch::tensor(y, torch::kLong),
          torch::nn::functional::CrossEntropyFuncOptions().weight(class_weight));
      loss.backward();
      torch::nn::utils::clip_grad_norm_(net->parameters(), 1.0);
      opt.step();
      loss_sum += loss.item<double>() * static_cast<double>(idx.size());
      loss_n += static_cast<int64_t>(idx.size());
      ++step;
    }
    rep.train_loss.push_back(loss_sum / static_cast<double>(std::max<int64_t>(1, loss_n)));
    double vl = rep.train_loss.back();
    if (!vcurves.empty()) {
      net->eval();
      vl = flat_log_loss(torch::softmax(logits_of(net, vcurves, vz, 256), 1), vy);
    }
    rep.val_loss.push_back(vl);
    if (vl < best) {
      best = vl;
      rep.best_epoch = epoch;
      best_state = nn::snapshot_state(*net);
    }
    const double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count();
    sim::log_info("discover transients: epoch ", epoch + 1, "/", o.epochs, " train loss ",
                  rep.train_loss.back(), " val flat log-loss ", vl, " (", secs, " s)");
    if (o.max_seconds > 0 && secs > o.max_seconds && epoch + 1 < o.epochs) {
      sim::log_info("discover transients: stopping at max_seconds = ", o.max_seconds);
      break;
    }
  }
  if (!best_state.empty()) nn::restore_state(*net, best_state);
  net->eval();
  rep.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count();
  if (report != nullptr) *report = rep;
}

}  // namespace cosmograd::surveys
