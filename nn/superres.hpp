// Neural super-resolution of particle fields (map2map: Li et al. 2021, PNAS 118, e2022038118;
// Ni et al. 2021, MNRAS 507, 1021): a generator maps the displacement and momentum of a
// low-resolution run's N^3 particles to those of f^3 N^3 particles (f = 2 or 4) of the same
// box, as if a run with f times the particles per side had been made from the same white noise.
// A periodic U-Net reads the low-resolution field; a sub-pixel upsampling block (Shi et al.
// 2016: a 3^3 convolution to C f^3 channels, one per fine point of each coarse cell, then a
// pointwise mix, each with StyleGAN-style noise injection, Karras et al. 2019) and a linear head
// per fine point build the high-resolution residual on top of the low-resolution field
// interpolated to the fine lattice (the head starts at zero, so an untrained model is that
// interpolation). Working on the coarse grid keeps the cost of a fine-grid network away. Local:
// applies to any box at the training particle spacing in periodic patches (superres_patched).
#pragma once

#include <torch/arg.h>
#include <torch/nn/module.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

#include <cstdint>
#include <functional>
#include <string>

#include "nn/modules/conv.hpp"
#include "nn/modules/unet.hpp"
#include "nn/train/model_file.hpp"

namespace cosmograd::nn {

/// Options of SuperRes (all stored in the model file's header).
struct SuperResOptions {
  /// Box side L of the training boxes [Mpc/h].
  TORCH_ARG(double, box_size) = 64.0;
  /// Low-resolution particles per side N of the training boxes (spacing L / N is fixed).
  TORCH_ARG(int64_t, particles) = 32;
  /// Upsampling factor f per side (a power of 2).
  TORCH_ARG(int64_t, factor) = 2;
  /// Scale factor of the input and output particles.
  TORCH_ARG(double, a) = 1.0;
  /// Displacement normalisation [Mpc/h] (rms of the training inputs).
  TORCH_ARG(double, disp_scale) = 1.0;
  /// Momentum normalisation [Mpc/h] (rms of the training inputs).
  TORCH_ARG(double, mom_scale) = 1.0;
  /// Depth of the low-resolution U-Net (patch origins and sizes are multiples of 2^depth).
  TORCH_ARG(int64_t, depth) = 2;
  /// Channels of the low-resolution U-Net at its finest level (and of its output features).
  TORCH_ARG(int64_t, lr_channels) = 32;
  /// Features per fine point in the upsampling block (the block has hr_channels f^3 channels).
  TORCH_ARG(int64_t, hr_channels) = 8;
  /// Omega_m of the training runs (the generator is trained at one cosmology).
  TORCH_ARG(double, omega_m) = 0.3089;
  /// sigma8 of the training runs.
  TORCH_ARG(double, sigma8) = 0.8159;
};

/// Per-channel noise injection (StyleGAN, Karras et al. 2019, sec. 2): h + w_c * n with one
/// unit Gaussian field n [B, 1, ...] shared by the channels (dimension 1 of h) and learned
/// weights w_c (start at zero).
class NoiseInjectionImpl : public torch::nn::Module {
 public:
  /// Weights for `channels` channels.
  explicit NoiseInjectionImpl(int64_t channels);
  /// h [B, C, ...]; noise [B, 1, ...] of h's trailing shape (undefined: h unchanged).
  torch::Tensor forward(const torch::Tensor& h, const torch::Tensor& noise);
  /// Learned amplitudes w_c [C].
  torch::Tensor weight;
};
/// Module holder of NoiseInjectionImpl.
TORCH_MODULE(NoiseInjection);

/// Periodic multilinear interpolation of fields on an N^3 particle lattice to the f N lattice of
/// the same box: x [B, C, N, N, N] -> [B, C, f N, f N, f N], exact at the coarse points (fine
/// index f i) and linear between them. The super-resolution baseline; differentiable.
torch::Tensor upsample_lattice(const torch::Tensor& x, int64_t factor);

/// Fine fields [B, C, f N, f N, f N] -> [B, C f^3, N, N, N]: channel c f^3 + (ox f + oy) f + oz
/// holds the fine points (f i + ox, f j + oy, f k + oz). Lossless; stores high-resolution
/// targets beside low-resolution inputs in one field collection.
torch::Tensor space_to_depth(const torch::Tensor& fine, int64_t factor);
/// The inverse of space_to_depth.
torch::Tensor depth_to_space(const torch::Tensor& coarse, int64_t factor);

/// SuperRes: x [B, 6, N, N, N] (displacement [Mpc/h] in channels 0-2, momentum [Mpc/h] in 3-5,
/// on the coarse lattice) and noise [B, 2, f N, f N, f N] (one field per injection; undefined:
/// no injected noise) -> the same fields on the f N lattice:
/// y = upsample_lattice(x) + s * g(x / s, noise), s the per-channel scales. N must be a
/// multiple of 2^depth.
class SuperResImpl : public torch::nn::Module {
 public:
  /// Builds the model (head zero); throws std::invalid_argument for bad sizes or a factor
  /// other than 2, 4, 8.
  explicit SuperResImpl(const SuperResOptions& options = {});
  /// x: [B, 6, N, N, N]; noise: [B, K, f N, f N, f N] or undefined.
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& noise = {});
  /// Number K of injected noise fields (2).
  int64_t noise_channels() const;
  /// Unit Gaussian noise [B, K, f N, f N, f N] for a coarse box of n per side, deterministic in
  /// `seed`.
  torch::Tensor make_noise(int64_t batch, int64_t n, uint64_t seed) const;
  /// Receptive radius in coarse particles: a fine output point depends on coarse input points
  /// at most this far along each axis.
  int64_t receptive_radius() const;
  /// 2^depth: patch origins and sizes (in coarse particles) must be multiples of it.
  int64_t alignment() const { return int64_t{1} << options.depth(); }
  /// The header keys (model = superres and every option).
  ModelHeader header() const;

  /// The options this module was built with.
  SuperResOptions options;

 private:
  UNet3d unet_{nullptr};
  PeriodicConv3d up_{nullptr};       // 3^3 conv lr_channels -> hr_channels f^3 (sub-pixel)
  PeriodicConv3d mix_{nullptr};      // 1^3 conv hr_channels f^3 -> hr_channels f^3
  NoiseInjection noise1_{nullptr};   // after up_
  NoiseInjection noise2_{nullptr};   // after mix_
  torch::nn::Linear head_{nullptr};  // per fine point hr_channels -> 6
  torch::Tensor scale_;              // buffer [1, 6, 1, 1, 1]
};
/// Module holder of SuperResImpl.
TORCH_MODULE(SuperRes);

/// Writes `model` with nn::save_model; `extra` keys (training metadata) are added.
void save_superres(const std::string& path, SuperRes& model, ModelHeader extra = ModelHeader());
/// An untrained SuperRes with the architecture of a header (the "superres" model type).
SuperRes build_superres(const ModelHeader& header);
/// Loads a super-resolution model file (float32, eval mode); throws std::runtime_error naming
/// the file when it holds another type. With `header`, the file's header is copied there.
SuperRes load_superres(const std::string& path, ModelHeader* header = nullptr);

/// Applies `model` to one coarse box x [6, N, N, N] (N a multiple of model->alignment()) with
/// noise [K, f N, f N, f N] (or undefined) in patches of `patch` coarse particles per side
/// (pad < 0: the receptive radius rounded up to the alignment); returns [6, f N, f N, f N],
/// equal to the whole-box evaluation to rounding. Differentiable in x under grad mode.
torch::Tensor superres_patched(SuperRes& model, const torch::Tensor& x, const torch::Tensor& noise,
                               int64_t patch, int64_t pad = -1,
                               const std::function<void(int64_t, int64_t)>& progress = nullptr);

}  // namespace cosmograd::nn
