// Classical restoration of noisy, PSF-blurred stamps, the baselines of the restoration U-Net
// (restorer.hpp): Wiener deconvolution with a signal power spectrum learned from training
// images, and Richardson-Lucy.
//
// Both treat a stamp of side S as periodic: the PSF is zero-padded to S x S with its centre
// pixel moved to (0, 0) and convolution is circular, by FFTs of the stamp size (torch::fft,
// unnormalised forward transform Y(k) = sum_x y(x) exp(-2 pi i k.x / S)). The mocks convolve
// with zero padding instead (surveys/images/psf.hpp), so the two differ only where light lies
// within a PSF radius of the stamp's edge. Images are computed in float64 and returned in the
// input's dtype; every function works on batches [B, S, S] with one PSF per stamp [B, P, P]
// (P odd, <= S, centred at (P/2, P/2), summing to 1) or one PSF for all [P, P].
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <functional>
#include <vector>

namespace cosmograd::surveys {

/// PSFs [B, P, P] or [P, P] (odd P <= size) zero-padded to [B, size, size] / [size, size] with
/// their centre pixel (P/2, P/2) at pixel (0, 0) and the rest wrapped around: the kernel of
/// circular convolution (a delta PSF gives the identity). Throws std::invalid_argument naming
/// the PSF shape otherwise.
torch::Tensor psf_at_origin(const torch::Tensor& psfs, int64_t size);

/// PSFs [B, P, P] or [P, P] zero-padded to [.., size, size] with their centre pixel at
/// (size/2, size/2), where the stamps put their galaxy (the restoration network's PSF input).
torch::Tensor psf_centred(const torch::Tensor& psfs, int64_t size);

/// Circular convolution of images [B, S, S] with PSFs [B, P, P] or [P, P]; with `transpose`
/// the correlation (the adjoint H^T, convolution with the mirrored PSF).
torch::Tensor convolve_circular(const torch::Tensor& images, const torch::Tensor& psfs,
                                bool transpose = false);

/// The Wiener filter's signal prior: the mean power |X(k)|^2 of training images (unnormalised
/// FFT of the stamp side S, image unit^2) averaged in annuli of |k| (cycles per stamp).
struct WienerPrior {
  int64_t size = 0;           ///< stamp side S the power was measured at [pixels]
  std::vector<double> k;      ///< mean |k| of each annulus [cycles per stamp], increasing
  std::vector<double> power;  ///< mean |X(k)|^2 in that annulus [unit^2], > 0
  /// Throws std::invalid_argument naming the field unless sizes match, size >= 2, k increases
  /// and every power is finite and > 0.
  void validate() const;
};

/// The prior of images [N, S, S] (the noiseless, PSF-free truth of the training stamps):
/// annuli of width 1 in |k| = sqrt(kx^2 + ky^2) (kx, ky integer frequencies in [-S/2, S/2)),
/// annulus j holding j - 1/2 <= |k| < j + 1/2; empty annuli are dropped and powers floored at
/// 1e-30 of the largest.
WienerPrior fit_wiener_prior(const torch::Tensor& images);

/// The prior on the rfft grid of its side S, [S, S/2 + 1] float64: log-power linearly
/// interpolated in |k| between annuli and held at the end values beyond them.
torch::Tensor wiener_prior_grid(const WienerPrior& prior);

/// Wiener deconvolution (Wiener 1949; Press et al., Numerical Recipes 3rd ed. section 13.3):
/// X(k) = H*(k) Y(k) / (|H(k)|^2 + N / S(k)), H the transfer function of each stamp's PSF,
/// N = sigma^2 S^2 the white noise power of the unnormalised FFT of side S and S(k) =
/// signal_power [S, S/2 + 1] (wiener_prior_grid). images [B, S, S] [unit]; sigma [B] >= 0
/// [unit] (0: the inverse filter Y / H). Returns [B, S, S].
torch::Tensor wiener_deconvolve(const torch::Tensor& images, const torch::Tensor& psfs,
                                const torch::Tensor& sigma, const torch::Tensor& signal_power);

/// Called by richardson_lucy after iteration `iteration` (1-based) with the current estimate
/// [B, S, S] (float64, pedestal removed).
using RichardsonLucyObserver = std::function<void(int64_t iteration, const torch::Tensor&)>;

/// Richardson-Lucy deconvolution (Richardson 1972, JOSA 62, 55; Lucy 1974, AJ 79, 745):
/// u <- u H^T(d / (H u)), multiplicative and positive. Noisy stamps have negative pixels, so
/// it runs on d = max(y + b, 0) with a background pedestal b = pedestal_sigmas * sigma per
/// stamp, from the flat image mean(d), and returns u - b (the pedestal deconvolves to itself
/// under a PSF summing to 1): the estimate may go down to -b, keeping the background's noise
/// unbiased. With a PSF summing to 1 every iteration conserves sum d, so the flux is
/// sum y + (what the clipping at 0 added). images [B, S, S] [unit], sigma [B] [unit] >= 0,
/// iterations >= 0, pedestal_sigmas >= 0. Returns [B, S, S].
torch::Tensor richardson_lucy(const torch::Tensor& images, const torch::Tensor& psfs,
                              const torch::Tensor& sigma, int64_t iterations,
                              double pedestal_sigmas = 3.0,
                              const RichardsonLucyObserver& observer = {});

}  // namespace cosmograd::surveys
