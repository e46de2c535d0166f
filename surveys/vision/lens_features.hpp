// What the strong-lens finder sees and the classical baseline it is compared against, on a
// `mock lenses` set (lens_set.hpp: the deflector sits at the stamp centre, half the stamps
// hold a lensed background galaxy).
//
// Network inputs: every band of the set as a channel, the central crop x crop pixels, each
// band asinh_scale'd with one background sigma per band estimated robustly from the training
// stamps' borders (1.4826 times the median absolute deviation; Hampel 1974).
//
// Baseline features (Metcalf et al. 2019, A&A 625, A119 review such "arc finders"; the
// 180-degree residual is the idea of rotational-asymmetry lens searches, the colour-scaled
// subtraction that of RingFinder, Gavazzi et al. 2014, ApJ 785, 144): with R_b = I_b -
// rot180(I_b) about the stamp centre (a symmetric deflector cancels, arcs leave flux), the
// annulus A of radii [r_in, r_out] = [0.6", 3"] and the core r < r_in:
//   resid_snr_<band>   (sum_A |R_b| - N_A 2 sigma_b / sqrt(pi)) / (sigma_b sqrt(N_A)): the
//                      residual above its white-noise expectation E|R| = 2 sigma / sqrt(pi)
//   resid_asymmetry    sum_A sum_b |R_b| / sum_A sum_b |I_b|, all bands summed
//   annulus_colour     -2.5 log10(F_blue / F_red) in A (blue: g, red: i, or the first and
//                      the last band of a set without them; fluxes floored at 1 sigma sqrt(N))
//   core_colour        the same in the core (the deflector's colour)
//   blue_excess_snr    sum_A (I_blue - alpha I_red) / (sqrt(sigma_blue^2 + alpha^2
//                      sigma_red^2) sqrt(N_A)), alpha = F_blue / F_red in the core: the blue
//                      light left after removing a deflector-coloured model
//   annulus_snr_blue   sum_A I_blue / (sigma_blue sqrt(N_A))
#pragma once

#include <torch/types.h>

#include <cstddef>
#include <string>
#include <vector>

#include "surveys/images/lens_set.hpp"

namespace cosmograd::surveys {

/// Per-band background sigma [nJy per pixel] ([C] values): 1.4826 MAD of the pixels within
/// `border` pixels of the edges of the stamps `rows` (at most 2000 stamps, evenly spaced).
std::vector<double> lens_band_sigma(const LensSet& set, const std::vector<std::size_t>& rows,
                                    int border = 4);

/// Network inputs [N, C, crop, crop] (float32): the central crop of the stamps `rows`
/// asinh_scale'd with `sigma` (one per band); crop even, in [8, set.size].
torch::Tensor lens_inputs(const LensSet& set, const std::vector<std::size_t>& rows,
                          const std::vector<double>& sigma, int crop, double soften = 3.0);

/// Labels [N] (int64, 1: lens) of the stamps `rows` (truth column is_lens).
torch::Tensor lens_labels(const LensSet& set, const std::vector<std::size_t>& rows);

/// Names of the baseline features (lens_features columns; band names from the set).
std::vector<std::string> lens_feature_names(const LensSet& set);

/// Baseline features [N, F] (float64) of the stamps `rows` (definitions above) with the band
/// sigmas `sigma` (one per band, bands ordered blue to red), annulus radii r_in < r_out
/// [arcsec].
torch::Tensor lens_features(const LensSet& set, const std::vector<std::size_t>& rows,
                            const std::vector<double>& sigma, double r_in = 0.6,
                            double r_out = 3.0);

}  // namespace cosmograd::surveys
