// A mixture density network (Bishop 1994) from photometric features to a one-dimensional
// property: photometric redshift (as in D'Isanto & Polsterer 2018, A&A 609, A111) or stellar
// mass. An MLP trunk on standardised features feeds nn::MixtureDensityHead; the model keeps the
// feature and target standardisation as buffers, so it is applied to raw features. Trained on
// -log p(y | x) with Adam and a cosine learning rate; the best validation model is kept.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <vector>

#include "nn/modules/mdn.hpp"
#include "nn/modules/mlp.hpp"
#include "nn/train/model_file.hpp"

namespace cosmograd::surveys {

/// Architecture of a PhotometryMdn.
struct PhotometryMdnConfig {
  int64_t features = 11;                          ///< input features F
  std::vector<int64_t> hidden = {128, 128, 128};  ///< MLP trunk widths
  int64_t components = 5;                         ///< mixture components K
  std::string target = "redshift";                ///< what y is ("redshift", "log_stellar_mass")
  std::string inputs = "asinh_mags_colours";      ///< what x is (recorded in the header)
  /// Throws std::invalid_argument naming the field.
  void validate() const;
};

/// 1-D Gaussian mixtures in target units, N * K each.
struct Mixtures {
  std::size_t components = 0;   ///< K
  std::vector<double> weights;  ///< summing to 1 per galaxy
  std::vector<double> means;    ///< [target units]
  std::vector<double> sigmas;   ///< [target units]
};

/// The network: standardise x, MLP, mixture head over the standardised target.
class PhotometryMdnImpl : public torch::nn::Module {
 public:
  /// Builds the network (untrained; standardisation identity).
  explicit PhotometryMdnImpl(PhotometryMdnConfig config);
  /// log p(y | x) in target units, (B); x (B, F) raw features, y (B).
  torch::Tensor log_prob(const torch::Tensor& x, const torch::Tensor& y);
  /// The mixtures of raw features x (N * F row-major) in target units, in batches, no grad.
  Mixtures mixtures(const std::vector<float>& x);
  /// Sets the standardisation from training features (N * F) and targets (N).
  void set_standardisation(const std::vector<float>& x, const std::vector<float>& y);
  /// The architecture.
  const PhotometryMdnConfig& config() const { return config_; }
  /// Header keys of the architecture (model = photometry_mdn, mdn_*).
  nn::ModelHeader header() const;

 private:
  PhotometryMdnConfig config_;
  nn::MLP trunk_{nullptr};
  nn::MixtureDensityHead head_{nullptr};
  torch::Tensor x_mean_, x_std_, y_mean_, y_std_;
};
/// Module holder of PhotometryMdnImpl.
TORCH_MODULE(PhotometryMdn);

/// Training options.
struct PhotometryMdnTrainOptions {
  int64_t epochs = 100;        ///< passes over the training set
  int64_t batch = 256;         ///< galaxies per step
  double lr = 2e-3;            ///< Adam learning rate (cosine decay to 1/20)
  double weight_decay = 1e-5;  ///< Adam L2 weight decay
  std::uint64_t seed = 1;      ///< initialisation and batch order
  /// Throws std::invalid_argument naming the field.
  void validate() const;
};

/// What training did.
struct PhotometryMdnTrainReport {
  std::size_t train = 0, validation = 0;  ///< galaxies
  int64_t best_epoch = 0;                 ///< epoch of the kept model (1-based)
  double validation_nll = 0;              ///< its mean -log p(y | x) [log target units]
  double seconds = 0;                     ///< wall time
};

/// Trains a PhotometryMdn on features x (N * F) and targets y (N), selecting the epoch with the
/// lowest validation loss on (x_val, y_val).
PhotometryMdn train_photometry_mdn(const PhotometryMdnConfig& config, const std::vector<float>& x,
                                   const std::vector<float>& y, const std::vector<float>& x_val,
                                   const std::vector<float>& y_val,
                                   const PhotometryMdnTrainOptions& options,
                                   PhotometryMdnTrainReport* report);

/// Loads a model file written with PhotometryMdnImpl::header(); throws std::runtime_error naming
/// the file when it is not a photometry_mdn model (or its target is not `target`, when given).
PhotometryMdn load_photometry_mdn(const std::string& path, const std::string& target,
                                  nn::ModelHeader* header);

}  // namespace cosmograd::surveys
