// Training of the detector on blend stamps (see detector_train.hpp).
#include "surveys/vision/detector_train.hpp"

#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <random>
#include <stdexcept>
#include <string>

#include "nn/train/module_state.hpp"
#include "sim/core/log.hpp"
#include "sim/core/require.hpp"
#include "surveys/batched/galaxy_vae_train.hpp"
#include "surveys/vision/image_tensors.hpp"
#include "surveys/vision/matching.hpp"

namespace cosmograd::surveys {
namespace {

using Clock = std::chrono::steady_clock;

/// An integer column of the truth table (stored as int64 or int32).
std::vector<int64_t> int_column(const Table& t, const std::string& name) {
  const Column& c = t.column(name);
  if (c.type_name() == "int32") {
    const auto& v = c.as<std::int32_t>();
    return std::vector<int64_t>(v.begin(), v.end());
  }
  return c.as<std::int64_t>();
}

}  // namespace

void DetectorTrainOptions::validate() const {
  config.validate();
  sim::require(steps >= 1, "steps", static_cast<double>(steps), ">= 1");
  sim::require(batch >= 1 && batch <= 1024, "batch", static_cast<double>(batch), "in [1, 1024]");
  const int64_t m = int64_t{1} << config.depth;
  sim::require(crop == 0 || (crop >= m && crop % m == 0), "crop", static_cast<double>(crop),
               "0 or a multiple of 2^depth = " + std::to_string(m));
  sim::require(lr > 0 && lr < 1, "lr", lr, "in (0, 1)");
  sim::require(heatmap_weight >= 0 && std::isfinite(heatmap_weight), "heatmap_weight",
               heatmap_weight, ">= 0");
  sim::require(offset_weight >= 0 && std::isfinite(offset_weight), "offset_weight", offset_weight,
               ">= 0");
  sim::require(
      validation_fraction > 0 && test_fraction >= 0 && validation_fraction + test_fraction < 0.9,
      "validation_fraction + test_fraction", validation_fraction + test_fraction,
      "validation > 0, test >= 0, sum < 0.9");
  sim::require(validate_every >= 1, "validate_every", static_cast<double>(validate_every), ">= 1");
  sim::require(sim::positive(match_distance), "match_distance", match_distance, "> 0 [pixels]");
}

std::vector<std::vector<std::array<double, 2>>> blend_centres(const BlendSet& set) {
  const std::vector<int64_t> stamp = int_column(set.truth, "stamp");
  const std::vector<int64_t> slot = int_column(set.truth, "slot");
  const std::vector<double>& x = set.truth.column("x").as<double>();
  const std::vector<double>& y = set.truth.column("y").as<double>();
  std::vector<std::vector<std::array<double, 2>>> out(set.count());
  const double nan = std::numeric_limits<double>::quiet_NaN();
  for (std::size_t r = 0; r < stamp.size(); ++r) {
    if (stamp[r] < 0 || static_cast<std::size_t>(stamp[r]) >= set.count() || slot[r] < 0 ||
        slot[r] >= set.max_blend)
      throw std::invalid_argument("truth row " + std::to_string(r) + ": stamp " +
                                  std::to_string(stamp[r]) + ", slot " + std::to_string(slot[r]) +
                                  " outside the set (" + std::to_string(set.count()) + " stamps, " +
                                  std::to_string(set.max_blend) + " slots)");
    auto& c = out[static_cast<std::size_t>(stamp[r])];
    const auto s = static_cast<std::size_t>(slot[r]);
    if (c.size() <= s) c.resize(s + 1, {nan, nan});
    c[s] = {x[r], y[r]};
  }
  return out;
}

std::size_t reference_band(const BlendSet& set) {
  for (std::size_t b = 0; b < set.bands.size(); ++b)
    if (set.bands[b] == set.ref_band) return b;
  throw std::invalid_argument("blend set: ref_band '" + set.ref_band + "' is not one of its " +
                              std::to_string(set.bands.size()) + " bands");
}

torch::Tensor blend_images(const BlendSet& set, const std::vector<std::size_t>& rows) {
  const std::size_t band = reference_band(set), nb = set.bands.size();
  const int64_t s = set.size;
  torch::Tensor out = torch::empty({static_cast<int64_t>(rows.size()), s, s}, torch::kFloat32);
  for (std::size_t k = 0; k < rows.size(); ++k) {
    if (rows[k] >= set.count())
      throw std::invalid_argument("blend_images: row " + std::to_string(rows[k]) + " of " +
                                  std::to_string(set.count()) + " stamps");
    const float* src = set.images.data() + (rows[k] * nb + band) * s * s;
    std::copy_n(src, s * s, out[static_cast<int64_t>(k)].data_ptr<float>());
  }
  return out;
}

DetectorTargets detector_targets(const BlendSet& set,
                                 const std::vector<std::vector<std::array<double, 2>>>& centres,
                                 const std::vector<std::size_t>& rows, double heatmap_sigma) {
  const int64_t b = static_cast<int64_t>(rows.size()), s = set.size;
  DetectorTargets t;
  t.foreground = torch::zeros({b, 1, s, s});
  t.heatmap = torch::zeros({b, 1, s, s});
  t.offsets = torch::zeros({b, 2, s, s});
  const double inv2s2 = 1.0 / (2 * heatmap_sigma * heatmap_sigma);
  for (int64_t k = 0; k < b; ++k) {
    const std::size_t r = rows[static_cast<std::size_t>(k)];
    const auto& c = centres.at(r);
    const std::int32_t* seg = set.segmentation.data() + r * s * s;
    float* fg = t.foreground[k][0].data_ptr<float>();
    float* hm = t.heatmap[k][0].data_ptr<float>();
    float* ox = t.offsets[k][0].data_ptr<float>();
    float* oy = t.offsets[k][1].data_ptr<float>();
    for (const auto& p : c)
      if (std::isfinite(p[0])) ++t.objects;
    for (int64_t iy = 0; iy < s; ++iy)
      for (int64_t ix = 0; ix < s; ++ix) {
        const int64_t p = iy * s + ix;
        const double px = ix + 0.5, py = iy + 0.5;
        double h = 0;
        for (const auto& q : c)
          if (std::isfinite(q[0]))
            h = std::max(
                h, std::exp(-((px - q[0]) * (px - q[0]) + (py - q[1]) * (py - q[1])) * inv2s2));
        hm[p] = static_cast<float>(h);
        const std::int32_t label = seg[p];
        if (label > 0 && static_cast<std::size_t>(label - 1) < c.size() &&
            std::isfinite(c[static_cast<std::size_t>(label - 1)][0])) {
          const auto& q = c[static_cast<std::size_t>(label - 1)];
          fg[p] = 1.f;
          ox[p] = static_cast<float>(q[0] - px);
          oy[p] = static_cast<float>(q[1] - py);
        }
      }
  }
  return t;
}

void dihedral_transform(int k, torch::Tensor& images, DetectorTargets& t) {
  if (k < 0 || k >= 8)
    throw std::invalid_argument("dihedral_transform: k = " + std::to_string(k) +
                                ": must be in [0, 8)");
  if ((k & 1) != 0) {
    images = images.transpose(2, 3);
    t.foreground = t.foreground.transpose(2, 3);
    t.heatmap = t.heatmap.transpose(2, 3);
    t.offsets = t.offsets.transpose(2, 3).flip({1});  // (dx, dy) -> (dy, dx)
  }
  if ((k & 2) != 0) {  // x -> S - x: dx -> -dx
    images = images.flip({3});
    t.foreground = t.foreground.flip({3});
    t.heatmap = t.heatmap.flip({3});
    t.offsets = t.offsets.flip({3}) * torch::tensor({-1.f, 1.f}).view({1, 2, 1, 1});
  }
  if ((k & 4) != 0) {  // y -> S - y: dy -> -dy
    images = images.flip({2});
    t.foreground = t.foreground.flip({2});
    t.heatmap = t.heatmap.flip({2});
    t.offsets = t.offsets.flip({2}) * torch::tensor({1.f, -1.f}).view({1, 2, 1, 1});
  }
  images = images.contiguous();
  t.foreground = t.foreground.contiguous();
  t.heatmap = t.heatmap.contiguous();
  t.offsets = t.offsets.contiguous();
}

DetectorLosses detector_loss(const torch::Tensor& output, const DetectorTargets& t,
                             double heatmap_weight, double offset_weight) {
  namespace F = torch::nn::functional;
  DetectorLosses l;
  l.foreground = F::binary_cross_entropy_with_logits(output.narrow(1, 0, 1), t.foreground);
  const torch::Tensor z = output.narrow(1, 1, 1);
  const torch::Tensor bce = F::binary_cross_entropy_with_logits(
      z, t.heatmap, F::BinaryCrossEntropyWithLogitsFuncOptions().reduction(torch::kNone));
  l.heatmap = ((t.heatmap - torch::sigmoid(z)).square() * bce).sum() /
              static_cast<double>(std::max<int64_t>(1, t.objects));
  const torch::Tensor fg_pixels = t.foreground.sum().clamp_min(1.0);
  l.offset = ((output.narrow(1, 2, 2) - t.offsets).abs() * t.foreground).sum() / (2 * fg_pixels);
  l.total = l.foreground + heatmap_weight * l.heatmap + offset_weight * l.offset;
  return l;
}

ThresholdScan scan_thresholds(const std::vector<std::vector<Detection>>& peaks,
                              const std::vector<std::vector<std::array<double, 2>>>& truths,
                              double max_distance) {
  if (peaks.size() != truths.size())
    throw std::invalid_argument("scan_thresholds: peaks of " + std::to_string(peaks.size()) +
                                " stamps, truths of " + std::to_string(truths.size()));
  ThresholdScan scan;
  for (int i = 0; i <= 36; ++i) scan.thresholds.push_back(0.05 + 0.025 * i);
  for (double t : scan.thresholds) {
    double tp = 0, fp = 0, fn = 0;
    for (std::size_t k = 0; k < peaks.size(); ++k) {
      std::vector<std::array<double, 2>> det;
      for (const Detection& d : peaks[k])
        if (d.score > t) det.push_back({d.x, d.y});
      std::vector<std::array<double, 2>> tru;
      for (const auto& p : truths[k])
        if (std::isfinite(p[0])) tru.push_back(p);
      const double matched = static_cast<double>(match_positions(tru, det, max_distance).size());
      tp += matched;
      fp += static_cast<double>(det.size()) - matched;
      fn += static_cast<double>(tru.size()) - matched;
    }
    scan.precision.push_back(tp + fp > 0 ? tp / (tp + fp) : 1.0);
    scan.recall.push_back(tp + fn > 0 ? tp / (tp + fn) : 1.0);
    scan.f1.push_back(2 * tp + fp + fn > 0 ? 2 * tp / (2 * tp + fp + fn) : 1.0);
  }
  for (std::size_t i = 1; i < scan.f1.size(); ++i)
    if (scan.f1[i] > scan.f1[scan.best]) scan.best = i;
  return scan;
}

DetectorNet train_detector(const BlendSet& set, const DetectorTrainOptions& o,
                           DetectorTrainReport* report) {
  o.validate();
  const auto t0 = Clock::now();
  const StampSplit split =
      split_stamps(set.count(), o.validation_fraction, o.test_fraction, o.seed);
  sim::require(split.train.size() >= 8, "stamps", static_cast<double>(set.count()),
               "enough for >= 8 training stamps after the validation and test fractions");
  sim::require(o.crop <= set.size, "crop", static_cast<double>(o.crop),
               "<= the stamp size " + std::to_string(set.size));
  const int64_t m = int64_t{1} << o.config.depth;
  sim::require(set.size % m == 0, "stamp size", set.size,
               "a multiple of 2^depth = " + std::to_string(m) + " for training");
  torch::manual_seed(o.seed);
  std::mt19937_64 rng(o.seed);
  DetectorConfig config = o.config;
  config.band = set.ref_band;
  config.pixel_scale = set.pixel_scale;
  DetectorNet net(config);
  const auto centres = blend_centres(set);
  const double sigma = set.sigma.at(reference_band(set));
  std::vector<std::size_t> all(set.count());
  for (std::size_t i = 0; i < all.size(); ++i) all[i] = i;
  const torch::Tensor scaled =
      asinh_scale(blend_images(set, all).unsqueeze(1), torch::tensor({sigma}).to(torch::kFloat32),
                  config.soften);
  const torch::Tensor val_images = blend_images(set, split.validation);
  std::vector<std::vector<std::array<double, 2>>> val_truth;
  for (std::size_t r : split.validation) val_truth.push_back(centres[r]);
  const std::vector<double> val_sigma(split.validation.size(), sigma);

  std::vector<torch::Tensor> params = net->parameters();
  torch::optim::Adam opt(params, torch::optim::AdamOptions(o.lr));
  std::uniform_int_distribution<std::size_t> pick(0, split.train.size() - 1);
  std::uniform_int_distribution<int64_t> shift(0, o.crop > 0 ? set.size - o.crop : 0);
  DetectorTrainReport rep;
  double best_f1 = -1;
  std::vector<torch::Tensor> best = nn::snapshot_state(*net);
  for (int64_t step = 0; step < o.steps; ++step) {
    net->train();
    nn::set_cosine_lr(opt, o.lr, step, o.steps);
    std::vector<std::size_t> rows(static_cast<std::size_t>(o.batch));
    for (auto& r : rows) r = split.train[pick(rng)];
    std::vector<int64_t> idx(rows.begin(), rows.end());
    torch::Tensor x = scaled.index_select(0, torch::tensor(idx, torch::kLong));
    DetectorTargets t = detector_targets(set, centres, rows, config.heatmap_sigma);
    dihedral_transform(static_cast<int>(rng() % 8), x, t);
    if (o.crop > 0 && o.crop < set.size) {
      const int64_t cx = shift(rng), cy = shift(rng);
      auto cut = [&](const torch::Tensor& a) {
        return a.narrow(2, cy, o.crop).narrow(3, cx, o.crop).contiguous();
      };
      x = cut(x);
      t.foreground = cut(t.foreground);
      t.heatmap = cut(t.heatmap);
      t.offsets = cut(t.offsets);
    }
    const DetectorLosses loss =
        detector_loss(net->forward(x), t, o.heatmap_weight, o.offset_weight);
    opt.zero_grad();
    loss.total.backward();
    torch::nn::utils::clip_grad_norm_(params, 10.0);
    opt.step();
    rep.final_loss = loss.total.item<double>();
    if ((step + 1) % o.validate_every == 0 || step + 1 == o.steps) {
      const std::vector<DetectorMaps> maps = predict_maps(net, val_images, val_sigma);
      std::vector<std::vector<Detection>> peaks;
      for (const DetectorMaps& mp : maps)
        peaks.push_back(heatmap_peaks(mp.heatmap, mp.width, mp.height, 0.05));
      const ThresholdScan scan = scan_thresholds(peaks, val_truth, o.match_distance);
      const double f1 = scan.f1[scan.best];
      if (f1 > best_f1) {
        best_f1 = f1;
        best = nn::snapshot_state(*net);
        rep.best_step = step + 1;
        rep.validation_f1 = f1;
        rep.validation_precision = scan.precision[scan.best];
        rep.validation_recall = scan.recall[scan.best];
        rep.threshold = scan.thresholds[scan.best];
      }
      if (o.log_every > 0 && ((step + 1) % o.log_every == 0 || step + 1 == o.steps))
        sim::log_info("detector step ", step + 1, "/", o.steps, ": loss ", rep.final_loss,
                      " (foreground ", loss.foreground.item<double>(), ", heatmap ",
                      loss.heatmap.item<double>(), ", offset ", loss.offset.item<double>(),
                      "), validation F1 ", f1, " at threshold ", scan.thresholds[scan.best], ", ",
                      std::chrono::duration<double>(Clock::now() - t0).count(), " s");
    }
  }
  nn::restore_state(*net, best);
  net->set_thresholds(rep.threshold, config.foreground, config.assign_radius);
  net->eval();
  rep.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  rep.train = split.train.size();
  rep.validation = split.validation.size();
  rep.test = split.test.size();
  if (report != nullptr) *report = rep;
  return net;
}

void add_detector_training_header(nn::ModelHeader& h, const BlendSet& set,
                                  const DetectorTrainOptions& o, const DetectorTrainReport& r) {
  h.set("detector_train_stamps", static_cast<int64_t>(set.count()));
  h.set("detector_train_stamp_size", static_cast<int64_t>(set.size));
  h.set("detector_train_sigma", set.sigma.at(reference_band(set)));
  h.set("detector_train_seed", static_cast<int64_t>(o.seed));
  h.set("detector_train_validation_fraction", o.validation_fraction);
  h.set("detector_train_test_fraction", o.test_fraction);
  h.set("detector_train_steps", o.steps);
  h.set("detector_train_batch", o.batch);
  h.set("detector_train_crop", o.crop);
  h.set("detector_train_lr", o.lr);
  h.set("detector_train_heatmap_weight", o.heatmap_weight);
  h.set("detector_train_offset_weight", o.offset_weight);
  h.set("detector_train_match_distance", o.match_distance);
  h.set("detector_train_seconds", r.seconds);
  h.set("detector_train_best_step", r.best_step);
  h.set("detector_train_validation_f1", r.validation_f1);
  h.set("detector_train_validation_precision", r.validation_precision);
  h.set("detector_train_validation_recall", r.validation_recall);
}

}  // namespace cosmograd::surveys
