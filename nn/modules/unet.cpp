#include "nn/modules/unet.hpp"

#include <stdexcept>
#include <string>
#include <vector>

namespace cosmograd::nn {

ConvBlock3dImpl::ConvBlock3dImpl(const ConvBlock3dOptions& options_) : options(options_) {
  const auto& o = options;
  if (o.style_size() > 0) {
    style1_ =
        register_module("style1", StyleConv3d(StyleConv3dOptions(o.in_channels(), o.out_channels(),
                                                                 o.style_size(), o.kernel_size())));
    style2_ =
        register_module("style2", StyleConv3d(StyleConv3dOptions(o.out_channels(), o.out_channels(),
                                                                 o.style_size(), o.kernel_size())));
  } else {
    conv1_ = register_module("conv1", PeriodicConv3d(PeriodicConvOptions(
                                          o.in_channels(), o.out_channels(), o.kernel_size())));
    conv2_ = register_module("conv2", PeriodicConv3d(PeriodicConvOptions(
                                          o.out_channels(), o.out_channels(), o.kernel_size())));
  }
}

torch::Tensor ConvBlock3dImpl::forward(const torch::Tensor& x, const torch::Tensor& style) {
  const double slope = options.negative_slope();
  if (options.style_size() > 0) {
    if (!style.defined()) {
      throw std::invalid_argument("ConvBlock3d: built with style_size " +
                                  std::to_string(options.style_size()) +
                                  " but called without a style tensor");
    }
    auto h = torch::leaky_relu(style1_->forward(x, style), slope);
    return torch::leaky_relu(style2_->forward(h, style), slope);
  }
  auto h = torch::leaky_relu(conv1_->forward(x), slope);
  return torch::leaky_relu(conv2_->forward(h), slope);
}

UNet3dImpl::UNet3dImpl(const UNet3dOptions& options_) : options(options_) {
  const auto& o = options;
  if (o.in_channels() < 1 || o.out_channels() < 1 || o.depth() < 0 || o.base_channels() < 1 ||
      o.channel_multiplier() < 1 || o.style_size() < 0) {
    throw std::invalid_argument(
        "UNet3d: channels, base_channels and channel_multiplier must be positive, depth and "
        "style_size non-negative");
  }
  auto block = [&](int64_t in, int64_t out) {
    return ConvBlock3d(ConvBlock3dOptions(in, out)
                           .kernel_size(o.kernel_size())
                           .style_size(o.style_size())
                           .negative_slope(o.negative_slope()));
  };
  const bool strided = o.downsample() == UNetDownsample::strided_conv;
  for (int64_t l = 0; l <= o.depth(); ++l) {
    int64_t in = o.in_channels();
    if (l > 0) in = strided ? channels(l) : channels(l - 1);
    encoders_->push_back(block(in, channels(l)));
  }
  for (int64_t l = 0; l < o.depth(); ++l) {
    if (strided) {
      downs_->push_back(
          PeriodicConv3d(PeriodicConvOptions(channels(l), channels(l + 1), 3).stride(2)));
    }
    ups_->push_back(PeriodicConv3d(PeriodicConvOptions(channels(l + 1), channels(l), 3)));
    decoders_->push_back(block(2 * channels(l), channels(l)));
  }
  register_module("encoders", encoders_);
  if (strided) register_module("downs", downs_);
  register_module("ups", ups_);
  register_module("decoders", decoders_);
  head_ = register_module("head",
                          PeriodicConv3d(PeriodicConvOptions(channels(0), o.out_channels(), 1)));
}

int64_t UNet3dImpl::receptive_radius() const {
  const int64_t h = options.kernel_size() / 2;
  int64_t r = 0;
  for (int64_t l = 0; l < options.depth(); ++l) r += (6 * h + 1) * (int64_t{1} << l);
  return r + 2 * h * (int64_t{1} << options.depth());
}

int64_t UNet3dImpl::channels(int64_t level) const {
  int64_t c = options.base_channels();
  for (int64_t l = 0; l < level; ++l) c *= options.channel_multiplier();
  return c;
}

torch::Tensor UNet3dImpl::forward(const torch::Tensor& x, const torch::Tensor& style) {
  const auto& o = options;
  if (x.dim() != 5 || x.size(1) != o.in_channels()) {
    throw std::invalid_argument("UNet3d: expected input [N, " + std::to_string(o.in_channels()) +
                                ", D, H, W], got " + std::to_string(x.dim()) + " dims");
  }
  const int64_t factor = int64_t{1} << o.depth();
  for (int64_t d = 2; d < 5; ++d) {
    if (x.size(d) % factor != 0) {
      throw std::invalid_argument("UNet3d: spatial size " + std::to_string(x.size(d)) +
                                  " is not a multiple of 2^depth = " + std::to_string(factor));
    }
  }
  const bool strided = o.downsample() == UNetDownsample::strided_conv;
  const double slope = o.negative_slope();
  std::vector<torch::Tensor> skips;
  torch::Tensor h = x;
  for (int64_t l = 0; l < o.depth(); ++l) {
    h = encoders_->ptr<ConvBlock3dImpl>(l)->forward(h, style);
    skips.push_back(h);
    if (strided) {
      h = torch::leaky_relu(downs_->ptr<PeriodicConv3dImpl>(l)->forward(h), slope);
    } else {
      h = torch::avg_pool3d(h, 2);
    }
  }
  h = encoders_->ptr<ConvBlock3dImpl>(o.depth())->forward(h, style);
  for (int64_t l = o.depth() - 1; l >= 0; --l) {
    // Nearest-neighbour upsampling: a coarse shift by one cell is a fine shift by two.
    h = h.repeat_interleave(2, 2).repeat_interleave(2, 3).repeat_interleave(2, 4);
    h = torch::leaky_relu(ups_->ptr<PeriodicConv3dImpl>(l)->forward(h), slope);
    h = torch::cat({h, skips[static_cast<size_t>(l)]}, 1);
    h = decoders_->ptr<ConvBlock3dImpl>(l)->forward(h, style);
  }
  return head_->forward(h);
}

}  // namespace cosmograd::nn
