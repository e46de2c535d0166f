// The galaxy VAE with its latent flow (see galaxy_vae.hpp).
#include "surveys/batched/galaxy_vae.hpp"

#include <torch/nn/modules/activation.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/upsampling.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "sim/core/require.hpp"

namespace cosmograd::surveys {
namespace {

namespace tnn = torch::nn;

tnn::Conv2d conv(int64_t in, int64_t out, int64_t stride = 1) {
  return tnn::Conv2d(tnn::Conv2dOptions(in, out, 3).stride(stride).padding(1));
}

const char* const kCondKeys[2] = {"log10_re", "mag"};

}  // namespace

void GalaxyVaeConfig::validate() const {
  sim::require(size >= 16 && size <= 256 && size % 8 == 0, "vae size", static_cast<double>(size),
               "a multiple of 8 in [16, 256] [pixels]");
  sim::require(latent >= 2 && latent <= 256, "vae latent", static_cast<double>(latent),
               "in [2, 256]");
  sim::require(channels >= 4 && channels <= 128, "vae channels", static_cast<double>(channels),
               "in [4, 128]");
  sim::require(flow_layers >= 1 && flow_layers <= 16, "vae flow_layers",
               static_cast<double>(flow_layers), "in [1, 16]");
  sim::require(flow_hidden >= 8 && flow_hidden <= 1024, "vae flow_hidden",
               static_cast<double>(flow_hidden), "in [8, 1024]");
  sim::require(sim::positive(pixel_scale), "vae pixel_scale", pixel_scale, "> 0 [arcsec]");
  sim::require(sim::positive(flux_scale), "vae flux_scale", flux_scale, "> 0 [image unit]");
  for (int k = 0; k < 2; ++k) {
    sim::require(sim::positive(cond_std[k]), std::string("vae cond_std_") + kCondKeys[k],
                 cond_std[k], "> 0");
    sim::require(cond_lo[k] <= cond_hi[k], std::string("vae cond_lo_") + kCondKeys[k], cond_lo[k],
                 "<= cond_hi");
  }
}

GalaxyVaeImpl::GalaxyVaeImpl(GalaxyVaeConfig config) : config_(std::move(config)) {
  config_.validate();
  const int64_t c = config_.channels, s8 = config_.size / 8, d = config_.latent;
  encoder_ = register_module(
      "encoder",
      tnn::Sequential(conv(1, c), tnn::GELU(), conv(c, 2 * c, 2), tnn::GELU(), conv(2 * c, 2 * c),
                      tnn::GELU(), conv(2 * c, 4 * c, 2), tnn::GELU(), conv(4 * c, 4 * c),
                      tnn::GELU(), conv(4 * c, 8 * c, 2), tnn::GELU(), tnn::Flatten()));
  to_latent_ = register_module("to_latent", tnn::Linear(8 * c * s8 * s8, 2 * d));
  from_latent_ = register_module("from_latent", tnn::Linear(d, 8 * c * s8 * s8));
  auto up = [] {
    return tnn::Upsample(
        tnn::UpsampleOptions().scale_factor(std::vector<double>{2, 2}).mode(torch::kNearest));
  };
  decoder_ = register_module(
      "decoder",
      tnn::Sequential(tnn::Unflatten(tnn::UnflattenOptions(1, {8 * c, s8, s8})), up(),
                      conv(8 * c, 4 * c), tnn::GELU(), conv(4 * c, 4 * c), tnn::GELU(), up(),
                      conv(4 * c, 2 * c), tnn::GELU(), conv(2 * c, 2 * c), tnn::GELU(), up(),
                      conv(2 * c, c), tnn::GELU(), conv(c, c), tnn::GELU(), conv(c, 1)));
  flux_head_ = register_module(
      "flux_head", tnn::Sequential(tnn::Linear(d, 64), tnn::GELU(), tnn::Linear(64, 1)));
  flow =
      register_module("flow", nn::SplineFlow(nn::SplineFlowOptions(d)
                                                 .layers(config_.flow_layers)
                                                 .hidden({config_.flow_hidden, config_.flow_hidden})
                                                 .context(2)
                                                 .bins(8)
                                                 .bound(5.0)));
}

std::pair<torch::Tensor, torch::Tensor> GalaxyVaeImpl::encode(const torch::Tensor& stamps) {
  const int64_t s = config_.size;
  if (stamps.dim() != 3 || stamps.size(1) != s || stamps.size(2) != s)
    throw std::invalid_argument("galaxy VAE: stamps must be [B, " + std::to_string(s) + ", " +
                                std::to_string(s) + "]");
  const torch::Tensor h = to_latent_->forward(encoder_->forward(torch::asinh(stamps).unsqueeze(1)));
  return {h.narrow(1, 0, config_.latent), h.narrow(1, config_.latent, config_.latent)};
}

std::pair<torch::Tensor, torch::Tensor> GalaxyVaeImpl::decode(const torch::Tensor& z) {
  const int64_t s = config_.size;
  const torch::Tensor logits = decoder_->forward(torch::gelu(from_latent_->forward(z)));
  const torch::Tensor log_shape =
      torch::log_softmax(logits.reshape({z.size(0), s * s}), 1).reshape({z.size(0), s, s});
  return {log_shape, flux_head_->forward(z).squeeze(1)};
}

torch::Tensor GalaxyVaeImpl::light(const torch::Tensor& z) {
  const auto [log_shape, log_flux] = decode(z);
  return torch::exp(log_shape + log_flux.view({-1, 1, 1}));
}

torch::Tensor GalaxyVaeImpl::context(const torch::Tensor& conditions) const {
  const auto opts = conditions.options();
  torch::Tensor u = torch::stack(
      {torch::log10(torch::clamp_min(conditions.select(1, 0), 1e-3)), conditions.select(1, 1)}, 1);
  const torch::Tensor lo = torch::tensor({config_.cond_lo[0], config_.cond_lo[1]}, opts);
  const torch::Tensor hi = torch::tensor({config_.cond_hi[0], config_.cond_hi[1]}, opts);
  const torch::Tensor mean = torch::tensor({config_.cond_mean[0], config_.cond_mean[1]}, opts);
  const torch::Tensor sd = torch::tensor({config_.cond_std[0], config_.cond_std[1]}, opts);
  return (torch::min(torch::max(u, lo), hi) - mean) / sd;
}

torch::Tensor GalaxyVaeImpl::sample_latent(const torch::Tensor& conditions,
                                           std::optional<at::Generator> generator) {
  const torch::Tensor u =
      torch::randn({conditions.size(0), config_.latent}, generator ? *generator : at::Generator(),
                   conditions.options());
  return std::get<0>(flow->inverse(u, context(conditions)));
}

void GalaxyVaeImpl::set_flux_prior(double mean_log_flux) {
  torch::NoGradGuard no_grad;
  flux_head_[2]->as<tnn::Linear>()->bias.fill_(mean_log_flux);
}

std::vector<torch::Tensor> GalaxyVaeImpl::autoencoder_parameters() {
  std::vector<torch::Tensor> out;
  const std::vector<std::shared_ptr<tnn::Module>> parts = {
      encoder_.ptr(), to_latent_.ptr(), from_latent_.ptr(), decoder_.ptr(), flux_head_.ptr()};
  for (const auto& m : parts)
    for (const auto& p : m->parameters()) out.push_back(p);
  return out;
}

nn::ModelHeader GalaxyVaeImpl::header() const {
  const GalaxyVaeConfig& c = config_;
  nn::ModelHeader h;
  h.set("model", "galaxy_vae");
  h.set("vae_size", c.size);
  h.set("vae_latent", c.latent);
  h.set("vae_channels", c.channels);
  h.set("vae_flow_layers", c.flow_layers);
  h.set("vae_flow_hidden", c.flow_hidden);
  h.set("vae_pixel_scale", c.pixel_scale);
  h.set("vae_zero_point", c.zero_point);
  h.set("vae_flux_scale", c.flux_scale);
  h.set("vae_band", c.band.empty() ? std::string("unknown") : c.band);
  h.set("vae_unit", c.unit);
  for (int k = 0; k < 2; ++k) {
    const std::string key = kCondKeys[k];
    h.set("vae_cond_mean_" + key, c.cond_mean[k]);
    h.set("vae_cond_std_" + key, c.cond_std[k]);
    h.set("vae_cond_lo_" + key, c.cond_lo[k]);
    h.set("vae_cond_hi_" + key, c.cond_hi[k]);
  }
  return h;
}

GalaxyVaeConfig galaxy_vae_config_from(const nn::ModelHeader& h) {
  GalaxyVaeConfig c;
  c.size = h.get_int("vae_size");
  c.latent = h.get_int("vae_latent");
  c.channels = h.get_int("vae_channels");
  c.flow_layers = h.get_int("vae_flow_layers");
  c.flow_hidden = h.get_int("vae_flow_hidden");
  c.pixel_scale = h.get_double("vae_pixel_scale");
  c.zero_point = h.get_double("vae_zero_point");
  c.flux_scale = h.get_double("vae_flux_scale");
  c.band = h.get("vae_band");
  c.unit = h.get("vae_unit");
  for (int k = 0; k < 2; ++k) {
    const std::string key = kCondKeys[k];
    c.cond_mean[k] = h.get_double("vae_cond_mean_" + key);
    c.cond_std[k] = h.get_double("vae_cond_std_" + key);
    c.cond_lo[k] = h.get_double("vae_cond_lo_" + key);
    c.cond_hi[k] = h.get_double("vae_cond_hi_" + key);
  }
  return c;
}

GalaxyVae load_galaxy_vae(const std::string& path, nn::ModelHeader* header) {
  return nn::load_model_of(
      path, "galaxy_vae",
      [](const nn::ModelHeader& h) { return GalaxyVae(galaxy_vae_config_from(h)); }, header);
}

GalaxyPainter vae_painter(GalaxyVae model, std::uint64_t seed) {
  const GalaxyVaeConfig c = model->config();
  const std::string column = "mag_true_" + c.band;
  return [model, seed, c, column](Image& stamp, const GalaxyDraw& g, double cx, double cy) mutable {
    if (std::abs(g.pixel_scale / c.pixel_scale - 1.0) > 0.01)
      sim::require(false, "pixel_scale", g.pixel_scale,
                   "the generative model's " + std::to_string(c.pixel_scale) + " arcsec (+-1%)");
    double mag = g.mag;
    if (g.table != nullptr) mag = g.table->column(column).as<double>().at(g.row);
    const double re_px = std::max(1e-3, g.morph.re_arcsec / g.pixel_scale);
    torch::NoGradGuard no_grad;
    auto gen = at::make_generator<at::CPUGeneratorImpl>(seed * 0x9E3779B97F4A7C15ULL +
                                                        static_cast<std::uint64_t>(g.galaxy_id));
    const torch::Tensor z =
        model->sample_latent(torch::tensor({re_px, mag}, torch::kFloat32).view({1, 2}), gen);
    const torch::Tensor shape = torch::exp(model->decode(z).first[0]).to(torch::kFloat64);
    // Bilinear placement: model pixel (i, j) centred at (i + 0.5, j + 0.5) - S/2 about the
    // galaxy centre goes to (cx + that) in the stamp, split among four pixels.
    const int s = static_cast<int>(c.size);
    const torch::Tensor host = shape.contiguous();
    const double* v = host.data_ptr<double>();
    for (int j = 0; j < s; ++j)
      for (int i = 0; i < s; ++i) {
        const double px = cx + (i + 0.5 - 0.5 * s) - 0.5, py = cy + (j + 0.5 - 0.5 * s) - 0.5;
        const int x0 = static_cast<int>(std::floor(px)), y0 = static_cast<int>(std::floor(py));
        const double fx = px - x0, fy = py - y0, f = v[j * s + i];
        const double w[4] = {(1 - fx) * (1 - fy), fx * (1 - fy), (1 - fx) * fy, fx * fy};
        const int xs[4] = {x0, x0 + 1, x0, x0 + 1}, ys[4] = {y0, y0, y0 + 1, y0 + 1};
        for (int k = 0; k < 4; ++k)
          if (xs[k] >= 0 && xs[k] < stamp.nx && ys[k] >= 0 && ys[k] < stamp.ny)
            stamp.at(xs[k], ys[k]) += w[k] * f;  // flux beyond the stamp is lost
      }
  };
}

}  // namespace cosmograd::surveys
