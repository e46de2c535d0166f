// The hybrid photometric-redshift network: a small CNN on a galaxy's multi-band stamps
// (multiband_stamps.hpp) whose pooled features are concatenated with an MLP embedding of its
// photometry features (photometry_sample.hpp: asinh magnitudes and colours, standardised) and
// fed to a Gaussian mixture density head over the redshift (Bishop 1994; nn/modules/mdn.hpp),
// after Pasquet et al. 2019 (A&A 621, A26), whose CNN on SDSS ugriz stamps returns p(z) (their
// softmax over redshift bins is a mixture here) and who add the galaxy's extinction as a
// non-image input as the photometry is added here. Trained on -log p(z_true | stamps,
// photometry) with Adam, a cosine learning rate, random flips and 90-degree rotations of the
// stamps, keeping the epoch of least validation loss; the split is split_sample's, the one
// every photo-z method of the project uses.
//
// Inputs: stamps asinh(image / (soften sigma_b)) per band (image_tensors.hpp's asinh_scale,
// Lupton et al. 1999), photometry features standardised by the training split's mean and
// standard deviation; the target z standardised likewise. The standardisation is in the model
// header (hybrid_feature_mean, hybrid_feature_std, hybrid_z_mean, hybrid_z_std) and buffers.
//
// Model file (nn/train/model_file.hpp): model = hybrid_photoz, architecture keys hybrid_*,
// training and split keys hybrid_train_*.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <vector>

#include "nn/modules/mdn.hpp"
#include "nn/train/model_file.hpp"
#include "surveys/properties/multiband_stamps.hpp"
#include "surveys/properties/photometry_sample.hpp"
#include "surveys/properties/redshift_pdf.hpp"

namespace cosmograd::surveys {

/// Architecture and input scaling of a HybridPhotoz (model-file header keys hybrid_*).
struct HybridPhotozConfig {
  std::vector<std::string> bands = {"u", "g", "r", "i", "z", "y"};  ///< stamp bands B
  int64_t size = 25;                                                ///< stamp side S [pixels]
  double pixel_scale = 0.2;  ///< of the training stamps [arcsec]
  /// CNN stages' channels: stage i is a 3x3 convolution + batch norm + ReLU, then a 2x2 average
  /// pooling except after the last stage, which is pooled globally (mean over pixels).
  std::vector<int64_t> channels = {16, 32, 64};
  std::vector<int64_t> photometry_hidden = {64, 64};  ///< the photometry MLP's widths (GELU)
  int64_t hidden = 128;    ///< width of the joint layer before the mixture head (GELU)
  int64_t components = 5;  ///< mixture components K
  double soften = 3.0;     ///< asinh softening of the stamps [background sigma]
  int64_t features = 11;   ///< photometry features F (photometry_feature_count(B))
  std::vector<double> feature_mean, feature_std;  ///< F each, from the training split
  double z_mean = 0, z_std = 1;                   ///< target standardisation
  /// Throws std::invalid_argument naming the field.
  void validate() const;
};

/// The network with its configuration.
class HybridPhotozImpl : public torch::nn::Module {
 public:
  /// Builds the network of `config` (validated; empty standardisation: identity).
  explicit HybridPhotozImpl(HybridPhotozConfig config);
  /// Joint features (N, hidden) of scaled stamps (N, B, S, S) (hybrid_scale_stamps) and raw
  /// photometry features (N, F).
  torch::Tensor features(const torch::Tensor& stamps, const torch::Tensor& photometry);
  /// log p(z) [log 1 / unit redshift], (N); z (N) the redshifts.
  torch::Tensor log_prob(const torch::Tensor& stamps, const torch::Tensor& photometry,
                         const torch::Tensor& z);
  /// Mixture parameters in redshift units: weights, means, sigmas (N, K) each (no grad).
  std::vector<torch::Tensor> mixture(const torch::Tensor& stamps, const torch::Tensor& photometry);
  /// Header keys that rebuild this model (model = hybrid_photoz, hybrid_*).
  nn::ModelHeader header() const;
  /// The configuration.
  const HybridPhotozConfig& config() const { return config_; }

 private:
  HybridPhotozConfig config_;
  torch::nn::Sequential cnn_{nullptr}, photometry_{nullptr}, joint_{nullptr};
  nn::MixtureDensityHead head_{nullptr};
  torch::Tensor x_mean_, x_std_;  // (F) photometry standardisation
};
/// Module holder of HybridPhotozImpl.
TORCH_MODULE(HybridPhotoz);

/// Scaled network input (N, B, S, S) float32 of the stamps' rows `rows`: asinh(image / (soften
/// sigma)) with each stamp's band sigma (> 0: noiseless stamps are refused, naming the file).
torch::Tensor hybrid_scale_stamps(const MultibandStamps& stamps,
                                  const std::vector<std::size_t>& rows, double soften);

/// The HybridPhotozConfig of a header written by HybridPhotozImpl::header().
HybridPhotozConfig hybrid_photoz_config_from(const nn::ModelHeader& header);

/// Loads a model file (model = hybrid_photoz) in eval mode; throws std::runtime_error naming the
/// file otherwise.
HybridPhotoz load_hybrid_photoz(const std::string& path, nn::ModelHeader* header);

/// p(z) on `grid` of the rows `rows` of sample (stamps aligned with sample rows, checked by
/// require_aligned; bands and stamp side must be the model's).
RedshiftPdfs hybrid_photoz_pdfs(HybridPhotoz& model, const PhotometrySample& sample,
                                const MultibandStamps& stamps, const std::vector<std::size_t>& rows,
                                const RedshiftGrid& grid);

/// Training options.
struct HybridPhotozTrainOptions {
  std::vector<int64_t> channels = {16, 32, 64};       ///< CNN stage channels
  std::vector<int64_t> photometry_hidden = {64, 64};  ///< photometry MLP widths
  int64_t hidden = 128;                               ///< joint layer width
  int64_t components = 5;                             ///< mixture components K
  double soften = 3.0;                                ///< asinh softening [sigma]
  int64_t epochs = 8;                                 ///< passes over the training split
  int64_t batch = 128;                                ///< galaxies per step
  double lr = 2e-3;                                   ///< Adam learning rate (cosine to 1/20)
  double weight_decay = 1e-5;                         ///< Adam L2 weight decay
  bool augment = true;  ///< random flips and 90-degree rotations of each batch
  /// Stop after this wall time [s] (0: no limit); the cosine decay then follows the larger of
  /// the step and the time fractions, so a time-limited run also ends at lr / 20.
  double max_seconds = 0;
  double validation_fraction = 0.1;  ///< split_sample's validation share
  double test_fraction = 0.2;        ///< split_sample's held-out test share
  std::uint64_t split_seed = 1;      ///< split_sample's seed (the same for every method)
  std::uint64_t seed = 1;            ///< initialisation, batch order and augmentation
  int64_t log_every = 100;           ///< steps between progress lines (0: none)
  /// Throws std::invalid_argument naming the option.
  void validate() const;
};

/// What training did.
struct HybridPhotozTrainReport {
  std::size_t train = 0, validation = 0, test = 0;  ///< split sizes [galaxies]
  int64_t epochs_run = 0;                           ///< epochs completed
  int64_t best_epoch = 0;                           ///< epoch of the kept model (1-based)
  double validation_nll = 0;     ///< its mean -log p(z) on validation [log 1 / unit redshift]
  double seconds = 0;            ///< wall time of the training [s]
  bool stopped_by_time = false;  ///< max_seconds ended training before `epochs`
};

/// Trains the network on split.train, selecting the epoch of least mean validation -log p(z) on
/// split.validation (stamps aligned with sample). split must be split_sample(sample,
/// validation_fraction, test_fraction, split_seed) of the options (recorded in the header).
HybridPhotoz train_hybrid_photoz(const PhotometrySample& sample, const MultibandStamps& stamps,
                                 const SampleSplit& split, const HybridPhotozTrainOptions& options,
                                 HybridPhotozTrainReport* report);

/// Header keys recording the data, cuts, split and training (hybrid_train_*).
void add_hybrid_training_header(nn::ModelHeader& header, const PhotometrySample& sample,
                                const MultibandStamps& stamps, const SampleCuts& cuts,
                                const HybridPhotozTrainOptions& options,
                                const HybridPhotozTrainReport& report);

}  // namespace cosmograd::surveys
