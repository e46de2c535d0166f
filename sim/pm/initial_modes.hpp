// The linear modes a run starts from: white noise coloured by the linear power, or a linear
// field read from a file (ic_linear_field).
#pragma once

#include "sim/cosmo/linear_power.hpp"
#include "sim/mesh/fft.hpp"
#include "sim/pm/sim_spec.hpp"

namespace cosmograd::sim {

/// Linear modes at a = 1 on the particle grid (Fourier layout, sim/pm/lpt.hpp normalisation),
/// this rank's slab `d` (fft planned for d): from white noise (seed, fixed_amplitude,
/// paired) or from c.ic_linear_field.
template <class T>
Field<T> initial_modes(const SimSpec& c, const LinearPower& linear, const Fft<T>& fft,
                       const Decomposition& d);

}  // namespace cosmograd::sim
