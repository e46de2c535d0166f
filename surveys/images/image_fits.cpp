// Multi-band FITS images with a TAN WCS, and Lupton asinh colour composites; see image_fits.hpp.
#include "surveys/images/image_fits.hpp"

#include <fitsio.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <limits>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "sim/core/atomic_file.hpp"
#include "sim/io/png.hpp"
#include "sim/sky/detail/fits_file.hpp"

namespace cosmograd::surveys {
namespace {

using sim::FitsKeyword;
using sim::FitsStringKeyword;
using sim::detail::FitsHandle;

const double kPi = std::acos(-1.0);
const double kDeg = kPi / 180.0;

// Keywords the writer sets; user keywords may not use them.
const char* const kReserved[] = {
    "SIMPLE",  "BITPIX",  "NAXIS",   "NAXIS1",  "NAXIS2",  "EXTEND", "XTENSION", "PCOUNT", "GCOUNT",
    "EXTNAME", "FILTER",  "BUNIT",   "NBANDS",  "BSCALE",  "BZERO",  "BLANK",    "CTYPE1", "CTYPE2",
    "CUNIT1",  "CUNIT2",  "CRVAL1",  "CRVAL2",  "CRPIX1",  "CRPIX2", "CD1_1",    "CD1_2",  "CD2_1",
    "CD2_2",   "CDELT1",  "CDELT2",  "PC1_1",   "PC1_2",   "PC2_1",  "PC2_2",    "CROTA1", "CROTA2",
    "LONPOLE", "LATPOLE", "RADESYS", "EQUINOX", "WCSAXES", "END"};

std::string num(double v) {
  char s[32];
  std::snprintf(s, sizeof s, "%.17g", v);
  return s;
}

// RA in [0, 360).
double wrap_ra(double ra) {
  double a = std::fmod(ra, 360.0);
  if (a < 0) a += 360.0;
  return a >= 360.0 ? 0.0 : a;
}

void check_wcs(const TanWcs& w, bool need_crpix) {
  auto bad = [](const char* field, double v, const char* allowed) {
    throw std::invalid_argument(std::string("TanWcs ") + field + " = " + num(v) +
                                " is not allowed (allowed: " + allowed + ")");
  };
  if (!std::isfinite(w.ra_deg)) bad("ra_deg", w.ra_deg, "finite");
  if (!(w.dec_deg >= -90.0 && w.dec_deg <= 90.0)) bad("dec_deg", w.dec_deg, "-90 to 90");
  if (!(w.pixel_scale_arcsec > 0.0) || !std::isfinite(w.pixel_scale_arcsec))
    bad("pixel_scale_arcsec", w.pixel_scale_arcsec, "> 0 and finite");
  if (!std::isfinite(w.rotation_deg)) bad("rotation_deg", w.rotation_deg, "finite");
  const char* unset = "finite; NaN (unset) only before resolve_reference_pixel(wcs, nx, ny)";
  if (need_crpix && !std::isfinite(w.crpix1)) bad("crpix1", w.crpix1, unset);
  if (need_crpix && !std::isfinite(w.crpix2)) bad("crpix2", w.crpix2, unset);
  if (std::isinf(w.crpix1) || std::isinf(w.crpix2))
    bad(std::isinf(w.crpix1) ? "crpix1" : "crpix2", std::isinf(w.crpix1) ? w.crpix1 : w.crpix2,
        "finite, or NaN for the image centre");
}

void check_band(const BandImage& b, FitsBitpix bitpix) {
  const std::string name = "image band '" + b.band + "'";
  if (b.band.empty() || b.band.size() > 68 || !sim::detail::printable(b.band)) {
    throw std::invalid_argument(name +
                                ": the name is not allowed (allowed: 1 to 68 printable "
                                "ASCII characters)");
  }
  if (b.nx < 1 || b.ny < 1 || b.nx > 65535 || b.ny > 65535) {
    throw std::invalid_argument(name + ": nx x ny = " + std::to_string(b.nx) + " x " +
                                std::to_string(b.ny) + " is not allowed (allowed: 1 to 65535)");
  }
  const std::size_t n = static_cast<std::size_t>(b.nx) * static_cast<std::size_t>(b.ny);
  if (b.values.size() != n) {
    throw std::invalid_argument(name + ": values has " + std::to_string(b.values.size()) +
                                " entries for nx x ny = " + std::to_string(b.nx) + " x " +
                                std::to_string(b.ny) + " (allowed: exactly " + std::to_string(n) +
                                ")");
  }
  if (b.unit.size() > 68 || !sim::detail::printable(b.unit)) {
    throw std::invalid_argument(name + ": unit '" + b.unit +
                                "' is not allowed (allowed: printable ASCII, at most 68)");
  }
  if (bitpix == FitsBitpix::kFloat32) {
    for (std::size_t i = 0; i < n; ++i) {
      if (std::isfinite(b.values[i]) &&
          std::fabs(b.values[i]) > static_cast<double>(std::numeric_limits<float>::max())) {
        throw std::invalid_argument(name + ": value " + num(b.values[i]) + " at pixel (" +
                                    std::to_string(i % b.nx) + ", " + std::to_string(i / b.nx) +
                                    ") does not fit a float32 (use FitsBitpix::kFloat64)");
      }
    }
  }
}

void check_keywords(const std::vector<FitsKeyword>& keys, std::vector<std::string>* seen) {
  for (const FitsKeyword& k : keys) {
    sim::detail::check_key(k.key, kReserved);
    if (!std::isfinite(k.value) || !sim::detail::printable(k.comment)) {
      throw std::invalid_argument("FITS keyword " + k.key + " = " + num(k.value) +
                                  " is not allowed (allowed: a finite number, printable comment)");
    }
    seen->push_back(k.key);
  }
}

// Validates everything before a file is touched.
void check_all(const BandImage* bands, std::size_t count, const TanWcs& wcs,
               const std::vector<FitsKeyword>& keywords,
               const std::vector<FitsStringKeyword>& strings, FitsBitpix bitpix) {
  if (count == 0) throw std::invalid_argument("image FITS: no bands (allowed: at least one)");
  if (bitpix != FitsBitpix::kFloat32 && bitpix != FitsBitpix::kFloat64) {
    throw std::invalid_argument("image FITS: BITPIX " + std::to_string(static_cast<int>(bitpix)) +
                                " is not allowed (allowed: -32, -64)");
  }
  check_wcs(wcs, false);
  std::vector<std::string> common;
  check_keywords(keywords, &common);
  sim::detail::check_string_keywords(strings, kReserved);
  for (const FitsStringKeyword& k : strings) common.push_back(k.key);
  std::vector<std::string> names;
  for (std::size_t i = 0; i < count; ++i) {
    const BandImage& b = bands[i];
    check_band(b, bitpix);
    if (b.nx != bands[0].nx || b.ny != bands[0].ny) {
      throw std::invalid_argument("image band '" + b.band + "' is " + std::to_string(b.nx) + " x " +
                                  std::to_string(b.ny) + " but band '" + bands[0].band + "' is " +
                                  std::to_string(bands[0].nx) + " x " +
                                  std::to_string(bands[0].ny) +
                                  " (allowed: all bands the same size, as they share one WCS)");
    }
    std::string upper = b.band;
    for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (std::find(names.begin(), names.end(), upper) != names.end()) {
      throw std::invalid_argument("image band name '" + b.band +
                                  "' appears twice (allowed: unique names, compared ignoring "
                                  "case as FITS readers do)");
    }
    names.push_back(upper);
    std::vector<std::string> keys = common;
    check_keywords(b.keywords, &keys);
    std::sort(keys.begin(), keys.end());
    const auto dup = std::adjacent_find(keys.begin(), keys.end());
    if (dup != keys.end()) {
      throw std::invalid_argument("FITS keyword " + *dup + " is given twice for band '" + b.band +
                                  "' (allowed: each keyword once per HDU)");
    }
  }
}

void key_str(const FitsHandle& h, const char* key, const std::string& value, const char* comment) {
  int status = 0;
  fits_write_key(h.f, TSTRING, key, const_cast<char*>(value.c_str()), comment, &status);
  h.check(status, "fits_write_key");
}

void key_dbl(const FitsHandle& h, const char* key, double value, const char* comment) {
  int status = 0;
  fits_write_key_dbl(h.f, key, value, -17, comment, &status);
  h.check(status, "fits_write_key_dbl");
}

// One 2D image HDU (the primary one when the file is empty, else an extension).
void write_band_hdu(const FitsHandle& h, const BandImage& b, const TanWcs& wcs, bool extension,
                    const std::vector<FitsKeyword>& keywords,
                    const std::vector<FitsStringKeyword>& strings, FitsBitpix bitpix) {
  int status = 0;
  long naxes[2] = {b.nx, b.ny};
  fits_create_img(h.f, bitpix == FitsBitpix::kFloat64 ? DOUBLE_IMG : FLOAT_IMG, 2, naxes, &status);
  h.check(status, "fits_create_img");
  if (extension) key_str(h, "EXTNAME", b.band, "band");
  key_str(h, "FILTER", b.band, "band");
  if (!b.unit.empty()) key_str(h, "BUNIT", b.unit, "unit of the pixel values");
  const TanWcs w = resolve_reference_pixel(wcs, b.nx, b.ny);
  const std::array<double, 4> cd = cd_matrix(w);
  key_str(h, "CTYPE1", "RA---TAN", "gnomonic projection");
  key_str(h, "CTYPE2", "DEC--TAN", "gnomonic projection");
  key_str(h, "CUNIT1", "deg", nullptr);
  key_str(h, "CUNIT2", "deg", nullptr);
  key_dbl(h, "CRVAL1", w.ra_deg, "[deg] RA of the reference pixel");
  key_dbl(h, "CRVAL2", w.dec_deg, "[deg] Dec of the reference pixel");
  key_dbl(h, "CRPIX1", w.crpix1, "reference pixel (1-based)");
  key_dbl(h, "CRPIX2", w.crpix2, "reference pixel (1-based)");
  key_dbl(h, "CD1_1", cd[0], "[deg/pixel] -scale cos(rot)");
  key_dbl(h, "CD1_2", cd[1], "[deg/pixel] scale sin(rot)");
  key_dbl(h, "CD2_1", cd[2], "[deg/pixel] scale sin(rot)");
  key_dbl(h, "CD2_2", cd[3], "[deg/pixel] scale cos(rot)");
  key_dbl(h, "LONPOLE", 180.0, "[deg] native longitude of the celestial pole");
  key_str(h, "RADESYS", "ICRS", nullptr);
  key_dbl(h, "EQUINOX", 2000.0, "[yr]");
  sim::detail::write_keywords(h, keywords, strings);
  sim::detail::write_keywords(h, b.keywords, {});
  fits_write_img(h.f, TDOUBLE, 1, static_cast<LONGLONG>(b.values.size()),
                 const_cast<double*>(b.values.data()), &status);
  h.check(status, "fits_write_img");
}

// A numeric keyword, or `fallback` when it is absent (other errors throw).
double read_dbl(const FitsHandle& h, const char* key, double fallback, bool* found = nullptr) {
  double v = 0;
  int status = 0;
  fits_read_key(h.f, TDOUBLE, key, &v, nullptr, &status);
  if (found != nullptr) *found = status != KEY_NO_EXIST;
  if (status == KEY_NO_EXIST) {
    fits_clear_errmsg();
    return fallback;
  }
  h.check(status, "fits_read_key");
  return v;
}

std::string read_str(const FitsHandle& h, const char* key, const std::string& fallback) {
  char v[FLEN_VALUE] = {0};
  int status = 0;
  fits_read_key(h.f, TSTRING, key, v, nullptr, &status);
  if (status == KEY_NO_EXIST) {
    fits_clear_errmsg();
    return fallback;
  }
  h.check(status, "fits_read_key");
  return v;
}

// The TAN WCS of the current HDU (number `hdu`, 1-based).
TanWcs read_wcs(const FitsHandle& h, int hdu) {
  const std::string where = h.path + ": HDU " + std::to_string(hdu) + ": ";
  const std::string c1 = read_str(h, "CTYPE1", ""), c2 = read_str(h, "CTYPE2", "");
  if (c1 != "RA---TAN" || c2 != "DEC--TAN") {
    throw std::runtime_error(where + "CTYPE1, CTYPE2 = '" + c1 + "', '" + c2 +
                             "' (allowed: 'RA---TAN', 'DEC--TAN')");
  }
  TanWcs w;
  bool f1 = false, f2 = false, f3 = false, f4 = false;
  w.ra_deg = read_dbl(h, "CRVAL1", 0, &f1);
  w.dec_deg = read_dbl(h, "CRVAL2", 0, &f2);
  w.crpix1 = read_dbl(h, "CRPIX1", 0, &f3);
  w.crpix2 = read_dbl(h, "CRPIX2", 0, &f4);
  if (!(f1 && f2 && f3 && f4)) throw std::runtime_error(where + "CRVAL1/2 or CRPIX1/2 missing");
  bool has_cd = false;
  std::array<double, 4> cd{read_dbl(h, "CD1_1", 0, &has_cd), read_dbl(h, "CD1_2", 0),
                           read_dbl(h, "CD2_1", 0), read_dbl(h, "CD2_2", 0)};
  if (!has_cd) {  // CDELTi with an optional PCi_j matrix (Calabretta & Greisen 2002, eq. 1)
    const double d1 = read_dbl(h, "CDELT1", 0), d2 = read_dbl(h, "CDELT2", 0);
    cd = {d1 * read_dbl(h, "PC1_1", 1), d1 * read_dbl(h, "PC1_2", 0), d2 * read_dbl(h, "PC2_1", 0),
          d2 * read_dbl(h, "PC2_2", 1)};
  }
  const double det = cd[0] * cd[3] - cd[1] * cd[2];
  const double s = std::sqrt(std::fabs(det));
  if (!(det < 0) || std::fabs(cd[0] + cd[3]) > 1e-9 * s || std::fabs(cd[1] - cd[2]) > 1e-9 * s) {
    throw std::runtime_error(where + "the CD matrix (" + num(cd[0]) + ", " + num(cd[1]) + ", " +
                             num(cd[2]) + ", " + num(cd[3]) +
                             ") is not a rotation of square pixels with east left (allowed: "
                             "-s cos r, s sin r, s sin r, s cos r)");
  }
  const double lonpole = read_dbl(h, "LONPOLE", w.dec_deg >= 90.0 ? 0.0 : 180.0);
  if (lonpole != 180.0) {
    throw std::runtime_error(where + "LONPOLE = " + num(lonpole) + " (allowed: 180)");
  }
  w.pixel_scale_arcsec = s * 3600.0;
  w.rotation_deg = std::atan2(cd[1], cd[3]) / kDeg;
  return w;
}

}  // namespace

TanWcs resolve_reference_pixel(TanWcs wcs, int nx, int ny) {
  if (std::isnan(wcs.crpix1)) wcs.crpix1 = 0.5 * (nx + 1);
  if (std::isnan(wcs.crpix2)) wcs.crpix2 = 0.5 * (ny + 1);
  return wcs;
}

std::array<double, 4> cd_matrix(const TanWcs& wcs) {
  const double s = wcs.pixel_scale_arcsec / 3600.0;
  const double c = std::cos(wcs.rotation_deg * kDeg), n = std::sin(wcs.rotation_deg * kDeg);
  return {-s * c, s * n, s * n, s * c};
}

std::array<double, 2> pixel_to_sky(const TanWcs& wcs, double x, double y) {
  check_wcs(wcs, true);
  const std::array<double, 4> cd = cd_matrix(wcs);
  const double dx = x + 1.0 - wcs.crpix1, dy = y + 1.0 - wcs.crpix2;
  // Intermediate world coordinates (xi east, eta north) [rad].
  const double xi = (cd[0] * dx + cd[1] * dy) * kDeg, eta = (cd[2] * dx + cd[3] * dy) * kDeg;
  if (xi == 0.0 && eta == 0.0) return {wrap_ra(wcs.ra_deg), wcs.dec_deg};
  // TAN (R = cot theta, phi = arg(-eta, xi)) then the native-to-celestial rotation with
  // phi_p = 180 deg, delta_p = delta_0 (Calabretta & Greisen 2002, eqs. 2, 54), with
  // cos(theta) = R / sqrt(1 + R^2) and sin(theta) = 1 / sqrt(1 + R^2) cancelled in the atan2s.
  const double s0 = std::sin(wcs.dec_deg * kDeg), c0 = std::cos(wcs.dec_deg * kDeg);
  const double east = xi, north = c0 - eta * s0, up = s0 + eta * c0;
  const double ra = wcs.ra_deg + std::atan2(east, north) / kDeg;
  const double dec = std::atan2(up, std::hypot(east, north)) / kDeg;
  return {wrap_ra(ra), dec};
}

std::array<double, 2> sky_to_pixel(const TanWcs& wcs, double ra_deg, double dec_deg) {
  check_wcs(wcs, true);
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double s0 = std::sin(wcs.dec_deg * kDeg), c0 = std::cos(wcs.dec_deg * kDeg);
  const double s = std::sin(dec_deg * kDeg), c = std::cos(dec_deg * kDeg);
  const double da = (ra_deg - wcs.ra_deg) * kDeg;
  // Gnomonic projection: (xi, eta) = tangent-plane coordinates, cos_dist = sin(theta).
  const double cos_dist = s * s0 + c * c0 * std::cos(da);
  if (!(cos_dist > 0.0)) return {nan, nan};
  const double xi = c * std::sin(da) / cos_dist / kDeg;
  const double eta = (s * c0 - c * s0 * std::cos(da)) / cos_dist / kDeg;
  // The CD matrix s R with R a reflection (R^-1 = R).
  const std::array<double, 4> cd = cd_matrix(wcs);
  const double s2 = wcs.pixel_scale_arcsec / 3600.0;
  const double dx = (cd[0] * xi + cd[1] * eta) / (s2 * s2);
  const double dy = (cd[2] * xi + cd[3] * eta) / (s2 * s2);
  return {wcs.crpix1 - 1.0 + dx, wcs.crpix2 - 1.0 + dy};
}

void write_image_fits(const std::string& path, const std::vector<BandImage>& bands,
                      const TanWcs& wcs, const std::vector<FitsKeyword>& keywords,
                      const std::vector<FitsStringKeyword>& strings, FitsBitpix bitpix) {
  check_all(bands.data(), bands.size(), wcs, keywords, strings, bitpix);
  sim::AtomicWrite out(path);
  FitsHandle h;
  h.create(out.temp_path());
  h.path = path;  // errors name the file the user asked for
  int status = 0;
  fits_create_img(h.f, BYTE_IMG, 0, nullptr, &status);
  h.check(status, "fits_create_img");
  int n = static_cast<int>(bands.size());
  fits_write_key(h.f, TINT, "NBANDS", &n, "number of band image extensions", &status);
  h.check(status, "fits_write_key");
  sim::detail::write_keywords(h, keywords, strings);
  for (const BandImage& b : bands) write_band_hdu(h, b, wcs, true, keywords, strings, bitpix);
  h.close();
  out.commit();
}

void write_single_image_fits(const std::string& path, const BandImage& band, const TanWcs& wcs,
                             const std::vector<FitsKeyword>& keywords,
                             const std::vector<FitsStringKeyword>& strings, FitsBitpix bitpix) {
  check_all(&band, 1, wcs, keywords, strings, bitpix);
  sim::AtomicWrite out(path);
  FitsHandle h;
  h.create(out.temp_path());
  h.path = path;
  write_band_hdu(h, band, wcs, false, keywords, strings, bitpix);
  h.close();
  out.commit();
}

std::vector<BandImage> read_image_fits(const std::string& path, TanWcs* wcs) {
  FitsHandle h;
  h.open_readonly(path);
  int status = 0, nhdu = 0, naxis = 0;
  fits_get_num_hdus(h.f, &nhdu, &status);
  h.check(status, "fits_get_num_hdus");
  fits_get_img_dim(h.f, &naxis, &status);
  h.check(status, "fits_get_img_dim");
  if (naxis != 0 && naxis != 2) {
    throw std::runtime_error(path + ": the primary HDU has NAXIS = " + std::to_string(naxis) +
                             " (allowed: 2 for one image, 0 with image extensions)");
  }
  const int first = naxis == 2 ? 1 : 2, last = naxis == 2 ? 1 : nhdu;
  if (first > last) throw std::runtime_error(path + ": no image (empty primary HDU only)");
  std::vector<BandImage> bands;
  TanWcs common;
  for (int i = first; i <= last; ++i) {
    const std::string where = path + ": HDU " + std::to_string(i) + ": ";
    int type = 0;
    fits_movabs_hdu(h.f, i, &type, &status);
    h.check(status, "fits_movabs_hdu");
    if (type == IMAGE_HDU) fits_get_img_dim(h.f, &naxis, &status);
    h.check(status, "fits_get_img_dim");
    if (type != IMAGE_HDU || naxis != 2) {
      throw std::runtime_error(where + "not a 2D image (allowed: 2D IMAGE extensions only)");
    }
    long naxes[2] = {0, 0};
    fits_get_img_size(h.f, 2, naxes, &status);
    h.check(status, "fits_get_img_size");
    if (naxes[0] < 1 || naxes[1] < 1 || naxes[0] > 65535 || naxes[1] > 65535) {
      throw std::runtime_error(where + "the image is " + std::to_string(naxes[0]) + " x " +
                               std::to_string(naxes[1]) + " (allowed: 1 to 65535 a side)");
    }
    BandImage b;
    b.band = read_str(h, "EXTNAME", read_str(h, "FILTER", ""));
    b.unit = read_str(h, "BUNIT", "");
    b.nx = static_cast<int>(naxes[0]);
    b.ny = static_cast<int>(naxes[1]);
    b.values.resize(static_cast<std::size_t>(b.nx) * static_cast<std::size_t>(b.ny));
    int anynul = 0;
    fits_read_img(h.f, TDOUBLE, 1, static_cast<LONGLONG>(b.values.size()), nullptr, b.values.data(),
                  &anynul, &status);
    h.check(status, "fits_read_img");
    const TanWcs w = read_wcs(h, i);
    if (bands.empty()) {
      common = w;
    } else if (cd_matrix(w) != cd_matrix(common) || w.ra_deg != common.ra_deg ||
               w.dec_deg != common.dec_deg || w.crpix1 != common.crpix1 ||
               w.crpix2 != common.crpix2) {
      throw std::runtime_error(where + "its WCS differs from HDU " + std::to_string(first) +
                               "'s (allowed: one WCS for all bands)");
    }
    bands.push_back(std::move(b));
  }
  if (wcs != nullptr) *wcs = common;
  return bands;
}

std::vector<std::uint8_t> lupton_rgb(const BandImage& r, const BandImage& g, const BandImage& b,
                                     double stretch, double q, double minimum) {
  for (const BandImage* c : {&r, &g, &b}) {
    check_band(*c, FitsBitpix::kFloat64);
    if (c->nx != r.nx || c->ny != r.ny) {
      throw std::invalid_argument("colour composite: band '" + c->band + "' is " +
                                  std::to_string(c->nx) + " x " + std::to_string(c->ny) +
                                  " but band '" + r.band + "' is " + std::to_string(r.nx) + " x " +
                                  std::to_string(r.ny) + " (allowed: three bands of one size)");
    }
  }
  if (!(stretch > 0) || !std::isfinite(stretch) || !(q > 0) || !std::isfinite(q) ||
      !std::isfinite(minimum)) {
    throw std::invalid_argument("colour composite: stretch = " + num(stretch) + ", q = " + num(q) +
                                ", minimum = " + num(minimum) +
                                " are not allowed (allowed: stretch > 0, q > 0, all finite)");
  }
  const int nx = r.nx, ny = r.ny;
  std::vector<std::uint8_t> rgb(static_cast<std::size_t>(nx) * ny * 3, 0);
  for (int iy = 0; iy < ny; ++iy) {
    for (int ix = 0; ix < nx; ++ix) {
      const std::size_t in = static_cast<std::size_t>(iy) * nx + ix;
      const double c[3] = {r.values[in] - minimum, g.values[in] - minimum, b.values[in] - minimum};
      const double intensity = (c[0] + c[1] + c[2]) / 3.0;
      if (!(intensity > 0) || !std::isfinite(intensity)) continue;  // black
      // Lupton et al. (2004), eqs. 2-3: every channel scaled by F(I) / I keeps the colour.
      const double f = std::asinh(q * intensity / stretch) / q / intensity;
      double v[3], peak = 0;
      for (int k = 0; k < 3; ++k) {
        v[k] = std::max(0.0, c[k] * f);
        peak = std::max(peak, v[k]);
      }
      const double norm = peak > 1.0 ? 1.0 / peak : 1.0;  // clip to the box, keeping the hue
      std::uint8_t* out = &rgb[3 * (static_cast<std::size_t>(ny - 1 - iy) * nx + ix)];
      for (int k = 0; k < 3; ++k) {
        out[k] = static_cast<std::uint8_t>(std::lround(std::min(1.0, v[k] * norm) * 255.0));
      }
    }
  }
  return rgb;
}

void write_rgb_png(const std::string& path, const BandImage& r, const BandImage& g,
                   const BandImage& b, double stretch, double q, double minimum) {
  std::vector<std::uint8_t> rgb = lupton_rgb(r, g, b, stretch, q, minimum);
  sim::Image image(r.nx, r.ny);
  image.rgb = std::move(rgb);
  sim::write_png(path, image);
}

}  // namespace cosmograd::surveys
