// Gaussian white noise in Fourier space, keyed by (seed, integer wavenumber), so a
// realisation does not depend on thread count, decomposition or (below Nyquist) on the
// mesh size: the same (kx, ky, kz) gets the same number at every resolution.
// fill_white_noise_real() gives the same noise in real space (the independent variables of
// gradients with respect to the initial conditions).
#pragma once

#include <cmath>
#include <complex>
#include <cstddef>
#include <cstdint>

#include "sim/core/philox.hpp"
#include "sim/mesh/fft.hpp"
#include "sim/mesh/field.hpp"

namespace cosmograd::sim {

/// How the noise is drawn.
struct NoiseOptions {
  std::uint64_t seed = 42;       ///< realisation
  bool fixed_amplitude = false;  ///< |w_k| = 1 exactly, random phase (Angulo & Pontzen 2016)
  bool paired = false;           ///< w_k -> -w_k (phases flipped by pi; Angulo & Pontzen 2016)
};

/// The noise of mode (kx, ky, kz) of an n^3 mesh, with kx, ky in [-n/2, n/2) and
/// kz in [0, n/2]. <|w|^2> = 1; Hermitian on the kz = 0 and kz = n/2 planes
/// (w(-kx,-ky) = conj w(kx,ky)), real on self-conjugate modes, zero at k = 0.
COSMOGRAD_HOST_DEVICE inline void white_noise_mode(const NoiseOptions& o, int n, int kx, int ky,
                                                   int kz, double* re, double* im) {
  *re = 0.0;
  *im = 0.0;
  if (kx == 0 && ky == 0 && kz == 0) return;
  const int h = n / 2;
  bool conj = false;
  bool self = false;
  if (kz == 0 || kz == h) {
    // The partner -k of this plane, wrapped into [-n/2, n/2) (the Nyquist index maps to itself).
    const int px = kx == -h ? -h : -kx;
    const int py = ky == -h ? -h : -ky;
    if (px == kx && py == ky) {
      self = true;
    } else if (px > kx || (px == kx && py > ky)) {
      conj = true;  // draw the lexicographically larger of the pair, conjugate for the other
      kx = px;
      ky = py;
    }
  }
  const Philox4x32Block r =
      philox4x32_10(Philox4x32Block{{static_cast<std::uint32_t>(kx), static_cast<std::uint32_t>(ky),
                                     static_cast<std::uint32_t>(kz), 0u}},
                    static_cast<std::uint32_t>(o.seed), static_cast<std::uint32_t>(o.seed >> 32));
  // Box-Muller: |w|^2 = -ln u1 ~ Exp(1), phase 2 pi u2.
  const double u1 = uniform_open(r.v[0]);
  const double u2 = uniform_open(r.v[1]);
  const double amp = o.fixed_amplitude ? 1.0 : std::sqrt(-std::log(u1));
  const double phase = 6.283185307179586 * u2;
  double a = amp * std::cos(phase);
  double b = amp * std::sin(phase);
  if (self) {
    // A real mode carries the full unit variance: sqrt(2) Re, or +-1 for fixed amplitude.
    a = o.fixed_amplitude ? (a >= 0 ? 1.0 : -1.0) : 1.4142135623730951 * a;
    b = 0.0;
  }
  if (conj) b = -b;
  const double sign = o.paired ? -1.0 : 1.0;
  *re = sign * a;
  *im = sign * b;
}

/// Fills `noise` (Fourier layout) with white_noise_mode() for every local mode.
template <class T>
void fill_white_noise(Field<T>& noise, const NoiseOptions& o);

/// N^{-3/2} for an n^3 mesh: real-space white noise w (unit variance per cell) and its Fourier
/// noise are related by w_k = FFT(w)_k N^{-3/2} (FFTW's unnormalised forward transform).
inline double white_noise_scale(int n) { return 1.0 / std::sqrt(static_cast<double>(n) * n * n); }

/// Real-space white noise w (unit variance per cell; padding undefined, as Fft::backward)
/// whose modes FFT(w)_k N^{-3/2} are fill_white_noise()'s: w = inverse FFT(noise) N^{-3/2}.
/// A template defined here, so that the FFTW-free core library does not need Fft.
template <class T>
void fill_white_noise_real(Field<T>& w, const NoiseOptions& o, const Fft<T>& fft) {
  fill_white_noise(w, o);
  fft.backward(w);
  const T scale = static_cast<T>(white_noise_scale(w.n()));
  T* v = w.real();
  const std::ptrdiff_t size = static_cast<std::ptrdiff_t>(w.buffer_size());
#pragma omp parallel for schedule(static)
  for (std::ptrdiff_t i = 0; i < size; ++i) v[i] *= scale;
}

}  // namespace cosmograd::sim
