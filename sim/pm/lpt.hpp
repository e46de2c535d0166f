// Initial conditions: linear modes from white noise, and 1LPT/2LPT particles
// (Zel'dovich 1970; Scoccimarro 1998; Crocce, Pueblas & Scoccimarro 2006), with the
// vector-Jacobian product of the whole chain white noise -> particles (pmwd; Li et al. 2022).
#pragma once

#include <array>
#include <functional>
#include <vector>

#include "sim/cosmo/cosmology.hpp"
#include "sim/cosmo/linear_power.hpp"
#include "sim/mesh/fft.hpp"
#include "sim/mesh/particles.hpp"

namespace cosmograd::sim {

/// The LPT coefficients at a: {D1, a^2 E D1 f1, D2, a^2 E D2 f2} (displacement and momentum
/// factors of Psi1 and Psi2; p = a^2 E dx/dln a, sim/core/units.hpp), D normalised to D1(a=1) = 1
/// like the modes (sim/cosmo/cosmology.hpp).
template <class S>
std::array<S, 4> lpt_factors(const CosmologyT<S>& cosmology, double a) {
  const S d1 = cosmology.D1_norm(a);
  const S d2 = cosmology.D2_norm(a);
  const S vfac = a * a * cosmology.E(a);
  return {d1, vfac * d1 * cosmology.f1(a), d2, vfac * d2 * cosmology.f2(a)};
}

/// Turns white noise w_k (Fourier layout, <|w|^2> = 1) into the linear density modes at
/// a = 1 in place: delta_k = sqrt(P(k) / V) w_k with delta_k = (1/N^3) sum_x delta(x)
/// e^{-ik.x}, so that P(k) = V <|delta_k|^2>. `power` gives P(k) [(Mpc/h)^3] at a = 1
/// for k [h/Mpc]. Modes on a Nyquist plane are zeroed (their gradient is not Hermitian).
/// The map is diagonal and real, so it is its own transpose (used by the vjp).
template <class T>
void linear_modes_from_noise(Field<T>& modes, double box_size,
                             const std::function<double(double)>& power);

/// Zeroes Nyquist-plane modes and k = 0 of Fourier-space `modes`.
template <class T>
void zero_nyquist_and_mean(Field<T>& modes);

/// Linear modes (Fourier layout, as linear_modes_from_noise) from real-space white noise
/// `w` on the particle grid (unit variance per cell): modes = sqrt(P(k)/V) FFT(w)_k / N^{3/2},
/// with FFTW's unnormalised forward FFT; Nyquist planes and k = 0 zeroed. `modes` must share
/// w's decomposition; `power` gives P(k) [(Mpc/h)^3] at a = 1 for k [h/Mpc].
template <class T>
void linear_modes_from_real_noise(const Field<T>& w, Field<T>& modes, double box_size,
                                  const std::function<double(double)>& power, const Fft<T>& fft);

/// Transpose of linear_modes_from_real_noise() in w, in place: a Fourier-space cotangent of
/// the modes becomes the real-space cotangent of w (padding undefined, as Fft::backward).
template <class T>
void linear_modes_from_real_noise_vjp(Field<T>& cot, double box_size,
                                      const std::function<double(double)>& power,
                                      const Fft<T>& fft);

/// P_lin(k, a = 1) [(Mpc/h)^3] on the modes k = 2 pi m / L of an n^3 grid (box L [Mpc/h]),
/// evaluated exactly (no interpolation) once per distinct integer |m|^2, Nyquist modes
/// included. S = double or CosmoDual (then the entries carry d P / d theta).
template <class S>
class ModePowerT {
 public:
  /// Evaluates linear.power(2 pi sqrt(m2) / L, 1) for each |m|^2 = m2 > 0 of the grid.
  ModePowerT(const LinearPowerT<S>& linear, int n, double box_size);
  /// P at integer |m|^2 [(Mpc/h)^3]; 0 at m2 = 0; std::out_of_range beyond 3 (n/2)^2.
  const S& at_m2(long m2) const;
  /// P at k [h/Mpc], a wavenumber of the grid (|m|^2 = (k L / 2 pi)^2 rounded); throws
  /// std::invalid_argument for a k that is not one.
  const S& operator()(double k) const;
  /// Largest |m|^2 of the grid, 3 (n/2)^2.
  long max_m2() const { return static_cast<long>(power_.size()) - 1; }
  /// The values as a function of k [h/Mpc] for linear_modes_from_*(); refers to *this.
  std::function<double(double)> values() const;

 private:
  double kf_;             // fundamental wavenumber 2 pi / L [h/Mpc]
  std::vector<S> power_;  // indexed by |m|^2
};
/// Per-mode linear power with plain doubles.
using ModePower = ModePowerT<double>;
/// Per-mode linear power with parameter derivatives.
using ModePowerDual = ModePowerT<CosmoDual>;

/// Displacements and momenta at scale factor `a` for an n^3 lattice from linear modes at
/// a = 1 on the particle grid (`delta_k`, Fourier layout, this file's normalisation):
/// x = q + D1 Psi1 + D2 Psi2 with div Psi1 = -delta and Psi2 the 2LPT term (order 2),
/// D = D1_norm, D2_norm, and p = a^2 E (D1 f1 Psi1 + D2 f2 Psi2) (sim/core/units.hpp).
template <class T>
Particles<T> lpt_particles(const Field<T>& delta_k, double box_size, int order,
                           const Cosmology& cosmology, double a, const Fft<T>& fft);

/// lpt_particles(linear_modes_from_real_noise(w, P_lin(k, 1) of `linear`)): particles at
/// scale factor `a` from real-space white noise w on the particle grid; box [Mpc/h].
template <class T>
Particles<T> lpt_particles_from_noise(const Field<T>& w, double box_size, int order,
                                      const Cosmology& cosmology, const LinearPower& linear,
                                      double a, const Fft<T>& fft);

/// Gradients of a scalar J through lpt_particles_from_noise().
template <class T>
struct LptGradients {
  Field<T> noise;  ///< dJ/dw, real space on the particle grid (padding undefined)
  std::array<double, kNumCosmoParams> cosmology{};  ///< dJ/d theta, in CosmoParam order
};

/// Vector-Jacobian product of lpt_particles_from_noise(w, box_size [Mpc/h], order, values of
/// `cosmology`, values of `linear`, a, fft): given dJ/d disp and dJ/d mom (3 per particle,
/// lattice order as lpt_particles() makes them; [1/(Mpc/h)]), returns dJ/dw and dJ/d(Omega_m,
/// Omega_b, h, n_s, sigma8, w0, wa) through the mode amplitudes sqrt(P_lin(k, 1)/V) and
/// D1_norm, D2_norm, f1, f2, E at a (dual parts). Holds up to seven fields of the grid.
template <class T>
LptGradients<T> lpt_vjp(const Field<T>& w, double box_size, int order,
                        const CosmologyDual& cosmology, const LinearPowerT<CosmoDual>& linear,
                        double a, const std::vector<T>& disp_cot, const std::vector<T>& mom_cot,
                        const Fft<T>& fft);

}  // namespace cosmograd::sim
