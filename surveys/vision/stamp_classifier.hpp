// A deep ensemble of small ResNets classifying image stamps, with one temperature that
// calibrates its probabilities: M members trained independently from different random
// initialisations and batch orders, their probabilities averaged (Lakshminarayanan, Pritzel &
// Blundell 2017, NeurIPS, "Simple and Scalable Predictive Uncertainty Estimation using Deep
// Ensembles"), then temperature scaling fitted on the validation split (Guo et al. 2017). Used
// by the morphology classifier (K classes, cross-entropy) and the strong-lens finder (one
// logit, binary cross-entropy = cross-entropy of the two-class logits (0, z)).
//
// Inputs are [N, C, S, S] stamps already scaled by asinh_scale (image_tensors.hpp); the
// caller records how in the header. Training augments every stamp by one of the 8 symmetries
// of the square (rotations by multiples of 90 degrees, with or without a mirror), which leave
// both tasks' labels unchanged, and keeps for each member the epoch of the lowest validation
// NLL.
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/pimpl.h>

#include <cstdint>
#include <string>
#include <vector>

#include "nn/modules/resnet.hpp"
#include "nn/train/model_file.hpp"

namespace cosmograd::surveys {

/// Architecture of a stamp classifier ensemble.
struct StampClassifierConfig {
  std::string model_type;                ///< header key `model` (e.g. "vision_morphology")
  int64_t in_channels = 1;               ///< image channels C (bands)
  int64_t size = 32;                     ///< stamp side S the network sees [pixels]
  std::vector<std::string> class_names;  ///< K >= 2 names (letters, digits, '_', '+', '-')
  bool binary = false;                   ///< one logit z per stamp (K = 2; class 1 positive)
  std::vector<int64_t> stage_channels = {16, 32, 64};  ///< ResNet2d stage widths
  int64_t blocks_per_stage = 2;                        ///< ResNet2d basic blocks per stage
  int64_t members = 3;                                 ///< ensemble size M
  /// Throws std::invalid_argument naming the field, the value and what is allowed.
  void validate() const;
  /// Number of classes K.
  int64_t classes() const { return static_cast<int64_t>(class_names.size()); }
};

/// The ensemble: a ModuleList of M ResNet2d members plus the temperature (a buffer).
class StampClassifierImpl : public torch::nn::Module {
 public:
  /// Builds M untrained members (validated config) with temperature 1.
  explicit StampClassifierImpl(StampClassifierConfig config);
  /// Raw member outputs [M, N, K] (binary: [M, N, 1]) of x [N, C, S, S] (scaled stamps).
  torch::Tensor member_outputs(const torch::Tensor& x);
  /// Member class logits [M, N, K] (binary: the two-class logits (0, z)) of x, evaluated
  /// without gradients in eval mode, `batch` stamps at a time.
  torch::Tensor class_logits(const torch::Tensor& x, int64_t batch = 256);
  /// Ensemble probabilities [N, K] (float64) of x at the fitted temperature (calibrated) or
  /// at T = 1.
  torch::Tensor probabilities(const torch::Tensor& x, bool calibrated = true);
  /// Member m (0-based) as a module.
  nn::ResNet2d member(int64_t m) const;
  /// The calibration temperature T > 0.
  double temperature() const;
  /// Sets T (> 0, finite; std::invalid_argument otherwise).
  void set_temperature(double t);
  /// Architecture keys (model, clf_*) of the model file, the temperature included.
  nn::ModelHeader header() const;
  /// The configuration.
  const StampClassifierConfig& config() const { return config_; }

 private:
  StampClassifierConfig config_;
  torch::nn::ModuleList members_{nullptr};
  torch::Tensor temperature_;
};
/// Module holder of StampClassifierImpl.
TORCH_MODULE(StampClassifier);

/// The configuration of a header written from StampClassifierImpl::header(); throws
/// std::runtime_error naming the file and key when one is missing or malformed.
StampClassifierConfig stamp_classifier_config_from(const nn::ModelHeader& header);

/// Reads a model file of type `model_type` (its header into *header when given) and loads the
/// weights (eval mode); throws std::runtime_error naming the file when the type differs.
StampClassifier load_stamp_classifier(const std::string& path, const std::string& model_type,
                                      nn::ModelHeader* header = nullptr);

/// Options of train_stamp_classifier.
struct StampClassifierTrainOptions {
  int64_t epochs = 8;          ///< passes over the training stamps per member
  int64_t batch = 64;          ///< stamps per optimiser step
  double lr = 2e-3;            ///< AdamW peak learning rate (cosine decay to lr / 50)
  double weight_decay = 1e-4;  ///< AdamW decoupled weight decay (Loshchilov & Hutter 2019)
  bool augment = true;         ///< random symmetries of the square per stamp
  std::uint64_t seed = 1;      ///< member m uses seed + 1000 m (initialisation and batches)
  bool log = true;             ///< a progress line per epoch
  /// Width of the log-normal prior of the temperature fit (fit_temperature; 0: plain NLL).
  double temperature_prior_sigma = 0.5;
  /// Throws std::invalid_argument naming the option.
  void validate() const;
};

/// Validation curves and wall time of a training run.
struct StampClassifierTrainReport {
  double seconds = 0;                               ///< wall time of all members [s]
  std::vector<std::vector<double>> validation_nll;  ///< per member, per epoch [nats]
  std::vector<std::vector<double>> train_loss;      ///< per member, mean loss per epoch [nats]
  std::vector<int64_t> best_epoch;                  ///< per member, 1-based
  double temperature = 1;                           ///< fitted on the validation split
  double validation_nll_uncalibrated = 0;           ///< ensemble at T = 1 [nats]
  double validation_nll_calibrated = 0;             ///< ensemble at the fitted T [nats]
};

/// The image x [N, C, S, S] transformed by symmetry k in [0, 8): rotation by (k mod 4) x 90
/// degrees in the (H, W) plane, then a mirror along W when k >= 4.
torch::Tensor square_symmetry(const torch::Tensor& x, int64_t k);

/// Trains every member of `model` on (x_train [N, C, S, S] scaled stamps, y_train [N] int64
/// class indices) with AdamW and cross-entropy, keeps each member's epoch of lowest validation
/// NLL on (x_val, y_val), then fits the temperature on the validation split (fit_temperature
/// with options.temperature_prior_sigma).
void train_stamp_classifier(StampClassifier& model, const torch::Tensor& x_train,
                            const torch::Tensor& y_train, const torch::Tensor& x_val,
                            const torch::Tensor& y_val, const StampClassifierTrainOptions& options,
                            StampClassifierTrainReport* report = nullptr);

}  // namespace cosmograd::surveys
