// Astronomical augmentations of single-band stamps for contrastive learning (Hayat et al.
// 2021, ApJL 911, L33; Stein et al. 2022, arXiv:2110.00023, sec. 3.2): the 8 symmetries of the
// square, a jitter of the centre with a size scaling (one bilinear resampling), a brightness
// scaling and added Gaussian noise in units of the stamp's background noise. Their per-band
// Galactic reddening needs several bands and is left out for single-band stamps.
//
// Views are made from raw stamps [unit per pixel] and then scaled as every vision network's
// input: asinh(image / (soften sigma)) with the stamp's original sigma (image_tensors.hpp).
#pragma once

#include <ATen/core/Generator.h>
#include <torch/types.h>

#include <cstddef>
#include <cstdint>
#include <vector>

#include "surveys/images/stamp_set.hpp"

namespace cosmograd::surveys {

/// Options of ssl_augment (the strengths of each transformation).
struct SslAugmentOptions {
  bool symmetries = true;         ///< a random one of the 8 symmetries of the square
  double jitter_px = 2.0;         ///< centre shift, uniform in [-jitter, jitter] per axis [pixels]
  double scale_min = 0.9;         ///< size scaling factor, log-uniform in [scale_min, scale_max]
  double scale_max = 1.1;         ///< (> 1 enlarges the galaxy)
  double warp_probability = 0.5;  ///< share of views resampled (sub-pixel shift and scaling);
                                  ///< the others get an integer shift only (no interpolation)
  double flux_min = 0.8;          ///< brightness factor, log-uniform in [flux_min, flux_max]
  double flux_max = 1.25;
  double noise_max = 1.0;  ///< added noise sigma, uniform in [0, noise_max] x stamp sigma
  double soften = 3.0;     ///< asinh softening of the network input [stamp sigma]
  /// Throws std::invalid_argument naming the field, the value and what is allowed.
  void validate() const;
};

/// Raw stamps [N, 1, S, S] (float32, the stamp set's unit) of the rows `rows`, and their
/// background sigma [N] through *sigma; throws std::invalid_argument for a row out of range.
torch::Tensor ssl_raw_stamps(const StampSet& set, const std::vector<std::size_t>& rows,
                             torch::Tensor* sigma);

/// The network input asinh(x / (soften sigma)) of raw stamps x [N, 1, S, S] with sigma [N].
torch::Tensor ssl_scale(const torch::Tensor& x, const torch::Tensor& sigma, double soften);

/// Each stamp of x [N, C, S, S] transformed by its own symmetry k[i] in [0, 8) (k: [N] int64,
/// square_symmetry of stamp_classifier.hpp).
torch::Tensor apply_square_symmetries(const torch::Tensor& x, const torch::Tensor& k);

/// x [N, C, S, S] resampled bilinearly (reflected at the stamp edges) so that the galaxy is
/// enlarged by scale[i] about the stamp centre and moved by (dx[i], dy[i]) pixels along
/// (W, H): out(p) = x(c + (p - c - d) / scale). Exact copies for scale 1 and integer shifts.
torch::Tensor warp_stamps(const torch::Tensor& x, const torch::Tensor& scale,
                          const torch::Tensor& dx, const torch::Tensor& dy);

/// One random view (network input, [N, 1, S, S]) of every raw stamp x [N, 1, S, S] with
/// background sigma [N]: symmetry, shift and scaling, brightness factor f, then noise
/// N(0, (u sigma)^2) with u ~ U(0, noise_max), then ssl_scale with the original sigma.
torch::Tensor ssl_augment(const torch::Tensor& x, const torch::Tensor& sigma,
                          const SslAugmentOptions& options, at::Generator& gen);

}  // namespace cosmograd::surveys
