// A periodic 3D U-Net (Ronneberger et al. 2015) for fields on a periodic box, optionally
// conditioned on a style vector (map2map, Jamieson et al. 2022).
#pragma once

#include <torch/arg.h>
#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

#include <cstdint>

#include "nn/modules/conv.hpp"

namespace cosmograd::nn {

/// How UNet3d halves the resolution between levels.
enum class UNetDownsample {
  strided_conv,  ///< periodic 3^3 convolution with stride 2, then the activation
  avg_pool,      ///< 2^3 average pooling (no parameters)
};

/// Options of ConvBlock3d.
struct ConvBlock3dOptions {
  /// Channels in and out of the block.
  ConvBlock3dOptions(int64_t in_channels, int64_t out_channels)
      : in_channels_(in_channels), out_channels_(out_channels) {}
  /// Input channels C_in.
  TORCH_ARG(int64_t, in_channels);
  /// Output channels C_out.
  TORCH_ARG(int64_t, out_channels);
  /// Odd kernel edge of both convolutions.
  TORCH_ARG(int64_t, kernel_size) = 3;
  /// Style length S; 0 uses PeriodicConv3d, > 0 uses StyleConv3d for both convolutions.
  TORCH_ARG(int64_t, style_size) = 0;
  /// Slope of the leaky ReLU after each convolution.
  TORCH_ARG(double, negative_slope) = 0.2;
};

/// Two periodic (or style-modulated) convolutions, each followed by a leaky ReLU:
/// [N, C_in, D, H, W] (+ style [N, S]) -> [N, C_out, D, H, W].
class ConvBlock3dImpl : public torch::nn::Module {
 public:
  /// Builds the block.
  explicit ConvBlock3dImpl(const ConvBlock3dOptions& options);
  /// x: [N, C_in, D, H, W]; style: [N, S], required iff options.style_size() > 0.
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& style = {});

  /// The options this module was built with.
  ConvBlock3dOptions options;

 private:
  PeriodicConv3d conv1_{nullptr};
  PeriodicConv3d conv2_{nullptr};
  StyleConv3d style1_{nullptr};
  StyleConv3d style2_{nullptr};
};
/// Module holder of ConvBlock3dImpl.
TORCH_MODULE(ConvBlock3d);

/// Options of UNet3d.
struct UNet3dOptions {
  /// Input channels C_in (e.g. 3 displacement components).
  TORCH_ARG(int64_t, in_channels) = 1;
  /// Output channels C_out.
  TORCH_ARG(int64_t, out_channels) = 1;
  /// Number of downsamplings; every spatial size must be a multiple of 2^depth.
  TORCH_ARG(int64_t, depth) = 2;
  /// Channels at the finest level; level l has base_channels * channel_multiplier^l.
  TORCH_ARG(int64_t, base_channels) = 16;
  /// Channel growth factor per level.
  TORCH_ARG(int64_t, channel_multiplier) = 2;
  /// Odd kernel edge of the block convolutions.
  TORCH_ARG(int64_t, kernel_size) = 3;
  /// How to downsample.
  TORCH_ARG(UNetDownsample, downsample) = UNetDownsample::strided_conv;
  /// Style length S; 0 is unconditioned, > 0 makes every block convolution a StyleConv3d.
  TORCH_ARG(int64_t, style_size) = 0;
  /// Slope of the leaky ReLUs.
  TORCH_ARG(double, negative_slope) = 0.2;
};

/// Periodic 3D U-Net: [N, C_in, D, H, W] (+ style [N, S]) -> [N, C_out, D, H, W].
/// Down: stride-2 periodic conv or 2^3 average pool; up: nearest-neighbour 2x upsampling
/// then a periodic 3^3 conv; skip connections concatenate channels. Every operation commutes
/// with periodic shifts by multiples of its stride, so the network is exactly equivariant
/// under periodic shifts by multiples of 2^depth cells.
class UNet3dImpl : public torch::nn::Module {
 public:
  /// Builds the network; throws std::invalid_argument for non-positive sizes.
  explicit UNet3dImpl(const UNet3dOptions& options = {});
  /// x: [N, C_in, D, H, W] with D, H, W multiples of 2^depth (the coarsest grid must hold at
  /// least kernel_size/2 cells); style: [N, S], required iff style_size > 0.
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& style = {});
  /// Channels at level l (0 = finest).
  int64_t channels(int64_t level) const;
  /// Receptive radius in cells: an output cell depends on input cells at most this far along
  /// each axis. Per level l < depth, in cells of 2^l: two encoder and two decoder convolutions,
  /// the down and the up convolution (radius k/2 each) and one of nearest upsampling; two
  /// bottleneck convolutions at 2^depth (7 * (2^depth - 1) + 2 * 2^depth for k = 3).
  int64_t receptive_radius() const;

  /// The options this module was built with.
  UNet3dOptions options;

 private:
  torch::nn::ModuleList encoders_;  // ConvBlock3d per level 0..depth (depth = bottleneck)
  torch::nn::ModuleList downs_;     // PeriodicConv3d stride 2 per level 0..depth-1 (strided)
  torch::nn::ModuleList ups_;       // PeriodicConv3d c_{l+1} -> c_l per level 0..depth-1
  torch::nn::ModuleList decoders_;  // ConvBlock3d 2 c_l -> c_l per level 0..depth-1
  PeriodicConv3d head_{nullptr};    // 1^3 conv c_0 -> C_out
};
/// Module holder of UNet3dImpl.
TORCH_MODULE(UNet3d);

}  // namespace cosmograd::nn
