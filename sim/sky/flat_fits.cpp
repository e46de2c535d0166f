// Flat-sky FITS images with a TAN WCS through cfitsio; see flat_fits.hpp.
#include "sim/sky/flat_fits.hpp"

#include <fitsio.h>

#include <cmath>
#include <cstdlib>
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

const char* const kReserved[] = {"SIMPLE", "BITPIX", "NAXIS",  "NAXIS1", "NAXIS2",  "EXTEND",
                                 "CTYPE1", "CTYPE2", "CRPIX1", "CRPIX2", "CRVAL1",  "CRVAL2",
                                 "CDELT1", "CDELT2", "CUNIT1", "CUNIT2", "RADESYS", "EQUINOX",
                                 "BUNIT",  "END",    "CD1_1",  "CD1_2",  "CD2_1",   "CD2_2",
                                 "PC1_1",  "PC1_2",  "PC2_1",  "PC2_2",  "LONPOLE", "LATPOLE"};

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
    check_key(k.key, kReserved);
    if (!std::isfinite(k.value) || !printable(k.comment)) {
      throw std::invalid_argument("FITS keyword " + k.key + " = " + std::to_string(k.value) +
                                  " is not allowed (allowed: a finite number, printable comment)");
    }
  }
  detail::check_string_keywords(options.string_keywords, kReserved);

  AtomicWrite out(path);
  FitsHandle h;
  h.create(out.temp_path());
  int status = 0;
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
  detail::write_keywords(h, options.keywords, options.string_keywords);
  fits_write_img(h.f, TDOUBLE, 1, static_cast<LONGLONG>(map.pixels()),
                 const_cast<double*>(map.values.data()), &status);
  h.check(status, "fits_write_img");
  h.close();
  out.commit();
}

FlatMap read_flat_fits(const std::string& path, FlatFitsInfo* info) {
  FitsHandle h;
  h.open_readonly(path);
  int status = 0;
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
  if (naxes[0] > 65536) {
    throw std::runtime_error(path + ": NAXIS1 = " + std::to_string(naxes[0]) +
                             " (allowed: a flat map of 1 to 65536 pixels per side)");
  }
  int bitpix = 0;
  fits_get_img_type(h.f, &bitpix, &status);
  h.check(status, "fits_get_img_type");
  detail::check_data_in_file(h, static_cast<long long>(naxes[0]) * naxes[1], std::abs(bitpix) / 8,
                             "NAXIS1 x NAXIS2");
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
