// Initial conditions: linear modes from white noise, and 1LPT/2LPT particles
// (Zel'dovich 1970; Scoccimarro 1998; Crocce, Pueblas & Scoccimarro 2006).
#pragma once

#include <functional>

#include "sim/cosmology.hpp"
#include "sim/fft.hpp"
#include "sim/particles.hpp"

namespace cosmograd::sim {

/// Turns white noise w_k (Fourier layout, <|w|^2> = 1) into the linear density modes at
/// a = 1 in place: delta_k = sqrt(P(k) / V) w_k with delta_k = (1/N^3) sum_x delta(x)
/// e^{-ik.x}, so that P(k) = V <|delta_k|^2>. `power` gives P(k) [(Mpc/h)^3] at a = 1
/// for k [h/Mpc]. Modes on a Nyquist plane are zeroed (their gradient is not Hermitian).
template <class T>
void linear_modes_from_noise(Field<T>& modes, double box_size,
                             const std::function<double(double)>& power);

/// Zeroes Nyquist-plane modes and k = 0 of Fourier-space `modes`.
template <class T>
void zero_nyquist_and_mean(Field<T>& modes);

/// Displacements and momenta at scale factor `a` for an n^3 lattice from linear modes at
/// a = 1 on the particle grid (`delta_k`, Fourier layout, this file's normalisation):
/// x = q + D1 Psi1 + D2 Psi2 with div Psi1 = -delta and Psi2 the 2LPT term (order 2),
/// D = D1_norm, D2_norm, and p = a^2 E (D1 f1 Psi1 + D2 f2 Psi2) (sim/units.hpp).
template <class T>
Particles<T> lpt_particles(const Field<T>& delta_k, double box_size, int order,
                           const Cosmology& cosmology, double a, const Fft<T>& fft);

}  // namespace cosmograd::sim
