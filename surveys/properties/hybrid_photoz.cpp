// The hybrid CNN + photometry photo-z network (see hybrid_photoz.hpp).
#include "surveys/properties/hybrid_photoz.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <iomanip>
#include <numeric>
#include <random>
#include <sstream>
#include <stdexcept>

#include "nn/train/module_state.hpp"
#include "sim/core/log.hpp"
#include "sim/core/require.hpp"

namespace cosmograd::surveys {
namespace {

using Clock = std::chrono::steady_clock;

/// Galaxies per no-grad forward pass (validation and inference).
constexpr std::size_t kEvalBatch = 512;

template <class T>
std::string join(const std::vector<T>& v) {
  std::ostringstream s;
  s << std::setprecision(17);
  for (std::size_t i = 0; i < v.size(); ++i) s << (i ? "," : "") << v[i];
  return s.str();
}

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) out.push_back(item);
  return out;
}

std::vector<double> doubles_of(const nn::ModelHeader& h, const std::string& key) {
  std::vector<double> out;
  for (const std::string& s : split_list(h.get(key))) {
    try {
      out.push_back(std::stod(s));
    } catch (const std::exception&) {
      throw std::runtime_error(h.source() + ": model header key " + key + " = '" + h.get(key) +
                               "' is not a list of numbers");
    }
  }
  return out;
}

std::vector<int64_t> ints_of(const nn::ModelHeader& h, const std::string& key) {
  std::vector<int64_t> out;
  for (double v : doubles_of(h, key)) out.push_back(static_cast<int64_t>(v));
  return out;
}

/// A float32 (rows, cols) tensor of values (row-major).
torch::Tensor matrix(const std::vector<float>& v, int64_t rows, int64_t cols) {
  return torch::from_blob(const_cast<float*>(v.data()), {rows, cols}, torch::kFloat32).clone();
}

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

/// Mean -log p(z) over rows (index into the precomputed features `phot` (N, F)).
double mean_nll(HybridPhotoz& model, const MultibandStamps& stamps, const torch::Tensor& phot,
                const torch::Tensor& z, const std::vector<std::size_t>& rows) {
  torch::NoGradGuard no_grad;
  model->eval();
  double sum = 0;
  for (std::size_t b0 = 0; b0 < rows.size(); b0 += kEvalBatch) {
    const std::vector<std::size_t> part(
        rows.begin() + static_cast<std::ptrdiff_t>(b0),
        rows.begin() + static_cast<std::ptrdiff_t>(std::min(rows.size(), b0 + kEvalBatch)));
    std::vector<int64_t> idx(part.begin(), part.end());
    const torch::Tensor i = torch::tensor(idx, torch::kInt64);
    const torch::Tensor x = hybrid_scale_stamps(stamps, part, model->config().soften);
    sum -= model->log_prob(x, phot.index_select(0, i), z.index_select(0, i)).sum().item<double>();
  }
  return sum / static_cast<double>(rows.size());
}

}  // namespace

void HybridPhotozConfig::validate() const {
  sim::require(!bands.empty(), "bands.size()", 0, ">= 1");
  sim::require(size >= 4, "size", static_cast<double>(size), ">= 4 [pixels]");
  sim::require(sim::positive(pixel_scale), "pixel_scale", pixel_scale, "> 0 [arcsec]");
  sim::require(!channels.empty() && channels.size() <= 6, "channels.size()",
               static_cast<double>(channels.size()), "in [1, 6] stages");
  for (int64_t c : channels)
    sim::require(c >= 1 && c <= 1024, "channels", static_cast<double>(c), "in [1, 1024]");
  sim::require(size >> (channels.size() - 1) >= 1, "size / 2^(stages - 1)",
               static_cast<double>(size >> (channels.size() - 1)), ">= 1 (fewer stages)");
  for (int64_t h : photometry_hidden)
    sim::require(h >= 1 && h <= 4096, "photometry_hidden", static_cast<double>(h), "in [1, 4096]");
  sim::require(hidden >= 1 && hidden <= 4096, "hidden", static_cast<double>(hidden),
               "in [1, 4096]");
  sim::require(components >= 1 && components <= 64, "components", static_cast<double>(components),
               "in [1, 64]");
  sim::require(sim::positive(soften), "soften", soften, "> 0 [sigma]");
  sim::require(features == static_cast<int64_t>(photometry_feature_count(bands.size())), "features",
               static_cast<double>(features),
               std::to_string(photometry_feature_count(bands.size())) + " (2 B - 1)");
  sim::require(feature_mean.empty() || feature_mean.size() == static_cast<std::size_t>(features),
               "feature_mean.size()", static_cast<double>(feature_mean.size()),
               "0 or features = " + std::to_string(features));
  sim::require(feature_std.size() == feature_mean.size(), "feature_std.size()",
               static_cast<double>(feature_std.size()),
               "feature_mean.size() = " + std::to_string(feature_mean.size()));
  for (double s : feature_std) sim::require(sim::positive(s), "feature_std", s, "> 0");
  sim::require(std::isfinite(z_mean), "z_mean", z_mean, "finite");
  sim::require(sim::positive(z_std), "z_std", z_std, "> 0");
}

HybridPhotozImpl::HybridPhotozImpl(HybridPhotozConfig config) : config_(std::move(config)) {
  config_.validate();
  const HybridPhotozConfig& c = config_;
  cnn_ = register_module("cnn", torch::nn::Sequential());
  int64_t in = static_cast<int64_t>(c.bands.size());
  for (std::size_t i = 0; i < c.channels.size(); ++i) {
    cnn_->push_back(torch::nn::Conv2d(torch::nn::Conv2dOptions(in, c.channels[i], 3).padding(1)));
    cnn_->push_back(torch::nn::BatchNorm2d(c.channels[i]));
    cnn_->push_back(torch::nn::ReLU());
    if (i + 1 < c.channels.size()) cnn_->push_back(torch::nn::AvgPool2d(2));
    in = c.channels[i];
  }
  photometry_ = register_module("photometry", torch::nn::Sequential());
  int64_t f = c.features;
  for (int64_t h : c.photometry_hidden) {
    photometry_->push_back(torch::nn::Linear(f, h));
    photometry_->push_back(torch::nn::GELU());
    f = h;
  }
  joint_ = register_module(
      "joint", torch::nn::Sequential(torch::nn::Linear(in + f, c.hidden), torch::nn::GELU()));
  head_ = register_module(
      "head", nn::MixtureDensityHead(nn::MixtureDensityHeadOptions(c.hidden, 1, c.components)));
  std::vector<float> mean(static_cast<std::size_t>(c.features), 0.0f),
      sd(static_cast<std::size_t>(c.features), 1.0f);
  for (std::size_t i = 0; i < c.feature_mean.size(); ++i) {
    mean[i] = static_cast<float>(c.feature_mean[i]);
    sd[i] = static_cast<float>(c.feature_std[i]);
  }
  x_mean_ = register_buffer("x_mean", torch::tensor(mean));
  x_std_ = register_buffer("x_std", torch::tensor(sd));
}

torch::Tensor HybridPhotozImpl::features(const torch::Tensor& stamps,
                                         const torch::Tensor& photometry) {
  const torch::Tensor image = cnn_->forward(stamps).mean({2, 3});  // global average pooling
  const torch::Tensor phot = photometry_->forward((photometry - x_mean_) / x_std_);
  return joint_->forward(torch::cat({image, phot}, 1));
}

torch::Tensor HybridPhotozImpl::log_prob(const torch::Tensor& stamps,
                                         const torch::Tensor& photometry, const torch::Tensor& z) {
  // p(z) = p(y) / z_std for y = (z - z_mean) / z_std.
  const torch::Tensor y = ((z - config_.z_mean) / config_.z_std).view({-1, 1});
  return head_->log_prob(features(stamps, photometry), y) - std::log(config_.z_std);
}

std::vector<torch::Tensor> HybridPhotozImpl::mixture(const torch::Tensor& stamps,
                                                     const torch::Tensor& photometry) {
  torch::NoGradGuard no_grad;
  const nn::MixtureParams p = head_->forward(features(stamps, photometry));
  const torch::Tensor w = p.log_weights.exp();
  const torch::Tensor mu = p.means.select(2, 0) * config_.z_std + config_.z_mean;
  const torch::Tensor sd = p.scale_tril.select(2, 0).select(2, 0) * config_.z_std;
  return {w, mu, sd};
}

nn::ModelHeader HybridPhotozImpl::header() const {
  const HybridPhotozConfig& c = config_;
  nn::ModelHeader h;
  h.set("model", "hybrid_photoz");
  h.set("hybrid_bands", join(c.bands));
  h.set("hybrid_size", c.size);
  h.set("hybrid_pixel_scale", c.pixel_scale);
  h.set("hybrid_channels", join(c.channels));
  h.set("hybrid_photometry_hidden", join(c.photometry_hidden));
  h.set("hybrid_hidden", c.hidden);
  h.set("hybrid_components", c.components);
  h.set("hybrid_soften", c.soften);
  h.set("hybrid_features", c.features);
  h.set("hybrid_inputs",
        "stamps asinh(image / (soften sigma)); photometry_features (asinh mags, colours)");
  h.set("hybrid_feature_mean", join(c.feature_mean));
  h.set("hybrid_feature_std", join(c.feature_std));
  h.set("hybrid_z_mean", c.z_mean);
  h.set("hybrid_z_std", c.z_std);
  return h;
}

HybridPhotozConfig hybrid_photoz_config_from(const nn::ModelHeader& h) {
  HybridPhotozConfig c;
  c.bands = split_list(h.get("hybrid_bands"));
  c.size = h.get_int("hybrid_size");
  c.pixel_scale = h.get_double("hybrid_pixel_scale");
  c.channels = ints_of(h, "hybrid_channels");
  c.photometry_hidden = ints_of(h, "hybrid_photometry_hidden");
  c.hidden = h.get_int("hybrid_hidden");
  c.components = h.get_int("hybrid_components");
  c.soften = h.get_double("hybrid_soften");
  c.features = h.get_int("hybrid_features");
  c.feature_mean = doubles_of(h, "hybrid_feature_mean");
  c.feature_std = doubles_of(h, "hybrid_feature_std");
  c.z_mean = h.get_double("hybrid_z_mean");
  c.z_std = h.get_double("hybrid_z_std");
  try {
    c.validate();
  } catch (const std::invalid_argument& e) {
    throw std::runtime_error(h.source() + ": model header: " + e.what());
  }
  return c;
}

HybridPhotoz load_hybrid_photoz(const std::string& path, nn::ModelHeader* header) {
  return nn::load_model_of(
      path, "hybrid_photoz",
      [](const nn::ModelHeader& h) { return HybridPhotoz(hybrid_photoz_config_from(h)); }, header);
}

torch::Tensor hybrid_scale_stamps(const MultibandStamps& st, const std::vector<std::size_t>& rows,
                                  double soften) {
  const std::size_t nb = st.band_count(), px = static_cast<std::size_t>(st.size) * st.size;
  const auto n = static_cast<int64_t>(rows.size());
  torch::Tensor images = torch::empty({n, static_cast<int64_t>(nb), st.size, st.size});
  torch::Tensor sigma = torch::empty({n, static_cast<int64_t>(nb), 1, 1});
  float* dst = images.data_ptr<float>();
  float* sg = sigma.data_ptr<float>();
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const std::size_t k = rows[i];
    sim::require(k < st.count(), "row", static_cast<double>(k),
                 "< N = " + std::to_string(st.count()) + " stamps");
    std::copy(st.stamp(k, 0), st.stamp(k, 0) + nb * px, dst + i * nb * px);
    for (std::size_t b = 0; b < nb; ++b) {
      const float s = st.noise_sigma[k * nb + b];
      if (!(s > 0))
        throw std::invalid_argument("multi-band stamps " + (st.file.empty() ? st.source : st.file) +
                                    ": noise_sigma of galaxy " + std::to_string(st.galaxy_id[k]) +
                                    " in band " + st.bands[b] + " = " + std::to_string(s) +
                                    " (allowed: > 0, noisy stamps; the scaling divides by it)");
      sg[i * nb + b] = s;
    }
  }
  // The vision networks' scaling (image_tensors.hpp asinh_scale; Lupton et al. 1999).
  return torch::asinh(images / (soften * sigma));
}

RedshiftPdfs hybrid_photoz_pdfs(HybridPhotoz& model, const PhotometrySample& sample,
                                const MultibandStamps& stamps, const std::vector<std::size_t>& rows,
                                const RedshiftGrid& grid) {
  grid.validate();
  require_aligned(sample, stamps);
  const HybridPhotozConfig& c = model->config();
  if (stamps.bands != c.bands || stamps.size != c.size)
    throw std::invalid_argument("multi-band stamps " +
                                (stamps.file.empty() ? stamps.source : stamps.file) +
                                " have bands " + join(stamps.bands) + " and side " +
                                std::to_string(stamps.size) + " px (allowed: the model's bands " +
                                join(c.bands) + " and side " + std::to_string(c.size) + " px)");
  if (std::fabs(stamps.pixel_scale / c.pixel_scale - 1) > 0.01)
    throw std::invalid_argument(
        "multi-band stamps " + (stamps.file.empty() ? stamps.source : stamps.file) +
        ": pixel_scale = " + std::to_string(stamps.pixel_scale) + " arcsec (allowed: the model's " +
        std::to_string(c.pixel_scale) + " +-1%)");
  model->eval();
  const std::size_t k = static_cast<std::size_t>(c.components);
  std::vector<double> w, mu, sd;
  w.reserve(rows.size() * k);
  mu.reserve(rows.size() * k);
  sd.reserve(rows.size() * k);
  for (std::size_t b0 = 0; b0 < rows.size(); b0 += kEvalBatch) {
    const std::vector<std::size_t> part(
        rows.begin() + static_cast<std::ptrdiff_t>(b0),
        rows.begin() + static_cast<std::ptrdiff_t>(std::min(rows.size(), b0 + kEvalBatch)));
    const torch::Tensor phot =
        matrix(photometry_features(sample, part), static_cast<int64_t>(part.size()), c.features);
    const std::vector<torch::Tensor> m =
        model->mixture(hybrid_scale_stamps(stamps, part, c.soften), phot);
    for (const auto& [t, out] : {std::pair<const torch::Tensor*, std::vector<double>*>{&m[0], &w},
                                 {&m[1], &mu},
                                 {&m[2], &sd}}) {
      const torch::Tensor d = t->to(torch::kFloat64).contiguous();
      out->insert(out->end(), d.data_ptr<double>(), d.data_ptr<double>() + d.numel());
    }
  }
  return mixture_pdfs(grid, k, w, mu, sd);
}

void HybridPhotozTrainOptions::validate() const {
  sim::require(epochs >= 1, "epochs", static_cast<double>(epochs), ">= 1");
  sim::require(batch >= 2 && batch <= 8192, "batch", static_cast<double>(batch), "in [2, 8192]");
  sim::require(lr > 0 && lr < 1, "lr", lr, "in (0, 1)");
  sim::require(weight_decay >= 0 && std::isfinite(weight_decay), "weight_decay", weight_decay,
               ">= 0");
  sim::require(max_seconds >= 0 && std::isfinite(max_seconds), "max_seconds", max_seconds,
               ">= 0 [s] (0: no limit)");
  sim::require(
      validation_fraction > 0 && test_fraction >= 0 && validation_fraction + test_fraction < 0.9,
      "validation_fraction + test_fraction", validation_fraction + test_fraction,
      "validation > 0, test >= 0, sum < 0.9");
  sim::require(log_every >= 0, "log_every", static_cast<double>(log_every), ">= 0");
}

HybridPhotoz train_hybrid_photoz(const PhotometrySample& sample, const MultibandStamps& stamps,
                                 const SampleSplit& split, const HybridPhotozTrainOptions& o,
                                 HybridPhotozTrainReport* report) {
  o.validate();
  require_aligned(sample, stamps);
  if (split.train.size() < 2 || split.validation.empty())
    throw std::invalid_argument("train_hybrid_photoz: the split has " +
                                std::to_string(split.train.size()) + " training and " +
                                std::to_string(split.validation.size()) +
                                " validation galaxies (allowed: >= 2 and >= 1; more galaxies)");
  const auto t0 = Clock::now();
  torch::manual_seed(o.seed);
  const std::size_t n = sample.count();
  std::vector<std::size_t> all(n);
  std::iota(all.begin(), all.end(), 0);
  const auto nf = static_cast<int64_t>(photometry_feature_count(sample.band_count()));
  const torch::Tensor phot = matrix(photometry_features(sample, all), static_cast<int64_t>(n), nf);
  const torch::Tensor z = torch::tensor(
      std::vector<float>(sample.redshift.begin(), sample.redshift.end()), torch::kFloat32);

  HybridPhotozConfig c;
  c.bands = sample.bands;
  c.size = stamps.size;
  c.pixel_scale = stamps.pixel_scale;
  c.channels = o.channels;
  c.photometry_hidden = o.photometry_hidden;
  c.hidden = o.hidden;
  c.components = o.components;
  c.soften = o.soften;
  c.features = nf;
  {
    // Standardisation from the training split only.
    std::vector<int64_t> idx(split.train.begin(), split.train.end());
    const torch::Tensor x =
        phot.index_select(0, torch::tensor(idx, torch::kInt64)).to(torch::kFloat64);
    const torch::Tensor mean = x.mean(0), sd = x.std(0).clamp_min(1e-6);
    for (int64_t j = 0; j < nf; ++j) {
      c.feature_mean.push_back(mean[j].item<double>());
      c.feature_std.push_back(sd[j].item<double>());
    }
    const torch::Tensor zt =
        z.index_select(0, torch::tensor(idx, torch::kInt64)).to(torch::kFloat64);
    c.z_mean = zt.mean().item<double>();
    c.z_std = std::max(1e-6, zt.std().item<double>());
  }
  HybridPhotoz model(c);
  torch::optim::Adam opt(model->parameters(),
                         torch::optim::AdamOptions(o.lr).weight_decay(o.weight_decay));
  std::mt19937_64 rng(o.seed);
  std::vector<std::size_t> order(split.train);
  const std::size_t batch = static_cast<std::size_t>(o.batch);
  const std::size_t steps_per_epoch = (order.size() + batch - 1) / batch;
  const int64_t total = o.epochs * static_cast<int64_t>(steps_per_epoch);
  double best = std::numeric_limits<double>::infinity();
  std::vector<torch::Tensor> best_state = nn::snapshot_state(*model);
  HybridPhotozTrainReport rep;
  rep.train = split.train.size();
  rep.validation = split.validation.size();
  rep.test = split.test.size();
  int64_t step = 0;
  for (int64_t epoch = 1; epoch <= o.epochs && !rep.stopped_by_time; ++epoch) {
    std::shuffle(order.begin(), order.end(), rng);
    model->train();
    double running = 0;
    int64_t running_n = 0;
    for (std::size_t b0 = 0; b0 < order.size(); b0 += batch) {
      const std::vector<std::size_t> part(
          order.begin() + static_cast<std::ptrdiff_t>(b0),
          order.begin() + static_cast<std::ptrdiff_t>(std::min(order.size(), b0 + batch)));
      if (part.size() < 2) continue;  // batch norm needs two
      torch::Tensor x = hybrid_scale_stamps(stamps, part, c.soften);
      if (o.augment) {
        // One of the 8 symmetries of the square per batch (the galaxy sits on the central pixel
        // of an odd stamp, so every one keeps it there).
        const auto r = static_cast<int64_t>(rng() % 4);
        if (r) x = torch::rot90(x, r, {2, 3});
        if (rng() % 2) x = x.flip({3});
      }
      std::vector<int64_t> idx(part.begin(), part.end());
      const torch::Tensor i = torch::tensor(idx, torch::kInt64);
      // Cosine decay over the steps, or over max_seconds when that comes first (so that a
      // time-limited run still ends at lr / 20).
      double progress = static_cast<double>(step) / static_cast<double>(total);
      if (o.max_seconds > 0) progress = std::max(progress, seconds_since(t0) / o.max_seconds);
      nn::set_cosine_lr(opt, o.lr, static_cast<int64_t>(std::min(progress, 1.0) * 1e6), 1000000);
      opt.zero_grad();
      const torch::Tensor loss =
          -model->log_prob(x, phot.index_select(0, i), z.index_select(0, i)).mean();
      loss.backward();
      torch::nn::utils::clip_grad_norm_(model->parameters(), 10.0);
      opt.step();
      ++step;
      running += loss.item<double>();
      ++running_n;
      if (o.log_every > 0 && step % o.log_every == 0) {
        sim::log_info("hybrid photoz: epoch ", epoch, " step ", step, "/", total, " loss ",
                      running / static_cast<double>(running_n), " (", seconds_since(t0), " s)");
        running = 0;
        running_n = 0;
      }
      if (o.max_seconds > 0 && seconds_since(t0) > o.max_seconds) {
        rep.stopped_by_time = true;
        break;
      }
    }
    const double nll = mean_nll(model, stamps, phot, z, split.validation);
    rep.epochs_run = epoch;
    sim::log_info("hybrid photoz: epoch ", epoch, " validation -log p(z) ", nll, " (",
                  seconds_since(t0), " s)");
    if (nll < best) {
      best = nll;
      best_state = nn::snapshot_state(*model);
      rep.best_epoch = epoch;
    }
  }
  nn::restore_state(*model, best_state);
  model->eval();
  rep.validation_nll = best;
  rep.seconds = seconds_since(t0);
  if (report != nullptr) *report = rep;
  return model;
}

void add_hybrid_training_header(nn::ModelHeader& h, const PhotometrySample& sample,
                                const MultibandStamps& stamps, const SampleCuts& cuts,
                                const HybridPhotozTrainOptions& o,
                                const HybridPhotozTrainReport& r) {
  h.set("hybrid_train_galaxies", sample.source);
  h.set("hybrid_train_stamps", stamps.file.empty() ? stamps.source : stamps.file);
  h.set("hybrid_train_stamp_seed", static_cast<int64_t>(stamps.seed));
  h.set("hybrid_train_psf_fwhm", join(stamps.psf_fwhm));
  h.set("hybrid_train_cut_band", cuts.band);
  h.set("hybrid_train_max_mag", cuts.max_mag);
  h.set("hybrid_train_z_max", cuts.z_max);
  h.set("hybrid_train_validation_fraction", o.validation_fraction);
  h.set("hybrid_train_test_fraction", o.test_fraction);
  h.set("hybrid_train_split_seed", static_cast<int64_t>(o.split_seed));
  h.set("hybrid_train_seed", static_cast<int64_t>(o.seed));
  h.set("hybrid_train_epochs", o.epochs);
  h.set("hybrid_train_epochs_run", r.epochs_run);
  h.set("hybrid_train_best_epoch", r.best_epoch);
  h.set("hybrid_train_batch", o.batch);
  h.set("hybrid_train_lr", o.lr);
  h.set("hybrid_train_weight_decay", o.weight_decay);
  h.set("hybrid_train_augment", static_cast<int64_t>(o.augment ? 1 : 0));
  h.set("hybrid_train_max_seconds", o.max_seconds);
  h.set("hybrid_train_stopped_by_time", static_cast<int64_t>(r.stopped_by_time ? 1 : 0));
  h.set("hybrid_train_count", static_cast<int64_t>(r.train));
  h.set("hybrid_train_validation_count", static_cast<int64_t>(r.validation));
  h.set("hybrid_train_test_count", static_cast<int64_t>(r.test));
  h.set("hybrid_train_validation_nll", r.validation_nll);
  h.set("hybrid_train_seconds", r.seconds);
}

}  // namespace cosmograd::surveys
