// Training and sampling of the galaxy VAE (galaxy_vae.hpp) on a stamp set (stamp_set.hpp), as
// Lanusse et al. 2021 (MNRAS 504, 5543) do in two phases: first the encoder and decoder on the
// PSF-aware evidence lower bound with a KL weight beta, -E_q[log N(x | psf * g(z), sigma^2)] +
// beta KL(q(z | x) || N(0, 1)); then the latent flow on samples of q(z | x) of the training
// stamps, conditioned on (log10 R_e, mag), by maximum likelihood. Batches are rotated by a
// multiple of 90 degrees and mirrored (images and PSFs together); the model kept is the one of
// the best validation loss of each phase.
#pragma once

#include <cstdint>
#include <vector>

#include "surveys/batched/galaxy_vae.hpp"
#include "surveys/images/stamp_set.hpp"

namespace cosmograd::surveys {

/// Options of train_galaxy_vae.
struct GalaxyVaeTrainOptions {
  int64_t latent = 16;               ///< latent dimension
  int64_t channels = 16;             ///< first-level convolution channels
  int64_t flow_layers = 4;           ///< spline flow layers
  int64_t flow_hidden = 64;          ///< flow conditioner width
  int64_t steps = 3000;              ///< autoencoder optimiser steps
  int64_t flow_steps = 2000;         ///< flow optimiser steps
  int64_t batch = 64;                ///< stamps per step
  double lr = 1e-3;                  ///< Adam learning rate of both phases (cosine decay)
  double beta = 0.1;                 ///< KL weight of the first phase
  double validation_fraction = 0.1;  ///< stamps for model selection
  double test_fraction = 0.15;       ///< held-out stamps (never seen in training)
  int64_t validate_every = 100;      ///< steps between validations
  std::uint64_t seed = 1;            ///< split, initialisation and batches
  int64_t log_every = 250;           ///< progress lines (0: none)
  void validate() const;             ///< throws std::invalid_argument naming the option
};

/// A seeded random split of N stamps into training, validation and test rows.
struct StampSplit {
  std::vector<std::size_t> train, validation, test;  ///< disjoint, sorted
};
/// The split of n stamps; the same (n, fractions, seed) always gives the same split.
StampSplit split_stamps(std::size_t n, double validation_fraction, double test_fraction,
                        std::uint64_t seed);

/// Rows of a stamp set as float32 tensors in model units (image / flux_scale).
struct StampTensors {
  torch::Tensor images;      ///< [B, S, S]
  torch::Tensor psfs;        ///< [B, P, P]
  torch::Tensor sigma;       ///< [B] background sigma
  torch::Tensor conditions;  ///< [B, 2]: (R_e [pixels], mag)
};
/// The rows `rows` of `set` scaled by 1 / flux_scale.
StampTensors stamp_tensors(const StampSet& set, const std::vector<std::size_t>& rows,
                           double flux_scale);

/// Losses and wall times of a training run.
struct GalaxyVaeTrainReport {
  double seconds_autoencoder = 0, seconds_flow = 0;  ///< wall times [s]
  double validation_chi2_per_pixel = 0;  ///< best: reconstruction chi^2 / pixel (1: noise level)
  double validation_kl = 0;              ///< KL(q || N(0, 1)) per stamp at that point [nats]
  double validation_flow_nll = 0;        ///< best flow -log q(z | context) per stamp [nats]
  double validation_normal_nll = 0;      ///< the same under N(0, 1) (the flow should beat it)
  std::size_t train = 0, validation = 0, test = 0;  ///< split sizes
};

/// Trains a galaxy VAE and its flow on `set` (the training rows of split_stamps); the header
/// it returns records the split so evaluation uses the same held-out stamps.
GalaxyVae train_galaxy_vae(const StampSet& set, const GalaxyVaeTrainOptions& options,
                           GalaxyVaeTrainReport* report = nullptr);

/// Header keys recording the data and split of a trained model (vae_train_*).
void add_training_header(nn::ModelHeader& header, const StampSet& set,
                         const GalaxyVaeTrainOptions& options, const GalaxyVaeTrainReport& report);

/// Mock observations in model units [B, S, S]: for each row's conditions, the light of a latent
/// sample convolved with the row's PSF, plus Gaussian noise of its sigma when `noise` (draws
/// from a generator seeded with `seed`).
torch::Tensor sample_observations(GalaxyVae& model, const StampTensors& rows, bool noise,
                                  std::uint64_t seed);

/// Per-stamp reconstruction chi^2 / pixel and KL [nats] of rows under the posterior mean.
std::pair<double, double> reconstruction_losses(GalaxyVae& model, const StampTensors& rows);

}  // namespace cosmograd::surveys
