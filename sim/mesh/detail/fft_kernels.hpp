// A serial, dependency-free FFT: complex 1-D transforms of any length (iterative radix-2 for
// powers of two, mixed radix for lengths whose prime factors are small, Bluestein's chirp-z
// algorithm otherwise; Bluestein 1970, Rabiner, Schafer & Rader 1969) and 3-D in-place
// real-to-complex transforms on cosmograd's padded Field layout, with FFTW's conventions
// (unnormalised; forward e^{-ikx}, backward e^{+ikx}; backward(forward(f)) = n^3 f; the z axis
// keeps the Hermitian half kz in [0, n/2]). The built-in stand-in for FFTW
// (sim/mesh/fft_builtin.cpp) so that the CPU oracle exists on machines without it. Parallel over
// lines with OpenMP.
#pragma once

#include <complex>
#include <cstddef>
#include <memory>
#include <vector>

namespace cosmograd::sim::detail {

/// A plan for complex 1-D transforms of one length n >= 1 in precision T (float or double):
/// twiddles and factorisation computed once. Thread-safe to execute concurrently.
template <class T>
class Fft1d {
 public:
  /// Plans length n (throws std::invalid_argument when n < 1).
  explicit Fft1d(int n);
  ~Fft1d();
  Fft1d(const Fft1d&) = delete;
  Fft1d& operator=(const Fft1d&) = delete;

  /// The transform length.
  int n() const { return n_; }
  /// Number of complex values of scratch that transform() needs.
  std::size_t scratch_size() const { return scratch_size_; }
  /// In-place unnormalised DFT of the n contiguous values `data`: X_k = sum_j x_j
  /// e^{sign 2 pi i j k / n}, sign = -1 (forward) or +1 (backward); `scratch` holds
  /// scratch_size() values.
  void transform(std::complex<T>* data, int sign, std::complex<T>* scratch) const;

 private:
  enum class Method { radix2, mixed, bluestein };
  void forward(std::complex<T>* data, std::complex<T>* scratch) const;
  void mixed(const std::complex<T>* in, std::size_t stride, std::complex<T>* out, int len,
             std::size_t factor, std::complex<T>* tmp) const;

  int n_;
  Method method_;
  std::size_t scratch_size_ = 0;
  std::vector<std::complex<T>> twiddle_;  // e^{-2 pi i j / n}, j in [0, n)
  std::vector<int> factors_;              // mixed radix: n = prod factors_
  std::vector<int> bitrev_;               // radix-2: bit-reversal permutation
  // Bluestein: chirp e^{-i pi j^2 / n} (j < n) and the FFT of the padded conjugate chirp.
  std::vector<std::complex<T>> chirp_;
  std::vector<std::complex<T>> chirp_fft_;
  std::unique_ptr<Fft1d<T>> sub_;  // power-of-two plan of the Bluestein convolution
};

/// The process-wide cached plan of length n (made on first use; freed at exit).
template <class T>
const Fft1d<T>& fft1d_plan(int n);

/// In-place 3-D real-to-complex forward transform of an n^3 mesh (n even) on the padded layout
/// real [x][y][z_padded], z_padded = 2 (n/2 + 1), leaving complex [x][y][z <= n/2]. `plan` has
/// length n.
template <class T>
void fft3d_r2c(const Fft1d<T>& plan, T* data);

/// In-place 3-D complex-to-real backward transform (the inverse of fft3d_r2c() times n^3); as
/// FFTW's c2r, the kz = 0 and kz = n/2 planes act through their Hermitian part. The padding
/// is left undefined.
template <class T>
void fft3d_c2r(const Fft1d<T>& plan, T* data);

extern template class Fft1d<float>;
extern template class Fft1d<double>;

}  // namespace cosmograd::sim::detail
