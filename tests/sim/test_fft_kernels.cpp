// The built-in FFT (sim/mesh/detail/fft_kernels.hpp) against naive DFTs. Tolerances: the largest
// error relative to the largest |X| of the naive transform (computed in long double): 1e-12
// in double and 3e-6 in float for 1-D; 3-D the same.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <complex>
#include <random>
#include <vector>

#include "sim/mesh/detail/fft_kernels.hpp"
#include "sim/mpi/decomposition.hpp"

namespace cs = cosmograd::sim;
namespace cd = cosmograd::sim::detail;

namespace {

using LComplex = std::complex<long double>;

/// Naive DFT with sign s in long double.
std::vector<LComplex> naive_dft(const std::vector<LComplex>& x, int sign) {
  const std::size_t n = x.size();
  std::vector<LComplex> out(n);
  const long double pi = 3.141592653589793238462643383279502884L;
  for (std::size_t k = 0; k < n; ++k) {
    LComplex s = 0;
    for (std::size_t j = 0; j < n; ++j) {
      const long double angle = sign * 2 * pi * static_cast<long double>((j * k) % n) / n;
      s += x[j] * LComplex(std::cos(angle), std::sin(angle));
    }
    out[k] = s;
  }
  return out;
}

template <class T>
double tolerance() {
  return sizeof(T) == sizeof(double) ? 1e-12 : 3e-6;
}

/// Max |got - want| / max |want| for both signs of a random vector of length n.
template <class T>
double one_d_error(int n, int sign) {
  std::mt19937_64 rng(1234 + n);
  std::normal_distribution<double> g;
  std::vector<LComplex> x(static_cast<std::size_t>(n));
  std::vector<std::complex<T>> y(static_cast<std::size_t>(n));
  for (int j = 0; j < n; ++j) {
    const T re = static_cast<T>(g(rng)), im = static_cast<T>(g(rng));
    y[static_cast<std::size_t>(j)] = {re, im};
    x[static_cast<std::size_t>(j)] = {re, im};
  }
  const std::vector<LComplex> want = naive_dft(x, sign);
  const cd::Fft1d<T>& plan = cd::fft1d_plan<T>(n);
  std::vector<std::complex<T>> scratch(plan.scratch_size());
  plan.transform(y.data(), sign, scratch.data());
  long double err = 0, scale = 0;
  for (int k = 0; k < n; ++k) {
    const LComplex got(y[static_cast<std::size_t>(k)].real(),
                       y[static_cast<std::size_t>(k)].imag());
    err = std::max(err, std::abs(got - want[static_cast<std::size_t>(k)]));
    scale = std::max(scale, std::abs(want[static_cast<std::size_t>(k)]));
  }
  return static_cast<double>(err / scale);
}

template <class T>
void check_one_d() {
  std::vector<int> lengths;
  for (int n = 1; n <= 64; ++n) lengths.push_back(n);
  for (int n : {97, 100, 127, 128, 210, 256, 243, 1000}) lengths.push_back(n);
  for (int n : lengths) {
    for (int sign : {-1, +1}) {
      EXPECT_LE(one_d_error<T>(n, sign), tolerance<T>()) << "n = " << n << ", sign = " << sign;
    }
  }
}

/// A random real field on the padded layout (padding filled with garbage).
template <class T>
std::vector<T> random_real(int n, unsigned seed) {
  const cs::Decomposition d(n);
  std::vector<T> f(2 * d.local_complex_size());
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> g;
  for (T& v : f) v = static_cast<T>(g(rng));
  return f;
}

template <class T>
void check_r2c_against_naive(int n) {
  const cs::Decomposition d(n);
  std::vector<T> f = random_real<T>(n, 7u + static_cast<unsigned>(n));
  const std::vector<T> orig = f;
  cd::fft3d_r2c(cd::fft1d_plan<T>(n), f.data());
  const auto* c = reinterpret_cast<const std::complex<T>*>(f.data());
  const long double pi = 3.141592653589793238462643383279502884L;
  long double err = 0, scale = 0;
  for (int kx = 0; kx < n; ++kx) {
    for (int ky = 0; ky < n; ++ky) {
      for (int kz = 0; kz <= n / 2; ++kz) {
        LComplex s = 0;
        for (int x = 0; x < n; ++x) {
          for (int y = 0; y < n; ++y) {
            for (int z = 0; z < n; ++z) {
              const long double angle =
                  -2 * pi * static_cast<long double>((kx * x + ky * y + kz * z) % n) / n;
              s += static_cast<long double>(orig[d.real_index(x, y, z)]) *
                   LComplex(std::cos(angle), std::sin(angle));
            }
          }
        }
        const std::complex<T> got = c[d.complex_index(kx, ky, kz)];
        err = std::max(err, std::abs(LComplex(got.real(), got.imag()) - s));
        scale = std::max(scale, std::abs(s));
      }
    }
  }
  EXPECT_LE(static_cast<double>(err / scale), tolerance<T>()) << "r2c, n = " << n;
}

/// c2r of an arbitrary (non-Hermitian) half spectrum: FFTW's result
/// f(x) = sum_stored c_k Re(X_k e^{ik.x}), c_k = 1 on the kz = 0 and n/2 planes, 2 elsewhere.
template <class T>
void check_c2r_against_naive(int n) {
  const cs::Decomposition d(n);
  std::vector<T> f = random_real<T>(n, 99u + static_cast<unsigned>(n));
  const std::vector<T> orig = f;
  const auto* c = reinterpret_cast<const std::complex<T>*>(orig.data());
  cd::fft3d_c2r(cd::fft1d_plan<T>(n), f.data());
  const long double pi = 3.141592653589793238462643383279502884L;
  long double err = 0, scale = 0;
  for (int x = 0; x < n; ++x) {
    for (int y = 0; y < n; ++y) {
      for (int z = 0; z < n; ++z) {
        long double s = 0;
        for (int kx = 0; kx < n; ++kx) {
          for (int ky = 0; ky < n; ++ky) {
            for (int kz = 0; kz <= n / 2; ++kz) {
              const long double angle =
                  2 * pi * static_cast<long double>((kx * x + ky * y + kz * z) % n) / n;
              const std::complex<T> v = c[d.complex_index(kx, ky, kz)];
              const long double mult = kz == 0 || 2 * kz == n ? 1 : 2;
              s += mult * (v.real() * std::cos(angle) - v.imag() * std::sin(angle));
            }
          }
        }
        err = std::max(err, std::abs(static_cast<long double>(f[d.real_index(x, y, z)]) - s));
        scale = std::max(scale, std::abs(s));
      }
    }
  }
  EXPECT_LE(static_cast<double>(err / scale), 4 * tolerance<T>()) << "c2r, n = " << n;
}

template <class T>
void check_round_trip(int n) {
  const cs::Decomposition d(n);
  std::vector<T> f = random_real<T>(n, 5u + static_cast<unsigned>(n));
  const std::vector<T> orig = f;
  const cd::Fft1d<T>& plan = cd::fft1d_plan<T>(n);
  cd::fft3d_r2c(plan, f.data());
  cd::fft3d_c2r(plan, f.data());
  const double n3 = static_cast<double>(n) * n * n;
  double err = 0, scale = 0;
  for (int x = 0; x < n; ++x) {
    for (int y = 0; y < n; ++y) {
      for (int z = 0; z < n; ++z) {
        const std::size_t i = d.real_index(x, y, z);
        err = std::max(err, std::abs(f[i] / n3 - static_cast<double>(orig[i])));
        scale = std::max(scale, std::abs(static_cast<double>(orig[i])));
      }
    }
  }
  EXPECT_LE(err / scale, 10 * tolerance<T>()) << "round trip, n = " << n;
}

}  // namespace

TEST(FftKernels, OneDimensionalMatchesNaiveDftDouble) { check_one_d<double>(); }
TEST(FftKernels, OneDimensionalMatchesNaiveDftFloat) { check_one_d<float>(); }

TEST(FftKernels, RealToComplex3dMatchesNaiveDft) {
  for (int n : {4, 6, 8}) {
    check_r2c_against_naive<double>(n);
    check_r2c_against_naive<float>(n);
  }
}

TEST(FftKernels, ComplexToReal3dMatchesNaiveDftWithFftwConventions) {
  for (int n : {4, 6, 8}) {
    check_c2r_against_naive<double>(n);
    check_c2r_against_naive<float>(n);
  }
}

TEST(FftKernels, RoundTripIsNCubedTimesIdentity) {
  for (int n : {2, 4, 6, 10, 16, 32, 38}) {
    check_round_trip<double>(n);
    check_round_trip<float>(n);
  }
}

TEST(FftKernels, PlansAreCachedAndBadLengthsThrow) {
  EXPECT_EQ(&cd::fft1d_plan<double>(12), &cd::fft1d_plan<double>(12));
  EXPECT_THROW(cd::Fft1d<double>(0), std::invalid_argument);
  std::vector<double> odd(2 * 3 * 3 * 2);
  EXPECT_THROW(cd::fft3d_r2c(cd::fft1d_plan<double>(3), odd.data()), std::invalid_argument);
}
