// The contrastive stamp encoder: SimCLR (Chen et al. 2020, ICML, "A Simple Framework for
// Contrastive Learning of Visual Representations") on single-band galaxy stamps, as the
// self-supervised encoders of Hayat et al. (2021) and Stein et al. (2022) on Legacy Survey
// stamps (they used MoCo v2; SimCLR needs no momentum encoder or queue). A small ResNet
// (nn/modules/resnet.hpp) maps the asinh-scaled stamp to the representation h (the
// embedding, D values), a 2-layer MLP projection head maps h to z, and the NT-Xent loss pulls
// the two augmented views (ssl_augment.hpp) of each stamp together in z.
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "nn/modules/resnet.hpp"
#include "nn/train/model_file.hpp"
#include "surveys/discovery/ssl_augment.hpp"

namespace cosmograd::surveys {

/// The header key `model` of encoder files.
inline constexpr const char* kSslModelType = "discover_ssl_encoder";

/// Architecture of the encoder.
struct SslEncoderConfig {
  int64_t size = 32;                                   ///< stamp side S [pixels]
  std::vector<int64_t> stage_channels = {16, 32, 64};  ///< ResNet2d stage widths
  int64_t blocks_per_stage = 2;                        ///< ResNet2d basic blocks per stage
  int64_t embedding_dim = 64;                          ///< D of the representation h
  int64_t projection_dim = 64;                         ///< dimension of z (projection head)
  /// Throws std::invalid_argument naming the field, the value and what is allowed.
  void validate() const;
};

/// ResNet2d (linear head to D: the representation) + projection MLP D -> D -> P.
class SslEncoderImpl : public torch::nn::Module {
 public:
  /// Builds an untrained encoder (validated config).
  explicit SslEncoderImpl(SslEncoderConfig config);
  /// Representation h [N, D] of scaled stamps x [N, 1, S, S].
  torch::Tensor forward(const torch::Tensor& x);
  /// Projection z [N, P] of representations h [N, D] (ReLU between the two layers).
  torch::Tensor project(const torch::Tensor& h);
  /// Representations [N, D] of x without gradients in eval mode, `batch` stamps at a time.
  torch::Tensor embed(const torch::Tensor& x, int64_t batch = 256);
  /// Architecture keys (model, ssl_*) of the model file.
  nn::ModelHeader header() const;
  /// The configuration.
  const SslEncoderConfig& config() const { return config_; }

 private:
  SslEncoderConfig config_;
  nn::ResNet2d backbone_{nullptr};
  torch::nn::Sequential projector_{nullptr};
};
/// Module holder of SslEncoderImpl.
TORCH_MODULE(SslEncoder);

/// The configuration of a header written by SslEncoderImpl::header(); throws
/// std::runtime_error naming the file and the key when one is missing or malformed.
SslEncoderConfig ssl_encoder_config_from(const nn::ModelHeader& header);
/// Loads an encoder file (eval mode), its header into *header when given.
SslEncoder load_ssl_encoder(const std::string& path, nn::ModelHeader* header = nullptr);

/// NT-Xent loss (Chen et al. 2020, eq. 1) of the projections z1, z2 [N, P] of two views of N
/// stamps (N >= 2): with u = z / |z| over the 2N views, s_ij = u_i . u_j / tau,
/// l(i, j) = -log(exp(s_ij) / sum_{k != i} exp(s_ik)) for the positive pair (i, j), averaged
/// over all 2N views. tau > 0 is the temperature.
torch::Tensor nt_xent_loss(const torch::Tensor& z1, const torch::Tensor& z2, double tau);

/// Options of train_ssl_encoder.
struct SslTrainOptions {
  int64_t epochs = 10;         ///< passes over the training stamps
  int64_t batch = 256;         ///< stamps per step (2 x batch views)
  double lr = 2e-3;            ///< AdamW peak learning rate (warm-up, cosine decay to lr / 50)
  double weight_decay = 1e-4;  ///< AdamW decoupled weight decay
  double temperature = 0.2;    ///< NT-Xent tau
  double max_seconds = 0;      ///< stop after this wall time [s] (0: no limit)
  std::uint64_t seed = 1;      ///< initialisation, batches and augmentations
  bool log = true;             ///< a progress line per epoch
  SslAugmentOptions augment;   ///< the views
  /// Throws std::invalid_argument naming the option.
  void validate() const;
};

/// Loss curves and wall time of a training run.
struct SslTrainReport {
  std::vector<double> train_loss;       ///< mean NT-Xent per epoch [nats]
  std::vector<double> validation_loss;  ///< NT-Xent of the validation stamps per epoch
  int64_t epochs_done = 0;              ///< epochs completed (fewer when max_seconds hit)
  int64_t steps = 0;                    ///< optimiser steps
  double seconds = 0;                   ///< wall time [s]
};

/// Trains `model` on raw stamps x [N, 1, S, S] with background sigma [N] (no labels); the
/// validation loss uses x_val, sigma_val with views of a fixed seed. Keeps the final weights.
void train_ssl_encoder(SslEncoder& model, const torch::Tensor& x, const torch::Tensor& sigma,
                       const torch::Tensor& x_val, const torch::Tensor& sigma_val,
                       const SslTrainOptions& options, SslTrainReport* report = nullptr);

}  // namespace cosmograd::surveys
