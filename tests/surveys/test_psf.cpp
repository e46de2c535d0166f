// PSFs and FFT convolution: Gaussian moments, the Moffat FWHM, FITS PSFs, convolution against a
// brute-force sum, point sources becoming the PSF, flux conservation and input validation.
#include <fitsio.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "surveys/images/psf.hpp"
#include "surveys/images/sersic.hpp"

namespace cs = cosmograd::surveys;

namespace {

/// Centroid and second moments about it (pixel centres) of an image.
struct PsfMoments {
  double x = 0, y = 0, q11 = 0, q22 = 0, q12 = 0;
};

PsfMoments psf_moments(const cs::Image& im) {
  PsfMoments m;
  const double total = im.sum();
  for (int iy = 0; iy < im.ny; ++iy) {
    for (int ix = 0; ix < im.nx; ++ix) {
      m.x += im.at(ix, iy) * (ix + 0.5) / total;
      m.y += im.at(ix, iy) * (iy + 0.5) / total;
    }
  }
  for (int iy = 0; iy < im.ny; ++iy) {
    for (int ix = 0; ix < im.nx; ++ix) {
      const double v = im.at(ix, iy) / total, dx = ix + 0.5 - m.x, dy = iy + 0.5 - m.y;
      m.q11 += v * dx * dx;
      m.q22 += v * dy * dy;
      m.q12 += v * dx * dy;
    }
  }
  return m;
}

/// out[i] = sum_j image[j] psf[i - j + centre], the definition convolve() implements.
cs::Image direct_convolution(const cs::Image& image, const cs::Image& psf) {
  cs::Image out = cs::Image::zeros(image.nx, image.ny);
  const int cx = psf.nx / 2, cy = psf.ny / 2;
  for (int iy = 0; iy < image.ny; ++iy) {
    for (int ix = 0; ix < image.nx; ++ix) {
      for (int jy = 0; jy < image.ny; ++jy) {
        for (int jx = 0; jx < image.nx; ++jx) {
          const int px = ix - jx + cx, py = iy - jy + cy;
          if (px < 0 || py < 0 || px >= psf.nx || py >= psf.ny) continue;
          out.at(ix, iy) += image.at(jx, jy) * psf.at(px, py);
        }
      }
    }
  }
  return out;
}

cs::Image random_image(int nx, int ny, std::mt19937& rng) {
  std::uniform_real_distribution<double> u(-1, 1);
  cs::Image im = cs::Image::zeros(nx, ny);
  for (double& v : im.values) v = u(rng);
  return im;
}

/// Full width at half maximum along the central row of a PSF centred on its central pixel.
double row_fwhm(const cs::Image& psf) {
  const int c = psf.nx / 2;
  const double half = psf.at(c, c) / 2;
  for (int ix = c; ix + 1 < psf.nx; ++ix) {
    const double a = psf.at(ix, c), b = psf.at(ix + 1, c);
    if (b < half) return 2 * (ix - c + (a - half) / (a - b));
  }
  return -1;
}

/// Writes a 2D (or 3D when nz > 1) double image to a fresh FITS file.
void write_fits(const std::string& path, const std::vector<double>& data, long nx, long ny,
                long nz = 1) {
  std::remove(path.c_str());
  int status = 0;
  fitsfile* f = nullptr;
  long naxes[3] = {nx, ny, nz};
  fits_create_file(&f, path.c_str(), &status);
  fits_create_img(f, DOUBLE_IMG, nz > 1 ? 3 : 2, naxes, &status);
  long first[3] = {1, 1, 1};
  fits_write_pix(f, TDOUBLE, first, static_cast<LONGLONG>(data.size()),
                 const_cast<double*>(data.data()), &status);
  fits_close_file(f, &status);
  ASSERT_EQ(status, 0);
}

template <class F>
void expect_throws_naming(F&& f, const std::string& text) {
  try {
    f();
    ADD_FAILURE() << "no exception for " << text;
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find(text), std::string::npos) << e.what();
  }
}

}  // namespace

TEST(Psf, GaussianHasUnitSumAndAnalyticSecondMoments) {
  const double fwhm = 4.0, sigma = fwhm / (2 * std::sqrt(2 * std::log(2.0)));
  const cs::Image psf = cs::gaussian_psf(fwhm, 31);
  EXPECT_NEAR(psf.sum(), 1.0, 1e-14);
  const PsfMoments m = psf_moments(psf);
  EXPECT_NEAR(m.x, 15.5, 1e-12);
  EXPECT_NEAR(m.y, 15.5, 1e-12);
  EXPECT_NEAR(m.q11 / (sigma * sigma + 1.0 / 12), 1.0, 1e-5);
  EXPECT_NEAR(m.q22 / (sigma * sigma + 1.0 / 12), 1.0, 1e-5);
  EXPECT_NEAR(m.q12, 0.0, 1e-12);
}

TEST(Psf, SubPixelOffsetMovesTheCentroid) {
  const cs::Image psf = cs::gaussian_psf(3.0, 25, 0.3, -0.2);
  const PsfMoments m = psf_moments(psf);
  EXPECT_NEAR(m.x, 12.5 + 0.3, 1e-9);
  EXPECT_NEAR(m.y, 12.5 - 0.2, 1e-9);
}

TEST(Psf, MoffatFwhmMatchesTheRequestedOne) {
  for (const double beta : {2.5, 4.765}) {
    for (const double truncation : {0.0, 4.0}) {
      const double fwhm = 12.0;
      const cs::Image psf = cs::moffat_psf(fwhm, beta, 81, truncation);
      EXPECT_NEAR(psf.sum(), 1.0, 1e-14);
      EXPECT_NEAR(row_fwhm(psf) / fwhm, 1.0, 0.02) << beta << " " << truncation;
    }
  }
  // Truncated: nothing beyond truncation_fwhm * fwhm = 6 pixels.
  const cs::Image small = cs::moffat_psf(2.0, 3.0, 21, 3.0);
  EXPECT_EQ(small.at(10 + 7, 10), 0.0);
  EXPECT_GT(small.at(10 + 5, 10), 0.0);
}

TEST(Psf, MoffatPixelsMatchBruteForceSubsampling) {
  const double fwhm = 3.0, beta = 2.5, truncation = 2.0;  // R_t = 6 px
  const double alpha = fwhm / (2 * std::sqrt(std::pow(2.0, 1 / beta) - 1));
  const cs::Image psf = cs::moffat_psf(fwhm, beta, 15, truncation);
  const auto pixel = [&](int ix, int iy) {  // midpoint rule on m x m sub-pixels, unnormalised
    const int m = 200;
    double sum = 0;
    for (int j = 0; j < m; ++j) {
      for (int i = 0; i < m; ++i) {
        const double dx = ix + (i + 0.5) / m - 7.5, dy = iy + (j + 0.5) / m - 7.5;
        const double r2 = dx * dx + dy * dy;
        if (r2 < 36) sum += std::pow(1 + r2 / (alpha * alpha), -beta) / (m * m);
      }
    }
    return sum;
  };
  const double centre = pixel(7, 7);
  EXPECT_NEAR(psf.at(10, 8) / psf.at(7, 7) / (pixel(10, 8) / centre), 1.0, 1e-4);
  EXPECT_NEAR(psf.at(13, 9) / psf.at(7, 7) / (pixel(13, 9) / centre), 1.0, 1e-3);  // cut by R_t
}

TEST(Psf, ConvolveMatchesDirectSum) {
  std::mt19937 rng(7);
  const cs::Image odd = random_image(13, 9, rng), even = random_image(12, 10, rng);
  for (const auto& size : {std::pair<int, int>{5, 7}, {1, 1}, {17, 3}, {3, 21}}) {
    const cs::Image& image = size.first == 3 ? even : odd;
    const cs::Image psf = random_image(size.first, size.second, rng);
    const cs::Image fast = cs::convolve(image, psf);
    const cs::Image slow = direct_convolution(image, psf);
    ASSERT_EQ(fast.nx, image.nx);
    ASSERT_EQ(fast.ny, image.ny);
    for (std::size_t i = 0; i < fast.values.size(); ++i)
      EXPECT_NEAR(fast.values[i], slow.values[i], 1e-13) << i;
  }
}

TEST(Psf, ConvolvedPointSourceIsThePsf) {
  const cs::Image psf = cs::moffat_psf(3.0, 3.5, 15);
  cs::Image image = cs::Image::zeros(40, 32);
  cs::add_point_source(image, 1.0, 20.5, 12.5);  // the centre of pixel (20, 12)
  const cs::Image out = cs::convolve(image, psf);
  for (int iy = 0; iy < psf.ny; ++iy) {
    for (int ix = 0; ix < psf.nx; ++ix)
      EXPECT_NEAR(out.at(20 - 7 + ix, 12 - 7 + iy), psf.at(ix, iy), 1e-12);
  }
  EXPECT_NEAR(out.sum(), 1.0, 1e-12);
}

TEST(Psf, ConvolutionConservesFluxAndAddsGaussianMoments) {
  cs::SersicProfile galaxy;  // n = 0.5: a Gaussian of sigma^2 = R_e^2 / (2 ln 2)
  galaxy.flux = 40;
  galaxy.n = 0.5;
  galaxy.half_light_radius = 2.5;
  galaxy.x0 = 32.3;
  galaxy.y0 = 31.8;
  cs::Image image = cs::Image::zeros(64, 64);
  cs::add_sersic(image, galaxy);
  const double fwhm = 3.0, sigma_psf = fwhm / (2 * std::sqrt(2 * std::log(2.0)));
  const cs::Image out = cs::convolve(image, cs::gaussian_psf(fwhm, 21));
  EXPECT_NEAR(out.sum() / image.sum(), 1.0, 1e-12);
  // Variances add: galaxy (+1/12 from its pixels) and PSF (+1/12 from its pixels).
  const double expected = 2.5 * 2.5 / (2 * std::log(2.0)) + sigma_psf * sigma_psf + 2.0 / 12;
  const PsfMoments m = psf_moments(out);
  EXPECT_NEAR(m.q11 / expected, 1.0, 1e-5);
  EXPECT_NEAR(m.q22 / expected, 1.0, 1e-5);
  EXPECT_NEAR(m.x, galaxy.x0, 1e-9);
  EXPECT_NEAR(m.y, galaxy.y0, 1e-9);
}

TEST(Psf, ConvolvesA64StampQuickly) {
  cs::Image image = cs::Image::zeros(64, 64);
  cs::add_point_source(image, 1, 30.2, 33.6);
  const cs::Image psf = cs::moffat_psf(4.0, 3.0, 21);
  const int repeats = 50;
  const auto start = std::chrono::steady_clock::now();
  double total = 0;
  for (int i = 0; i < repeats; ++i) total += cs::convolve(image, psf).sum();
  const std::chrono::duration<double, std::milli> dt = std::chrono::steady_clock::now() - start;
  std::cout << "[ timing ] 64 x 64 image (*) 21 x 21 PSF: " << dt.count() / repeats << " ms\n";
  EXPECT_NEAR(total / repeats, 1.0, 1e-12);
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < repeats; ++i) total += cs::moffat_psf(4.0, 3.0, 21).sum();
  const std::chrono::duration<double, std::milli> dt_psf = std::chrono::steady_clock::now() - t0;
  std::cout << "[ timing ] 21 x 21 Moffat PSF stamp: " << dt_psf.count() / repeats << " ms\n";
}

TEST(Psf, ReadsAndNormalisesAFitsImage) {
  const std::string path = testing::TempDir() + "cosmograd_test_psf.fits";
  std::vector<double> data(5 * 3);
  for (std::size_t i = 0; i < data.size(); ++i) data[i] = 1.0 + static_cast<double>(i);
  write_fits(path, data, 5, 3);
  const cs::Image psf = cs::read_psf_fits(path);
  ASSERT_EQ(psf.nx, 5);
  ASSERT_EQ(psf.ny, 3);
  const double total = 15 * 16 / 2.0;
  EXPECT_DOUBLE_EQ(psf.at(0, 0), 1.0 / total);
  EXPECT_DOUBLE_EQ(psf.at(4, 0), 5.0 / total);  // NAXIS1 runs along x
  EXPECT_DOUBLE_EQ(psf.at(1, 2), 12.0 / total);
  EXPECT_NEAR(psf.sum(), 1.0, 1e-15);
  write_fits(path, data, 5, 1, 3);
  expect_throws_naming([&] { cs::read_psf_fits(path); }, "NAXIS = 3");
  write_fits(path, std::vector<double>(15, 0.0), 5, 3);
  expect_throws_naming([&] { cs::read_psf_fits(path); }, path);
  std::remove(path.c_str());
  expect_throws_naming([&] { cs::read_psf_fits(path); }, path);
}

TEST(Psf, BadInputsThrowNamingTheField) {
  expect_throws_naming([] { cs::gaussian_psf(2.0, 10); }, "size");
  expect_throws_naming([] { cs::gaussian_psf(-1.0, 11); }, "fwhm");
  expect_throws_naming([] { cs::moffat_psf(2.0, 1.0, 11); }, "beta");
  expect_throws_naming([] { cs::moffat_psf(2.0, 3.0, 11, -1); }, "truncation_fwhm");
  expect_throws_naming([] { cs::gaussian_psf(2.0, 11, NAN); }, "dx");
  const cs::Image image = cs::Image::zeros(8, 8);
  expect_throws_naming([&] { cs::convolve(image, cs::Image::zeros(4, 5)); }, "psf nx");
  cs::Image broken;
  broken.nx = 3;
  broken.ny = 3;
  expect_throws_naming([&] { cs::convolve(broken, cs::Image::zeros(3, 3)); }, "image values");
}

// Hostile headers (issue 28, tests/fuzz/README.md): a declared size the file does not hold is
// rejected before the image is allocated.
TEST(Psf, HostileImageSizeIsRejectedBeforeAllocating) {
  const std::string path = testing::TempDir() + "cosmograd_test_psf_hostile.fits";
  auto write_header = [&](long nx, long ny) {
    std::string text;
    for (std::string c :
         {std::string("SIMPLE  =                    T"),
          std::string("BITPIX  =                  -64"),
          std::string("NAXIS   =                    2"), "NAXIS1  = " + std::to_string(nx),
          "NAXIS2  = " + std::to_string(ny), std::string("END")}) {
      c.resize(80, ' ');
      text += c;
    }
    text.resize(2880, ' ');
    std::FILE* f = std::fopen(path.c_str(), "wb");
    ASSERT_NE(f, nullptr);
    std::fwrite(text.data(), 1, text.size(), f);
    std::fclose(f);
  };
  write_header(1L << 30, 1L << 30);  // 8 EB of pixels declared
  expect_throws_naming([&] { cs::read_psf_fits(path); }, "NAXIS1 = 1073741824 (allowed");
  write_header(4001, 4001);  // 128 MB declared, none stored
  expect_throws_naming([&] { cs::read_psf_fits(path); }, "pixels the file holds");
  std::remove(path.c_str());
}
