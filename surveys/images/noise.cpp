#include "surveys/images/noise.hpp"

#include <cmath>
#include <stdexcept>

#include "sim/core/require.hpp"
#include "surveys/mocks/photometry.hpp"

namespace cosmograd::surveys {

void BandNoise::validate() const {
  sim::require(std::isfinite(m5) && m5 > 10 && m5 < 40, "m5", m5, "in (10, 40) [AB mag]");
  sim::require(
      std::isfinite(sky_mag_per_arcsec2) && sky_mag_per_arcsec2 > 10 && sky_mag_per_arcsec2 < 40,
      "sky_mag_per_arcsec2", sky_mag_per_arcsec2, "in (10, 40) [AB mag/arcsec^2]");
  sim::require(sim::positive(pixel_scale_arcsec), "pixel_scale_arcsec", pixel_scale_arcsec,
               "finite and > 0");
  sim::require(read_noise_electrons >= 0 && std::isfinite(read_noise_electrons),
               "read_noise_electrons", read_noise_electrons, ">= 0");
  sim::require(sim::positive(gain), "gain", gain, "finite and > 0 [electrons/ADU]");
}

NoiseModel noise_model(const BandNoise& band, const std::vector<double>& psf) {
  band.validate();
  double sum = 0, sum2 = 0;
  for (double p : psf) {
    sum += p;
    sum2 += p * p;
  }
  if (!(sum > 0 && sum2 > 0)) throw std::invalid_argument("noise_model: the PSF image is empty");
  NoiseModel m;
  m.n_eff = sum * sum / sum2;  // 1 / sum p^2 for the PSF normalised to 1
  m.read_noise = band.read_noise_electrons;
  m.sky_njy =
      mag_to_njy(band.sky_mag_per_arcsec2) * band.pixel_scale_arcsec * band.pixel_scale_arcsec;
  m.sigma_background = mag_to_njy(band.m5) / 5.0 / std::sqrt(m.n_eff);
  // sigma_bg^2 k^2 - F_sky k - r^2 = 0, the positive root.
  const double s2 = m.sigma_background * m.sigma_background, r2 = m.read_noise * m.read_noise;
  m.electrons_per_njy = (m.sky_njy + std::sqrt(m.sky_njy * m.sky_njy + 4.0 * s2 * r2)) / (2.0 * s2);
  return m;
}

std::vector<double> add_noise(const std::vector<double>& image, const NoiseModel& model,
                              std::uint64_t seed, std::uint64_t stream_id) {
  const double k = model.electrons_per_njy;
  for (std::size_t i = 0; i < image.size(); ++i)
    if (!(image[i] >= 0.0))
      throw std::invalid_argument("add_noise: pixel " + std::to_string(i) + " has flux " +
                                  std::to_string(image[i]) + " (noiseless fluxes are >= 0)");
  std::vector<double> out(image.size());
#pragma omp parallel for schedule(static)
  for (std::size_t i = 0; i < image.size(); ++i) {
    MockRng rng(seed, MockStream::kImageNoise, (stream_id << 24) + i);
    const double electrons = static_cast<double>(rng.poisson(k * (image[i] + model.sky_njy))) +
                             model.read_noise * rng.normal();
    out[i] = electrons / k - model.sky_njy;
  }
  return out;
}

std::vector<double> noise_variance(const std::vector<double>& image, const NoiseModel& model) {
  const double k = model.electrons_per_njy, r2 = model.read_noise * model.read_noise;
  std::vector<double> v(image.size());
  for (std::size_t i = 0; i < image.size(); ++i)
    v[i] = (k * (image[i] + model.sky_njy) + r2) / (k * k);
  return v;
}

}  // namespace cosmograd::surveys
