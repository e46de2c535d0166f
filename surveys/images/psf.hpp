// Point-spread functions as normalised, pixel-integrated images (Gaussian, Moffat 1969, or read
// from FITS) and zero-padded FFT convolution of an image with a PSF.
//
// A PSF stamp has odd sizes; its centre is the centre of the central pixel (size / 2, size / 2)
// plus an optional sub-pixel offset (dx, dy) [pixels]. Rendered PSFs sum to 1 over the stamp.
#pragma once

#include <string>

#include "surveys/images/sersic.hpp"

namespace cosmograd::surveys {

/// A Gaussian PSF of full width at half maximum fwhm [pixels] (sigma = fwhm / (2 sqrt(2 ln 2))),
/// pixel-integrated on a size x size stamp (size odd), centred at the central pixel's centre
/// plus (dx, dy) [pixels], normalised to sum 1.
Image gaussian_psf(double fwhm, int size, double dx = 0, double dy = 0);

/// A Moffat (1969) PSF I(r) = (beta - 1) / (pi alpha^2) (1 + r^2 / alpha^2)^-beta with
/// fwhm = 2 alpha sqrt(2^(1/beta) - 1) (Trujillo et al. 2001, eq. 6) [pixels], truncated at
/// truncation_fwhm * fwhm (0: not truncated; beta > 1 then), pixel-integrated on a size x size
/// stamp (size odd), centred at the central pixel's centre plus (dx, dy) [pixels], sum 1.
Image moffat_psf(double fwhm, double beta, int size, double truncation_fwhm = 0, double dx = 0,
                 double dy = 0);

/// The 2D image in FITS file path (the primary HDU, or the first image extension when the
/// primary is empty; NAXIS1 along x), normalised to sum 1; throws std::runtime_error naming the
/// file when it cannot be read, is not 2D or does not sum to a finite value > 0.
Image read_psf_fits(const std::string& path);

/// image convolved with psf (odd sizes, centred at its central pixel) by zero-padded FFTs
/// (FFTW r2c/c2r, no wrap-around); the result has image's size; flux beyond the edges is lost.
Image convolve(const Image& image, const Image& psf);

}  // namespace cosmograd::surveys
