// HEALPix FITS files (healpy's layout) through cfitsio; see healpix_fits.hpp.
#include "sim/sky/healpix_fits.hpp"

#include <fitsio.h>
#include <healpix_base.h>

#include <algorithm>
#include <cctype>
#include <cfloat>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <vector>

#include "sim/core/atomic_file.hpp"
#include "sim/sky/detail/fits_file.hpp"

namespace cosmograd::sim {
namespace {

using detail::check_key;
using detail::FitsHandle;
using detail::printable;

const char* const kReserved[] = {
    "SIMPLE", "BITPIX",   "NAXIS",   "NAXIS1",   "NAXIS2", "EXTEND",   "XTENSION", "PCOUNT",
    "GCOUNT", "TFIELDS",  "TTYPE1",  "TFORM1",   "TUNIT1", "EXTNAME",  "PIXTYPE",  "ORDERING",
    "NSIDE",  "FIRSTPIX", "LASTPIX", "INDXSCHM", "OBJECT", "COORDSYS", "BUNIT",    "END"};

void check_keywords(const std::vector<FitsKeyword>& num,
                    const std::vector<FitsStringKeyword>& str) {
  for (const FitsKeyword& k : num) {
    check_key(k.key, kReserved);
    if (!std::isfinite(k.value)) {
      throw std::invalid_argument("FITS keyword " + k.key + " = " + std::to_string(k.value) +
                                  " is not allowed (allowed: a finite number)");
    }
    if (!printable(k.comment)) {
      throw std::invalid_argument("FITS keyword " + k.key +
                                  ": comment is not allowed (allowed: printable ASCII)");
    }
  }
  detail::check_string_keywords(str, kReserved);
}

bool valid_nside(long long nside) {
  return nside >= 1 && nside <= 8192 && (nside & (nside - 1)) == 0;
}

// A string keyword, or "" when absent (other errors throw).
std::string read_string_key(const FitsHandle& h, const char* key) {
  char value[FLEN_VALUE] = {0};
  int status = 0;
  fits_read_key(h.f, TSTRING, key, value, nullptr, &status);
  if (status == KEY_NO_EXIST) {
    fits_clear_errmsg();
    return "";
  }
  h.check(status, "fits_read_key");
  std::string s = value;
  while (!s.empty() && s.back() == ' ') s.pop_back();
  return s;
}

std::string upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

// Moves to the first extension; nullptr when it is a BINTABLE, else why the file is not a
// HEALPix map (cfitsio errors throw).
const char* move_to_table(const FitsHandle& h) {
  int status = 0;
  int nhdu = 0;
  fits_get_num_hdus(h.f, &nhdu, &status);
  h.check(status, "fits_get_num_hdus");
  if (nhdu < 2) {
    return ": not a HEALPix map (no BINTABLE extension after the primary HDU; an image would be a "
           "flat map)";
  }
  int type = 0;
  fits_movabs_hdu(h.f, 2, &type, &status);
  h.check(status, "fits_movabs_hdu");
  if (type != BINARY_TBL) return ": not a HEALPix map (the first extension is not a BINTABLE)";
  return nullptr;
}

}  // namespace

void write_healpix_fits(const std::string& path, const HealpixMap& map,
                        const HealpixFitsOptions& options) {
  if (!valid_nside(map.nside)) {
    throw std::invalid_argument("HEALPix map nside = " + std::to_string(map.nside) +
                                " is not allowed (allowed: a power of 2 from 1 to 8192)");
  }
  if (map.values.size() != map.pixels()) {
    throw std::invalid_argument("HEALPix map has " + std::to_string(map.values.size()) +
                                " values for nside " + std::to_string(map.nside) +
                                " (allowed: exactly 12 nside^2 = " + std::to_string(map.pixels()) +
                                ")");
  }
  if (options.column.empty() || options.column.size() > 68 || !printable(options.column)) {
    throw std::invalid_argument("HEALPix FITS column '" + options.column +
                                "' is not allowed (allowed: 1 to 68 printable characters)");
  }
  if (options.coordsys != "C" && options.coordsys != "G" && options.coordsys != "E") {
    throw std::invalid_argument("HEALPix FITS coordsys '" + options.coordsys +
                                "' is not allowed (allowed: C, G, E)");
  }
  if (!printable(options.unit) || options.unit.size() > 68) {
    throw std::invalid_argument("HEALPix FITS unit '" + options.unit +
                                "' is not allowed (allowed: printable ASCII, at most 68)");
  }
  check_keywords(options.keywords, options.string_keywords);
  if (options.single_precision) {
    for (std::size_t p = 0; p < map.values.size(); ++p) {
      const double v = map.values[p];
      if (std::isfinite(v) && std::fabs(v) > static_cast<double>(FLT_MAX)) {
        throw std::invalid_argument("HEALPix map pixel " + std::to_string(p) + " = " +
                                    std::to_string(v) +
                                    " does not fit a single-precision column (allowed: |value| "
                                    "<= 3.4e38, or single_precision = false)");
      }
    }
  }

  AtomicWrite out(path);
  FitsHandle h;
  h.create(out.temp_path());
  int status = 0;
  fits_create_img(h.f, BYTE_IMG, 0, nullptr, &status);
  h.check(status, "fits_create_img");

  const LONGLONG npix = static_cast<LONGLONG>(map.pixels());
  char ttype[72], tform[8], tunit[72], extname[] = "xtension";
  std::snprintf(ttype, sizeof ttype, "%s", options.column.c_str());
  std::snprintf(tform, sizeof tform, "%s", options.single_precision ? "E" : "D");
  std::snprintf(tunit, sizeof tunit, "%s", options.unit.c_str());
  char* ttypes[] = {ttype};
  char* tforms[] = {tform};
  char* tunits[] = {tunit};
  fits_create_tbl(h.f, BINARY_TBL, npix, 1, ttypes, tforms, options.unit.empty() ? nullptr : tunits,
                  extname, &status);
  h.check(status, "fits_create_tbl");

  auto key_str = [&](const char* key, const std::string& value, const char* comment) {
    fits_write_key(h.f, TSTRING, key, const_cast<char*>(value.c_str()), comment, &status);
    h.check(status, "fits_write_key");
  };
  auto key_ll = [&](const char* key, LONGLONG value, const char* comment) {
    fits_write_key(h.f, TLONGLONG, key, &value, comment, &status);
    h.check(status, "fits_write_key");
  };
  key_str("PIXTYPE", "HEALPIX", "HEALPIX pixelisation");
  key_str("ORDERING", "RING", "Pixel ordering scheme, either RING or NESTED");
  key_ll("NSIDE", map.nside, "Resolution parameter of HEALPIX");
  key_ll("FIRSTPIX", 0, "First pixel # (0 based)");
  key_ll("LASTPIX", npix - 1, "Last pixel # (0 based)");
  key_str("INDXSCHM", "IMPLICIT", "Indexing: IMPLICIT or EXPLICIT");
  key_str("OBJECT", "FULLSKY", "Sky coverage, either FULLSKY or PARTIAL");
  key_str("COORDSYS", options.coordsys, "Ecliptic, Galactic or Celestial (equatorial)");
  if (!options.unit.empty()) key_str("BUNIT", options.unit, "Unit of the map values");
  detail::write_keywords(h, options.keywords, options.string_keywords);

  fits_write_col(h.f, TDOUBLE, 1, 1, 1, npix, const_cast<double*>(map.values.data()), &status);
  h.check(status, "fits_write_col");
  h.close();
  out.commit();
}

bool is_healpix_fits(const std::string& path) {
  FitsHandle h;
  h.open_readonly(path);
  if (move_to_table(h) != nullptr) return false;
  return upper(read_string_key(h, "PIXTYPE")) == "HEALPIX";
}

HealpixMap read_healpix_fits(const std::string& path, HealpixFitsInfo* info) {
  FitsHandle h;
  h.open_readonly(path);
  if (const char* why = move_to_table(h)) throw std::runtime_error(path + why);
  const std::string pixtype = upper(read_string_key(h, "PIXTYPE"));
  if (!pixtype.empty() && pixtype != "HEALPIX") {
    throw std::runtime_error(path + ": not a HEALPix map (PIXTYPE = '" + pixtype +
                             "', expected 'HEALPIX')");
  }
  const std::string indx = upper(read_string_key(h, "INDXSCHM"));
  if (indx == "EXPLICIT") {
    throw std::runtime_error(path +
                             ": partial-sky HEALPix map (INDXSCHM = 'EXPLICIT') is not "
                             "supported (allowed: IMPLICIT, full-sky maps)");
  }
  std::string ordering = upper(read_string_key(h, "ORDERING"));
  if (ordering == "NEST") ordering = "NESTED";
  if (ordering != "RING" && ordering != "NESTED") {
    throw std::runtime_error(path + ": ORDERING = '" + ordering +
                             "' is not supported (allowed: RING, NESTED)");
  }

  int status = 0;
  int ncols = 0;
  fits_get_num_cols(h.f, &ncols, &status);
  h.check(status, "fits_get_num_cols");
  if (ncols < 1) throw std::runtime_error(path + ": the HEALPix table has no column");
  int typecode = 0;
  long repeat = 0, width = 0;
  fits_get_coltype(h.f, 1, &typecode, &repeat, &width, &status);
  h.check(status, "fits_get_coltype");
  if (typecode == TSTRING || typecode == TLOGICAL || typecode == TBIT || repeat < 1) {
    throw std::runtime_error(path + ": the first column is not numeric (type code " +
                             std::to_string(typecode) + ")");
  }
  LONGLONG rows = 0;
  fits_get_num_rowsll(h.f, &rows, &status);
  h.check(status, "fits_get_num_rowsll");
  // Bounded before multiplying: rows * repeat overflows (undefined) for a hostile header.
  constexpr LONGLONG kMaxPixels = 12LL * 8192 * 8192;
  if (rows < 0 || rows > kMaxPixels || repeat > kMaxPixels / std::max<LONGLONG>(rows, 1)) {
    throw std::runtime_error(path + ": the first column holds " + std::to_string(rows) +
                             " rows x " + std::to_string(repeat) +
                             " values (allowed: 12 nside^2 for a power-of-2 nside up to 8192)");
  }
  const LONGLONG total = rows * static_cast<LONGLONG>(repeat);
  const long long nside = std::llround(std::sqrt(static_cast<double>(total) / 12.0));
  if (!valid_nside(nside) || 12 * nside * nside != total) {
    throw std::runtime_error(path + ": the first column holds " + std::to_string(total) +
                             " values (" + std::to_string(rows) + " rows x " +
                             std::to_string(repeat) +
                             "), not 12 nside^2 for a power-of-2 nside up to 8192");
  }
  LONGLONG nside_key = 0;
  fits_read_key(h.f, TLONGLONG, "NSIDE", &nside_key, nullptr, &status);
  if (status == KEY_NO_EXIST) {
    status = 0;
    fits_clear_errmsg();
  } else {
    h.check(status, "fits_read_key NSIDE");
    if (nside_key != nside) {
      throw std::runtime_error(path + ": NSIDE = " + std::to_string(nside_key) +
                               " does not match the " + std::to_string(total) + " pixels");
    }
  }

  LONGLONG row_bytes = 0;
  fits_read_key(h.f, TLONGLONG, "NAXIS1", &row_bytes, nullptr, &status);
  h.check(status, "fits_read_key NAXIS1");
  detail::check_data_in_file(h, rows, row_bytes, "NAXIS2 (rows)");
  std::vector<double> data(static_cast<std::size_t>(total));
  int anynul = 0;
  fits_read_col(h.f, TDOUBLE, 1, 1, 1, total, nullptr, data.data(), &anynul, &status);
  h.check(status, "fits_read_col");

  if (info != nullptr) {
    info->column = read_string_key(h, "TTYPE1");
    info->ordering = ordering;
    info->coordsys = read_string_key(h, "COORDSYS");
    info->unit = read_string_key(h, "TUNIT1");
    if (info->unit.empty()) info->unit = read_string_key(h, "BUNIT");
  }

  HealpixMap map;
  map.nside = static_cast<int>(nside);
  if (ordering == "RING") {
    map.values = std::move(data);
  } else {
    const T_Healpix_Base<int64_t> base(nside, NEST, SET_NSIDE);
    map.values.resize(data.size());
    for (int64_t p = 0; p < total; ++p) {
      map.values[static_cast<std::size_t>(base.nest2ring(p))] = data[static_cast<std::size_t>(p)];
    }
  }
  return map;
}

}  // namespace cosmograd::sim
