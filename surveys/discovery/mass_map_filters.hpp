// Classical mass mapping on square tiles treated as periodic, in LibTorch (double, batched over
// tiles [B, T, T], indexed [tile][iy][ix]):
//  - Kaiser & Squires 1993 (ApJ 404, 441): kappa_E = Re IFFT[conj(D) FFT(gamma1 + i gamma2)],
//    D(l) = ((l1^2 - l2^2) + 2 i l1 l2) / |l|^2, l1 conjugate to ix, l2 to iy, D(0) = 0, the
//    same convention as sim/sky/shear.hpp; optionally Gaussian smoothed;
//  - the Wiener filter with a Gaussian prior of power S(l) and pixel noise N (infinite in masked
//    pixels): the minimiser of chi^2 + kappa^T S^-1 kappa, (S^-1 + A^T N^-1 A) kappa = A^T N^-1
//    gamma with A = mask x Kaiser-Squires shear operator, solved by conjugate gradients in the
//    preconditioned variable kappa = S^{1/2} y: (1 + S^{1/2} A^T N^-1 A S^{1/2}) y =
//    S^{1/2} A^T N^-1 gamma (the messenger-free form of e.g. Jeffrey et al. 2018, MNRAS 479,
//    2871, sec. 3; Elsner & Wandelt 2013, A&A 549, A111 for the preconditioning);
//  - MSE and Pearson correlation over chosen pixels.
//
// Fourier conventions: FFT with the unitary ("ortho") normalisation, so the per-mode variance of
// a stationary field of angular power C_ell on pixels of side d [rad] is P(l) = C_ell / d^2 at
// |l| = 2 pi |k| / (T d) (k the integer frequency) and white pixel noise of variance sigma^2 has
// per-mode variance sigma^2.
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <vector>

namespace cosmograd::surveys {

/// The Kaiser-Squires kernel D(l) of a T x T tile, complex double [T, T] indexed [k2][k1].
torch::Tensor ks_kernel(int64_t size);

/// |l| [rad^-1] of each mode of a T x T tile with pixels of side pixel_rad, double [T, T].
torch::Tensor mode_ell(int64_t size, double pixel_rad);

/// Shear (gamma1, gamma2) of kappa [B, T, T] on the periodic tile: gamma1 + i gamma2 =
/// IFFT[D FFT(kappa)] (Kaiser & Squires 1993); returns {gamma1, gamma2}.
std::pair<torch::Tensor, torch::Tensor> ks_shear(const torch::Tensor& kappa);

/// Inverse Kaiser-Squires kappa_E = Re IFFT[conj(D) FFT(gamma1 + i gamma2)] of [B, T, T] maps
/// (zero mean; the transpose of ks_shear).
torch::Tensor ks_kappa(const torch::Tensor& gamma1, const torch::Tensor& gamma2);

/// kappa [B, T, T] convolved (periodically) with a Gaussian of rms `sigma_pixels` [pixels];
/// sigma 0 returns kappa.
torch::Tensor gaussian_smooth(const torch::Tensor& kappa, double sigma_pixels);

/// The per-mode prior variance P(l) = C(|l|) pixwin2(|l|) / d^2 of a T x T tile (double [T, T],
/// P(0) = 0: the mean of a tile is not constrained by its shear), interpolating the table
/// (ell, cl, pixwin2) linearly in (ln ell, ln C) and extrapolating with the end slopes (points
/// with C pixwin2 <= 0 are skipped).
/// Throws std::invalid_argument for fewer than 2 usable points or ell not increasing.
torch::Tensor prior_from_cl(const std::vector<double>& ell, const std::vector<double>& cl,
                            const std::vector<double>& pixwin2, int64_t size, double pixel_rad);

/// The per-mode variance measured on kappa tiles [N, T, T]: |FFT_ortho(kappa - mean)|^2
/// averaged over tiles and over the modes of each ring round(|k|) (double [T, T], P(0) = 0).
torch::Tensor prior_measured(const torch::Tensor& kappa);

/// Result of a Wiener solve.
struct WienerResult {
  torch::Tensor kappa;            ///< [B, T, T] Wiener estimate
  int iterations = 0;             ///< CG iterations done
  std::vector<double> residuals;  ///< per iteration: the largest |r| / |b| over the batch
};

/// Wiener filter of masked noisy shear (see the file comment) by batched conjugate gradients in
/// the preconditioned variable; prior per-mode variance `prior` [T, T], noise variance per
/// pixel and component sigma2 > 0, mask [B, T, T] (1 observed, 0 masked), stops when every
/// tile's |r| / |b| < tolerance or after max_iterations. Throws std::invalid_argument for
/// bad shapes or values.
WienerResult wiener_filter(const torch::Tensor& gamma1, const torch::Tensor& gamma2,
                           const torch::Tensor& mask, const torch::Tensor& prior, double sigma2,
                           double tolerance = 1e-6, int max_iterations = 500);

/// The closed-form Wiener filter without a mask: FFT(kappa) = P / (P + sigma2) FFT(KS(gamma))
/// per mode (the unmasked diagonal case; what wiener_filter gives for mask = 1).
torch::Tensor wiener_unmasked(const torch::Tensor& gamma1, const torch::Tensor& gamma2,
                              const torch::Tensor& prior, double sigma2);

/// Mean squared error of a against b over the pixels where weight > 0 (weight may be undefined:
/// all pixels).
double masked_mse(const torch::Tensor& a, const torch::Tensor& b, const torch::Tensor& weight = {});

/// Pearson correlation coefficient of a and b over the pixels where weight > 0 (weight
/// undefined: all pixels); NaN when either is constant there.
double masked_pearson(const torch::Tensor& a, const torch::Tensor& b,
                      const torch::Tensor& weight = {});

}  // namespace cosmograd::surveys
