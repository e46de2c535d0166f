// The SED emulator: prior draws, the direct calculation, the network, training (see
// sed_emulator.hpp).
#include "surveys/properties/sed_emulator.hpp"

#include <torch/torch.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <random>
#include <sstream>
#include <stdexcept>

#include "nn/train/header_values.hpp"
#include "nn/train/module_state.hpp"
#include "sim/core/log.hpp"
#include "sim/core/require.hpp"
#include "surveys/mocks/photometry.hpp"
#include "surveys/mocks/sed.hpp"

namespace cosmograd::surveys {
namespace {

using Clock = std::chrono::steady_clock;

/// 10 pc [Mpc]: the luminosity distance of the emulated magnitudes.
constexpr double kTenParsecMpc = 1e-5;

/// Comma-separated values with 17 significant digits (round-trip exact).
template <class T>
std::string join(const std::vector<T>& v) {
  std::ostringstream o;
  o.precision(17);
  for (std::size_t i = 0; i < v.size(); ++i) o << (i ? "," : "") << v[i];
  return o.str();
}

/// The comma-separated items of header key `key`.
std::vector<std::string> split_items(const nn::ModelHeader& h, const std::string& key) {
  std::vector<std::string> out;
  std::stringstream in(h.get(key));
  std::string item;
  while (std::getline(in, item, ',')) out.push_back(item);
  return out;
}

/// The five coordinates of a point in which the prior is uniform.
std::array<double, kSedEmulatorInputs> coordinates(const SedPoint& p) {
  return {p.log_ssfr, std::log10(p.age_gyr), p.dust_av, std::log10(p.metallicity), p.z};
}

/// Lower and upper ends of the prior in those coordinates.
std::array<std::array<double, 2>, kSedEmulatorInputs> prior_box(const SedPrior& q) {
  return {{{q.log_ssfr_min, q.log_ssfr_max},
           {std::log10(q.age_min_gyr), std::log10(q.age_max_gyr)},
           {q.dust_min, q.dust_max},
           {std::log10(q.metal_min), std::log10(q.metal_max)},
           {q.z_min, q.z_max}}};
}

}  // namespace

void SedPrior::validate() const {
  sim::require(std::isfinite(log_ssfr_min) && log_ssfr_min >= -20, "log_ssfr_min", log_ssfr_min,
               ">= -20 [log10 1/yr]");
  sim::require(log_ssfr_max > log_ssfr_min && log_ssfr_max <= -6, "log_ssfr_max", log_ssfr_max,
               "> log_ssfr_min and <= -6 [log10 1/yr]");
  sim::require(age_min_gyr >= 0.1, "age_min_gyr", age_min_gyr, ">= 0.1 [Gyr]");
  sim::require(age_max_gyr > age_min_gyr && age_max_gyr <= 13.8, "age_max_gyr", age_max_gyr,
               "> age_min_gyr and <= 13.8 [Gyr]");
  sim::require(dust_min >= 0, "dust_min", dust_min, ">= 0 [mag]");
  sim::require(dust_max > dust_min && dust_max <= 10, "dust_max", dust_max,
               "> dust_min and <= 10 [mag]");
  sim::require(metal_min >= 1e-4, "metal_min", metal_min, ">= 1e-4");
  sim::require(metal_max > metal_min && metal_max <= 0.05, "metal_max", metal_max,
               "> metal_min and <= 0.05");
  sim::require(z_min >= 0, "z_min", z_min, ">= 0");
  sim::require(z_max > z_min && z_max <= 5, "z_max", z_max, "> z_min and <= 5");
}

bool SedPrior::contains(const SedPoint& p) const {
  const auto x = coordinates(p);
  const auto box = prior_box(*this);
  for (int k = 0; k < kSedEmulatorInputs; ++k)
    if (!(x[k] >= box[k][0] - 1e-9 && x[k] <= box[k][1] + 1e-9)) return false;
  return true;
}

std::vector<SedPoint> draw_sed_points(const SedPrior& prior, std::size_t n, std::uint64_t seed) {
  prior.validate();
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  const auto box = prior_box(prior);
  std::vector<SedPoint> out(n);
  for (SedPoint& p : out) {
    std::array<double, kSedEmulatorInputs> x{};
    for (int k = 0; k < kSedEmulatorInputs; ++k)
      x[k] = box[k][0] + (box[k][1] - box[k][0]) * u(rng);
    p = {x[0], std::pow(10.0, x[1]), x[2], std::pow(10.0, x[3]), x[4]};
    p.age_gyr = std::clamp(p.age_gyr, prior.age_min_gyr, prior.age_max_gyr);
    p.metallicity = std::clamp(p.metallicity, prior.metal_min, prior.metal_max);
  }
  return out;
}

std::vector<double> direct_sed_magnitudes(const std::vector<SedPoint>& points,
                                          const std::vector<Filter>& filters, bool parallel) {
  const std::size_t n = points.size(), nb = filters.size();
  std::vector<double> out(n * nb);
  std::string error;
  const auto one = [&](std::size_t i) {
    const SedPoint& p = points[i];
    sim::require(std::isfinite(p.log_ssfr) && p.log_ssfr <= 0, "log_ssfr", p.log_ssfr,
                 "finite and <= 0 [log10 1/yr]");
    sim::require(std::isfinite(p.z) && p.z >= 0, "z", p.z, "finite and >= 0");
    const Sed sed = parametric_sed(
        SedParams{1.0, std::pow(10.0, p.log_ssfr), p.age_gyr, p.dust_av, p.metallicity});
    const std::vector<double> m = ab_magnitudes(sed, p.z, kTenParsecMpc, filters);
    std::copy(m.begin(), m.end(), out.begin() + static_cast<std::ptrdiff_t>(i * nb));
  };
  if (!parallel) {
    for (std::size_t i = 0; i < n; ++i) one(i);
    return out;
  }
  const auto count = static_cast<std::ptrdiff_t>(n);
#pragma omp parallel for schedule(dynamic, 64)
  for (std::ptrdiff_t i = 0; i < count; ++i) {
    try {
      one(static_cast<std::size_t>(i));
    } catch (const std::exception& e) {
#pragma omp critical(direct_sed_magnitudes_error)
      if (error.empty()) error = "point " + std::to_string(i) + ": " + e.what();
    }
  }
  if (!error.empty()) throw std::invalid_argument(error);
  return out;
}

double apparent_magnitude(double template_magnitude, double stellar_mass,
                          double luminosity_distance_mpc) {
  sim::require(sim::positive(stellar_mass), "stellar_mass", stellar_mass, "> 0 [Msun]");
  sim::require(sim::positive(luminosity_distance_mpc), "luminosity_distance_mpc",
               luminosity_distance_mpc, "> 0 [Mpc]");
  // m = M + 5 log10(d_L / 10 pc) (Hogg et al. 2002, eq. 26 with the K-correction inside t_b).
  return template_magnitude - 2.5 * std::log10(stellar_mass) +
         5.0 * std::log10(luminosity_distance_mpc / kTenParsecMpc);
}

void SedEmulatorConfig::validate() const {
  prior.validate();
  sim::require(!bands.empty(), "bands", static_cast<double>(bands.size()), "at least one band");
  sim::require(!hidden.empty(), "hidden", static_cast<double>(hidden.size()),
               "at least one hidden layer");
  for (std::size_t i = 0; i < hidden.size(); ++i)
    sim::require(hidden[i] >= 1 && hidden[i] <= 4096, "hidden[" + std::to_string(i) + "]",
                 static_cast<double>(hidden[i]), "in [1, 4096]");
  nn::parse_activation(activation);
  sim::require(output_mean.size() == bands.size(), "output_mean",
               static_cast<double>(output_mean.size()), "one value per band");
  sim::require(output_std.size() == bands.size(), "output_std",
               static_cast<double>(output_std.size()), "one value per band");
  for (std::size_t b = 0; b < bands.size(); ++b) {
    sim::require(std::isfinite(output_mean[b]), "output_mean[" + std::to_string(b) + "]",
                 output_mean[b], "finite [mag]");
    sim::require(sim::positive(output_std[b]), "output_std[" + std::to_string(b) + "]",
                 output_std[b], "finite and > 0 [mag]");
  }
}

SedEmulatorImpl::SedEmulatorImpl(SedEmulatorConfig config) : config_(std::move(config)) {
  config_.validate();
  nn::MLPOptions mo(kSedEmulatorInputs, static_cast<int64_t>(config_.bands.size()), config_.hidden);
  mo.activation(nn::parse_activation(config_.activation));
  mlp_ = register_module("mlp", nn::MLP(mo));
}

torch::Tensor SedEmulatorImpl::forward(const torch::Tensor& x) { return mlp_->forward(x); }

torch::Tensor SedEmulatorImpl::encode(const std::vector<SedPoint>& points) const {
  const auto box = prior_box(config_.prior);
  torch::Tensor x = torch::empty({static_cast<int64_t>(points.size()), kSedEmulatorInputs});
  float* d = x.data_ptr<float>();
  for (std::size_t i = 0; i < points.size(); ++i) {
    const auto c = coordinates(points[i]);
    for (int k = 0; k < kSedEmulatorInputs; ++k)
      d[i * kSedEmulatorInputs + k] =
          static_cast<float>(2.0 * (c[k] - box[k][0]) / (box[k][1] - box[k][0]) - 1.0);
  }
  return x;
}

std::vector<double> SedEmulatorImpl::predict(const std::vector<SedPoint>& points, int64_t batch) {
  sim::require(batch >= 1, "batch", static_cast<double>(batch), ">= 1");
  torch::NoGradGuard no_grad;
  const bool was_training = is_training();
  eval();
  const std::size_t nb = config_.bands.size();
  std::vector<double> out(points.size() * nb);
  const torch::Tensor x = encode(points);
  for (int64_t start = 0; start < x.size(0); start += batch) {
    const int64_t stop = std::min<int64_t>(start + batch, x.size(0));
    const torch::Tensor y = forward(x.slice(0, start, stop)).contiguous();
    const float* d = y.data_ptr<float>();
    for (int64_t i = 0; i < stop - start; ++i)
      for (std::size_t b = 0; b < nb; ++b)
        out[(static_cast<std::size_t>(start + i)) * nb + b] =
            config_.output_mean[b] + config_.output_std[b] * d[i * static_cast<int64_t>(nb) + b];
  }
  if (was_training) train();
  return out;
}

nn::ModelHeader SedEmulatorImpl::header() const {
  const SedEmulatorConfig& c = config_;
  nn::ModelHeader h;
  h.set("model", "sed_emulator");
  h.set("sed_filter_set", c.filter_set);
  h.set("sed_bands", join(c.bands));
  h.set("sed_hidden", join(c.hidden));
  h.set("sed_activation", c.activation);
  h.set("sed_inputs", "log10 sSFR [1/yr], log10 age [Gyr], A_V [mag], log10 Z, z; each to [-1, 1]");
  h.set("sed_output",
        "t_b = AB mag of 1 Msun at d_L = 10 pc (observed frame at z), standardised per band");
  h.set("sed_prior_log_ssfr",
        join(std::vector<double>{c.prior.log_ssfr_min, c.prior.log_ssfr_max}));
  h.set("sed_prior_age_gyr", join(std::vector<double>{c.prior.age_min_gyr, c.prior.age_max_gyr}));
  h.set("sed_prior_dust_av", join(std::vector<double>{c.prior.dust_min, c.prior.dust_max}));
  h.set("sed_prior_metallicity", join(std::vector<double>{c.prior.metal_min, c.prior.metal_max}));
  h.set("sed_prior_z", join(std::vector<double>{c.prior.z_min, c.prior.z_max}));
  h.set("sed_output_mean", join(c.output_mean));
  h.set("sed_output_std", join(c.output_std));
  return h;
}

SedEmulatorConfig sed_emulator_config_from(const nn::ModelHeader& h) {
  SedEmulatorConfig c;
  c.filter_set = h.get("sed_filter_set");
  c.bands = split_items(h, "sed_bands");
  c.hidden.clear();
  for (double w : nn::header_doubles(h, "sed_hidden")) c.hidden.push_back(static_cast<int64_t>(w));
  c.activation = h.get("sed_activation");
  const auto range = [&h](const std::string& key, double& lo, double& hi) {
    const std::vector<double> v = nn::header_doubles(h, key);
    if (v.size() != 2)
      throw std::runtime_error(h.source() + ": model header key '" + key + "' holds " +
                               std::to_string(v.size()) + " values (must be 2: lower, upper)");
    lo = v[0];
    hi = v[1];
  };
  range("sed_prior_log_ssfr", c.prior.log_ssfr_min, c.prior.log_ssfr_max);
  range("sed_prior_age_gyr", c.prior.age_min_gyr, c.prior.age_max_gyr);
  range("sed_prior_dust_av", c.prior.dust_min, c.prior.dust_max);
  range("sed_prior_metallicity", c.prior.metal_min, c.prior.metal_max);
  range("sed_prior_z", c.prior.z_min, c.prior.z_max);
  c.output_mean = nn::header_doubles(h, "sed_output_mean");
  c.output_std = nn::header_doubles(h, "sed_output_std");
  try {
    c.validate();
  } catch (const std::invalid_argument& e) {
    throw std::runtime_error(h.source() + ": " + e.what());
  }
  return c;
}

SedEmulator load_sed_emulator(const std::string& path, nn::ModelHeader* header) {
  return nn::load_model_of(
      path, "sed_emulator",
      [](const nn::ModelHeader& h) { return SedEmulator(sed_emulator_config_from(h)); }, header);
}

void SedEmulatorTrainOptions::validate() const {
  sim::require(!hidden.empty(), "hidden", static_cast<double>(hidden.size()),
               "at least one hidden layer");
  for (std::size_t i = 0; i < hidden.size(); ++i)
    sim::require(hidden[i] >= 1 && hidden[i] <= 4096, "hidden[" + std::to_string(i) + "]",
                 static_cast<double>(hidden[i]), "in [1, 4096]");
  nn::parse_activation(activation);
  sim::require(steps >= 1, "steps", static_cast<double>(steps), ">= 1");
  sim::require(batch >= 1, "batch", static_cast<double>(batch), ">= 1");
  sim::require(sim::positive(lr), "lr", lr, "> 0");
  sim::require(validation_fraction > 0 && validation_fraction <= 0.5, "validation_fraction",
               validation_fraction, "in (0, 0.5]");
  sim::require(validate_every >= 1, "validate_every", static_cast<double>(validate_every), ">= 1");
  sim::require(max_seconds >= 0 && std::isfinite(max_seconds), "max_seconds", max_seconds,
               ">= 0 [s] (0: no limit)");
}

SedEmulator train_sed_emulator(const std::vector<SedPoint>& points,
                               const std::vector<double>& magnitudes, const SedPrior& prior,
                               const std::string& filter_set, const SedEmulatorTrainOptions& o,
                               SedEmulatorTrainReport* report) {
  o.validate();
  prior.validate();
  const std::vector<Filter> filters = builtin_filters(filter_set);
  const std::size_t n = points.size(), nb = filters.size();
  sim::require(magnitudes.size() == n * nb, "magnitudes", static_cast<double>(magnitudes.size()),
               "points x bands = " + std::to_string(n * nb) + " values");
  const auto n_val = static_cast<std::size_t>(std::ceil(o.validation_fraction * n));
  sim::require(n >= 4 && n_val >= 1 && n_val < n, "points", static_cast<double>(n),
               ">= 4 with validation and training draws");
  for (std::size_t i = 0; i < n * nb; ++i)
    sim::require(std::isfinite(magnitudes[i]), "magnitudes[" + std::to_string(i) + "]",
                 magnitudes[i], "finite [mag] (a band with no flux)");
  const std::size_t n_train = n - n_val;
  SedEmulatorConfig c;
  c.filter_set = filter_set;
  for (const Filter& f : filters) c.bands.push_back(f.name);
  c.hidden = o.hidden;
  c.activation = o.activation;
  c.prior = prior;
  c.output_mean.assign(nb, 0.0);
  c.output_std.assign(nb, 0.0);
  for (std::size_t i = 0; i < n_train; ++i)
    for (std::size_t b = 0; b < nb; ++b) c.output_mean[b] += magnitudes[i * nb + b] / n_train;
  for (std::size_t i = 0; i < n_train; ++i)
    for (std::size_t b = 0; b < nb; ++b)
      c.output_std[b] += std::pow(magnitudes[i * nb + b] - c.output_mean[b], 2) / n_train;
  for (double& s : c.output_std) s = std::max(std::sqrt(s), 1e-6);
  torch::manual_seed(o.seed);
  SedEmulator model(c);
  const torch::Tensor x_all = model->encode(points);
  torch::Tensor y_all = torch::empty({static_cast<int64_t>(n), static_cast<int64_t>(nb)});
  {
    float* d = y_all.data_ptr<float>();
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t b = 0; b < nb; ++b)
        d[i * nb + b] =
            static_cast<float>((magnitudes[i * nb + b] - c.output_mean[b]) / c.output_std[b]);
  }
  const auto nt = static_cast<int64_t>(n_train);
  const torch::Tensor x_train = x_all.slice(0, 0, nt), y_train = y_all.slice(0, 0, nt);
  const torch::Tensor x_val = x_all.slice(0, nt), y_val = y_all.slice(0, nt);
  const torch::Tensor std_t =
      torch::tensor(std::vector<float>(c.output_std.begin(), c.output_std.end()));
  const auto validation = [&](double* mean_abs) {
    torch::NoGradGuard no_grad;
    model->eval();
    const torch::Tensor r = model->forward(x_val) - y_val;
    model->train();
    if (mean_abs != nullptr) *mean_abs = (r.abs() * std_t).mean().item<double>();
    return r.pow(2).mean().item<double>();
  };
  SedEmulatorTrainReport rep;
  rep.train = n_train;
  rep.validation = n_val;
  rep.initial_loss = validation(&rep.validation_mean_abs);
  rep.best_loss = rep.initial_loss;
  std::vector<torch::Tensor> best = nn::snapshot_state(*model);
  torch::optim::Adam opt(model->parameters(), torch::optim::AdamOptions(o.lr));
  const auto gen = at::make_generator<at::CPUGeneratorImpl>(o.seed + 7919);
  const auto t0 = Clock::now();
  const int64_t batch = std::min<int64_t>(o.batch, nt);
  model->train();
  for (int64_t step = 1; step <= o.steps; ++step) {
    nn::set_cosine_lr(opt, o.lr, step - 1, o.steps);
    const torch::Tensor idx = torch::randint(0, nt, {batch}, gen, torch::kLong);
    const torch::Tensor loss =
        (model->forward(x_train.index_select(0, idx)) - y_train.index_select(0, idx)).pow(2).mean();
    opt.zero_grad();
    loss.backward();
    opt.step();
    rep.steps_done = step;
    const double elapsed = std::chrono::duration<double>(Clock::now() - t0).count();
    const bool out_of_time = o.max_seconds > 0 && elapsed > o.max_seconds;
    if (step % o.validate_every == 0 || step == o.steps || out_of_time) {
      double mean_abs = 0;
      const double v = validation(&mean_abs);
      if (v < rep.best_loss) {
        rep.best_loss = v;
        rep.best_step = step;
        rep.validation_mean_abs = mean_abs;
        best = nn::snapshot_state(*model);
      }
      sim::log_info("sed emulator step " + std::to_string(step) + ": train loss " +
                    std::to_string(loss.item<double>()) + ", validation loss " + std::to_string(v) +
                    ", mean |dm| " + std::to_string(mean_abs) + " mag");
    }
    if (out_of_time) break;
  }
  nn::restore_state(*model, best);
  model->eval();
  rep.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  if (report != nullptr) *report = rep;
  return model;
}

}  // namespace cosmograd::surveys
