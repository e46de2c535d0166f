// The structural-parameter CNN: Sersic flux, half-light radius, index and ellipticity with
// per-parameter Gaussian uncertainties from a galaxy stamp and its PSF, in the manner of
// DeepLeGATo (Tuccillo et al. 2018, MNRAS 475, 894) and GaLNets (Li et al. 2022, ApJ 929, 152),
// trained with the heteroscedastic Gaussian negative log-likelihood (Nix & Weigend 1994;
// Kendall & Gal 2017) on single-Sersic stamps (sersic_stamps.hpp).
//
// Inputs: channel 0 asinh(image / (soften sigma)) (Lupton et al. 1999), channel 1 the PSF
// centred on the stamp divided by its peak. Targets (standardised with the training split's mean
// and standard deviation, stored in the model header): log10(flux / sigma), log10 R_e [pixels],
// log10 n, e1, e2; q = (1 - |e|)/(1 + |e|) and PA = atan2(e2, e1) / 2 follow with linearly
// propagated errors. The predicted sigmas are rescaled per target by factors fitted on the
// validation split so that its pulls have unit rms (temperature scaling, Guo et al. 2017, ICML;
// Kuleshov et al. 2018, ICML). Training augments with the 8 symmetries of the square (dihedral
// group D4), applied to image, PSF and ellipticity alike (structure_augment).
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/linear.h>
#include <torch/types.h>

#include <array>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "nn/train/model_file.hpp"
#include "surveys/properties/sersic_stamps.hpp"

namespace cosmograd::surveys {

/// Number of regressed targets (log10 flux/sigma, log10 R_e, log10 n, e1, e2).
inline constexpr int kStructureTargets = 5;

/// Architecture and input/target scalings of the network.
struct StructureNetConfig {
  int64_t size = 48;  ///< stamp side S [pixels], a multiple of stem_stride 2^(stages-1)
  std::vector<int64_t> channels{16, 32, 64, 128};  ///< channels per stage (stage > 0 halves S)
  int64_t stem_stride = 1;   ///< stride of the first convolution (1 or 2; 2 halves S at once)
  int64_t hidden = 256;      ///< width of the hidden fully connected layer
  double soften = 3;         ///< asinh softening [background sigma]
  double pixel_scale = 0.1;  ///< pixel scale of the training stamps [arcsec]
  std::string band = "i";    ///< band of the training stamps
  std::array<double, kStructureTargets> mean{};                ///< training-split target means
  std::array<double, kStructureTargets> scale{1, 1, 1, 1, 1};  ///< and standard deviations
  /// Calibration factors of the predicted sigmas (validation pull rms; 1: uncalibrated).
  std::array<double, kStructureTargets> sigma_scale{1, 1, 1, 1, 1};
  /// Throws std::invalid_argument naming the field.
  void validate() const;
};

/// One network prediction per stamp: means and 1-sigma errors.
struct StructurePrediction {
  std::vector<double> flux, flux_err;  ///< total flux [image units] (10^mean of log10 flux)
  std::vector<double> re, re_err;      ///< circularised half-light radius [pixels]
  std::vector<double> n, n_err;        ///< Sersic index
  std::vector<double> e1, e1_err;      ///< ellipticity along x
  std::vector<double> e2, e2_err;      ///< ellipticity along the diagonal
  std::vector<double> q, q_err;        ///< axis ratio
  std::vector<double> pa, pa_err;      ///< position angle [rad]
  /// Per stamp the targets' means and sigmas in physical target units (N * 5 each).
  std::vector<double> target_mean, target_sigma;
};

/// Conv-BN-ReLU stages (the first a single conv of stride stem_stride, then stride-2 conv + conv
/// per stage), flatten, one hidden layer, then 2 x 5 outputs: standardised means and log sigmas.
class StructureNetImpl : public torch::nn::Module {
 public:
  /// Builds the network of `config` (validated).
  explicit StructureNetImpl(StructureNetConfig config);
  /// x: [N, 2, S, S] -> [N, 10] (means, then log sigmas, standardised units).
  torch::Tensor forward(const torch::Tensor& x);
  /// Predictions for images [B, S, S], psfs [B, P, P] and background sigma [B] (eval mode,
  /// no gradients, batches of 256); calibrated: sigmas times config().sigma_scale.
  StructurePrediction predict(const torch::Tensor& images, const torch::Tensor& psfs,
                              const torch::Tensor& sigma, bool calibrated = true);
  /// Sets the sigma calibration factors (each > 0).
  void set_sigma_scale(const std::array<double, kStructureTargets>& f);
  /// The header of the architecture and scalings (model = properties_structure).
  nn::ModelHeader header() const;
  /// The configuration.
  const StructureNetConfig& config() const { return config_; }

 private:
  StructureNetConfig config_;
  torch::nn::Sequential features_{nullptr};
  torch::nn::Sequential head_{nullptr};
};
/// Module holder of StructureNetImpl.
TORCH_MODULE(StructureNet);

/// The network input [B, 2, S, S] (float32): asinh-scaled images and peak-normalised centred
/// PSFs; images [B, S, S], psfs [B, P, P] (P <= S, odd), sigma [B] > 0.
torch::Tensor structure_input(const torch::Tensor& images, const torch::Tensor& psfs,
                              const torch::Tensor& sigma, double soften);

/// A symmetry of the square applied to inputs x [N, C, S, S] (image and PSF alike) and their
/// physical ellipticities e [N, 2] = (e1, e2): `turns` quarter turns (torch::rot90 over the two
/// pixel axes; PA -> PA + 90 deg, so (e1, e2) -> -(e1, e2) per turn), then if `mirror` a flip of
/// the last axis (PA -> 180 deg - PA: e2 -> -e2). turns in 0..3 with mirror give all 8
/// (odd turns + mirror is a transposition: e1 -> -e1, e2 unchanged).
std::pair<torch::Tensor, torch::Tensor> structure_augment(const torch::Tensor& x,
                                                          const torch::Tensor& e, int turns,
                                                          bool mirror);

/// The physical targets [N, 5] (float64) of the stamps `rows`: log10(flux / sigma),
/// log10 R_e, log10 n, e1, e2 with e = (1 - q)/(1 + q) (cos 2 PA, sin 2 PA).
torch::Tensor structure_targets(const SersicStampSet& set, const std::vector<std::size_t>& rows);

/// The rows' images [B, S, S], psfs [B, P, P] and sigma [B] as float32 tensors.
struct StructureRows {
  torch::Tensor images, psfs, sigma;
};
/// Copies the stamps `rows` of `set` into tensors.
StructureRows structure_rows(const SersicStampSet& set, const std::vector<std::size_t>& rows);

/// Training settings.
struct StructureTrainOptions {
  std::vector<int64_t> channels{16, 32, 48, 64};  ///< see StructureNetConfig
  int64_t stem_stride = 2;                        ///< see StructureNetConfig
  int64_t hidden = 128;                           ///< see StructureNetConfig
  double soften = 3;                              ///< see StructureNetConfig
  int64_t steps = 6000;                           ///< optimiser steps
  int64_t batch = 64;                             ///< stamps per step
  double lr = 2e-3;                               ///< Adam learning rate (cosine decay to 1/20)
  double weight_decay = 0;                        ///< Adam L2 weight decay
  double validation_fraction = 0.1;               ///< stamps for model selection
  double test_fraction = 0.1;                     ///< held-out stamps for evaluate
  int64_t validate_every = 500;                   ///< steps between validations
  double max_seconds = 0;                         ///< stop after this wall time [s] (0: none)
  std::uint64_t seed = 1;                         ///< split, initialisation, batches
  /// Throws std::invalid_argument naming the option.
  void validate() const;
};

/// What training did.
struct StructureTrainReport {
  std::size_t train = 0, validation = 0, test = 0;  ///< stamps per split
  int64_t best_step = 0;                            ///< step of the kept model
  int64_t steps_done = 0;                           ///< steps run (< steps when max_seconds hit)
  double validation_nll = 0;                        ///< its validation NLL per target
  double seconds = 0;                               ///< training wall time [s]
  /// Sigma calibration factors fitted on the validation split (its pull rms before).
  std::array<double, kStructureTargets> sigma_scale{1, 1, 1, 1, 1};
};

/// Trains on the training rows of split_stamps(N, validation_fraction, test_fraction, seed)
/// (surveys/batched/galaxy_vae_train.hpp) with random D4 augmentation, keeping the
/// best-validation weights, then fits the sigma calibration factors on the validation split.
StructureNet train_structure_net(const SersicStampSet& set, const StructureTrainOptions& options,
                                 StructureTrainReport* report = nullptr);

/// Adds the training settings and report (structure_train_*) to a header.
void add_structure_training_header(nn::ModelHeader& h, const SersicStampSet& set,
                                   const StructureTrainOptions& o, const StructureTrainReport& r);

/// Loads a model file of `properties structure train` (header and weights); throws
/// std::runtime_error naming the file when it is not one.
StructureNet load_structure_net(const std::string& path, nn::ModelHeader* header = nullptr);

}  // namespace cosmograd::surveys
