// Image noise consistent with the catalogue's depths: sky background, source Poisson noise,
// read noise and gain, with the exposure chosen so that a point source at the band's 5-sigma
// depth m5 has S/N 5 under optimal (PSF-weighted) photometry, as in the catalogue's photometry
// (surveys/mocks/photometry.hpp). Images are in nJy per pixel, sky-subtracted.
//
// With k electrons per nJy, a sky of F_sky nJy per pixel and read noise r electrons, the
// background variance per pixel is sigma_bg^2 = (k F_sky + r^2) / k^2 [nJy^2]; optimal
// photometry of a point source in background-limited noise has sigma_f^2 = sigma_bg^2 n_eff,
// n_eff = 1 / sum_i p_i^2 for the pixel-integrated PSF p (King 1983; n_eff = 4 pi sigma^2 for a
// Gaussian). Setting sigma_f = f(m5) / 5 gives sigma_bg and then k from the quadratic
// sigma_bg^2 k^2 - F_sky k - r^2 = 0.
#pragma once

#include <string>
#include <vector>

#include "surveys/mocks/mock_random.hpp"

namespace cosmograd::surveys {

/// What sets a band's noise.
struct BandNoise {
  double m5 = 24.7;                   ///< 5-sigma point-source depth [AB mag]
  double sky_mag_per_arcsec2 = 21.2;  ///< sky brightness [AB mag / arcsec^2] (LSST r dark sky)
  double pixel_scale_arcsec = 0.2;    ///< pixel side [arcsec]
  double read_noise_electrons = 9.0;  ///< read noise per pixel [electrons]
  double gain = 1.0;                  ///< electrons per ADU (written as GAIN)
  void validate() const;              ///< throws std::invalid_argument naming the field
};

/// The noise model of a band once the PSF is known.
struct NoiseModel {
  double electrons_per_njy = 0;  ///< k: electrons collected per nJy of flux in a pixel
  double sky_njy = 0;            ///< sky flux per pixel [nJy]
  double sigma_background = 0;   ///< background rms per pixel [nJy]
  double read_noise = 0;         ///< read noise [electrons]
  double n_eff = 0;              ///< effective number of pixels of the PSF, 1 / sum p^2
};

/// The noise model of `band` for a PSF image (pixel-integrated, any normalisation).
NoiseModel noise_model(const BandNoise& band, const std::vector<double>& psf);

/// Adds noise to a noiseless image [nJy per pixel]: Poisson electrons of source + sky
/// (k (f + F_sky)), Gaussian read noise, then back to nJy with the sky subtracted. Each pixel's
/// draws come from the stream (seed, purpose kImageNoise, stream_id x 2^24 + pixel index), so
/// the result does not depend on threads. Negative noiseless values are an error.
std::vector<double> add_noise(const std::vector<double>& image, const NoiseModel& model,
                              std::uint64_t seed, std::uint64_t stream_id);

/// Per-pixel variance [nJy^2] of add_noise's output for a noiseless image (the weight map's
/// inverse): (k (f + F_sky) + r^2) / k^2.
std::vector<double> noise_variance(const std::vector<double>& image, const NoiseModel& model);

}  // namespace cosmograd::surveys
