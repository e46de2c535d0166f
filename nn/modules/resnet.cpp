#include "nn/modules/resnet.hpp"

#include <stdexcept>
#include <string>

namespace cosmograd::nn {

namespace {

torch::nn::Conv2d conv3x3(int64_t in, int64_t out, int64_t stride) {
  return torch::nn::Conv2d(
      torch::nn::Conv2dOptions(in, out, 3).stride(stride).padding(1).bias(false));
}

}  // namespace

BasicBlock2dImpl::BasicBlock2dImpl(int64_t in_channels, int64_t out_channels, int64_t stride) {
  if (in_channels < 1 || out_channels < 1 || (stride != 1 && stride != 2)) {
    throw std::invalid_argument("BasicBlock2d: channels must be positive and stride 1 or 2");
  }
  conv1_ = register_module("conv1", conv3x3(in_channels, out_channels, stride));
  bn1_ = register_module("bn1", torch::nn::BatchNorm2d(out_channels));
  conv2_ = register_module("conv2", conv3x3(out_channels, out_channels, 1));
  bn2_ = register_module("bn2", torch::nn::BatchNorm2d(out_channels));
  if (stride != 1 || in_channels != out_channels) {
    shortcut_ = register_module(
        "shortcut",
        torch::nn::Sequential(
            torch::nn::Conv2d(
                torch::nn::Conv2dOptions(in_channels, out_channels, 1).stride(stride).bias(false)),
            torch::nn::BatchNorm2d(out_channels)));
  }
}

torch::Tensor BasicBlock2dImpl::forward(const torch::Tensor& x) {
  auto h = torch::relu(bn1_->forward(conv1_->forward(x)));
  h = bn2_->forward(conv2_->forward(h));
  return torch::relu(h + (shortcut_ ? shortcut_->forward(x) : x));
}

ResNet2dImpl::ResNet2dImpl(const ResNet2dOptions& options_) : options(options_) {
  const auto& o = options;
  const auto& chans = o.stage_channels();
  if (chans.empty() || o.blocks_per_stage() < 1 || o.in_channels() < 1 || o.out_features() < 1) {
    throw std::invalid_argument(
        "ResNet2d: need at least one stage, one block per stage and positive sizes");
  }
  stem_ = register_module(
      "stem", torch::nn::Sequential(conv3x3(o.in_channels(), chans[0], 1),
                                    torch::nn::BatchNorm2d(chans[0]), torch::nn::ReLU()));
  stages_ = torch::nn::Sequential();
  int64_t in = chans[0];
  for (size_t s = 0; s < chans.size(); ++s) {
    for (int64_t b = 0; b < o.blocks_per_stage(); ++b) {
      const int64_t stride = (s > 0 && b == 0) ? 2 : 1;
      stages_->push_back(BasicBlock2d(in, chans[s], stride));
      in = chans[s];
    }
  }
  register_module("stages", stages_);
  head_ = register_module("head", torch::nn::Linear(in, o.out_features()));
}

torch::Tensor ResNet2dImpl::forward(const torch::Tensor& x) {
  if (x.dim() != 4 || x.size(1) != options.in_channels()) {
    throw std::invalid_argument("ResNet2d: expected input [N, " +
                                std::to_string(options.in_channels()) + ", H, W]");
  }
  const auto h = stages_->forward(stem_->forward(x));
  return head_->forward(h.mean({2, 3}));
}

}  // namespace cosmograd::nn
