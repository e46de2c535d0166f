#include "sim/mesh/detail/fft_kernels.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <utility>

namespace cosmograd::sim::detail {
namespace {

/// Largest prime factor handled by the mixed-radix path; longer primes go to Bluestein.
constexpr int kMaxMixedPrime = 13;

/// e^{-2 pi i num / den} in double, cast to T (num reduced mod den first, for accuracy).
template <class T>
std::complex<T> unit_root(long long num, long long den) {
  const long long r = ((num % den) + den) % den;
  const double angle = -2.0 * M_PI * static_cast<double>(r) / static_cast<double>(den);
  return {static_cast<T>(std::cos(angle)), static_cast<T>(std::sin(angle))};
}

bool is_power_of_two(int n) { return n > 0 && (n & (n - 1)) == 0; }

/// The factors of n for the mixed-radix path (4s first, then 2, 3, 5, ...), or an empty
/// vector when n has a prime factor larger than kMaxMixedPrime.
std::vector<int> mixed_factors(int n) {
  std::vector<int> f;
  while (n % 4 == 0) {
    f.push_back(4);
    n /= 4;
  }
  for (int p = 2; p <= kMaxMixedPrime && n > 1; ++p) {
    while (n % p == 0) {
      f.push_back(p);
      n /= p;
    }
  }
  if (n != 1) return {};
  return f;
}

}  // namespace

template <class T>
Fft1d<T>::Fft1d(int n) : n_(n) {
  if (n < 1) {
    throw std::invalid_argument("Fft1d: length n = " + std::to_string(n) +
                                " is not allowed (allowed: >= 1)");
  }
  twiddle_.resize(static_cast<std::size_t>(n));
  for (int j = 0; j < n; ++j) twiddle_[static_cast<std::size_t>(j)] = unit_root<T>(j, n);
  if (is_power_of_two(n)) {
    method_ = Method::radix2;
    int bits = 0;
    while ((1 << bits) < n) ++bits;
    bitrev_.resize(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) {
      int r = 0;
      for (int b = 0; b < bits; ++b) r |= ((i >> b) & 1) << (bits - 1 - b);
      bitrev_[static_cast<std::size_t>(i)] = r;
    }
    scratch_size_ = 0;
    return;
  }
  factors_ = mixed_factors(n);
  if (!factors_.empty()) {
    method_ = Method::mixed;
    int pmax = 0;
    for (int p : factors_) pmax = std::max(pmax, p);
    scratch_size_ = static_cast<std::size_t>(n + pmax);
    return;
  }
  // Bluestein (1970): X_k = c_k sum_j (x_j c_j) conj(c_{k-j}), c_j = e^{-i pi j^2 / n}, a
  // cyclic convolution of length m >= 2n - 1 done with power-of-two FFTs.
  method_ = Method::bluestein;
  int m = 1;
  while (m < 2 * n - 1) m <<= 1;
  sub_ = std::make_unique<Fft1d<T>>(m);
  chirp_.resize(static_cast<std::size_t>(n));
  for (long long j = 0; j < n; ++j) {
    chirp_[static_cast<std::size_t>(j)] = unit_root<T>((j * j) % (2LL * n), 2LL * n);
  }
  chirp_fft_.assign(static_cast<std::size_t>(m), std::complex<T>(0));
  const T inv_m = T(1) / static_cast<T>(m);
  chirp_fft_[0] = std::conj(chirp_[0]) * inv_m;
  for (int j = 1; j < n; ++j) {
    const std::complex<T> b = std::conj(chirp_[static_cast<std::size_t>(j)]) * inv_m;
    chirp_fft_[static_cast<std::size_t>(j)] = b;
    chirp_fft_[static_cast<std::size_t>(m - j)] = b;
  }
  sub_->transform(chirp_fft_.data(), -1, nullptr);  // pre-scaled by 1/m (the inverse's norm)
  scratch_size_ = static_cast<std::size_t>(m);
}

template <class T>
Fft1d<T>::~Fft1d() = default;

template <class T>
void Fft1d<T>::transform(std::complex<T>* data, int sign, std::complex<T>* scratch) const {
  if (sign == -1) {
    forward(data, scratch);
    return;
  }
  // Backward: conj(F conj(x)).
  for (int j = 0; j < n_; ++j) data[j] = std::conj(data[j]);
  forward(data, scratch);
  for (int j = 0; j < n_; ++j) data[j] = std::conj(data[j]);
}

template <class T>
void Fft1d<T>::forward(std::complex<T>* a, std::complex<T>* scratch) const {
  const int n = n_;
  if (method_ == Method::radix2) {
    // Iterative radix-2 decimation in time (Cooley & Tukey 1965).
    for (int i = 0; i < n; ++i) {
      const int r = bitrev_[static_cast<std::size_t>(i)];
      if (i < r) std::swap(a[i], a[r]);
    }
    for (int len = 2; len <= n; len <<= 1) {
      const int half = len / 2;
      const int step = n / len;
      for (int i = 0; i < n; i += len) {
        for (int j = 0; j < half; ++j) {
          const std::complex<T> u = a[i + j];
          const std::complex<T> v = a[i + j + half] * twiddle_[static_cast<std::size_t>(j * step)];
          a[i + j] = u + v;
          a[i + j + half] = u - v;
        }
      }
    }
    return;
  }
  if (method_ == Method::mixed) {
    mixed(a, 1, scratch, n, 0, scratch + n);
    for (int j = 0; j < n; ++j) a[j] = scratch[j];
    return;
  }
  const int m = sub_->n();
  for (int j = 0; j < n; ++j) scratch[j] = a[j] * chirp_[static_cast<std::size_t>(j)];
  for (int j = n; j < m; ++j) scratch[j] = 0;
  sub_->transform(scratch, -1, nullptr);
  for (int j = 0; j < m; ++j) scratch[j] *= chirp_fft_[static_cast<std::size_t>(j)];
  sub_->transform(scratch, +1, nullptr);
  for (int k = 0; k < n; ++k) a[k] = scratch[k] * chirp_[static_cast<std::size_t>(k)];
}

template <class T>
void Fft1d<T>::mixed(const std::complex<T>* in, std::size_t stride, std::complex<T>* out, int len,
                     std::size_t factor, std::complex<T>* tmp) const {
  // Recursive mixed-radix decimation in time: the p sub-sequences x_{r + p j} are transformed
  // into out[r m ...], then combined with twiddles W_len^{r k} and a length-p DFT.
  if (len == 1) {
    out[0] = in[0];
    return;
  }
  const int p = factors_[factor];
  const int m = len / p;
  for (int r = 0; r < p; ++r) mixed(in + r * stride, stride * p, out + r * m, m, factor + 1, tmp);
  const std::size_t tw = static_cast<std::size_t>(n_ / len);  // W_len^x = twiddle_[x tw]
  const std::size_t root_p = static_cast<std::size_t>(n_ / p);
  for (int k = 0; k < m; ++k) {
    for (int r = 0; r < p; ++r) {
      tmp[r] = out[r * m + k] * twiddle_[static_cast<std::size_t>(r * k) * tw];
    }
    if (p == 2) {
      out[k] = tmp[0] + tmp[1];
      out[k + m] = tmp[0] - tmp[1];
      continue;
    }
    for (int q = 0; q < p; ++q) {
      std::complex<T> s = tmp[0];
      for (int r = 1; r < p; ++r) {
        s += tmp[r] * twiddle_[static_cast<std::size_t>((r * q) % p) * root_p];
      }
      out[k + q * m] = s;
    }
  }
}

template <class T>
const Fft1d<T>& fft1d_plan(int n) {
  static std::mutex mutex;
  static std::map<int, std::unique_ptr<Fft1d<T>>> plans;
  const std::lock_guard<std::mutex> lock(mutex);
  auto it = plans.find(n);
  if (it == plans.end()) it = plans.emplace(n, std::make_unique<Fft1d<T>>(n)).first;
  return *it->second;
}

namespace {

/// Transforms every line of `count` lines of n complex values: line l starts at
/// data + base(l) with stride `stride` (gathered into a contiguous buffer per thread).
template <class T, class Base>
void transform_lines(const Fft1d<T>& plan, std::complex<T>* data, std::ptrdiff_t count,
                     std::size_t stride, int sign, const Base& base) {
  const int n = plan.n();
#pragma omp parallel
  {
    std::vector<std::complex<T>> line(static_cast<std::size_t>(n));
    std::vector<std::complex<T>> scratch(plan.scratch_size());
#pragma omp for schedule(static)
    for (std::ptrdiff_t l = 0; l < count; ++l) {
      std::complex<T>* p = data + base(l);
      for (int j = 0; j < n; ++j) line[static_cast<std::size_t>(j)] = p[j * stride];
      plan.transform(line.data(), sign, scratch.data());
      for (int j = 0; j < n; ++j) p[j * stride] = line[static_cast<std::size_t>(j)];
    }
  }
}

/// Complex transforms along x and y of the complex layout [x][y][z <= n/2].
template <class T>
void transform_xy(const Fft1d<T>& plan, std::complex<T>* c, int sign) {
  const std::size_t n = static_cast<std::size_t>(plan.n());
  const std::size_t nzc = n / 2 + 1;
  const std::ptrdiff_t lines = static_cast<std::ptrdiff_t>(n * nzc);
  if (sign == -1) {
    transform_lines(plan, c, lines, nzc, sign, [&](std::ptrdiff_t l) {  // y: lines (x, z)
      const std::size_t x = static_cast<std::size_t>(l) / nzc,
                        z = static_cast<std::size_t>(l) % nzc;
      return x * n * nzc + z;
    });
    transform_lines(plan, c, lines, n * nzc, sign, [](std::ptrdiff_t l) {  // x: lines (y, z)
      return static_cast<std::size_t>(l);
    });
  } else {
    transform_lines(plan, c, lines, n * nzc, sign,
                    [](std::ptrdiff_t l) { return static_cast<std::size_t>(l); });
    transform_lines(plan, c, lines, nzc, sign, [&](std::ptrdiff_t l) {
      const std::size_t x = static_cast<std::size_t>(l) / nzc,
                        z = static_cast<std::size_t>(l) % nzc;
      return x * n * nzc + z;
    });
  }
}

void check_even(int n) {
  if (n < 2 || n % 2 != 0) {
    throw std::invalid_argument("fft3d: mesh n = " + std::to_string(n) +
                                " is not allowed (allowed: even, >= 2)");
  }
}

}  // namespace

template <class T>
void fft3d_r2c(const Fft1d<T>& plan, T* data) {
  const int n = plan.n();
  check_even(n);
  const std::size_t nzc = static_cast<std::size_t>(n / 2 + 1);
  const std::ptrdiff_t rows = static_cast<std::ptrdiff_t>(n) * n;
  // z: real lines to their Hermitian half, in place over the padded rows.
#pragma omp parallel
  {
    std::vector<std::complex<T>> line(static_cast<std::size_t>(n));
    std::vector<std::complex<T>> scratch(plan.scratch_size());
#pragma omp for schedule(static)
    for (std::ptrdiff_t r = 0; r < rows; ++r) {
      T* row = data + static_cast<std::size_t>(r) * 2 * nzc;
      for (int j = 0; j < n; ++j) line[static_cast<std::size_t>(j)] = std::complex<T>(row[j], T(0));
      plan.transform(line.data(), -1, scratch.data());
      for (std::size_t k = 0; k < nzc; ++k) {
        row[2 * k] = line[k].real();
        row[2 * k + 1] = line[k].imag();
      }
    }
  }
  transform_xy(plan, reinterpret_cast<std::complex<T>*>(data), -1);
}

template <class T>
void fft3d_c2r(const Fft1d<T>& plan, T* data) {
  const int n = plan.n();
  check_even(n);
  const std::size_t nzc = static_cast<std::size_t>(n / 2 + 1);
  transform_xy(plan, reinterpret_cast<std::complex<T>*>(data), +1);
  const std::ptrdiff_t rows = static_cast<std::ptrdiff_t>(n) * n;
  // z: the Hermitian half to real lines; the imaginary parts at kz = 0 and n/2 drop out of
  // the real part (FFTW's c2r does the same).
#pragma omp parallel
  {
    std::vector<std::complex<T>> line(static_cast<std::size_t>(n));
    std::vector<std::complex<T>> scratch(plan.scratch_size());
#pragma omp for schedule(static)
    for (std::ptrdiff_t r = 0; r < rows; ++r) {
      T* row = data + static_cast<std::size_t>(r) * 2 * nzc;
      for (std::size_t k = 0; k < nzc; ++k) line[k] = std::complex<T>(row[2 * k], row[2 * k + 1]);
      for (std::size_t k = 1; k + 1 < nzc; ++k)
        line[static_cast<std::size_t>(n) - k] = std::conj(line[k]);
      plan.transform(line.data(), +1, scratch.data());
      for (int j = 0; j < n; ++j) row[j] = line[static_cast<std::size_t>(j)].real();
    }
  }
}

template class Fft1d<float>;
template class Fft1d<double>;
template const Fft1d<float>& fft1d_plan<float>(int);
template const Fft1d<double>& fft1d_plan<double>(int);
template void fft3d_r2c<float>(const Fft1d<float>&, float*);
template void fft3d_r2c<double>(const Fft1d<double>&, double*);
template void fft3d_c2r<float>(const Fft1d<float>&, float*);
template void fft3d_c2r<double>(const Fft1d<double>&, double*);

}  // namespace cosmograd::sim::detail
