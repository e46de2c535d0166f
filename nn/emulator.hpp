// The nonlinear field emulator (Jamieson et al. 2022, "Field-level neural network emulator for
// cosmological N-body simulations"; He et al. 2019, D3M): a styled periodic U-Net that maps the
// 2LPT displacement and momentum of every particle at a = 1 to the PM run's, conditioned on
// (Omega_m, sigma8) as a style in every convolution. It learns the residual on top of 2LPT (the
// output head starts at zero, so an untrained emulator is 2LPT). Local, so it applies to boxes
// of any size in periodic patches (emulate_patched) at the training particle spacing.
#pragma once

#include <torch/arg.h>
#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

#include <cstdint>
#include <functional>
#include <string>

#include "nn/modules/unet.hpp"
#include "nn/train/model_file.hpp"

namespace cosmograd::nn {

/// Options of Emulator (all stored in the model file's header).
struct EmulatorOptions {
  /// Box side L of the training boxes [Mpc/h].
  TORCH_ARG(double, box_size) = 128.0;
  /// Particles per side N of the training boxes (the particle spacing L / N is fixed).
  TORCH_ARG(int64_t, particles) = 32;
  /// Scale factor of the input (2LPT) and output (PM) particles.
  TORCH_ARG(double, a) = 1.0;
  /// Displacement normalisation [Mpc/h] (rms of the training inputs).
  TORCH_ARG(double, disp_scale) = 1.0;
  /// Momentum normalisation [Mpc/h] (rms of the training inputs).
  TORCH_ARG(double, mom_scale) = 1.0;
  /// U-Net depth (patch origins and sizes are multiples of 2^depth particles).
  TORCH_ARG(int64_t, depth) = 2;
  /// U-Net channels at the finest level.
  TORCH_ARG(int64_t, base_channels) = 16;
  /// Training range of Omega_m (outside it the emulator extrapolates).
  TORCH_ARG(double, omega_m_min) = 0.25;
  /// Upper end of the Omega_m training range.
  TORCH_ARG(double, omega_m_max) = 0.35;
  /// Training range of sigma8.
  TORCH_ARG(double, sigma8_min) = 0.7;
  /// Upper end of the sigma8 training range.
  TORCH_ARG(double, sigma8_max) = 0.9;
};

/// The style vector [B, 2] of (Omega_m, sigma8) [B, 2]: each mapped linearly from its training
/// range to [-1, 1].
torch::Tensor emulator_style(const torch::Tensor& omega_m_sigma8, const EmulatorOptions& o);

/// Emulator: x [B, 6, N, N, N] (2LPT displacement [Mpc/h] in channels 0-2, momentum [Mpc/h] in
/// 3-5, particle (ix, iy, iz) at cell (ix, iy, iz)) and (Omega_m, sigma8) [B, 2] -> the same
/// fields of the PM run: y = x + s * unet(x / s, style), s the per-channel scales. N must be a
/// multiple of 2^depth. Periodic; equivariant under shifts by multiples of 2^depth particles.
class EmulatorImpl : public torch::nn::Module {
 public:
  /// Builds the model (output head zero: starts as the identity); throws
  /// std::invalid_argument for non-positive sizes or scales.
  explicit EmulatorImpl(const EmulatorOptions& options = {});
  /// x: [B, 6, N, N, N]; omega_m_sigma8: [B, 2]; dtype of the parameters.
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& omega_m_sigma8);
  /// Radius of the receptive field in particles: an output cell depends on input cells at
  /// most this far along each axis (U-Net with 3^3 kernels: sum_l 7 * 2^l + 2 * 2^depth).
  int64_t receptive_radius() const;
  /// 2^depth: patch origins and sizes must be multiples of it.
  int64_t alignment() const { return int64_t{1} << options.depth(); }
  /// The header keys (model = emulator and every option).
  ModelHeader header() const;

  /// The options this module was built with.
  EmulatorOptions options;

 private:
  UNet3d unet_{nullptr};
  torch::Tensor scale_;  // buffer [1, 6, 1, 1, 1]
};
/// Module holder of EmulatorImpl.
TORCH_MODULE(Emulator);

/// Writes `model` with nn::save_model; `extra` keys (training metadata) are added.
void save_emulator(const std::string& path, Emulator& model, ModelHeader extra = ModelHeader());
/// An untrained Emulator with the architecture of a header (the "emulator" model type).
Emulator build_emulator(const ModelHeader& header);
/// Loads an emulator file (float32, eval mode); throws std::runtime_error naming the file when it
/// holds another type. With `header`, the file's header is copied there.
Emulator load_emulator(const std::string& path, ModelHeader* header = nullptr);

/// (N^3, 6) particle rows in lattice order (j = (ix N + iy) N + iz) -> [6, N, N, N] fields.
torch::Tensor particle_rows_to_fields(const torch::Tensor& rows);
/// [6, N, N, N] fields -> (N^3, 6) particle rows in lattice order (inverse of the above).
torch::Tensor fields_to_particle_rows(const torch::Tensor& fields);

/// Applies `model` to one box x [6, N, N, N] (any N multiple of model->alignment()) with
/// (Omega_m, sigma8) [2], in cubic patches of `patch` particles per side, each evaluated on a
/// periodic block padded by `pad` particles per side (pad < 0: the receptive radius rounded up
/// to the alignment) whose centre is kept. Equal to the whole-box periodic evaluation to
/// rounding when pad >= receptive_radius(); a box with N <= patch + 2 pad is evaluated whole.
/// `progress(done, total)` is called after each patch when given. Differentiable in x when
/// grad mode is on (callers that only infer wrap it in torch::NoGradGuard).
torch::Tensor emulate_patched(Emulator& model, const torch::Tensor& x,
                              const torch::Tensor& omega_m_sigma8, int64_t patch, int64_t pad = -1,
                              const std::function<void(int64_t, int64_t)>& progress = nullptr);

}  // namespace cosmograd::nn
