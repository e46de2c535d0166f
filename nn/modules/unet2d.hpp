// A 2D U-Net (Ronneberger et al. 2015) for images with zero-padded borders: per-pixel
// segmentation, detection heatmaps and image restoration.
#pragma once

#include <torch/arg.h>
#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

#include <cstdint>

namespace cosmograd::nn {

/// Options of UNet2d.
struct UNet2dOptions {
  /// Input channels C_in (e.g. bands).
  TORCH_ARG(int64_t, in_channels) = 1;
  /// Output channels C_out (e.g. logits or restored bands).
  TORCH_ARG(int64_t, out_channels) = 1;
  /// Number of 2x downsamplings; H and W must be multiples of 2^depth.
  TORCH_ARG(int64_t, depth) = 3;
  /// Channels at the finest level; level l has base_channels * 2^l.
  TORCH_ARG(int64_t, base_channels) = 16;
  /// Groups of the group normalisation after each convolution (Wu & He 2018); 0: none. Must
  /// divide every level's channel count.
  TORCH_ARG(int64_t, norm_groups) = 4;
  /// Dropout probability before each decoder block (MC dropout when kept on at inference).
  TORCH_ARG(double, dropout) = 0.0;
  /// Slope of the leaky ReLUs.
  TORCH_ARG(double, negative_slope) = 0.1;
};

/// U-Net on [N, C_in, H, W] -> [N, C_out, H, W]: per level two 3x3 convolutions (zero padding,
/// group norm, leaky ReLU), 2x2 max pooling down, nearest 2x upsampling then a 3x3 convolution
/// up, skip connections concatenating channels, a 1x1 convolution head.
class UNet2dImpl : public torch::nn::Module {
 public:
  /// Builds the network; throws std::invalid_argument naming a bad option.
  explicit UNet2dImpl(const UNet2dOptions& options = {});
  /// x: [N, C_in, H, W] with H and W multiples of 2^depth; throws std::invalid_argument
  /// naming the shape otherwise.
  torch::Tensor forward(const torch::Tensor& x);
  /// Channels at level l (0 = finest).
  int64_t channels(int64_t level) const { return options.base_channels() << level; }
  /// The options this module was built with.
  UNet2dOptions options;

 private:
  torch::nn::Sequential block(int64_t in, int64_t out);
  torch::nn::ModuleList encoders_;  // blocks per level 0..depth (depth = bottleneck)
  torch::nn::ModuleList ups_;       // 3x3 conv c_{l+1} -> c_l per level 0..depth-1
  torch::nn::ModuleList decoders_;  // blocks 2 c_l -> c_l per level 0..depth-1
  torch::nn::Conv2d head_{nullptr};
};

/// Module holder of UNet2dImpl.
TORCH_MODULE(UNet2d);

}  // namespace cosmograd::nn
