// Multi-band stamps of a photometry sample's galaxies, the images of the hybrid CNN +
// photometry photo-z network (hybrid_photoz.hpp; Pasquet et al. 2019, A&A 621, A26, who feed
// ugriz stamps to a CNN). Each galaxy is centred on the central pixel of an odd-sided stamp and
// drawn as a bulge (Sersic n = 4, half the disk's R_e) + disk (n = 1) of the mock's morphology
// (morphology.hpp: draw_morphology keyed by the mock's seed, so the shape is the one `mock
// images` draws), the same shape in every band, with the band's total flux from the catalogue's
// noiseless magnitude mag_true; rendered by the batched renderer (batched_render.hpp, 3 x 3
// samples per pixel, the central 4 x 4 pixels 12 x 12), convolved with the band's Moffat PSF
// (beta 3.5; FWHM LSST's delivered seeing, Ivezic et al. 2019, ApJ 873, 111, Table 2, unless given)
// and given Gaussian background noise of rms sigma_b = f(m5) / (5 sqrt(N_eff)), N_eff = 1 / sum_i
// p_i^2 (the PSF's effective number of pixels, King 1983, PASP 95, 163), so that a PSF-weighted
// flux, f_hat = sum p d / sum p^2, of a point source has the error f(m5) / 5, the catalogue's
// background-limited flux error (mocks/photometry.hpp). No source Poisson noise, like the
// catalogue. Noise draws are keyed by (seed, galaxy_id). Limits of the drawing: R_e in [0.1 pixel,
// one stamp side], |e| <= 0.8, profiles truncated at min(8 R_e, one stamp side along the major axis
// of the largest disk of a rendering batch) but at least 1.5 R_e (the renderer normalises over the
// whole truncated profile).
//
// File (HDF5, written atomically):
//   /images            float32 (N, B, S, S)   [nJy per pixel], sky subtracted
//   /noise_sigma       float32 (N, B)         background rms [nJy per pixel] (0: noiseless)
//   /psfs              float32 (B, P, P)      the PSFs that convolved the stamps (sum 1)
//   /psf_fwhm          float64 (B)            their FWHM [arcsec]
//   /m5                float64 (B)            the depths that set the noise [AB mag]
//   /galaxy_id         int64 (N)              the catalogue's galaxy ids, the sample's order
//   /half_light_radius float32 (N)            the disk's R_e [arcsec] (truth)
//   /bulge_fraction    float32 (N)            the bulge's share of the flux (truth)
//   root attributes: format = "cosmograd multiband stamps 1", bands ("u,g,r,i,z,y"),
//   pixel_scale [arcsec], psf_beta, seed, source and the sample's cuts cut_band, max_mag [mag],
//   z_max (so that a reader selects the same galaxies).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "surveys/properties/photometry_sample.hpp"

namespace cosmograd::surveys {

/// The HDF5 root attribute `format` of multi-band stamp files.
inline constexpr const char* kMultibandStampsFormat = "cosmograd multiband stamps 1";

/// How render_multiband_stamps draws the stamps.
struct MultibandStampOptions {
  /// Stamp side S [pixels], odd so that the galaxy sits on the central pixel and every flip and
  /// 90-degree rotation keeps it there; 25 x 0.2" = 5" holds > 98% of the light of a z > 0.1
  /// galaxy of the mock (median R_e ~ 0.4").
  int size = 25;
  double pixel_scale = 0.2;  ///< pixel side [arcsec] (LSST)
  double psf_beta = 3.5;     ///< Moffat (1969) beta of every band's PSF (as `mock images`)
  /// PSF FWHM per band [arcsec]; a band not listed takes LSST's delivered seeing
  /// (lsst_seeing_fwhm of blend_set.hpp: u 0.92, g 0.87, r 0.83, i 0.80, z 0.78, y 0.76), else
  /// 0.8.
  std::vector<std::pair<std::string, double>> psf_fwhm;
  int oversample = 3;  ///< renderer point samples per pixel and axis (central 4 x 4 px 4x finer)
  bool noise = true;   ///< add the background noise (false: noiseless stamps, sigma 0)
  bool point_sources = false;  ///< draw every galaxy as a point source (depth checks)
  std::uint64_t seed = 1;      ///< noise draws keyed by (seed, galaxy_id)
  int batch = 256;             ///< galaxies per rendering batch (memory, not results)
  /// Throws std::invalid_argument naming the field, the value and what is allowed.
  void validate() const;
};

/// N galaxies' stamps in B bands (arrays row-major: galaxy, band, y, x).
struct MultibandStamps {
  std::vector<std::string> bands;        ///< band names, the order of the band axis
  int size = 0;                          ///< stamp side S [pixels]
  int psf_size = 0;                      ///< PSF side P [pixels] (odd, <= S)
  double pixel_scale = 0.2;              ///< [arcsec]
  double psf_beta = 3.5;                 ///< Moffat beta of the PSFs
  std::uint64_t seed = 0;                ///< the noise seed
  std::vector<float> images;             ///< N * B * S * S [nJy per pixel]
  std::vector<float> noise_sigma;        ///< N * B background rms [nJy per pixel]
  std::vector<float> psfs;               ///< B * P * P, each summing to 1
  std::vector<double> psf_fwhm;          ///< B PSF FWHM [arcsec]
  std::vector<double> m5;                ///< B 5-sigma point-source depths [AB mag]
  std::vector<std::int64_t> galaxy_id;   ///< N catalogue galaxy ids
  std::vector<float> half_light_radius;  ///< N disk half-light radii [arcsec]
  std::vector<float> bulge_fraction;     ///< N bulge flux fractions
  SampleCuts cuts;                       ///< the cuts the sample was read with (for its readers)
  std::string source;                    ///< how and from what they were made
  std::string file;                      ///< the file they were read from (empty if rendered)

  /// Number of galaxies N.
  std::size_t count() const { return galaxy_id.size(); }
  /// Number of bands B.
  std::size_t band_count() const { return bands.size(); }
  /// Pointer to the S * S pixels of galaxy k in band b.
  const float* stamp(std::size_t k, std::size_t b) const {
    return images.data() + (k * bands.size() + b) * static_cast<std::size_t>(size) * size;
  }
  /// Throws std::invalid_argument naming the field when sizes or values are inconsistent.
  void validate() const;
};

/// Background rms per pixel [nJy] of a band of 5-sigma point-source depth m5 [AB mag] for a PSF
/// image p (any normalisation; normalised here): f(m5) / (5 sqrt(N_eff)) with f(m) = 10^(-0.4
/// (m - 31.4)) nJy and N_eff = 1 / sum p^2 (PSF-optimal photometry: var f_hat = sigma^2 N_eff).
double depth_noise_sigma(double m5, const std::vector<double>& psf);

/// The stamps of every galaxy of `sample`, in its order (see the file comment); throws
/// std::invalid_argument naming the option or the galaxy whose value is bad.
MultibandStamps render_multiband_stamps(const PhotometrySample& sample,
                                        const MultibandStampOptions& options);

/// PSF-weighted flux [nJy] of galaxy k in band b: sum p d / sum p^2 over the stamp with the
/// band's PSF centred on the central pixel (the optimal linear estimate for a point source;
/// error sigma_b sqrt(N_eff)).
double psf_weighted_flux(const MultibandStamps& stamps, std::size_t k, std::size_t b);

/// Writes `stamps` to `path` atomically (validated first); throws std::runtime_error naming the
/// file on an HDF5 failure.
void write_multiband_stamps(const std::string& path, const MultibandStamps& stamps);

/// Reads a file of write_multiband_stamps; throws std::runtime_error naming the file and the
/// dataset or attribute that is missing or malformed.
MultibandStamps read_multiband_stamps(const std::string& path);

/// Throws std::invalid_argument naming both files (sample.source, stamps.file or source) unless
/// the stamps hold exactly the sample's galaxies in its order with its bands.
void require_aligned(const PhotometrySample& sample, const MultibandStamps& stamps);

}  // namespace cosmograd::surveys
