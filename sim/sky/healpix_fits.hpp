// HEALPix maps as FITS files in the standard layout that healpy's read_map reads: an empty
// primary HDU and a BINTABLE extension with one column of 12 nside^2 values (Gorski et al.
// 2005, "HEALPix: a framework for high-resolution discretization ...", ApJ 622, 759).
#pragma once

#include <string>
#include <vector>

#include "sim/sky/sky_map.hpp"

namespace cosmograd::sim {

/// A numeric FITS header keyword (key up to 8 characters, upper case recommended).
struct FitsKeyword {
  std::string key;      ///< keyword name, 1 to 8 characters of A-Z, 0-9, '-', '_'
  double value = 0;     ///< value (written as a double, or as an integer when integral)
  std::string comment;  ///< comment after the value ("" for none)
};

/// A string-valued FITS header keyword.
struct FitsStringKeyword {
  std::string key;      ///< keyword name, 1 to 8 characters of A-Z, 0-9, '-', '_'
  std::string value;    ///< value (printable ASCII, at most 68 characters)
  std::string comment;  ///< comment after the value ("" for none)
};

/// How write_healpix_fits lays out the file.
struct HealpixFitsOptions {
  std::string column = "KAPPA";       ///< TTYPE1, the column name (1 to 68 printable characters)
  bool single_precision = false;      ///< TFORM1 = 'E' (float32) instead of 'D' (float64)
  std::string coordsys = "C";         ///< COORDSYS: 'C' celestial, 'G' galactic, 'E' ecliptic
  std::string unit;                   ///< TUNIT1 and BUNIT when not empty
  std::vector<FitsKeyword> keywords;  ///< extra numeric keywords (extension)
  std::vector<FitsStringKeyword> string_keywords;  ///< extra string keywords (extension)
};

/// What read_healpix_fits found besides the values.
struct HealpixFitsInfo {
  std::string column;    ///< TTYPE of the column read ("" when the file has none)
  std::string ordering;  ///< ORDERING in the file ("RING" or "NESTED"; values are returned RING)
  std::string coordsys;  ///< COORDSYS ("" when absent)
  std::string unit;      ///< TUNIT1 or BUNIT ("" when absent)
};

/// Writes `map` (RING order) to `path` atomically (temporary "<path>.tmp.<pid>", then rename):
/// empty primary HDU, BINTABLE with one column, keywords PIXTYPE='HEALPIX', ORDERING='RING',
/// NSIDE, FIRSTPIX=0, LASTPIX=12 nside^2 - 1, INDXSCHM='IMPLICIT', OBJECT='FULLSKY', COORDSYS
/// and the options' extra keywords. Throws std::invalid_argument for a bad map or option
/// (naming it), CallError naming the file and cfitsio's message when writing fails.
void write_healpix_fits(const std::string& path, const HealpixMap& map,
                        const HealpixFitsOptions& options = {});

/// Reads the first column of the first BINTABLE extension of a HEALPix FITS file: one value
/// per row, or healpy's multi-row layout (TFORM 'kD'/'kE' with rows * k = 12 nside^2). NESTED
/// maps are converted to RING. healpy's UNSEEN value (-1.6375e30) is kept as it is. Throws
/// CallError naming the file and cfitsio's message, or std::runtime_error naming the file and
/// the problem (no table, not HEALPix, wrong pixel count, unknown ORDERING).
HealpixMap read_healpix_fits(const std::string& path, HealpixFitsInfo* info = nullptr);

/// True when `path` is a FITS file whose first extension is a BINTABLE with
/// PIXTYPE = 'HEALPIX'; false for other FITS files (e.g. images); throws CallError naming the
/// file when it cannot be opened as FITS.
bool is_healpix_fits(const std::string& path);

}  // namespace cosmograd::sim
