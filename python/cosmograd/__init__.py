"""cosmograd: a differentiable particle-mesh N-body engine, from Python and PyTorch.

The simulation ops (simulate_particles, simulate_density, Simulator, paint, paint_weighted,
readout) take and return torch tensors and are autograd Functions of the same PyTorch build
(Debian's python3-torch and libtorch-dev): they join the caller's graph, and their backward
is the engine's hand-written reverse-time adjoint. Theory, measurements and files work on
NumPy arrays. Bad input raises ValueError naming the key or argument; failures raise
RuntimeError. Units: comoving Mpc/h, scale factor a, masses in Msun/h.
"""

import torch  # first: loads the LibTorch the extension links, and torch's tensor casters

from . import _cosmograd
from ._cosmograd import (  # noqa: F401  (the public API)
    Emulator,
    SimSpec,
    SuperRes,
    Simulator,
    fields_to_particle_rows,
    lattice_positions,
    lpt_particles,
    particle_rows_to_fields,
    paint,
    paint_weighted,
    readout,
    run,
    set_log_level,
    simulate_density,
    simulate_kappa,
    simulate_particles,
    upsample_lattice,
)

# Theory, measurements and files on NumPy arrays (bind_cosmology.cpp, bind_measure.cpp,
# bind_io.cpp).
from ._cosmograd import (  # noqa: F401  (the public API)
    Cosmology,
    cross_power,
    fof,
    particle_power,
    power_spectrum,
    read_field,
    read_halo_catalog,
    read_power,
    read_snapshot,
    write_field,
    write_halo_catalog,
    write_power,
    write_snapshot,
)

#: The differentiable cosmological parameters, in the order of every cosmo_params tensor.
COSMO_PARAMS = ("Omega_m", "Omega_b", "h", "n_s", "sigma8", "w0", "wa")


def cosmo_params(spec=None, **values):
    """The (7,) float64 tensor of COSMO_PARAMS: spec's values (a SimSpec; None: the defaults
    of `cosmograd run`) with any of them replaced by keyword, e.g. cosmo_params(spec,
    sigma8=0.9). requires_grad is off; set it to differentiate."""
    base = (spec if spec is not None else SimSpec()).cosmology
    unknown = sorted(set(values) - set(COSMO_PARAMS))
    if unknown:
        raise ValueError(f"cosmo_params: unknown parameter(s) {', '.join(unknown)} "
                         f"(allowed: {', '.join(COSMO_PARAMS)})")
    return torch.tensor([float(values.get(k, base[k])) for k in COSMO_PARAMS],
                        dtype=torch.float64)


def white_noise(spec, dtype=torch.float32):
    """The spec's seeded real-space white noise, (N, N, N) of dtype (float32 or float64),
    identical to what `cosmograd run` draws for the same seed."""
    return Simulator(spec).white_noise(dtype)


__version__ = "0.1.0"
