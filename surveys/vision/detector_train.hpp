// Training of the detector (detector.hpp) on blend stamps (blend_set.hpp). Targets per pixel:
// foreground = the mock's segmentation > 0; centre heatmap = the maximum over the stamp's
// galaxies of a Gaussian of sigma heatmap_sigma about each true centre; offset = the vector
// from the pixel's centre to the centre of the galaxy its segment belongs to. Loss: binary
// cross-entropy of the foreground, the quality focal loss of the heatmap (Li et al. 2020,
// NeurIPS, "Generalized Focal Loss", eq. 5 with beta = 2: |y - p|^2 BCE(p, y), whose minimum is
// at p = y so the heatmap stays Gaussian, summed and divided by the galaxies in the batch) and
// the L1 offset loss on foreground pixels (Cheng et al. 2020). Batches get one of the 8
// rotations and reflections of the square (targets transformed alike). The kept model is the one
// of best validation F1; its detection threshold maximises that F1 (matches within 3 pixels).
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "surveys/images/blend_set.hpp"
#include "surveys/vision/detector.hpp"

namespace cosmograd::surveys {

/// Options of train_detector.
struct DetectorTrainOptions {
  DetectorConfig config;             ///< architecture (threshold is replaced by the chosen one)
  int64_t steps = 2000;              ///< optimiser steps
  int64_t batch = 16;                ///< stamps per step
  int64_t crop = 0;                  ///< train on random crop x crop windows (0: whole stamps)
  double lr = 2e-3;                  ///< Adam learning rate (cosine decay to 1/20)
  double heatmap_weight = 1.0;       ///< weight of the heatmap loss
  double offset_weight = 0.1;        ///< weight of the offset loss [1 / pixel]
  double validation_fraction = 0.1;  ///< stamps for model selection and the threshold
  double test_fraction = 0.2;        ///< held-out stamps (never seen in training)
  int64_t validate_every = 250;      ///< steps between validations
  double match_distance = 3.0;       ///< match radius of the validation F1 [pixels]
  std::uint64_t seed = 1;            ///< split, initialisation, batches and augmentation
  int64_t log_every = 250;           ///< progress lines (0: none)
  /// Throws std::invalid_argument naming the option, its value and what is allowed.
  void validate() const;
};

/// Outcome of a training run.
struct DetectorTrainReport {
  double seconds = 0;                               ///< training wall time [s]
  int64_t best_step = 0;                            ///< step of the kept model
  double validation_f1 = 0;                         ///< its validation F1 at the chosen threshold
  double validation_precision = 0;                  ///< its validation precision there
  double validation_recall = 0;                     ///< its validation recall there
  double threshold = 0;                             ///< the chosen heatmap threshold
  double final_loss = 0;                            ///< training loss of the last step
  std::size_t train = 0, validation = 0, test = 0;  ///< split sizes [stamps]
};

/// True centres (x, y) [pixels] per stamp, indexed [stamp][slot], from the truth table of `set`
/// (columns stamp, slot, x, y); throws std::invalid_argument naming a bad row.
std::vector<std::vector<std::array<double, 2>>> blend_centres(const BlendSet& set);

/// The index of `set`'s reference band in its bands; throws std::invalid_argument otherwise.
std::size_t reference_band(const BlendSet& set);

/// The reference-band images of `rows` as [R, S, S] float32 [nJy].
torch::Tensor blend_images(const BlendSet& set, const std::vector<std::size_t>& rows);

/// Training targets of a batch.
struct DetectorTargets {
  torch::Tensor foreground;  ///< [B, 1, S, S] 0 or 1
  torch::Tensor heatmap;     ///< [B, 1, S, S] in [0, 1]
  torch::Tensor offsets;     ///< [B, 2, S, S] (dx, dy) [pixels], 0 off the foreground
  int64_t objects = 0;       ///< galaxies in the batch
};

/// The targets of `rows` of `set` (segmentation and `centres` of blend_centres).
DetectorTargets detector_targets(const BlendSet& set,
                                 const std::vector<std::vector<std::array<double, 2>>>& centres,
                                 const std::vector<std::size_t>& rows, double heatmap_sigma);

/// Applies symmetry k in [0, 8) of the square to images [B, C, S, S] and the targets: bit 0
/// transposes x and y, bit 1 mirrors x, bit 2 mirrors y (offset vectors transformed alike).
void dihedral_transform(int k, torch::Tensor& images, DetectorTargets& targets);

/// The three loss terms and their weighted sum.
struct DetectorLosses {
  torch::Tensor total;       ///< foreground + heatmap_weight heatmap + offset_weight offset
  torch::Tensor foreground;  ///< mean BCE per pixel
  torch::Tensor heatmap;     ///< quality focal loss per galaxy
  torch::Tensor offset;      ///< mean L1 per foreground pixel and axis [pixels]
};

/// The losses of network `output` [B, 4, S, S] against `targets`.
DetectorLosses detector_loss(const torch::Tensor& output, const DetectorTargets& targets,
                             double heatmap_weight, double offset_weight);

/// Counts of a threshold scan.
struct ThresholdScan {
  std::vector<double> thresholds;             ///< the thresholds scanned
  std::vector<double> precision, recall, f1;  ///< at each threshold
  std::size_t best = 0;                       ///< index of the best F1
};

/// Precision, recall and F1 of `peaks` (per stamp, from heatmap_peaks at a low threshold) against
/// `truths` (per stamp) for thresholds 0.05, 0.075, ..., 0.95; matches within max_distance.
ThresholdScan scan_thresholds(const std::vector<std::vector<Detection>>& peaks,
                              const std::vector<std::vector<std::array<double, 2>>>& truths,
                              double max_distance);

/// Trains a detector on the training rows of split_stamps(count, validation_fraction,
/// test_fraction, seed) of `set`; the network's threshold is set to the best validation F1's.
DetectorNet train_detector(const BlendSet& set, const DetectorTrainOptions& options,
                           DetectorTrainReport* report = nullptr);

/// Header keys recording the data, split and training of a model (detector_train_*).
void add_detector_training_header(nn::ModelHeader& header, const BlendSet& set,
                                  const DetectorTrainOptions& options,
                                  const DetectorTrainReport& report);

}  // namespace cosmograd::surveys
