// The detection, segmentation and deblending network: a U-Net (Ronneberger et al. 2015) on
// one asinh-scaled band that predicts, per pixel, a foreground logit, a centre-heatmap logit
// (CenterNet, Zhou et al. 2019, arXiv:1904.07850) and the offset from the pixel to its object's
// centre (Panoptic-DeepLab, Cheng et al. 2020, CVPR, 12475). Decoding: detections are the 3x3
// local maxima of the heatmap above a threshold; each foreground pixel goes to the detection
// nearest to (pixel + offset); an object's flux is the image summed over its footprint.
//
// Pixel convention (that of surveys/images/blend_set.hpp): maps are row-major H x W,
// values[iy * W + ix], and pixel (ix, iy) is centred at (x, y) = (ix + 0.5, iy + 0.5).
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "nn/modules/unet2d.hpp"
#include "nn/train/model_file.hpp"

namespace cosmograd::surveys {

/// Architecture, input scaling and decoding settings of the detector (all in its header).
struct DetectorConfig {
  int64_t depth = 3;           ///< U-Net 2x downsamplings (inputs padded to 2^depth)
  int64_t base_channels = 16;  ///< U-Net channels at the finest level
  int64_t norm_groups = 4;     ///< group-norm groups (divides base_channels)
  double soften = 3.0;         ///< asinh_scale softening [background sigma]
  double heatmap_sigma = 1.5;  ///< Gaussian sigma of the centre heatmap targets [pixels]
  double threshold = 0.3;      ///< heatmap peak threshold of a detection (set on validation)
  double foreground = 0.5;     ///< foreground probability of a footprint pixel
  /// Largest distance from a foreground pixel's centre + offset to the detection it joins
  /// [pixels] (farther: left unassigned, light of an undetected object); 0: no limit.
  double assign_radius = 0;
  std::string band = "i";    ///< the band it was trained on
  double pixel_scale = 0.2;  ///< pixel side of the training images [arcsec]
  /// Throws std::invalid_argument naming the field, its value and what is allowed.
  void validate() const;
};

/// The detector network: [N, 1, H, W] asinh-scaled images -> [N, 4, H, W].
class DetectorNetImpl : public torch::nn::Module {
 public:
  /// Builds the U-Net of `config` (validated).
  explicit DetectorNetImpl(const DetectorConfig& config);
  /// x: [N, 1, H, W], H and W multiples of 2^depth -> channels: foreground logit, centre
  /// heatmap logit, offset to the object's centre along x and along y [pixels].
  torch::Tensor forward(const torch::Tensor& x);
  /// The header keys (model = vision_detector, architecture, scaling, decoding, band).
  nn::ModelHeader header() const;
  /// The configuration.
  const DetectorConfig& config() const { return config_; }
  /// Sets the decoding settings: heatmap peak and foreground probability thresholds, both in
  /// (0, 1), and the assignment radius [pixels] (0: no limit).
  void set_thresholds(double threshold, double foreground, double assign_radius);

 private:
  DetectorConfig config_;
  nn::UNet2d unet_{nullptr};
};

/// Module holder of DetectorNetImpl.
TORCH_MODULE(DetectorNet);

/// The DetectorConfig of a vision_detector model header; throws std::runtime_error naming the
/// file and key when a key is missing or malformed.
DetectorConfig detector_config_from(const nn::ModelHeader& header);

/// Loads a model file written with DetectorNetImpl::header() keys (in eval mode); throws
/// std::runtime_error naming the file when it is not a vision_detector.
DetectorNet load_detector(const std::string& path, nn::ModelHeader* header = nullptr);

/// The network's per-pixel outputs for one image, row-major H x W.
struct DetectorMaps {
  int width = 0;                  ///< W [pixels]
  int height = 0;                 ///< H [pixels]
  std::vector<float> foreground;  ///< foreground probability (sigmoid)
  std::vector<float> heatmap;     ///< centre heatmap (sigmoid)
  std::vector<float> offset_x;    ///< offset to the object's centre along x [pixels]
  std::vector<float> offset_y;    ///< offset to the object's centre along y [pixels]
};

/// One detected object.
struct Detection {
  double x = 0;        ///< centre along x [pixels] (pixel ix spans [ix, ix + 1])
  double y = 0;        ///< centre along y [pixels]
  double flux = 0;     ///< the image summed over its footprint [image units]
  int64_t pixels = 0;  ///< footprint pixels
  double score = 0;    ///< heatmap value at its peak, in (0, 1)
};

/// A decoded image: catalogue and segmentation.
struct DetectionMap {
  int width = 0;                           ///< W [pixels]
  int height = 0;                          ///< H [pixels]
  std::vector<Detection> objects;          ///< in order of decreasing score
  std::vector<std::int32_t> segmentation;  ///< H x W: 0 background, else 1 + object index
};

/// Peaks of a heatmap: pixels above `threshold` that are the maximum of their 3x3
/// neighbourhood (ties go to the first in row-major order), each refined to sub-pixel precision
/// by a 3-point Gaussian (log-parabola) fit along x and along y, clamped to the pixel; returned
/// in order of decreasing score with empty footprints. The fit is exact for a Gaussian heatmap
/// (the training target), where the 3x3 weighted centroid is pulled towards the pixel centre
/// (by 70% of the offset for sigma = 1.5 px).
std::vector<Detection> heatmap_peaks(const std::vector<float>& heatmap, int width, int height,
                                     double threshold);

/// Decodes `maps` of `image` (H x W, row-major, image units): heatmap_peaks above `threshold`,
/// then each pixel of foreground probability > `foreground` joins the detection nearest to its
/// centre plus its predicted offset (when that is within `assign_radius` pixels of it; 0: any
/// distance), and each detection's flux and pixel count are summed over its footprint. Throws
/// std::invalid_argument naming mismatched sizes.
DetectionMap decode_detections(const DetectorMaps& maps, const std::vector<float>& image,
                               double threshold, double foreground, double assign_radius = 0);

/// Network maps of `images` ([N, H, W] in image units, any H, W >= 1) with background rms
/// `sigma` (one per image): asinh_scale'd, zero-padded at the high-index edges to multiples of
/// 2^depth, run in batches of `batch` without gradients, cropped back.
std::vector<DetectorMaps> predict_maps(DetectorNet& net, const torch::Tensor& images,
                                       const std::vector<double>& sigma, int64_t batch = 64);

/// Network maps of one large image (H x W, row-major) run as tiles of tile x tile pixels
/// overlapping by `overlap` pixels; each output pixel comes from the tile whose centre is
/// nearest (the overlap keeps tile borders out of the kept region). Images that fit one tile
/// run whole. tile must be a multiple of 2^depth and > 2 overlap.
DetectorMaps predict_maps_tiled(DetectorNet& net, const std::vector<float>& image, int width,
                                int height, double sigma, int tile = 256, int overlap = 32);

}  // namespace cosmograd::surveys
