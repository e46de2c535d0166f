// Batched, differentiable galaxy rendering with LibTorch: Sersic profiles (Graham & Driver
// 2005) point-sampled on a sub-pixel grid for a batch of stamps at once, and zero-padded FFT
// convolution with a PSF. Runs on the tensors' device (CPU or CUDA) and is differentiable in
// every profile parameter through autograd. surveys/images/ (add_sersic, convolve) is the
// reference and shares its conventions (see surveys/images/sersic.hpp): pixel (ix, iy) covers
// [ix, ix + 1) x [iy, iy + 1); images are (ny, nx) row-major; radii are circularised sqrt(a b);
// the ellipticity (e1, e2) is applied as the area-preserving shear
// S = [[1 + e1, e2], [e2, 1 - e1]] / sqrt(1 - |e|^2); the profile is truncated at truncation x
// R_e with R_e the half-light radius of the truncated profile (k = sersic_k(n, truncation)).
//
// Sampling: each pixel is the mean of oversample x oversample point samples at the sub-pixel
// centres; the 4 x 4 pixels nearest each centre are sampled 4 times finer per axis, which
// resolves most of the cusp of n > 1 profiles. The truncation edge is anti-aliased over one
// sub-pixel (a smoothstep in the circularised radius), so the image is C1 in every parameter and
// its gradient includes the edge's motion.
// Normalisation: each profile is divided by its own sampled sum over a canvas holding its whole
// truncation ellipse (the stamp, grown only when a profile reaching the stamp extends beyond
// it), so a profile inside the stamp sums to its flux to rounding and one crossing the edge loses
// the flux beyond it; no analytic normalisation (Gamma functions of n) enters the image or its
// gradient. k is the CPU reference's sersic_k per element (computed on the host: one host
// synchronisation per call), with dk/dn from a five-point difference of sersic_k (~1e-11).
// Accuracy against add_sersic at oversample 5, n in {0.5, 1, 2, 4}, R_e in {1.5, 3, 6} px:
// relative L1 difference <= 1.03e-3 and max |difference| / peak <= 1.6e-3 (the point sampling
// misses 1 / (12 oversample^2) px^2 of the pixel's second moment outside the finer core).
#pragma once

#include <torch/types.h>

#include "surveys/images/sersic.hpp"

namespace cosmograd::surveys {

/// A batch of Sersic profiles: every tensor has shape (B,), one floating dtype, one device.
struct SersicBatch {
  torch::Tensor flux;               ///< total flux of the truncated profile [flux units], finite
  torch::Tensor half_light_radius;  ///< circularised half-light radius [pixels], > 0
  torch::Tensor n;                  ///< Sersic index, 0.3 <= n <= 6.2
  torch::Tensor e1;                 ///< ellipticity (a - b)/(a + b) along x, |e| < 1
  torch::Tensor e2;                 ///< ellipticity (a - b)/(a + b) along the diagonal, |e| < 1
  torch::Tensor x0;                 ///< centre [pixels, image pixel coordinates]
  torch::Tensor y0;                 ///< centre [pixels, image pixel coordinates]
};

/// (B, ny, nx) images [flux per pixel] of the batch on the tensors' device: oversample^2 point
/// samples per pixel, truncation [R_e] >= 1.5, normalised to the sampled sum; differentiable.
torch::Tensor render_sersic_batch(const SersicBatch& batch, int nx, int ny, int oversample = 5,
                                  double truncation = kSersicDefaultTruncation);

/// (B, ny, nx) images convolved with one (h, w) PSF or one (B, h, w) PSF per image (odd sizes,
/// centred at the central pixel) by zero-padded FFTs (no wrap-around), same size as the input;
/// differentiable in both.
torch::Tensor convolve_psf_batch(const torch::Tensor& images, const torch::Tensor& psf);

/// A (ny, nx) float64 CPU tensor holding a copy of image's values [flux per pixel].
torch::Tensor image_to_tensor(const Image& image);

/// An Image holding a copy of a (ny, nx) floating tensor on any device [flux per pixel].
Image tensor_to_image(const torch::Tensor& tensor);

}  // namespace cosmograd::surveys
