// PSF images and FFT convolution (see psf.hpp).
#include "surveys/images/psf.hpp"

#include <fftw3.h>
#include <fitsio.h>

#include <algorithm>
#include <cmath>
#include <complex>
#include <memory>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "sim/mesh/check_fftw.hpp"

namespace cosmograd::surveys {
namespace {

constexpr double kPi = 3.14159265358979323846;

[[noreturn]] void invalid(const std::string& field, double value, const std::string& allowed) {
  std::ostringstream s;
  s << field << " = " << value << " is invalid: allowed " << allowed;
  throw std::invalid_argument(s.str());
}

void check_stamp(const char* what, double fwhm, int size, double dx, double dy) {
  const std::string w(what);
  if (!(fwhm > 0) || !std::isfinite(fwhm))
    invalid(w + " fwhm", fwhm, "a finite value > 0 [pixels]");
  if (size < 1 || size % 2 == 0) invalid(w + " size", size, "an odd size >= 1 [pixels]");
  if (!std::isfinite(dx)) invalid(w + " dx", dx, "a finite offset [pixels]");
  if (!std::isfinite(dy)) invalid(w + " dy", dy, "a finite offset [pixels]");
}

/// Renders intensity(r^2) (total flux about flux_scale) on a stamp and normalises it to sum 1.
Image render_psf(EllipticalProfile profile, int size, double dx, double dy) {
  Image stamp = Image::zeros(size, size);
  profile.x0 = size / 2 + 0.5 + dx;
  profile.y0 = size / 2 + 0.5 + dy;
  add_elliptical_profile(stamp, profile);
  const double total = stamp.sum();
  if (!(total > 0)) invalid("PSF flux on the stamp", total, "> 0 (is the PSF on its stamp?)");
  for (double& v : stamp.values) v /= total;
  return stamp;
}

/// Flux of (1 + r^2 / alpha^2)^-beta within radius rt (infinity allowed when beta > 1).
double moffat_flux(double alpha, double beta, double rt) {
  const double a2 = alpha * alpha;
  if (std::isinf(rt)) return kPi * a2 / (beta - 1);
  const double u = 1 + rt * rt / a2;
  if (beta == 1) return kPi * a2 * std::log(u);
  return kPi * a2 * (1 - std::pow(u, 1 - beta)) / (beta - 1);
}

/// Closes a cfitsio file when it leaves scope.
struct FitsCloser {
  void operator()(fitsfile* f) const {
    int status = 0;
    fits_close_file(f, &status);
  }
};

[[noreturn]] void fits_failed(const std::string& path, const std::string& what, int status) {
  char text[FLEN_STATUS] = {0};
  fits_get_errstatus(status, text);
  throw std::runtime_error("read_psf_fits: " + what + " of '" + path + "' failed (cfitsio status " +
                           std::to_string(status) + ": " + text + ")");
}

std::mutex& plan_mutex() {  // FFTW's planner is not thread-safe
  static std::mutex m;
  return m;
}

/// Owns an FFTW plan, destroyed under the planner lock.
struct Plan {
  fftw_plan plan;
  explicit Plan(fftw_plan p) : plan(sim::check_fftw_plan(p, "fftw_plan_dft_2d (convolve)")) {}
  Plan(const Plan&) = delete;
  Plan& operator=(const Plan&) = delete;
  ~Plan() {
    const std::lock_guard<std::mutex> lock(plan_mutex());
    fftw_destroy_plan(plan);
  }
};

/// The forward r2c transform of image zero-padded to ny x nx.
std::vector<std::complex<double>> padded_spectrum(const Image& image, int nx, int ny) {
  std::vector<double> real(static_cast<std::size_t>(nx) * ny, 0.0);
  for (int iy = 0; iy < image.ny; ++iy) {
    for (int ix = 0; ix < image.nx; ++ix)
      real[static_cast<std::size_t>(iy) * nx + ix] = image.at(ix, iy);
  }
  std::vector<std::complex<double>> spectrum(static_cast<std::size_t>(ny) * (nx / 2 + 1));
  auto* out = reinterpret_cast<fftw_complex*>(spectrum.data());
  fftw_plan p;
  {
    const std::lock_guard<std::mutex> lock(plan_mutex());
    p = fftw_plan_dft_r2c_2d(ny, nx, real.data(), out, FFTW_ESTIMATE);
  }
  const Plan plan(p);
  fftw_execute(plan.plan);
  return spectrum;
}

void check_image(const char* what, const Image& image) {
  const std::size_t n = static_cast<std::size_t>(std::max(image.nx, 0)) * std::max(image.ny, 0);
  if (image.nx < 1 || image.ny < 1 || image.values.size() != n)
    invalid(std::string(what) + " values", static_cast<double>(image.values.size()),
            "nx * ny values with nx, ny >= 1");
}

}  // namespace

Image gaussian_psf(double fwhm, int size, double dx, double dy) {
  check_stamp("gaussian_psf", fwhm, size, dx, dy);
  const double sigma = fwhm / (2 * std::sqrt(2 * std::log(2.0)));
  const double s2 = sigma * sigma;
  EllipticalProfile profile;
  profile.intensity = [s2](double r2) { return std::exp(-r2 / (2 * s2)) / (2 * kPi * s2); };
  return render_psf(profile, size, dx, dy);
}

Image moffat_psf(double fwhm, double beta, int size, double truncation_fwhm, double dx, double dy) {
  check_stamp("moffat_psf", fwhm, size, dx, dy);
  if (!(truncation_fwhm >= 0) || !std::isfinite(truncation_fwhm))
    invalid("moffat_psf truncation_fwhm", truncation_fwhm, "0 (none) or a finite value > 0");
  if (!(beta > 0) || !std::isfinite(beta) || (truncation_fwhm == 0 && beta <= 1))
    invalid("moffat_psf beta", beta, "beta > 1 (or beta > 0 with a truncation)");
  const double alpha = fwhm / (2 * std::sqrt(std::pow(2.0, 1 / beta) - 1));  // Moffat 1969
  const double rt = truncation_fwhm * fwhm;
  const double a2 = alpha * alpha, norm = 1 / moffat_flux(alpha, beta, rt > 0 ? rt : HUGE_VAL);
  EllipticalProfile profile;
  profile.intensity = [a2, beta, norm](double r2) { return norm * std::pow(1 + r2 / a2, -beta); };
  profile.truncation_radius = rt;
  return render_psf(profile, size, dx, dy);
}

Image read_psf_fits(const std::string& path) {
  int status = 0;
  fitsfile* raw = nullptr;
  if (fits_open_image(&raw, path.c_str(), READONLY, &status)) fits_failed(path, "opening", status);
  const std::unique_ptr<fitsfile, FitsCloser> file(raw);
  int naxis = 0;
  long naxes[2] = {0, 0};
  if (fits_get_img_dim(raw, &naxis, &status)) fits_failed(path, "reading NAXIS", status);
  if (naxis != 2)
    throw std::runtime_error("read_psf_fits: '" + path + "' has NAXIS = " + std::to_string(naxis) +
                             " in its primary HDU (allowed: a 2D image, NAXIS = 2)");
  if (fits_get_img_size(raw, 2, naxes, &status)) fits_failed(path, "reading NAXISn", status);
  // Checked before allocating: a hostile header must not allocate terabytes.
  constexpr long kMaxSide = 8192;
  for (int a = 0; a < 2; ++a) {
    if (naxes[a] < 1 || naxes[a] > kMaxSide)
      throw std::runtime_error("read_psf_fits: '" + path + "' has NAXIS" + std::to_string(a + 1) +
                               " = " + std::to_string(naxes[a]) + " (allowed: 1 to " +
                               std::to_string(kMaxSide) + " pixels)");
  }
  int bitpix = 0;
  LONGLONG head = 0, data = 0, end = 0;
  if (fits_get_img_type(raw, &bitpix, &status)) fits_failed(path, "reading BITPIX", status);
  if (fits_get_hduaddrll(raw, &head, &data, &end, &status))
    fits_failed(path, "locating the pixels", status);
  const long long need = static_cast<long long>(naxes[0]) * naxes[1] * (std::abs(bitpix) / 8);
  if (need > raw->Fptr->filesize - data)
    throw std::runtime_error(
        "read_psf_fits: '" + path + "' has NAXIS1 x NAXIS2 = " + std::to_string(naxes[0]) + " x " +
        std::to_string(naxes[1]) + " pixels needing " + std::to_string(need) + " bytes but holds " +
        std::to_string(raw->Fptr->filesize - data) + " (allowed: pixels the file holds)");
  Image psf = Image::zeros(static_cast<int>(naxes[0]), static_cast<int>(naxes[1]));
  long first[2] = {1, 1};
  int any_null = 0;
  if (fits_read_pix(raw, TDOUBLE, first, static_cast<LONGLONG>(psf.values.size()), nullptr,
                    psf.values.data(), &any_null, &status))
    fits_failed(path, "reading the pixels", status);
  const double total = psf.sum();
  if (!(total > 0) || !std::isfinite(total))
    throw std::runtime_error("read_psf_fits: the pixels of '" + path + "' sum to " +
                             std::to_string(total) + " (allowed: a finite sum > 0)");
  for (double& v : psf.values) v /= total;
  return psf;
}

Image convolve(const Image& image, const Image& psf) {
  check_image("convolve image", image);
  check_image("convolve psf", psf);
  if (psf.nx % 2 == 0) invalid("convolve psf nx", psf.nx, "an odd size [pixels]");
  if (psf.ny % 2 == 0) invalid("convolve psf ny", psf.ny, "an odd size [pixels]");
  const int nx = image.nx + psf.nx - 1, ny = image.ny + psf.ny - 1;  // no wrap-around
  std::vector<std::complex<double>> product = padded_spectrum(image, nx, ny);
  const std::vector<std::complex<double>> kernel = padded_spectrum(psf, nx, ny);
  for (std::size_t i = 0; i < product.size(); ++i) product[i] *= kernel[i];
  std::vector<double> full(static_cast<std::size_t>(nx) * ny);
  fftw_plan p;
  {
    const std::lock_guard<std::mutex> lock(plan_mutex());
    p = fftw_plan_dft_c2r_2d(ny, nx, reinterpret_cast<fftw_complex*>(product.data()), full.data(),
                             FFTW_ESTIMATE);
  }
  const Plan plan(p);
  fftw_execute(plan.plan);
  Image out = Image::zeros(image.nx, image.ny);
  const int cx = psf.nx / 2, cy = psf.ny / 2;
  const double scale = 1.0 / (static_cast<double>(nx) * ny);
  for (int iy = 0; iy < image.ny; ++iy) {
    for (int ix = 0; ix < image.nx; ++ix)
      out.at(ix, iy) = full[static_cast<std::size_t>(iy + cy) * nx + ix + cx] * scale;
  }
  return out;
}

}  // namespace cosmograd::surveys
