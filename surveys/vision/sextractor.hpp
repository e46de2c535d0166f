// The classical baseline of the detector: SExtractor (Bertin & Arnouts 1996, A&AS 117, 393;
// Debian's `source-extractor` 2.25) run through std::system on a FITS file with a generated
// configuration, its ASCII_HEAD catalogue parsed back. Blend stamps run as one mosaic (stamps
// side by side) and the objects are mapped back to their stamps.
//
// Coordinates: SExtractor's pixel centres are at integers with origin 1, so our x (pixel ix
// spans [ix, ix + 1]) is X_IMAGE - 0.5 (minus the stamp's offset in a mosaic).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace cosmograd::surveys {

/// The SExtractor settings (written into every output that uses them).
struct SextractorSettings {
  double detect_thresh = 1.5;      ///< DETECT_THRESH = ANALYSIS_THRESH [background rms]
  int detect_minarea = 5;          ///< DETECT_MINAREA [pixels]
  double filter_fwhm = 2.0;        ///< FILTER: Gaussian of this FWHM [pixels] ...
  int filter_size = 5;             ///< ... on filter_size x filter_size pixels (odd)
  int deblend_nthresh = 32;        ///< DEBLEND_NTHRESH
  double deblend_mincont = 0.005;  ///< DEBLEND_MINCONT
  double back_value = 0;           ///< BACK_TYPE MANUAL, BACK_VALUE (mocks: sky subtracted)
  int back_size = 64;              ///< BACK_SIZE [pixels] (the rms map's mesh)
  double gain = 0;                 ///< GAIN [e-/ADU] (0: no Poisson term)
  double mag_zeropoint = 31.4;     ///< MAG_ZEROPOINT [AB mag] (31.4: nJy)
  double pixel_scale = 0.2;        ///< PIXEL_SCALE [arcsec]
  double seeing_fwhm = 0.8;        ///< SEEING_FWHM [arcsec]
  std::string executable = "source-extractor";  ///< the program
  /// Throws std::invalid_argument naming the field, its value and what is allowed.
  void validate() const;
  /// One line of the settings, for reports.
  std::string describe() const;
};

/// One SExtractor object in our pixel coordinates.
struct SextractorObject {
  double x = 0;          ///< X_IMAGE - 0.5 [pixels]
  double y = 0;          ///< Y_IMAGE - 0.5 [pixels]
  double flux_auto = 0;  ///< FLUX_AUTO (Kron aperture) [image units]
  double flux_iso = 0;   ///< FLUX_ISO (isophotal) [image units]; NaN when not in the catalogue
  int64_t isoarea = 0;   ///< ISOAREA_IMAGE [pixels]; 0 when not in the catalogue
};

/// The text of a SExtractor filter file ("CONV NORM"): a Gaussian of FWHM `fwhm` [pixels]
/// integrated over each pixel of a size x size (odd) mask, peak 1.
std::string sextractor_filter(double fwhm, int size);

/// The .sex configuration text of `settings`, writing the catalogue `catalog` (ASCII_HEAD) with
/// the parameters file `params` and filter file `filter`.
std::string sextractor_config(const SextractorSettings& settings, const std::string& catalog,
                              const std::string& params, const std::string& filter);

/// The parameters SExtractor is asked for: X_IMAGE Y_IMAGE FLUX_AUTO FLUX_ISO ISOAREA_IMAGE.
std::vector<std::string> sextractor_parameters();

/// Parses an ASCII_HEAD catalogue (header lines "# <column> <NAME> ...", then one row per
/// object); needs X_IMAGE, Y_IMAGE and FLUX_AUTO. Throws std::runtime_error naming the line.
std::vector<SextractorObject> parse_sextractor_catalog(const std::string& text);

/// Whether `executable` is on the PATH.
bool sextractor_available(const std::string& executable = "source-extractor");

/// SExtractor on one image (H x W, row-major, values[iy * W + ix]) in a temporary directory.
/// Throws std::runtime_error "install source-extractor (scripts/install-deps.sh)" when the
/// program is absent, or naming the command and its output when it fails.
std::vector<SextractorObject> run_sextractor(const std::vector<float>& image, int width, int height,
                                             const SextractorSettings& settings);

/// SExtractor on `count` stamps of size x size (stamps[k * size * size + iy * size + ix]) laid
/// side by side in one mosaic of ceil(sqrt(count)) columns; each object goes to the stamp that
/// holds its centre, coordinates relative to that stamp.
std::vector<std::vector<SextractorObject>> run_sextractor_stamps(
    const std::vector<float>& stamps, std::size_t count, int size,
    const SextractorSettings& settings);

}  // namespace cosmograd::surveys
