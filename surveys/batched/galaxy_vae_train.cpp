// Training and sampling of the galaxy VAE (see galaxy_vae_train.hpp).
#include "surveys/batched/galaxy_vae_train.hpp"

#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>
#include <random>

#include "nn/train/module_state.hpp"
#include "sim/core/log.hpp"
#include "sim/core/require.hpp"
#include "surveys/batched/batched_render.hpp"

namespace cosmograd::surveys {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

/// Copies of tensors (a model state to return to).
std::vector<torch::Tensor> snapshot(const std::vector<torch::Tensor>& params) {
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> out;
  for (const auto& p : params) out.push_back(p.detach().clone());
  return out;
}
void restore(std::vector<torch::Tensor>& params, const std::vector<torch::Tensor>& saved) {
  torch::NoGradGuard no_grad;
  for (std::size_t i = 0; i < params.size(); ++i) params[i].copy_(saved[i]);
}

/// Rows `idx` of every tensor of t.
StampTensors take(const StampTensors& t, const torch::Tensor& idx) {
  return {t.images.index_select(0, idx), t.psfs.index_select(0, idx), t.sigma.index_select(0, idx),
          t.conditions.index_select(0, idx)};
}

/// Per-stamp -log N(x | psf * g(z), sigma^2) without the constant, and its predicted image.
torch::Tensor chi2_half(GalaxyVae& model, const StampTensors& b, const torch::Tensor& z) {
  const torch::Tensor pred = convolve_psf_batch(model->light(z), b.psfs);
  return 0.5 * ((b.images - pred) / b.sigma.view({-1, 1, 1})).square().sum({1, 2});
}

torch::Tensor kl_normal(const torch::Tensor& mu, const torch::Tensor& log_var) {
  return 0.5 * (mu.square() + log_var.exp() - 1 - log_var).sum(1);
}

}  // namespace

void GalaxyVaeTrainOptions::validate() const {
  sim::require(steps >= 1, "steps", static_cast<double>(steps), ">= 1");
  sim::require(flow_steps >= 1, "flow_steps", static_cast<double>(flow_steps), ">= 1");
  sim::require(batch >= 2 && batch <= 4096, "batch", static_cast<double>(batch), "in [2, 4096]");
  sim::require(lr > 0 && lr < 1, "lr", lr, "in (0, 1)");
  sim::require(beta >= 0 && beta <= 10, "beta", beta, "in [0, 10]");
  sim::require(
      validation_fraction > 0 && test_fraction >= 0 && validation_fraction + test_fraction < 0.9,
      "validation_fraction + test_fraction", validation_fraction + test_fraction,
      "validation > 0, test >= 0, sum < 0.9");
  sim::require(validate_every >= 1, "validate_every", static_cast<double>(validate_every), ">= 1");
}

StampSplit split_stamps(std::size_t n, double validation_fraction, double test_fraction,
                        std::uint64_t seed) {
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::mt19937_64 rng(seed ^ 0x5157A3B5ULL);
  std::shuffle(order.begin(), order.end(), rng);
  const auto n_test = static_cast<std::size_t>(std::round(test_fraction * n));
  const auto n_val = std::max<std::size_t>(1, std::round(validation_fraction * n));
  StampSplit s;
  s.test.assign(order.begin(), order.begin() + n_test);
  s.validation.assign(order.begin() + n_test, order.begin() + n_test + n_val);
  s.train.assign(order.begin() + n_test + n_val, order.end());
  for (auto* v : {&s.train, &s.validation, &s.test}) std::sort(v->begin(), v->end());
  return s;
}

StampTensors stamp_tensors(const StampSet& set, const std::vector<std::size_t>& rows,
                           double flux_scale) {
  const int64_t b = static_cast<int64_t>(rows.size()), s = set.size, p = set.psf_size;
  StampTensors t{torch::empty({b, s, s}), torch::empty({b, p, p}), torch::empty({b}),
                 torch::empty({b, 2})};
  const float inv = static_cast<float>(1.0 / flux_scale);
  for (int64_t k = 0; k < b; ++k) {
    const std::size_t r = rows[static_cast<std::size_t>(k)];
    const float* img = set.images.data() + r * s * s;
    float* dst = t.images[k].data_ptr<float>();
    for (int64_t i = 0; i < s * s; ++i) dst[i] = img[i] * inv;
    std::copy_n(set.psfs.data() + r * p * p, p * p, t.psfs[k].data_ptr<float>());
    t.sigma[k] = set.noise_sigma[r] * inv;
    t.conditions[k][0] = set.half_light_radius[r];
    t.conditions[k][1] = set.mag[r];
  }
  return t;
}

GalaxyVae train_galaxy_vae(const StampSet& set, const GalaxyVaeTrainOptions& o,
                           GalaxyVaeTrainReport* report) {
  o.validate();
  set.validate();
  const StampSplit split =
      split_stamps(set.count(), o.validation_fraction, o.test_fraction, o.seed);
  sim::require(split.train.size() >= 16, "stamps", static_cast<double>(set.count()),
               "enough for >= 16 training stamps after the validation and test fractions");
  torch::manual_seed(o.seed);
  std::mt19937_64 rng(o.seed);

  GalaxyVaeConfig c;
  c.size = set.size;
  c.latent = o.latent;
  c.channels = o.channels;
  c.flow_layers = o.flow_layers;
  c.flow_hidden = o.flow_hidden;
  c.pixel_scale = set.pixel_scale;
  c.zero_point = set.zero_point;
  c.band = set.band;
  c.unit = set.unit;
  std::vector<float> sig = set.noise_sigma;
  std::nth_element(sig.begin(), sig.begin() + sig.size() / 2, sig.end());
  c.flux_scale = sig[sig.size() / 2];
  double log_flux = 0;
  for (int k = 0; k < 2; ++k) {
    double sum = 0, sum2 = 0, lo = 1e300, hi = -1e300;
    for (std::size_t r : split.train) {
      const double u = k == 0 ? std::log10(set.half_light_radius[r]) : set.mag[r];
      sum += u;
      sum2 += u * u;
      lo = std::min(lo, u);
      hi = std::max(hi, u);
      if (k == 1) log_flux += std::log(std::pow(10.0, -0.4 * (u - c.zero_point)) / c.flux_scale);
    }
    const double n = static_cast<double>(split.train.size());
    c.cond_mean[k] = sum / n;
    c.cond_std[k] = std::max(1e-3, std::sqrt(std::max(0.0, sum2 / n - (sum / n) * (sum / n))));
    c.cond_lo[k] = lo;
    c.cond_hi[k] = hi;
  }
  GalaxyVae model(c);
  model->set_flux_prior(log_flux / static_cast<double>(split.train.size()));
  const StampTensors train = stamp_tensors(set, split.train, c.flux_scale);
  const StampTensors val = stamp_tensors(set, split.validation, c.flux_scale);
  const double pixels = static_cast<double>(c.size * c.size);
  std::uniform_int_distribution<int64_t> pick(0, static_cast<int64_t>(split.train.size()) - 1);
  auto batch_rows = [&] {
    std::vector<int64_t> idx(static_cast<std::size_t>(o.batch));
    for (auto& i : idx) i = pick(rng);
    return torch::tensor(idx, torch::kLong);
  };

  // Phase 1: the autoencoder on the PSF-aware ELBO.
  auto t0 = Clock::now();
  std::vector<torch::Tensor> ae = model->autoencoder_parameters();
  torch::optim::Adam opt(ae, torch::optim::AdamOptions(o.lr));
  double best = std::numeric_limits<double>::infinity();
  std::vector<torch::Tensor> best_ae = snapshot(ae);
  GalaxyVaeTrainReport rep;
  for (int64_t step = 0; step < o.steps; ++step) {
    nn::set_cosine_lr(opt, o.lr, step, o.steps);
    StampTensors b = take(train, batch_rows());
    const int64_t turns = static_cast<int64_t>(rng() % 4);
    const bool mirror = (rng() & 1U) != 0;
    for (torch::Tensor* t : {&b.images, &b.psfs}) {
      *t = torch::rot90(*t, turns, {1, 2});
      if (mirror) *t = t->flip({2});
    }
    const auto [mu, log_var] = model->encode(b.images);
    const torch::Tensor z = mu + torch::exp(0.5 * log_var) * torch::randn_like(mu);
    const torch::Tensor loss =
        (chi2_half(model, b, z) + o.beta * kl_normal(mu, log_var)).mean() / pixels;
    opt.zero_grad();
    loss.backward();
    torch::nn::utils::clip_grad_norm_(ae, 10.0);
    opt.step();
    if ((step + 1) % o.validate_every == 0 || step + 1 == o.steps) {
      const auto [chi2, kl] = reconstruction_losses(model, val);
      const double v = 0.5 * chi2 + o.beta * kl / pixels;
      if (v < best) {
        best = v;
        best_ae = snapshot(ae);
        rep.validation_chi2_per_pixel = chi2;
        rep.validation_kl = kl;
      }
      if (o.log_every > 0 && (step + 1) % o.log_every == 0)
        sim::log_info("galaxy vae step ", step + 1, "/", o.steps, ": loss ", loss.item<double>(),
                      ", validation chi2/pixel ", chi2, ", KL ", kl, " nats");
    }
  }
  restore(ae, best_ae);
  rep.seconds_autoencoder = seconds_since(t0);

  // Phase 2: the latent flow on posterior samples, conditioned on (log10 R_e, mag).
  t0 = Clock::now();
  torch::Tensor mu_t, lv_t, mu_v, lv_v;
  {
    torch::NoGradGuard no_grad;
    std::tie(mu_t, lv_t) = model->encode(train.images);
    std::tie(mu_v, lv_v) = model->encode(val.images);
  }
  const torch::Tensor ctx_t = model->context(train.conditions);
  const torch::Tensor ctx_v = model->context(val.conditions);
  const torch::Tensor z_v = mu_v + torch::exp(0.5 * lv_v) * torch::randn_like(mu_v);
  std::vector<torch::Tensor> fp = model->flow->parameters();
  torch::optim::Adam fopt(fp, torch::optim::AdamOptions(o.lr));
  double best_flow = std::numeric_limits<double>::infinity();
  std::vector<torch::Tensor> best_fp = snapshot(fp);
  for (int64_t step = 0; step < o.flow_steps; ++step) {
    nn::set_cosine_lr(fopt, o.lr, step, o.flow_steps);
    const torch::Tensor idx = batch_rows();
    const torch::Tensor mu = mu_t.index_select(0, idx), lv = lv_t.index_select(0, idx);
    const torch::Tensor z = mu + torch::exp(0.5 * lv) * torch::randn_like(mu);
    const torch::Tensor loss = -model->flow->log_prob(z, ctx_t.index_select(0, idx)).mean();
    fopt.zero_grad();
    loss.backward();
    torch::nn::utils::clip_grad_norm_(fp, 10.0);
    fopt.step();
    if ((step + 1) % o.validate_every == 0 || step + 1 == o.flow_steps) {
      torch::NoGradGuard no_grad;
      const double v = -model->flow->log_prob(z_v, ctx_v).mean().item<double>();
      if (v < best_flow) {
        best_flow = v;
        best_fp = snapshot(fp);
      }
      if (o.log_every > 0 && (step + 1) % o.log_every == 0)
        sim::log_info("galaxy vae flow step ", step + 1, "/", o.flow_steps, ": validation nll ", v,
                      " nats");
    }
  }
  restore(fp, best_fp);
  rep.seconds_flow = seconds_since(t0);
  rep.validation_flow_nll = best_flow;
  rep.validation_normal_nll =
      (0.5 * z_v.square().sum(1)).mean().item<double>() + 0.5 * c.latent * std::log(2 * M_PI);
  rep.train = split.train.size();
  rep.validation = split.validation.size();
  rep.test = split.test.size();
  if (report != nullptr) *report = rep;
  model->eval();
  return model;
}

void add_training_header(nn::ModelHeader& h, const StampSet& set, const GalaxyVaeTrainOptions& o,
                         const GalaxyVaeTrainReport& r) {
  std::string source = set.source;
  std::replace(source.begin(), source.end(), '\n', ' ');
  h.set("vae_train_source", source.empty() ? std::string("unknown") : source);
  h.set("vae_train_stamps", static_cast<int64_t>(set.count()));
  h.set("vae_train_seed", static_cast<int64_t>(o.seed));
  h.set("vae_train_validation_fraction", o.validation_fraction);
  h.set("vae_train_test_fraction", o.test_fraction);
  h.set("vae_train_steps", o.steps);
  h.set("vae_train_flow_steps", o.flow_steps);
  h.set("vae_train_batch", o.batch);
  h.set("vae_train_lr", o.lr);
  h.set("vae_train_beta", o.beta);
  h.set("vae_train_seconds", r.seconds_autoencoder + r.seconds_flow);
  h.set("vae_train_validation_chi2_per_pixel", r.validation_chi2_per_pixel);
  h.set("vae_train_validation_kl", r.validation_kl);
  h.set("vae_train_validation_flow_nll", r.validation_flow_nll);
  h.set("vae_train_validation_normal_nll", r.validation_normal_nll);
}

torch::Tensor sample_observations(GalaxyVae& model, const StampTensors& rows, bool noise,
                                  std::uint64_t seed) {
  torch::NoGradGuard no_grad;
  auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  std::vector<torch::Tensor> out;
  const int64_t n = rows.images.size(0);
  for (int64_t i0 = 0; i0 < n; i0 += 256) {
    const int64_t m = std::min<int64_t>(256, n - i0);
    const torch::Tensor z = model->sample_latent(rows.conditions.narrow(0, i0, m), gen);
    torch::Tensor obs = convolve_psf_batch(model->light(z), rows.psfs.narrow(0, i0, m));
    if (noise)
      obs = obs + rows.sigma.narrow(0, i0, m).view({-1, 1, 1}) *
                      torch::randn(obs.sizes(), gen, obs.options());
    out.push_back(obs);
  }
  return torch::cat(out, 0);
}

std::pair<double, double> reconstruction_losses(GalaxyVae& model, const StampTensors& rows) {
  torch::NoGradGuard no_grad;
  double chi2 = 0, kl = 0;
  const int64_t n = rows.images.size(0);
  const double pixels = static_cast<double>(rows.images.size(1) * rows.images.size(2));
  for (int64_t i0 = 0; i0 < n; i0 += 256) {
    const int64_t m = std::min<int64_t>(256, n - i0);
    const StampTensors b = take(rows, torch::arange(i0, i0 + m, torch::kLong));
    const auto [mu, log_var] = model->encode(b.images);
    chi2 += 2 * chi2_half(model, b, mu).sum().item<double>() / pixels;
    kl += kl_normal(mu, log_var).sum().item<double>();
  }
  return {chi2 / static_cast<double>(n), kl / static_cast<double>(n)};
}

}  // namespace cosmograd::surveys
