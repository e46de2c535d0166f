#include "nn/modules/conv.hpp"

#include <torch/nn/functional/padding.h>

#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

namespace cosmograd::nn {

namespace {

void check_options(const PeriodicConvOptions& o, const char* who) {
  if (o.kernel_size() < 1 || o.kernel_size() % 2 == 0) {
    throw std::invalid_argument(std::string(who) + ": kernel_size must be odd and positive, got " +
                                std::to_string(o.kernel_size()));
  }
  if (o.stride() != 1 && o.stride() != 2) {
    throw std::invalid_argument(std::string(who) + ": stride must be 1 or 2, got " +
                                std::to_string(o.stride()));
  }
  if (o.in_channels() < 1 || o.out_channels() < 1) {
    throw std::invalid_argument(std::string(who) + ": channel counts must be positive");
  }
}

void check_input(const torch::Tensor& x, const PeriodicConvOptions& o, int64_t spatial_dims,
                 const char* who) {
  if (x.dim() != spatial_dims + 2 || x.size(1) != o.in_channels()) {
    throw std::invalid_argument(
        std::string(who) + ": expected input [N, " + std::to_string(o.in_channels()) + ", <" +
        std::to_string(spatial_dims) + " spatial dims>], got " + std::to_string(x.dim()) +
        " dims with " + (x.dim() > 1 ? std::to_string(x.size(1)) : std::string("?")) + " channels");
  }
  if (o.stride() == 2) {
    for (int64_t d = 2; d < x.dim(); ++d) {
      if (x.size(d) % 2 != 0) {
        throw std::invalid_argument(std::string(who) +
                                    ": stride 2 needs even spatial sizes, got size " +
                                    std::to_string(x.size(d)) + " in dim " + std::to_string(d));
      }
    }
  }
}

}  // namespace

torch::Tensor periodic_pad(const torch::Tensor& x, int64_t pad, int64_t spatial_dims) {
  if (pad == 0) return x;
  if (x.dim() != spatial_dims + 2) {
    throw std::invalid_argument("periodic_pad: expected [N, C] + " + std::to_string(spatial_dims) +
                                " spatial dims, got " + std::to_string(x.dim()) + " dims");
  }
  for (int64_t d = 2; d < x.dim(); ++d) {
    if (x.size(d) < pad) {
      throw std::invalid_argument("periodic_pad: pad " + std::to_string(pad) +
                                  " exceeds spatial size " + std::to_string(x.size(d)));
    }
  }
  namespace F = torch::nn::functional;
  const std::vector<int64_t> pads(static_cast<size_t>(2 * spatial_dims), pad);
  return F::pad(x, F::PadFuncOptions(pads).mode(torch::kCircular));
}

PeriodicConv3dImpl::PeriodicConv3dImpl(const PeriodicConvOptions& options_) : options(options_) {
  check_options(options, "PeriodicConv3d");
  reset_parameters();
}

void PeriodicConv3dImpl::reset_parameters() {
  if (conv) unregister_module("conv");
  conv = register_module("conv", torch::nn::Conv3d(torch::nn::Conv3dOptions(options.in_channels(),
                                                                            options.out_channels(),
                                                                            options.kernel_size())
                                                       .stride(options.stride())
                                                       .padding(0)
                                                       .bias(options.bias())));
}

torch::Tensor PeriodicConv3dImpl::forward(const torch::Tensor& x) {
  check_input(x, options, 3, "PeriodicConv3d");
  return conv->forward(periodic_pad(x, options.kernel_size() / 2, 3));
}

PeriodicConv2dImpl::PeriodicConv2dImpl(const PeriodicConvOptions& options_) : options(options_) {
  check_options(options, "PeriodicConv2d");
  reset_parameters();
}

void PeriodicConv2dImpl::reset_parameters() {
  if (conv) unregister_module("conv");
  conv = register_module("conv", torch::nn::Conv2d(torch::nn::Conv2dOptions(options.in_channels(),
                                                                            options.out_channels(),
                                                                            options.kernel_size())
                                                       .stride(options.stride())
                                                       .padding(0)
                                                       .bias(options.bias())));
}

torch::Tensor PeriodicConv2dImpl::forward(const torch::Tensor& x) {
  check_input(x, options, 2, "PeriodicConv2d");
  return conv->forward(periodic_pad(x, options.kernel_size() / 2, 2));
}

}  // namespace cosmograd::nn

namespace cosmograd::nn {

StyleConv3dImpl::StyleConv3dImpl(const StyleConv3dOptions& options_) : options(options_) {
  const auto& o = options;
  if (o.kernel_size() < 1 || o.kernel_size() % 2 == 0) {
    throw std::invalid_argument("StyleConv3d: kernel_size must be odd and positive, got " +
                                std::to_string(o.kernel_size()));
  }
  if (o.in_channels() < 1 || o.out_channels() < 1 || o.style_size() < 1) {
    throw std::invalid_argument("StyleConv3d: channel counts and style_size must be positive");
  }
  reset_parameters();
}

void StyleConv3dImpl::reset_parameters() {
  const auto& o = options;
  const int64_t k = o.kernel_size();
  if (affine) unregister_module("affine");
  affine = register_module("affine", torch::nn::Linear(o.style_size(), o.in_channels()));
  {
    torch::NoGradGuard no_grad;
    affine->bias.fill_(1.0);
  }
  // Kaiming-uniform with gain 1 over fan_in = C_in k^3 (demodulation removes the overall scale).
  const double bound = 1.0 / std::sqrt(static_cast<double>(o.in_channels() * k * k * k));
  weight = register_parameter(
      "weight", torch::empty({o.out_channels(), o.in_channels(), k, k, k}).uniform_(-bound, bound));
  if (o.bias()) bias = register_parameter("bias", torch::zeros({o.out_channels()}));
}

torch::Tensor StyleConv3dImpl::modulated_weight(const torch::Tensor& style) {
  if (style.dim() != 2 || style.size(1) != options.style_size()) {
    throw std::invalid_argument("StyleConv3d: expected style [N, " +
                                std::to_string(options.style_size()) + "], got " +
                                std::to_string(style.dim()) + " dims");
  }
  const auto scale = affine->forward(style);                                   // [N, C_in]
  auto w = weight.unsqueeze(0) * scale.view({scale.size(0), 1, -1, 1, 1, 1});  // [N,Co,Ci,k,k,k]
  if (options.demodulate()) {
    w = w * torch::rsqrt(w.pow(2).sum({2, 3, 4, 5}, /*keepdim=*/true) + options.eps());
  }
  return w;
}

torch::Tensor StyleConv3dImpl::forward(const torch::Tensor& x, const torch::Tensor& style) {
  const auto& o = options;
  if (x.dim() != 5 || x.size(1) != o.in_channels()) {
    throw std::invalid_argument("StyleConv3d: expected input [N, " +
                                std::to_string(o.in_channels()) + ", D, H, W]");
  }
  if (style.dim() != 2 || style.size(0) != x.size(0)) {
    throw std::invalid_argument("StyleConv3d: style must be [N, S] with the batch size of x");
  }
  const int64_t n = x.size(0);
  const int64_t k = o.kernel_size();
  const auto w = modulated_weight(style).reshape({n * o.out_channels(), o.in_channels(), k, k, k});
  // Grouped convolution: one group per sample, each with its own weight.
  const auto xp = periodic_pad(x, k / 2, 3)
                      .reshape({1, n * o.in_channels(), x.size(2) + k - 1, x.size(3) + k - 1,
                                x.size(4) + k - 1});
  const std::vector<int64_t> ones = {1, 1, 1};
  const std::vector<int64_t> zeros = {0, 0, 0};
  auto y = torch::conv3d(xp, w, /*bias=*/torch::Tensor(), /*stride=*/ones, /*padding=*/zeros,
                         /*dilation=*/ones, /*groups=*/n);
  y = y.view({n, o.out_channels(), x.size(2), x.size(3), x.size(4)});
  if (bias.defined()) y = y + bias.view({1, -1, 1, 1, 1});
  return y;
}

}  // namespace cosmograd::nn
