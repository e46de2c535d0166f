// The styled U-Net emulator: the module, its model-file header, and patch-wise application.
#include "nn/emulator.hpp"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "nn/patched.hpp"
#include "nn/train/model_types.hpp"

namespace cosmograd::nn {
namespace {

/// Maps v from [lo, hi] linearly to [-1, 1].
torch::Tensor to_unit_range(const torch::Tensor& v, double lo, double hi) {
  return (v - 0.5 * (lo + hi)) / (0.5 * (hi - lo));
}

}  // namespace

torch::Tensor emulator_style(const torch::Tensor& omega_m_sigma8, const EmulatorOptions& o) {
  if (omega_m_sigma8.dim() != 2 || omega_m_sigma8.size(1) != 2) {
    throw std::invalid_argument("emulator: (Omega_m, sigma8) must have shape [B, 2]");
  }
  return torch::stack({to_unit_range(omega_m_sigma8.select(1, 0), o.omega_m_min(), o.omega_m_max()),
                       to_unit_range(omega_m_sigma8.select(1, 1), o.sigma8_min(), o.sigma8_max())},
                      1);
}

EmulatorImpl::EmulatorImpl(const EmulatorOptions& options_) : options(options_) {
  const auto& o = options;
  if (!(o.box_size() > 0) || o.particles() < 1 || !(o.a() > 0) || !(o.disp_scale() > 0) ||
      !(o.mom_scale() > 0) || o.depth() < 0 || o.base_channels() < 1 ||
      !(o.omega_m_max() > o.omega_m_min()) || !(o.sigma8_max() > o.sigma8_min())) {
    throw std::invalid_argument(
        "Emulator: box_size, particles, a, disp_scale, mom_scale and base_channels must be "
        "positive, depth non-negative and each training range non-empty");
  }
  unet_ = register_module("unet", UNet3d(UNet3dOptions()
                                             .in_channels(6)
                                             .out_channels(6)
                                             .depth(o.depth())
                                             .base_channels(o.base_channels())
                                             .style_size(2)));
  // The residual starts at zero: an untrained emulator returns its 2LPT input.
  for (auto& p : unet_->named_parameters()) {
    if (p.key().rfind("head.", 0) == 0) {
      torch::NoGradGuard no_grad;
      p.value().zero_();
    }
  }
  const double s[6] = {o.disp_scale(), o.disp_scale(), o.disp_scale(),
                       o.mom_scale(),  o.mom_scale(),  o.mom_scale()};
  scale_ = register_buffer(
      "scale", torch::tensor(std::vector<double>(s, s + 6), torch::kFloat32).view({1, 6, 1, 1, 1}));
}

torch::Tensor EmulatorImpl::forward(const torch::Tensor& x, const torch::Tensor& omega_m_sigma8) {
  if (x.dim() != 5 || x.size(1) != 6) {
    throw std::invalid_argument("Emulator: expected x of shape [B, 6, N, N, N]");
  }
  if (omega_m_sigma8.size(0) != x.size(0)) {
    throw std::invalid_argument("Emulator: x and (Omega_m, sigma8) have different batch sizes");
  }
  const torch::Tensor s = scale_.to(x.scalar_type());
  const torch::Tensor style = emulator_style(omega_m_sigma8, options).to(x.scalar_type());
  return x + s * unet_->forward(x / s, style);
}

int64_t EmulatorImpl::receptive_radius() const { return unet_->receptive_radius(); }

ModelHeader EmulatorImpl::header() const {
  ModelHeader h;
  h.set("model", "emulator");
  h.set("box_size", options.box_size());
  h.set("particles", options.particles());
  h.set("a", options.a());
  h.set("disp_scale", options.disp_scale());
  h.set("mom_scale", options.mom_scale());
  h.set("depth", options.depth());
  h.set("base_channels", options.base_channels());
  h.set("omega_m_min", options.omega_m_min());
  h.set("omega_m_max", options.omega_m_max());
  h.set("sigma8_min", options.sigma8_min());
  h.set("sigma8_max", options.sigma8_max());
  return h;
}

void save_emulator(const std::string& path, Emulator& model, ModelHeader extra) {
  const ModelHeader arch = model->header();
  for (const auto& [key, value] : arch.values()) extra.set(key, value);
  save_model(path, *model, std::move(extra));
}

Emulator build_emulator(const ModelHeader& h) {
  return Emulator(EmulatorOptions()
                      .box_size(h.get_double("box_size"))
                      .particles(h.get_int("particles"))
                      .a(h.get_double("a"))
                      .disp_scale(h.get_double("disp_scale"))
                      .mom_scale(h.get_double("mom_scale"))
                      .depth(h.get_int("depth"))
                      .base_channels(h.get_int("base_channels"))
                      .omega_m_min(h.get_double("omega_m_min"))
                      .omega_m_max(h.get_double("omega_m_max"))
                      .sigma8_min(h.get_double("sigma8_min"))
                      .sigma8_max(h.get_double("sigma8_max")));
}

Emulator load_emulator(const std::string& path, ModelHeader* header) {
  LoadedModel m = load_model(path);
  if (m.header.get("model") != "emulator") {
    throw std::runtime_error(path + ": model = " + m.header.get("model") + ", not emulator");
  }
  if (header != nullptr) *header = m.header;
  return Emulator(std::dynamic_pointer_cast<EmulatorImpl>(m.module));
}

torch::Tensor particle_rows_to_fields(const torch::Tensor& rows) {
  const int64_t m = rows.size(0);
  const auto n = static_cast<int64_t>(std::llround(std::cbrt(static_cast<double>(m))));
  if (rows.dim() != 2 || rows.size(1) != 6 || n * n * n != m) {
    throw std::invalid_argument("particle rows must have shape (N^3, 6)");
  }
  return rows.view({n, n, n, 6}).permute({3, 0, 1, 2}).contiguous();
}

torch::Tensor fields_to_particle_rows(const torch::Tensor& fields) {
  if (fields.dim() != 4 || fields.size(0) != 6) {
    throw std::invalid_argument("particle fields must have shape (6, N, N, N)");
  }
  return fields.permute({1, 2, 3, 0}).reshape({-1, 6});
}

torch::Tensor emulate_patched(Emulator& model, const torch::Tensor& x,
                              const torch::Tensor& omega_m_sigma8, int64_t patch, int64_t pad,
                              const std::function<void(int64_t, int64_t)>& progress) {
  const int64_t al = model->alignment();
  if (x.dim() != 4 || x.size(0) != 6) {
    throw std::invalid_argument("emulate_patched: x must have shape (6, N, N, N)");
  }
  if (pad < 0) pad = (model->receptive_radius() + al - 1) / al * al;
  const torch::Tensor theta = omega_m_sigma8.reshape({1, 2});
  const PatchFunction fn = [&](const torch::Tensor& block, const torch::Tensor&) {
    return model->forward(block.unsqueeze(0), theta).squeeze(0);
  };
  return apply_patched(fn, x, torch::Tensor(), 1, patch, pad, al, progress);
}

}  // namespace cosmograd::nn
