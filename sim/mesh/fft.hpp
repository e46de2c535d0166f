// In-place real-to-complex 3D FFTs of a Field<T> over FFTW (float and double, threaded).
#pragma once

#include "sim/mesh/fft_planning.hpp"
#include "sim/mesh/field.hpp"

namespace cosmograd::sim {

/// Where a distributed transform leaves Fourier space.
enum class FourierLayout {
  slabs,      ///< [x_local][y][z], the real-space slabs (FFTW-MPI transposes twice per FFT)
  transposed  ///< [y_local][x][z] when distributed (one transpose per FFT); serial: slabs
};

/// Forward and backward transforms of fields of one decomposition. Plans are made once
/// per (mesh, precision, threads, planning) and shared by every Fft object.
/// Conventions (unnormalised, as FFTW): forward F(k) = sum_x f(x) e^{-i k.x},
/// backward f(x) = sum_k F(k) e^{+i k.x}; backward(forward(f)) = n^3 f.
template <class T>
class Fft {
 public:
  /// Plans (or fetches cached plans) for `decomp` on `threads` threads.
  Fft(const Decomposition& decomp, int threads, FftPlanning planning = FftPlanning::estimate,
      FourierLayout layout = FourierLayout::slabs);
  /// True when Fourier space is transposed: local element (a, b, z) is the mode of global
  /// array indices (x = b, y = x_begin + a, z) (distributed FFTs with FourierLayout::transposed).
  bool transposed() const { return transposed_; }
  /// Real to complex, in place.
  void forward(Field<T>& f) const;
  /// Complex to real, in place (the padding is left undefined).
  void backward(Field<T>& f) const;

 private:
  const void* forward_plan_;
  const void* backward_plan_;
  int n_;
  bool distributed_ = false;  // FFTW-MPI plans over the decomposition's communicator
  bool transposed_ = false;   // FFTW_MPI_TRANSPOSED_OUT / _IN plans
};

}  // namespace cosmograd::sim
