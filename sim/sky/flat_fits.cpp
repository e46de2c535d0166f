// Flat-sky FITS images with a TAN WCS through cfitsio; see flat_fits.hpp.
#include "sim/sky/flat_fits.hpp"

#include <fitsio.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <vector>

#include "sim/core/atomic_file.hpp"
#include "sim/core/check.hpp"

namespace cosmograd::sim {
namespace {

// Throws CallError "<call> failed (cfitsio status s): <path>: <message>; <error stack>".
[[noreturn]] void fits_failed(int status, const std::string& path, const char* call) {
  char text[FLEN_STATUS] = {0};
  fits_get_errstatus(status, text);
  std::string detail = path + ": " + text;
  char msg[FLEN_ERRMSG] = {0};
  while (fits_read_errmsg(msg) != 0) detail += std::string("; ") + msg;
  call_failed("cfitsio", call, status, detail);
}

// Closes the file on scope exit (errors there are ignored: one is already in flight).
struct FitsHandle {
  fitsfile* f = nullptr;
  std::string path;
  ~FitsHandle() {
    if (f != nullptr) {
      int s = 0;
      fits_close_file(f, &s);
    }
  }
  void check(int status, const char* call) const {
    if (status != 0) fits_failed(status, path, call);
  }
  void close() {
    int s = 0;
    fitsfile* g = f;
    f = nullptr;
    fits_close_file(g, &s);
    check(s, "fits_close_file");
  }
};

bool printable(const std::string& s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= 32 && c <= 126; });
}

const char* const kReserved[] = {"SIMPLE", "BITPIX", "NAXIS",  "NAXIS1", "NAXIS2",  "EXTEND",
                                 "CTYPE1", "CTYPE2", "CRPIX1", "CRPIX2", "CRVAL1",  "CRVAL2",
                                 "CDELT1", "CDELT2", "CUNIT1", "CUNIT2", "RADESYS", "EQUINOX",
                                 "BUNIT",  "END",    "CD1_1",  "CD1_2",  "CD2_1",   "CD2_2",
                                 "PC1_1",  "PC1_2",  "PC2_1",  "PC2_2",  "LONPOLE", "LATPOLE"};

void check_key(const std::string& k) {
  const bool ok = !k.empty() && k.size() <= 8 && std::all_of(k.begin(), k.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
  });
  if (!ok) {
    throw std::invalid_argument("FITS keyword '" + k +
                                "' is not allowed (allowed: 1 to 8 characters of A-Z, 0-9, "
                                "'-', '_')");
  }
  for (const char* r : kReserved) {
    if (k == r) {
      throw std::invalid_argument("FITS keyword '" + k +
                                  "' is reserved (the writer sets it; choose another name)");
    }
  }
}

// A numeric keyword, or `fallback` when absent (other errors throw).
double read_double_key(const FitsHandle& h, const char* key, double fallback, bool* found) {
  double v = 0;
  int status = 0;
  fits_read_key(h.f, TDOUBLE, key, &v, nullptr, &status);
  if (status == KEY_NO_EXIST) {
    fits_clear_errmsg();
    if (found != nullptr) *found = false;
    return fallback;
  }
  h.check(status, "fits_read_key");
  if (found != nullptr) *found = true;
  return v;
}

}  // namespace

void write_flat_fits(const std::string& path, const FlatMap& map, const FlatFitsOptions& options) {
  if (map.n < 1 || map.n > 65536) {
    throw std::invalid_argument("flat map n = " + std::to_string(map.n) +
                                " is not allowed (allowed: 1 to 65536)");
  }
  if (!(map.field_deg > 0.0) || !(map.field_deg < 180.0)) {
    throw std::invalid_argument("flat map field_deg = " + std::to_string(map.field_deg) +
                                " is not allowed (allowed: 0 < field_deg < 180)");
  }
  if (map.values.size() != map.pixels()) {
    throw std::invalid_argument("flat map has " + std::to_string(map.values.size()) +
                                " values for n = " + std::to_string(map.n) +
                                " (allowed: exactly n^2 = " + std::to_string(map.pixels()) + ")");
  }
  if (!(options.ra_deg >= 0.0 && options.ra_deg < 360.0)) {
    throw std::invalid_argument("flat FITS ra_deg = " + std::to_string(options.ra_deg) +
                                " is not allowed (allowed: 0 <= ra < 360)");
  }
  if (!(options.dec_deg >= -90.0 && options.dec_deg <= 90.0)) {
    throw std::invalid_argument("flat FITS dec_deg = " + std::to_string(options.dec_deg) +
                                " is not allowed (allowed: -90 to 90)");
  }
  if (!printable(options.unit) || options.unit.size() > 68) {
    throw std::invalid_argument("flat FITS unit '" + options.unit +
                                "' is not allowed (allowed: printable ASCII, at most 68)");
  }
  for (const FitsKeyword& k : options.keywords) {
    check_key(k.key);
    if (!std::isfinite(k.value) || !printable(k.comment)) {
      throw std::invalid_argument("FITS keyword " + k.key + " = " + std::to_string(k.value) +
                                  " is not allowed (allowed: a finite number, printable comment)");
    }
  }
  for (const FitsStringKeyword& k : options.string_keywords) {
    check_key(k.key);
    if (!printable(k.value) || k.value.size() > 68 || !printable(k.comment)) {
      throw std::invalid_argument("FITS keyword " + k.key + " = '" + k.value +
                                  "' is not allowed (allowed: printable ASCII, at most 68 "
                                  "characters, printable comment)");
    }
  }

  AtomicWrite out(path);
  FitsHandle h;
  h.path = out.temp_path();
  int status = 0;
  fits_create_diskfile(&h.f, out.temp_path().c_str(), &status);
  h.check(status, "fits_create_diskfile");
  long naxes[2] = {map.n, map.n};
  fits_create_img(h.f, DOUBLE_IMG, 2, naxes, &status);
  h.check(status, "fits_create_img");

  auto key_str = [&](const char* key, const std::string& value, const char* comment) {
    fits_write_key(h.f, TSTRING, key, const_cast<char*>(value.c_str()), comment, &status);
    h.check(status, "fits_write_key");
  };
  auto key_dbl = [&](const char* key, double value, const char* comment) {
    fits_write_key_dbl(h.f, key, value, -17, comment, &status);
    h.check(status, "fits_write_key_dbl");
  };
  const double pixel_deg = map.field_deg / map.n;
  const double crpix = 0.5 * map.n + 0.5;
  key_str("CTYPE1", "RA---TAN", "gnomonic projection");
  key_str("CTYPE2", "DEC--TAN", "gnomonic projection");
  key_dbl("CRPIX1", crpix, "reference pixel: the field centre");
  key_dbl("CRPIX2", crpix, "reference pixel: the field centre");
  key_dbl("CRVAL1", options.ra_deg, "[deg] RA of the field centre");
  key_dbl("CRVAL2", options.dec_deg, "[deg] Dec of the field centre");
  key_dbl("CDELT1", -pixel_deg, "[deg] pixel side (RA increases to the left)");
  key_dbl("CDELT2", pixel_deg, "[deg] pixel side");
  key_str("CUNIT1", "deg", nullptr);
  key_str("CUNIT2", "deg", nullptr);
  key_str("RADESYS", "ICRS", nullptr);
  if (!options.unit.empty()) key_str("BUNIT", options.unit, "unit of the map values");
  for (const FitsKeyword& k : options.keywords) {
    const char* comment = k.comment.empty() ? nullptr : k.comment.c_str();
    if (k.value == std::floor(k.value) && std::fabs(k.value) < 9.0e15) {
      LONGLONG v = static_cast<LONGLONG>(k.value);
      fits_write_key(h.f, TLONGLONG, k.key.c_str(), &v, comment, &status);
    } else {
      fits_write_key_dbl(h.f, k.key.c_str(), k.value, -17, comment, &status);
    }
    h.check(status, "fits_write_key");
  }
  for (const FitsStringKeyword& k : options.string_keywords) {
    key_str(k.key.c_str(), k.value, k.comment.empty() ? nullptr : k.comment.c_str());
  }
  fits_write_img(h.f, TDOUBLE, 1, static_cast<LONGLONG>(map.pixels()),
                 const_cast<double*>(map.values.data()), &status);
  h.check(status, "fits_write_img");
  h.close();
  out.commit();
}

FlatMap read_flat_fits(const std::string& path, FlatFitsInfo* info) {
  FitsHandle h;
  h.path = path;
  int status = 0;
  fits_open_diskfile(&h.f, path.c_str(), READONLY, &status);
  h.check(status, "fits_open_diskfile");
  int naxis = 0;
  fits_get_img_dim(h.f, &naxis, &status);
  h.check(status, "fits_get_img_dim");
  if (naxis != 2) {
    throw std::runtime_error(path + ": the primary HDU has NAXIS = " + std::to_string(naxis) +
                             " (a flat map needs a 2D image; HEALPix maps are tables)");
  }
  long naxes[2] = {0, 0};
  fits_get_img_size(h.f, 2, naxes, &status);
  h.check(status, "fits_get_img_size");
  if (naxes[0] != naxes[1] || naxes[0] < 1) {
    throw std::runtime_error(path + ": the image is " + std::to_string(naxes[0]) + " x " +
                             std::to_string(naxes[1]) + " (a flat map must be square)");
  }
  bool found = false;
  double d2 = read_double_key(h, "CDELT2", 0.0, &found);
  double d1 = read_double_key(h, "CDELT1", 0.0, nullptr);
  if (!found) {
    d2 = read_double_key(h, "CD2_2", 0.0, &found);
    d1 = read_double_key(h, "CD1_1", 0.0, nullptr);
  }
  if (!found || !(std::fabs(d2) > 0.0)) {
    throw std::runtime_error(path + ": no pixel scale (CDELT2 or CD2_2 missing or zero)");
  }
  if (d1 != 0.0 && std::fabs(std::fabs(d1) / std::fabs(d2) - 1.0) > 1e-9) {
    throw std::runtime_error(
        path + ": pixels are not square (|CDELT1| = " + std::to_string(std::fabs(d1)) +
        ", |CDELT2| = " + std::to_string(std::fabs(d2)) + ")");
  }
  FlatMap map;
  map.n = static_cast<int>(naxes[0]);
  map.field_deg = map.n * std::fabs(d2);
  map.values.resize(map.pixels());
  int anynul = 0;
  fits_read_img(h.f, TDOUBLE, 1, static_cast<LONGLONG>(map.pixels()), nullptr, map.values.data(),
                &anynul, &status);
  h.check(status, "fits_read_img");
  if (info != nullptr) {
    info->ra_deg = read_double_key(h, "CRVAL1", 0.0, nullptr);
    info->dec_deg = read_double_key(h, "CRVAL2", 0.0, nullptr);
    char value[FLEN_VALUE] = {0};
    fits_read_key(h.f, TSTRING, "BUNIT", value, nullptr, &status);
    if (status == KEY_NO_EXIST) {
      status = 0;
      fits_clear_errmsg();
      value[0] = 0;
    }
    h.check(status, "fits_read_key BUNIT");
    info->unit = value;
  }
  return map;
}

}  // namespace cosmograd::sim
