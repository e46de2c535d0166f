// Single-band galaxy stamp sets for generative image models (Lanusse et al. 2021): noisy
// PSF-convolved stamps, each with its own PSF and background noise, and the two conditioning
// quantities (half-light radius and magnitude), true for mocks, measured for real cutouts.
//
// File layout (HDF5, written atomically; root attribute format = "cosmograd stamps 1"):
//   /images             float32 (N, S, S)  noisy stamps [unit per pixel], rows iy then ix
//   /noiseless          float32 (N, S, S)  optional: the same without noise (mocks only)
//   /intrinsic          float32 (N, S, S)  optional: the pixel-integrated light before the PSF
//                                          (mocks only; the truth of deconvolution)
//   /psfs               float32 (N, P, P)  each stamp's PSF, P odd, centred, sums to 1
//   /noise_sigma        float32 (N)        background rms per pixel [unit]
//   /half_light_radius  float32 (N)        circularised half-light radius [pixels]
//   /mag                float32 (N)        AB magnitude: zero_point - 2.5 log10(total flux)
//   root attributes: band, unit, source (provenance, free text), pixel_scale [arcsec],
//   zero_point [mag], size_kind ("intrinsic": half_light_radius of the light before the PSF,
//   e.g. a catalogue's; "observed": measured on the PSF-convolved stamp)
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace cosmograd::surveys {

/// The HDF5 root attribute `format` of stamp-set files.
inline constexpr const char* kStampSetFormat = "cosmograd stamps 1";

/// N single-band stamps of side S with their PSFs (side P), noise and conditions.
struct StampSet {
  int size = 0;                          ///< stamp side S [pixels], >= 8
  int psf_size = 0;                      ///< PSF side P [pixels], odd, <= S
  std::string band;                      ///< band name (e.g. "i"; "F606W-like" for cutouts)
  std::string unit = "nJy";              ///< image unit per pixel
  std::string source;                    ///< provenance (free text)
  double pixel_scale = 0.2;              ///< [arcsec]
  double zero_point = 31.4;              ///< mag = zero_point - 2.5 log10(flux [unit])
  std::string size_kind = "intrinsic";   ///< half_light_radius before the PSF, or "observed"
  std::vector<float> images;             ///< N * S * S noisy stamps
  std::vector<float> noiseless;          ///< N * S * S or empty
  std::vector<float> intrinsic;          ///< N * S * S (light before the PSF) or empty
  std::vector<float> psfs;               ///< N * P * P
  std::vector<float> noise_sigma;        ///< N [unit per pixel]
  std::vector<float> half_light_radius;  ///< N [pixels]
  std::vector<float> mag;                ///< N [AB mag]

  /// Number of stamps N.
  std::size_t count() const { return noise_sigma.size(); }
  /// Checks sizes and values (finite, sigma > 0, radius > 0, PSFs summing to 1 within 1e-3);
  /// throws std::invalid_argument naming the field, the value and what is allowed.
  void validate() const;
  /// The stamps with indices `rows` (in that order), every field copied.
  StampSet subset(const std::vector<std::size_t>& rows) const;
};

/// Writes `set` (validated first) to `path` atomically in the layout above.
void write_stamp_set(const std::string& path, const StampSet& set);
/// Reads a stamp set; throws std::runtime_error naming the file and the missing or malformed
/// object, and validates it.
StampSet read_stamp_set(const std::string& path);

}  // namespace cosmograd::surveys
