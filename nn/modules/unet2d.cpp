#include "nn/modules/unet2d.hpp"

#include <torch/nn/functional/dropout.h>
#include <torch/nn/functional/pooling.h>
#include <torch/nn/functional/upsampling.h>
#include <torch/nn/modules/activation.h>
#include <torch/nn/modules/normalization.h>

#include <stdexcept>
#include <string>

namespace cosmograd::nn {
namespace {

void require_option(bool ok, const std::string& name, double value, const std::string& allowed) {
  if (!ok)
    throw std::invalid_argument("UNet2d option " + name + " = " + std::to_string(value) +
                                ": must be " + allowed);
}

}  // namespace

torch::nn::Sequential UNet2dImpl::block(int64_t in, int64_t out) {
  torch::nn::Sequential s;
  for (int64_t c : {in, out}) {
    s->push_back(torch::nn::Conv2d(torch::nn::Conv2dOptions(c, out, 3).padding(1)));
    if (options.norm_groups() > 0)
      s->push_back(torch::nn::GroupNorm(torch::nn::GroupNormOptions(options.norm_groups(), out)));
    s->push_back(torch::nn::LeakyReLU(
        torch::nn::LeakyReLUOptions().negative_slope(options.negative_slope())));
  }
  return s;
}

UNet2dImpl::UNet2dImpl(const UNet2dOptions& o) : options(o) {
  require_option(o.in_channels() >= 1, "in_channels", o.in_channels(), ">= 1");
  require_option(o.out_channels() >= 1, "out_channels", o.out_channels(), ">= 1");
  require_option(o.depth() >= 0 && o.depth() <= 6, "depth", o.depth(), "in [0, 6]");
  require_option(o.base_channels() >= 1, "base_channels", o.base_channels(), ">= 1");
  require_option(
      o.norm_groups() >= 0 && (o.norm_groups() == 0 || o.base_channels() % o.norm_groups() == 0),
      "norm_groups", o.norm_groups(),
      "0 or a divisor of base_channels = " + std::to_string(o.base_channels()));
  require_option(o.dropout() >= 0 && o.dropout() < 1, "dropout", o.dropout(), "in [0, 1)");
  for (int64_t l = 0; l <= o.depth(); ++l)
    encoders_->push_back(block(l == 0 ? o.in_channels() : channels(l - 1), channels(l)));
  for (int64_t l = 0; l < o.depth(); ++l) {
    ups_->push_back(
        torch::nn::Conv2d(torch::nn::Conv2dOptions(channels(l + 1), channels(l), 3).padding(1)));
    decoders_->push_back(block(2 * channels(l), channels(l)));
  }
  head_ = torch::nn::Conv2d(torch::nn::Conv2dOptions(channels(0), o.out_channels(), 1));
  register_module("encoders", encoders_);
  register_module("ups", ups_);
  register_module("decoders", decoders_);
  register_module("head", head_);
}

torch::Tensor UNet2dImpl::forward(const torch::Tensor& x) {
  const int64_t m = int64_t{1} << options.depth();
  if (x.dim() != 4 || x.size(1) != options.in_channels() || x.size(2) % m != 0 ||
      x.size(3) % m != 0 || x.size(2) == 0 || x.size(3) == 0)
    throw std::invalid_argument(
        "UNet2d input shape " + c10::str(x.sizes()) + ": must be [N, " +
        std::to_string(options.in_channels()) +
        ", H, W] with H and W non-zero multiples of 2^depth = " + std::to_string(m));
  namespace F = torch::nn::functional;
  std::vector<torch::Tensor> skips;
  torch::Tensor h = x;
  for (int64_t l = 0; l <= options.depth(); ++l) {
    h = encoders_[l]->as<torch::nn::Sequential>()->forward(h);
    if (l < options.depth()) {
      skips.push_back(h);
      h = F::max_pool2d(h, F::MaxPool2dFuncOptions(2));
    }
  }
  for (int64_t l = options.depth() - 1; l >= 0; --l) {
    h = F::interpolate(h, F::InterpolateFuncOptions()
                              .scale_factor(std::vector<double>{2.0, 2.0})
                              .mode(torch::kNearest));
    h = ups_[l]->as<torch::nn::Conv2d>()->forward(h);
    h = torch::cat({h, skips[static_cast<std::size_t>(l)]}, 1);
    if (options.dropout() > 0)
      h = F::dropout(h, F::DropoutFuncOptions().p(options.dropout()).training(is_training()));
    h = decoders_[l]->as<torch::nn::Sequential>()->forward(h);
  }
  return head_->forward(h);
}

}  // namespace cosmograd::nn
