// The super-resolution generator: the module, its model-file header, and patch-wise application.
#include "nn/superres.hpp"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <cmath>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "nn/patched.hpp"
#include "nn/train/model_types.hpp"

namespace cosmograd::nn {

NoiseInjectionImpl::NoiseInjectionImpl(int64_t channels) {
  weight = register_parameter("weight", torch::zeros({channels}));
}

torch::Tensor NoiseInjectionImpl::forward(const torch::Tensor& h, const torch::Tensor& noise) {
  if (!noise.defined()) return h;
  std::vector<int64_t> shape(static_cast<size_t>(h.dim()), 1);
  shape[1] = -1;
  return h + weight.view(shape) * noise;
}

torch::Tensor upsample_lattice(const torch::Tensor& x, int64_t factor) {
  if (x.dim() != 5 || factor < 1) {
    throw std::invalid_argument("upsample_lattice: x must be [B, C, N, N, N] and factor >= 1");
  }
  if (factor == 1) return x;
  const int64_t n = x.size(2);
  // Append the periodic images of the first planes, interpolate the (N + 1)^3 closed lattice
  // onto (f N + 1)^3 points with aligned corners (fine point I at coarse coordinate I / f), and
  // drop the images again.
  using torch::indexing::Slice;
  torch::Tensor closed = torch::cat({x, x.slice(2, 0, 1)}, 2);
  closed = torch::cat({closed, closed.slice(3, 0, 1)}, 3);
  closed = torch::cat({closed, closed.slice(4, 0, 1)}, 4);
  const int64_t m = factor * n + 1;
  const torch::Tensor fine =
      torch::nn::functional::interpolate(closed, torch::nn::functional::InterpolateFuncOptions()
                                                     .size(std::vector<int64_t>{m, m, m})
                                                     .mode(torch::kTrilinear)
                                                     .align_corners(true));
  return fine.index({Slice(), Slice(), Slice(0, m - 1), Slice(0, m - 1), Slice(0, m - 1)});
}

torch::Tensor space_to_depth(const torch::Tensor& fine, int64_t f) {
  if (fine.dim() != 5 || f < 1 || fine.size(2) % f != 0) {
    throw std::invalid_argument("space_to_depth: fine must be [B, C, f N, f N, f N]");
  }
  const int64_t b = fine.size(0), c = fine.size(1), n = fine.size(2) / f;
  return fine.reshape({b, c, n, f, n, f, n, f})
      .permute({0, 1, 3, 5, 7, 2, 4, 6})
      .reshape({b, c * f * f * f, n, n, n});
}

torch::Tensor depth_to_space(const torch::Tensor& coarse, int64_t f) {
  if (coarse.dim() != 5 || f < 1 || coarse.size(1) % (f * f * f) != 0) {
    throw std::invalid_argument("depth_to_space: coarse must be [B, C f^3, N, N, N]");
  }
  const int64_t b = coarse.size(0), c = coarse.size(1) / (f * f * f), n = coarse.size(2);
  return coarse.reshape({b, c, f, f, f, n, n, n})
      .permute({0, 1, 5, 2, 6, 3, 7, 4})
      .reshape({b, c, f * n, f * n, f * n});
}

SuperResImpl::SuperResImpl(const SuperResOptions& options_) : options(options_) {
  const auto& o = options;
  const int64_t f = o.factor();
  if (!(o.box_size() > 0) || o.particles() < 1 || !(o.a() > 0) || !(o.disp_scale() > 0) ||
      !(o.mom_scale() > 0) || o.depth() < 0 || o.lr_channels() < 1 || o.hr_channels() < 1) {
    throw std::invalid_argument(
        "SuperRes: box_size, particles, a, disp_scale, mom_scale and channels must be "
        "positive, depth non-negative");
  }
  if (f != 2 && f != 4 && f != 8) {
    throw std::invalid_argument("SuperRes: factor " + std::to_string(f) +
                                " is not allowed (2, 4 or 8)");
  }
  const int64_t sub = o.hr_channels() * f * f * f;
  unet_ = register_module("unet", UNet3d(UNet3dOptions()
                                             .in_channels(6)
                                             .out_channels(o.lr_channels())
                                             .depth(o.depth())
                                             .base_channels(o.lr_channels())));
  up_ = register_module("up", PeriodicConv3d(PeriodicConvOptions(o.lr_channels(), sub, 3)));
  mix_ = register_module("mix", PeriodicConv3d(PeriodicConvOptions(sub, sub, 1)));
  noise1_ = register_module("noise1", NoiseInjection(o.hr_channels()));
  noise2_ = register_module("noise2", NoiseInjection(o.hr_channels()));
  head_ = register_module("head", torch::nn::Linear(o.hr_channels(), 6));
  {
    // The residual starts at zero: an untrained model is the interpolated coarse field.
    torch::NoGradGuard no_grad;
    for (auto& p : head_->parameters()) p.zero_();
  }
  const double s[6] = {o.disp_scale(), o.disp_scale(), o.disp_scale(),
                       o.mom_scale(),  o.mom_scale(),  o.mom_scale()};
  scale_ = register_buffer(
      "scale", torch::tensor(std::vector<double>(s, s + 6), torch::kFloat32).view({1, 6, 1, 1, 1}));
}

int64_t SuperResImpl::noise_channels() const { return 2; }

torch::Tensor SuperResImpl::make_noise(int64_t batch, int64_t n, uint64_t seed) const {
  const int64_t m = options.factor() * n;
  at::Generator gen = at::detail::createCPUGenerator(seed);
  return torch::randn({batch, noise_channels(), m, m, m}, gen, torch::kFloat32);
}

torch::Tensor SuperResImpl::forward(const torch::Tensor& x, const torch::Tensor& noise) {
  if (x.dim() != 5 || x.size(1) != 6) {
    throw std::invalid_argument("SuperRes: expected x of shape [B, 6, N, N, N]");
  }
  const int64_t f = options.factor(), n = x.size(2), b = x.size(0), c = options.hr_channels();
  if (noise.defined() && (noise.dim() != 5 || noise.size(0) != b ||
                          noise.size(1) != noise_channels() || noise.size(2) != f * n)) {
    throw std::invalid_argument("SuperRes: noise must be [B, 2, f N, f N, f N]");
  }
  const torch::Tensor s = scale_.to(x.scalar_type());
  // Sub-pixel layout [B, C, f^3, N, N, N]: feature c of fine point (f i + o) at (c, o, i).
  const std::vector<int64_t> sub_shape = {b, c, f * f * f, n, n, n};
  torch::Tensor nz;
  if (noise.defined())
    nz = space_to_depth(noise.to(x.scalar_type()), f).view({b, 2, f * f * f, n, n, n});
  auto inject = [&](const torch::Tensor& h, NoiseInjection& layer, int64_t k) {
    const torch::Tensor v = h.view(sub_shape);
    if (!nz.defined()) return torch::leaky_relu(v, 0.2);
    return torch::leaky_relu(layer->forward(v, nz.select(1, k).unsqueeze(1)), 0.2);
  };
  torch::Tensor h = unet_->forward(x / s);
  h = inject(up_->forward(h), noise1_, 0).reshape({b, -1, n, n, n});
  h = inject(mix_->forward(h), noise2_, 1).reshape({b, -1, n, n, n});
  // Fine lattice, then the per-point linear head.
  h = depth_to_space(h, f).permute({0, 2, 3, 4, 1});
  return upsample_lattice(x, f) + s * head_->forward(h).permute({0, 4, 1, 2, 3});
}

int64_t SuperResImpl::receptive_radius() const {
  // The U-Net, then one 3^3 convolution on the coarse lattice (the interpolation reaches 1).
  return unet_->receptive_radius() + 1;
}

ModelHeader SuperResImpl::header() const {
  ModelHeader h;
  h.set("model", "superres");
  h.set("box_size", options.box_size());
  h.set("particles", options.particles());
  h.set("factor", options.factor());
  h.set("a", options.a());
  h.set("disp_scale", options.disp_scale());
  h.set("mom_scale", options.mom_scale());
  h.set("depth", options.depth());
  h.set("lr_channels", options.lr_channels());
  h.set("hr_channels", options.hr_channels());
  h.set("omega_m", options.omega_m());
  h.set("sigma8", options.sigma8());
  return h;
}

void save_superres(const std::string& path, SuperRes& model, ModelHeader extra) {
  const ModelHeader arch = model->header();
  for (const auto& [key, value] : arch.values()) extra.set(key, value);
  save_model(path, *model, std::move(extra));
}

SuperRes build_superres(const ModelHeader& h) {
  return SuperRes(SuperResOptions()
                      .box_size(h.get_double("box_size"))
                      .particles(h.get_int("particles"))
                      .factor(h.get_int("factor"))
                      .a(h.get_double("a"))
                      .disp_scale(h.get_double("disp_scale"))
                      .mom_scale(h.get_double("mom_scale"))
                      .depth(h.get_int("depth"))
                      .lr_channels(h.get_int("lr_channels"))
                      .hr_channels(h.get_int("hr_channels"))
                      .omega_m(h.get_double("omega_m"))
                      .sigma8(h.get_double("sigma8")));
}

SuperRes load_superres(const std::string& path, ModelHeader* header) {
  LoadedModel m = load_model(path);
  if (m.header.get("model") != "superres") {
    throw std::runtime_error(path + ": model = " + m.header.get("model") + ", not superres");
  }
  if (header != nullptr) *header = m.header;
  return SuperRes(std::dynamic_pointer_cast<SuperResImpl>(m.module));
}

torch::Tensor superres_patched(SuperRes& model, const torch::Tensor& x, const torch::Tensor& noise,
                               int64_t patch, int64_t pad,
                               const std::function<void(int64_t, int64_t)>& progress) {
  const int64_t al = model->alignment();
  if (x.dim() != 4 || x.size(0) != 6) {
    throw std::invalid_argument("superres_patched: x must have shape (6, N, N, N)");
  }
  if (pad < 0) pad = (model->receptive_radius() + al - 1) / al * al;
  const PatchFunction fn = [&](const torch::Tensor& block, const torch::Tensor& nz) {
    return model->forward(block.unsqueeze(0), nz.defined() ? nz.unsqueeze(0) : nz).squeeze(0);
  };
  return apply_patched(fn, x, noise, model->options.factor(), patch, pad, al, progress);
}

}  // namespace cosmograd::nn
