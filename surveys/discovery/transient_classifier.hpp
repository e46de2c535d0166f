// A recurrent light-curve classifier in the manner of SuperNNova (Moeller & de Boissiere 2020,
// MNRAS 491, 4277): one time step per observation of the observation window
// (lightcurve_data.hpp), a stacked GRU (Cho et al. 2014), and a linear softmax head on the
// hidden state after the last observation, so the same network classifies partial light curves.
// Trained with random truncations around the peak (augmentation) and the cross-entropy
// weighted by inverse class frequency (PLAsTiCC's flat weighting); the host redshift is an input
// with a "known" flag, masked (z = 0, flag = 0) for a random fraction of the training curves, so
// one network serves with and without redshift.
//
// Inputs per step (kTransientInputs = 15): time since the window's first observation / time_scale,
// min(time since the previous observation, 100 d) / 10 d, one-hot passband (6), asinh(flux /
// flux_scale), asinh(flux_err / flux_scale), detected flag, host z (0 when masked), z-known flag,
// and flux and flux_err over the curve's own scale (its largest |flux| at S/N >= 3 within the
// given window, at least flux_scale), which carries the shape and colours free of distance.
// Head: linear on [the top GRU layer's output after the last observation, its mean over all
// observations].
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <vector>

#include "nn/train/model_file.hpp"
#include "surveys/discovery/lightcurve_data.hpp"

namespace cosmograd::surveys {

/// Inputs per time step of TransientNet.
inline constexpr int64_t kTransientInputs = 15;

/// Architecture and input scaling of TransientNet.
struct TransientNetConfig {
  int64_t hidden = 64;              ///< GRU hidden units, in [4, 1024]
  int64_t layers = 2;               ///< stacked GRU layers, in [1, 8]
  double flux_scale = 20.0;         ///< asinh softening of flux and error [FLUXCAL], > 0
  double time_scale = 100.0;        ///< time unit of the first input [days], > 0
  double window_pre_days = 30.0;    ///< window before the first detection [days], >= 0
  double window_post_days = 150.0;  ///< window after the first detection [days], > 0
  /// Throws std::invalid_argument naming the field, its value and what is allowed.
  void validate() const;
};

/// GRU over the observation sequence, linear head to kLightCurveClasses logits.
class TransientNetImpl : public torch::nn::Module {
 public:
  /// Builds the network of `config` (validated).
  explicit TransientNetImpl(const TransientNetConfig& config);
  /// Logits [B, K] from inputs x [B, T, kTransientInputs] (float32, right-padded) and the valid
  /// lengths [B] (int64, in [1, T]): the head on the top layer's output at step length - 1
  /// concatenated with its mean over steps 0 .. length - 1.
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& lengths);
  /// The model-file header: model = discover_transients and the architecture keys.
  nn::ModelHeader header() const;
  /// The configuration.
  const TransientNetConfig& config() const { return config_; }

  torch::nn::GRU gru{nullptr};      ///< the recurrent layers
  torch::nn::Linear head{nullptr};  ///< [last, mean] (2 hidden) -> class logits

 private:
  TransientNetConfig config_;
};
/// Module holder of TransientNetImpl.
TORCH_MODULE(TransientNet);

/// The model kind written in the header's key `model`.
inline constexpr const char* kTransientModelKind = "discover_transients";

/// The configuration stored in a header of TransientNetImpl::header (throws naming the key).
TransientNetConfig transient_net_config_from(const nn::ModelHeader& header);
/// Loads a model file of kind discover_transients (eval mode); header copied when not null.
TransientNet load_transient_net(const std::string& path, nn::ModelHeader* header = nullptr);

/// Padded inputs of a batch of windowed light curves.
struct TransientSequences {
  torch::Tensor x;        ///< [B, T, kTransientInputs] float32, zero-padded
  torch::Tensor lengths;  ///< [B] int64, max(1, observations)
};

/// The inputs of `curves` (already windowed and truncated); z_known[i] says whether curve i's
/// host redshift is given (else z = 0 and the flag 0). A curve without observations gets one
/// all-zero step.
TransientSequences transient_sequences(const std::vector<const LightCurve*>& curves,
                                       const std::vector<bool>& z_known,
                                       const TransientNetConfig& config);

/// Class probabilities [N, K] (float64) of windowed curves, in eval mode, `batch` at a time.
torch::Tensor transient_probabilities(TransientNet& net, const std::vector<LightCurve>& curves,
                                      bool with_redshift, int64_t batch = 256);

/// Settings of train_transient_net.
struct TransientTrainOptions {
  int epochs = 30;                   ///< passes over the training curves, >= 1
  int64_t batch = 64;                ///< curves per step, >= 1
  double lr = 2e-3;                  ///< peak AdamW learning rate (cosine decay), > 0
  double weight_decay = 1e-4;        ///< AdamW weight decay, >= 0
  double validation_fraction = 0.1;  ///< curves held out for model selection, in [0, 0.5]
  double truncate_fraction = 0.5;    ///< training curves truncated per epoch, in [0, 1]
  double truncate_lo_days = -25.0;   ///< truncation at reference peak + U(lo, hi) [days]
  double truncate_hi_days = 40.0;    ///< upper end of that offset [days], > lo
  double z_drop = 0.5;               ///< fraction of training curves without redshift, [0, 1]
  int min_detections = 2;            ///< curves (and truncations) need this many detections
  double before_days = 10.0;         ///< the validation's before-peak phase [days]
  double max_seconds = 0;            ///< stop after this wall time [s]; 0 = no limit
  std::uint64_t seed = 1;            ///< shuffling, splits and augmentation
  /// Throws std::invalid_argument naming the field, its value and what is allowed.
  void validate() const;
};

/// What train_transient_net did.
struct TransientTrainReport {
  std::vector<double> train_loss;  ///< weighted cross-entropy per epoch [nats]
  std::vector<double> val_loss;    ///< validation flat log-loss per epoch [nats]
  int best_epoch = -1;             ///< epoch of the kept weights (0-based)
  double seconds = 0;              ///< wall time [s]
  int64_t train_curves = 0;        ///< curves trained on
  int64_t val_curves = 0;          ///< curves validated on
  int64_t dropped_curves = 0;      ///< curves below min_detections (full curve)
};

/// Trains `net` on `set` (objects with >= min_detections detections; the validation split a
/// seeded random fraction): per epoch each curve is truncated with probability
/// truncate_fraction at its reference peak (lightcurve_data.hpp) + U(lo, hi) days (kept full
/// when the truncation leaves fewer than min_detections detections), windowed, its redshift
/// masked with probability z_drop; batches of similar length; class-weighted cross-entropy;
/// AdamW with cosine decay (over the steps, or over max_seconds of wall time when that is
/// shorter) and gradient clipping at norm 1. Validation: the flat log-loss over
/// the full, at-peak and before-peak curves, with and without redshift; the best epoch's
/// weights are kept.
void train_transient_net(TransientNet& net, const LightCurveSet& set,
                         const TransientTrainOptions& options, TransientTrainReport* report);

}  // namespace cosmograd::surveys
