// What the morphology classifier learns from and is compared against: Galaxy-Zoo-like classes
// from the truth of a `mock stamps` set (galaxies drawn by surveys/images/irregular.hpp:
// quenched galaxies are smooth, star-forming ones have 2 (p 0.7), 3 or 4 (p 0.15 each)
// logarithmic spiral arms), the network's input scaling, and the non-parametric measures
// (stamp_measures.hpp) of the classical baseline.
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "surveys/images/sersic.hpp"
#include "surveys/images/stamp_set.hpp"
#include "surveys/mocks/table.hpp"

namespace cosmograd::surveys {

/// The class names: 0 "smooth" (no arms), 1 "2_arms", 2 "3_arms", 3 "4+_arms".
const std::vector<std::string>& morphology_class_names();

/// The class of a galaxy with `arms` spiral arms (0 -> 0, 1 or 2 -> 1, 3 -> 2, >= 4 -> 3);
/// throws std::invalid_argument for arms < 0.
int64_t morphology_class(int arms);

/// Classes [N] (int64) of the rows `rows` of a stamp truth table (int32 column `arms`, and a
/// `stamp` column equal to the row index); throws std::invalid_argument naming the column
/// when it is missing or a row is out of range.
torch::Tensor morphology_labels(const Table& truth, const std::vector<std::size_t>& rows);

/// Network inputs [N, C, S, S] of the stamps `rows`: channel 0 asinh_scale(image, soften
/// noise_sigma); with `psf_channel` (C = 2) channel 1 the stamp's PSF divided by its peak,
/// centred on the stamp's centre pixel (S / 2, S / 2) and cut to S x S, so the network knows
/// each stamp's seeing as the baseline's psf_fwhm_px feature does.
torch::Tensor morphology_inputs(const StampSet& set, const std::vector<std::size_t>& rows,
                                double soften = 3.0, bool psf_channel = false);

/// Names of the baseline's features (morphology_features columns).
const std::vector<std::string>& morphology_feature_names();

/// Non-parametric measures [N, F] (float64) of the stamps `rows` (measure_stamp with the
/// stamp's noise_sigma): asymmetry A, Gini G, M20, log10 half-light radius [pixels],
/// ellipticity |e|, log10 S/N, concentration C = 5 log10(r80 / r20) of circular apertures
/// about the centroid (Bershady, Jangren & Conselice 2000), the PSF FWHM [pixels] from the
/// stamp's PSF (its second moments, sqrt(8 ln 2 (Ixx + Iyy) / 2)), and log10(0.01 + a_m) of the
/// azimuthal mode amplitudes m = 1..4 (azimuthal_modes between 0.5 and 2.5 half-light radii);
/// NaN where a measure fails.
torch::Tensor morphology_features(const StampSet& set, const std::vector<std::size_t>& rows);

/// Concentration 5 log10(r80 / r20) of an image [any unit] about (x, y) [pixels, centres at
/// +0.5]: r_f the radius whose circular aperture holds the fraction f of the flux within
/// `r_max` pixels, from the curve of growth of 5 x 5 sub-pixels per pixel (each a 25th of its
/// flux, at its centre; linearly interpolated): within 3% of the continuous value for a
/// Gaussian of sigma >= 2 px (5 log10(sqrt(ln 5 / ln 1.25)) = 2.145). NaN when the flux within
/// r_max is <= 0.
double concentration(const Image& image, double x, double y, double r_max);

/// Azimuthal Fourier amplitudes a_m, m = 1..max_m, of an image [any unit] about (x, y)
/// [pixels, centres at +0.5] in the frame where the ellipse of ellipticity (e1, e2) (e = (a -
/// b) / (a + b), sersic.hpp) is round: pixels are binned in rings of unit width in that
/// frame's radius between r_in and r_out [pixels], each ring's a_m = |sum I exp(i m phi)| /
/// sum I, and the rings are averaged weighted by their flux (rings with flux <= 0 left out).
/// Ring by ring, so the winding of logarithmic spiral arms (their phase drifting with ln r) does
/// not cancel, as Fourier arm counting does (e.g. Davis et al. 2012, ApJS 199, 33, fig. 1);
/// I = 1 + A cos(m phi) gives a_m = A / 2; the square pixel lattice leaks ~0.04 into m = 4 (and
/// m = 2 when stretched by e ~ 0.3) at radii of ~10 px. NaN when no ring has positive flux.
std::vector<double> azimuthal_modes(const Image& image, double x, double y, double e1, double e2,
                                    double r_in, double r_out, int max_m);

}  // namespace cosmograd::surveys
