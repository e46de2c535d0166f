// The learned mass map (DeepMass-style; Jeffrey et al. 2020, MNRAS 492, 5023): a U-Net
// (nn/modules/unet2d.hpp) that maps noisy masked shear tiles to the convergence.
//
// Input (2 channels, [B, 2, T, T]): a Wiener-filtered map with the theory prior P
// (mass_map_filters.hpp) divided by kappa_scale -- the masked Wiener filter stopped after
// input_iterations conjugate-gradient iterations (DeepMass feeds the Wiener map), or with
// input_iterations = 0 the closed-form unmasked filter of the zero-filled Kaiser-Squires map,
// FFT(kappa_in) = P / (P + sigma^2) FFT(KS(gamma_obs)) -- and the mask (1 observed, 0 masked).
// Output: kappa / kappa_scale = channel 0 of the input + the U-Net's correction (residual
// learning; the head starts at zero, so training starts from the input filter). The loss is the
// mean squared error over all pixels. Training draws a fresh mask and fresh shape noise for every
// batch and applies random dihedral transforms (with the shear's sign changes).
//
// Model file (nn/train/model_file.hpp): model = discover_massmap_unet, architecture keys
// massmap_*, the theory C_ell table of the input filter, the noise and mask settings, and the
// training record (massmap_train_*).
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "nn/modules/unet2d.hpp"
#include "nn/train/model_file.hpp"
#include "surveys/discovery/mass_map_data.hpp"

namespace cosmograd::surveys {

/// Architecture, scaling and data settings of a MassMapNet (model-file header keys).
struct MassMapNetConfig {
  int64_t size = 64;           ///< training tile side T [pixels] (massmap_size)
  int64_t depth = 3;           ///< U-Net downsamplings (massmap_depth)
  int64_t base_channels = 16;  ///< U-Net channels at the finest level (massmap_base_channels)
  int64_t norm_groups = 4;     ///< group-norm groups (massmap_norm_groups)
  double kappa_scale = 0.01;   ///< convergence unit of the network (massmap_kappa_scale)
  /// CG iterations of the input Wiener map; 0: the unmasked closed form
  /// (massmap_input_iterations).
  int64_t input_iterations = 30;
  double pixel_rad = 0;            ///< pixel side of the training tiles [rad] (massmap_pixel_rad)
  double source_z = 0;             ///< source redshift of the training runs (massmap_source_z)
  std::vector<double> cl_ell;      ///< theory prior table: ell (massmap_cl_ell)
  std::vector<double> cl_theory;   ///< halofit Limber C_ell (massmap_cl_theory)
  std::vector<double> cl_pixwin2;  ///< squared pixel window (massmap_cl_pixwin2)
  MassMapNoise noise;              ///< shape noise and mask of training (massmap_sigma_e, ...)
  /// Throws std::invalid_argument naming the field.
  void validate() const;
};

/// The mass-mapping U-Net with its configuration.
class MassMapNetImpl : public torch::nn::Module {
 public:
  /// Builds the network (head zeroed: output = input filter); throws on a bad config.
  explicit MassMapNetImpl(MassMapNetConfig config);
  /// The 2-channel float input [B, 2, T, T] of observed shear and mask ([B, T, T] each).
  torch::Tensor input(const torch::Tensor& gamma1, const torch::Tensor& gamma2,
                      const torch::Tensor& mask) const;
  /// kappa / kappa_scale [B, 1, T, T] from an input of `input`.
  torch::Tensor forward(const torch::Tensor& x);
  /// The convergence [B, T, T] (double) of observed shear and mask, in eval mode, no gradient.
  torch::Tensor predict(const torch::Tensor& gamma1, const torch::Tensor& gamma2,
                        const torch::Tensor& mask);
  /// The configuration.
  const MassMapNetConfig& config() const { return config_; }
  /// Header with the model kind and the configuration keys.
  nn::ModelHeader header() const;

 private:
  MassMapNetConfig config_;
  nn::UNet2d unet_{nullptr};
};

/// Module holder of MassMapNetImpl.
TORCH_MODULE(MassMapNet);

/// Training settings.
struct MassMapTrainOptions {
  int64_t steps = 2000;          ///< optimiser steps
  int64_t batch = 16;            ///< tiles per step
  double lr = 1e-3;              ///< Adam learning rate (cosine decay to lr / 20)
  int64_t validate_every = 100;  ///< steps between validations (the best model is kept)
  double max_seconds = 0;        ///< stop after this wall time [s] (0: no limit)
  std::uint64_t seed = 1;        ///< initialisation, batches, noise and masks
  /// Throws std::invalid_argument naming the field.
  void validate() const;
};

/// What training did.
struct MassMapTrainReport {
  std::size_t train = 0, validation = 0;  ///< tiles per split used
  int64_t steps_done = 0, best_step = 0;  ///< steps run; step of the kept model
  double validation_mse = 0;              ///< kept model's MSE on the validation tiles
  double input_mse = 0;                   ///< the input filter's validation MSE (the start)
  double seconds = 0;                     ///< wall time [s]
};

/// Trains a MassMapNet on the train split of `tiles` (model selection on the validation split
/// with a fixed observation drawn with seed + 1); throws std::invalid_argument when a split is
/// empty or the tile side is not a multiple of 2^depth.
MassMapNet train_mass_map_net(const MassMapTiles& tiles, MassMapNetConfig config,
                              const MassMapTrainOptions& options, MassMapTrainReport* report);

/// Loads a model file of kind discover_massmap_unet.
MassMapNet load_mass_map_net(const std::string& path, nn::ModelHeader* header = nullptr);

/// The observation tensors (gamma1, gamma2, mask, each double [B, T, T]) of `obs`.
std::vector<torch::Tensor> observation_tensors(const MassMapObservation& obs, int64_t size);

}  // namespace cosmograd::surveys
