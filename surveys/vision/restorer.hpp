// The restoration U-Net: denoising and deconvolution of single-galaxy stamps to the noiseless,
// PSF-free light the mocks know (the stamp set's /intrinsic), against Wiener and
// Richardson-Lucy (deconvolution.hpp), as in the learned deconvolution of Sureau, Lechat &
// Starck 2020 (A&A 641, A67) and Akhaury et al. 2022 (Front. Astron. Space Sci. 9, 1001043).
//
// Input (2 channels, [B, 2, S, S]): asinh(y / (soften sigma)) of the noisy stamp y with its
// background rms sigma (image_tensors.hpp's asinh_scale), and the stamp's PSF zero-padded into
// the stamp with its centre at (S/2, S/2), scaled to a peak of 1. Output: the intrinsic image
// in the same scaling, asinh(x / (soften sigma)) (or linearly x / (soften sigma)); the restored
// image is soften sigma sinh(output). The loss is the mean squared error in that scaled space
// plus optionally a weighted linear term (x_hat - x)^2 / (soften sigma)^2; metrics are reported
// in image units. Training batches are rotated by multiples of 90 degrees and mirrored
// (stamps, PSFs and truths together).
//
// Model file (nn/train/model_file.hpp): model = vision_restorer, the architecture and scaling
// keys restore_*, the baselines' tuning (wiener_k, wiener_power: the Wiener prior;
// rl_iterations, rl_pedestal_sigmas) and the data and split (restore_train_*).
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "nn/modules/unet2d.hpp"
#include "nn/train/model_file.hpp"
#include "surveys/images/stamp_set.hpp"
#include "surveys/vision/deconvolution.hpp"

namespace cosmograd::surveys {

/// Architecture, scaling and tuned baselines of a Restorer (model-file header keys).
struct RestorerConfig {
  int64_t size = 32;           ///< training stamp side S [pixels], a multiple of 2^depth
  int64_t depth = 3;           ///< U-Net downsamplings (restore_depth)
  int64_t base_channels = 16;  ///< U-Net channels at the finest level (restore_base_channels)
  int64_t norm_groups = 4;     ///< group-norm groups (restore_norm_groups)
  double soften = 3.0;         ///< asinh softening in units of sigma (restore_soften)
  /// Output scaling (restore_output): "asinh" (asinh(x / (soften sigma))) or "linear"
  /// (x / (soften sigma)).
  std::string output = "asinh";
  /// Whether the network learns a correction to the noisy input (restore_residual): output =
  /// U-Net + the input's first channel in the output scaling.
  bool residual = false;
  double pixel_scale = 0.1;         ///< of the training stamps [arcsec] (restore_pixel_scale)
  std::string band = "i";           ///< band of the training stamps (restore_band)
  std::string unit = "nJy";         ///< image unit (restore_unit)
  WienerPrior wiener;               ///< the Wiener baseline's signal prior (wiener_k, wiener_power)
  int64_t rl_iterations = 0;        ///< Richardson-Lucy iterations of least validation MSE
  double rl_pedestal_sigmas = 3.0;  ///< Richardson-Lucy pedestal [sigma]
  /// Throws std::invalid_argument naming the field.
  void validate() const;
};

/// The restoration network with its configuration.
class RestorerImpl : public torch::nn::Module {
 public:
  /// Builds the U-Net of `config` (validated).
  explicit RestorerImpl(RestorerConfig config);
  /// Scaled input [B, 2, S, S] (restorer_input) -> scaled intrinsic image [B, 1, S, S].
  torch::Tensor forward(const torch::Tensor& input);
  /// Restores noisy stamps [B, S, S] [unit] with PSFs [B, P, P] and sigma [B] [unit] to the
  /// intrinsic light [B, S, S] [unit] (no gradient; batches of 256; S a multiple of 2^depth).
  torch::Tensor restore(const torch::Tensor& images, const torch::Tensor& psfs,
                        const torch::Tensor& sigma);
  /// Header keys that rebuild this model (model = vision_restorer).
  nn::ModelHeader header() const;
  /// The configuration.
  const RestorerConfig& config() const { return config_; }
  /// Sets the tuned Richardson-Lucy iterations (training).
  void set_rl_iterations(int64_t iterations) { config_.rl_iterations = iterations; }

 private:
  RestorerConfig config_;
  nn::UNet2d unet_{nullptr};
};
/// Module holder of RestorerImpl.
TORCH_MODULE(Restorer);

/// The network input [B, 2, S, S]: asinh(images / (soften sigma)) and the PSFs centred in the
/// stamp (psf_centred) divided by their peak. images [B, S, S], psfs [B, P, P], sigma [B] > 0.
torch::Tensor restorer_input(const torch::Tensor& images, const torch::Tensor& psfs,
                             const torch::Tensor& sigma, double soften);

/// The network's target for intrinsic images [B, S, S] [unit] with sigma [B]: [B, 1, S, S] in
/// the config's output scaling.
torch::Tensor restorer_target(const torch::Tensor& intrinsic, const torch::Tensor& sigma,
                              const RestorerConfig& config);
/// The inverse: network outputs [B, 1, S, S] -> images [B, S, S] [unit].
torch::Tensor restorer_decode(const torch::Tensor& output, const torch::Tensor& sigma,
                              const RestorerConfig& config);

/// The RestorerConfig of a header written by RestorerImpl::header().
RestorerConfig restorer_config_from(const nn::ModelHeader& header);
/// Loads a model file (model = vision_restorer) in eval mode; throws std::runtime_error naming
/// the file otherwise.
Restorer load_restorer(const std::string& path, nn::ModelHeader* header = nullptr);

/// Options of train_restorer.
struct RestorerTrainOptions {
  int64_t depth = 3;             ///< U-Net downsamplings
  int64_t base_channels = 16;    ///< U-Net channels at the finest level
  int64_t norm_groups = 4;       ///< group-norm groups
  double soften = 3.0;           ///< asinh softening [sigma]
  std::string output = "asinh";  ///< output scaling: asinh or linear
  /// Weight of the linear term of the loss: mean (x_hat - x)^2 / (soften sigma)^2 added to the
  /// mean squared error in the output scaling (the reported MSE weighs bright pixels, which the
  /// asinh scaling compresses).
  double linear_weight = 1.0;
  /// Weight of the flux term of the loss: mean over stamps of ((sum x_hat - sum x) / (soften
  /// sigma S))^2 (S the stamp side), against a flux bias.
  double flux_weight = 0.1;
  bool residual = true;              ///< learn a correction to the input (RestorerConfig)
  int64_t steps = 4000;              ///< optimiser steps
  int64_t batch = 32;                ///< stamps per step
  double lr = 2e-3;                  ///< Adam learning rate (cosine decay to 1/20)
  double validation_fraction = 0.1;  ///< stamps for model selection and RL tuning
  double test_fraction = 0.2;        ///< held-out stamps for `vision restore evaluate`
  int64_t validate_every = 250;      ///< steps between validations (the best model is kept)
  int64_t rl_max_iterations = 200;   ///< Richardson-Lucy iterations tried on validation
  double rl_pedestal_sigmas = 3.0;   ///< Richardson-Lucy pedestal [sigma]
  std::uint64_t seed = 1;            ///< split, initialisation and batches
  int64_t log_every = 200;           ///< progress lines (0: none)
  /// Throws std::invalid_argument naming the option.
  void validate() const;
};

/// Losses and wall time of a training run.
struct RestorerTrainReport {
  double seconds = 0;                               ///< wall time of the network's training [s]
  double validation_loss = 0;                       ///< best validation loss (scaled space)
  double validation_mse_sigma2 = 0;                 ///< its validation MSE / sigma^2 (image units)
  double validation_rl_mse_sigma2 = 0;              ///< RL's at the chosen iterations
  double validation_wiener_mse_sigma2 = 0;          ///< Wiener's
  int64_t best_step = 0;                            ///< step of the kept model
  std::size_t train = 0, validation = 0, test = 0;  ///< split sizes
};

/// Trains the restorer on the training rows of split_stamps(set.count(), validation_fraction,
/// test_fraction, seed) of a stamp set with /intrinsic, fits the Wiener prior on the training
/// truths and picks the Richardson-Lucy iterations of least validation MSE. Throws
/// std::invalid_argument when the set has no /intrinsic or its side is not a multiple of
/// 2^depth.
Restorer train_restorer(const StampSet& set, const RestorerTrainOptions& options,
                        RestorerTrainReport* report = nullptr);

/// Header keys recording the data, split and training of a model (restore_train_*).
void add_restorer_training_header(nn::ModelHeader& header, const StampSet& set,
                                  const RestorerTrainOptions& options,
                                  const RestorerTrainReport& report);

/// Rows of a stamp set as float32 tensors [image units].
struct RestoreRows {
  torch::Tensor images;     ///< [B, S, S] noisy stamps
  torch::Tensor intrinsic;  ///< [B, S, S] truth (empty tensor when the set has none)
  torch::Tensor psfs;       ///< [B, P, P]
  torch::Tensor sigma;      ///< [B] background rms
};
/// The rows `rows` of `set`.
RestoreRows restore_rows(const StampSet& set, const std::vector<std::size_t>& rows);

// Restoration metrics (per stamp, [B] float64 tensors of [B, S, S] images).

/// Mean over pixels of (restored - truth)^2 / sigma^2.
torch::Tensor mse_over_sigma2(const torch::Tensor& restored, const torch::Tensor& truth,
                              const torch::Tensor& sigma);
/// sum (restored - truth)^2 / sum truth^2 (the error relative to the truth's energy).
torch::Tensor relative_mse(const torch::Tensor& restored, const torch::Tensor& truth);
/// (sum restored - sum truth) / sum truth (the relative flux error over the stamp).
torch::Tensor flux_error(const torch::Tensor& restored, const torch::Tensor& truth);

/// Median and 1.4826 median absolute deviation (a Gaussian's sigma) of the finite values.
struct RobustStats {
  double median = 0;      ///< median (NaN when no finite value)
  double scatter = 0;     ///< 1.4826 MAD (NaN when no finite value)
  std::size_t count = 0;  ///< finite values used
};
/// The robust statistics of `values` (non-finite values dropped).
RobustStats robust_stats(std::vector<double> values);

/// Half-light radii [pixels] of stamps [B, S, S] measured by measure_stamp with per-stamp sigma
/// [unit]; NaN where the measurement fails.
std::vector<double> half_light_radii(const torch::Tensor& stamps, const std::vector<double>& sigma);

}  // namespace cosmograd::surveys
