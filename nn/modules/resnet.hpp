// A small image ResNet (He et al. 2016) with basic blocks, for maps such as convergence maps.
#pragma once

#include <torch/arg.h>
#include <torch/nn/module.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

#include <cstdint>
#include <vector>

namespace cosmograd::nn {

/// ResNet basic block (He et al. 2016, fig. 2): conv3-BN-ReLU-conv3-BN plus shortcut, ReLU;
/// [N, C_in, H, W] -> [N, C_out, H/s, W/s] (zero padding; a 1x1 conv+BN shortcut when the
/// shape changes).
class BasicBlock2dImpl : public torch::nn::Module {
 public:
  /// Channels in and out, stride s (1 or 2).
  BasicBlock2dImpl(int64_t in_channels, int64_t out_channels, int64_t stride = 1);
  /// x: [N, C_in, H, W] floating.
  torch::Tensor forward(const torch::Tensor& x);

 private:
  torch::nn::Conv2d conv1_{nullptr};
  torch::nn::BatchNorm2d bn1_{nullptr};
  torch::nn::Conv2d conv2_{nullptr};
  torch::nn::BatchNorm2d bn2_{nullptr};
  torch::nn::Sequential shortcut_{nullptr};
};
/// Module holder of BasicBlock2dImpl.
TORCH_MODULE(BasicBlock2d);

/// Options of ResNet2d.
struct ResNet2dOptions {
  /// Input image channels C_in.
  TORCH_ARG(int64_t, in_channels) = 1;
  /// Output features F_out of the linear head (classes or regressed parameters).
  TORCH_ARG(int64_t, out_features) = 2;
  /// Channels of each stage; every stage after the first halves the resolution.
  TORCH_ARG(std::vector<int64_t>, stage_channels) = std::vector<int64_t>{16, 32, 64};
  /// Basic blocks per stage.
  TORCH_ARG(int64_t, blocks_per_stage) = 2;
};

/// Small ResNet: conv3-BN-ReLU stem, stages of basic blocks, global average pool, linear head;
/// [N, C_in, H, W] -> [N, F_out].
class ResNet2dImpl : public torch::nn::Module {
 public:
  /// Builds the network; throws std::invalid_argument for empty stages or non-positive sizes.
  explicit ResNet2dImpl(const ResNet2dOptions& options = {});
  /// x: [N, C_in, H, W] floating.
  torch::Tensor forward(const torch::Tensor& x);

  /// The options this module was built with.
  ResNet2dOptions options;

 private:
  torch::nn::Sequential stem_{nullptr};
  torch::nn::Sequential stages_{nullptr};
  torch::nn::Linear head_{nullptr};
};
/// Module holder of ResNet2dImpl.
TORCH_MODULE(ResNet2d);

}  // namespace cosmograd::nn
