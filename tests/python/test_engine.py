"""The engine from Python: gradients through the adjoint (torch.autograd.gradcheck), the same
particles as `cosmograd run`, the reusable Simulator, and errors as Python exceptions."""

import glob
import os
import subprocess

import h5py
import numpy as np
import pytest
import torch

import cosmograd

# A tiny double-precision run: 4^3 particles, 8^3 mesh, 2 KDK steps (finite differences of
# gradcheck cost one simulation per input element).
TINY = dict(particles=4, mesh=8, box_size=32.0, a_init=0.2, steps=2, precision="double",
            fft_planning="estimate", threads=1)


def tiny_spec(**extra):
    return cosmograd.SimSpec(**{**TINY, **extra})


def test_gradcheck_density_white_noise_and_cosmology():
    spec = tiny_spec()
    torch.manual_seed(0)
    w = cosmograd.white_noise(spec, torch.float64).requires_grad_()
    theta = cosmograd.cosmo_params(spec).requires_grad_()
    # Three random projections of the 8^3 density: gradcheck takes one backward per output.
    proj = torch.randn(3, 8, 8, 8, dtype=torch.float64)

    def f(w, theta):
        delta = cosmograd.simulate_density(spec, w, theta)
        return (proj * delta).sum(dim=(1, 2, 3))

    # Central differences with eps = 1e-6 against the adjoint; the engine is double here, so
    # agreement is limited by the finite differences' truncation (the C++ tests show 1e-6).
    assert torch.autograd.gradcheck(f, (w, theta), eps=1e-6, atol=1e-6, rtol=1e-4)


def test_gradcheck_particles_through_simulator():
    spec = tiny_spec(lpt_order=1)
    sim = cosmograd.Simulator(spec)
    w = sim.white_noise(torch.float64).requires_grad_()
    theta = cosmograd.cosmo_params(spec).requires_grad_()
    proj = torch.randn(2, 64, 6, dtype=torch.float64, generator=torch.Generator().manual_seed(1))

    def f(w, theta):
        return (proj * sim.forward(w, theta)).sum(dim=(1, 2))

    assert torch.autograd.gradcheck(f, (w, theta), eps=1e-6, atol=1e-6, rtol=1e-4)


def test_gradcheck_paint_and_readout():
    g = torch.Generator().manual_seed(2)
    pos = (torch.rand(20, 3, dtype=torch.float64, generator=g) * 10).requires_grad_()
    mesh = torch.randn(6, 6, 6, dtype=torch.float64, generator=g).requires_grad_()
    proj = torch.randn(6, 6, 6, dtype=torch.float64, generator=g)
    assert torch.autograd.gradcheck(
        lambda x: (proj * cosmograd.paint(x, 6, 10.0)).sum().reshape(1), (pos,), eps=1e-6,
        atol=1e-6)
    assert torch.autograd.gradcheck(
        lambda m, x: cosmograd.readout(m, x, 10.0), (mesh, pos), eps=1e-6, atol=1e-6)


def test_paint_conserves_mass_and_readout_is_its_transpose():
    g = torch.Generator().manual_seed(3)
    pos = torch.rand(1000, 3, dtype=torch.float64, generator=g) * 16
    mesh = cosmograd.paint(pos, 8, 16.0, kernel="tsc", mass=2.5)
    assert mesh.shape == (8, 8, 8)
    assert abs(mesh.sum().item() - 2500.0) < 1e-9
    # <paint(x) , m> = sum_j readout(m)(x_j): paint and readout are transposes.
    m = torch.randn(8, 8, 8, dtype=torch.float64, generator=g)
    lhs = (cosmograd.paint(pos, 8, 16.0) * m).sum()
    rhs = cosmograd.readout(m, pos, 16.0).sum()
    assert abs(lhs.item() - rhs.item()) < 1e-9 * abs(lhs.item())


def test_backward_reaches_white_noise_of_a_32_cubed_run():
    """The README's example: a 32^3 simulation and its backward, in float32."""
    spec = cosmograd.SimSpec(particles=32, mesh=64, box_size=128.0, steps=5, threads=2)
    w = cosmograd.white_noise(spec).requires_grad_()
    theta = cosmograd.cosmo_params(spec).requires_grad_()
    delta = cosmograd.simulate_density(spec, w, theta)
    assert delta.shape == (64, 64, 64) and delta.dtype == torch.float32
    assert abs(delta.mean().item()) < 1e-5
    (delta ** 2).mean().backward()
    assert w.grad.shape == (32, 32, 32) and torch.isfinite(w.grad).all()
    # More clustering with more sigma8: d<delta^2>/dsigma8 = 2 <delta^2> / sigma8 in linear
    # theory; nonlinear growth makes it larger, never smaller or negative.
    var = (delta.detach() ** 2).mean().item()
    dsigma8 = theta.grad[4].item()
    assert 2 * var / 0.8159 * 0.9 < dsigma8 < 2 * var / 0.8159 * 2.0


def test_python_particles_equal_the_command_line_run(tmp_path):
    keys = dict(particles=16, mesh=32, box_size=64.0, steps=3, seed=7, threads=1)
    exe = os.environ["COSMOGRAD_EXE"]
    args = [exe, "run", "--output_dir", str(tmp_path / "cli"), "--progress", "false",
            "--write_density", "false", "--snapshot_length_unit", "Mpc/h"]
    for k, v in keys.items():
        args += [f"--{k}", str(v)]
    subprocess.run(args, check=True, capture_output=True)
    snap = glob.glob(str(tmp_path / "cli" / "snapshot_z0p000*.hdf5"))
    assert len(snap) == 1, snap
    with h5py.File(snap[0], "r") as f:
        ids = f["PartType1/ParticleIDs"][:] - 1
        x_cli = f["PartType1/Coordinates"][:].astype(np.float64)[np.argsort(ids)]

    spec = cosmograd.SimSpec(**keys)
    out = cosmograd.simulate_particles(spec, cosmograd.white_noise(spec),
                                       cosmograd.cosmo_params(spec))
    q = cosmograd.lattice_positions(16, 64.0, torch.float64).numpy()
    x_py = np.mod(q + out[:, :3].double().numpy(), 64.0)
    d = np.abs(x_py - x_cli)
    d = np.minimum(d, 64.0 - d)  # periodic
    # Same float32 engine and steps; the snapshot stores float32 positions in [0, L).
    assert d.max() < 1e-4, d.max()


def test_simulator_is_reusable_and_backward_after_another_forward():
    spec = tiny_spec()
    sim = cosmograd.Simulator(spec)
    w = sim.white_noise(torch.float64)
    theta = cosmograd.cosmo_params(spec)
    a = sim.density(w, theta)
    b = sim.density(w, theta)
    assert torch.equal(a, b)
    w1 = w.clone().requires_grad_()
    first = (sim.density(w1, theta) ** 2).sum()
    sim.density(w * 0.5, cosmograd.cosmo_params(spec, sigma8=0.7))  # engine state moves on
    first.backward()
    w2 = w.clone().requires_grad_()
    (cosmograd.simulate_density(spec, w2, theta) ** 2).sum().backward()
    assert torch.allclose(w1.grad, w2.grad, rtol=1e-10, atol=1e-12)


def test_bad_key_raises_value_error_naming_it():
    with pytest.raises(ValueError, match="partcles"):
        cosmograd.SimSpec(partcles=32)
    with pytest.raises(ValueError, match="mesh"):
        cosmograd.SimSpec(mesh=-4)
    with pytest.raises(ValueError, match="Omega_m"):
        cosmograd.SimSpec(Omega_m=1.7)
    with pytest.raises(ValueError, match="sigma9"):
        cosmograd.cosmo_params(sigma9=0.8)


def test_bad_tensors_raise_value_error():
    spec = tiny_spec()
    theta = cosmograd.cosmo_params(spec)
    with pytest.raises(ValueError, match="white_noise"):
        cosmograd.simulate_density(spec, torch.zeros(5, 5, 5, dtype=torch.float64), theta)
    with pytest.raises(ValueError, match="positions"):
        cosmograd.paint(torch.zeros(4, 2), 8, 1.0)
    with pytest.raises(ValueError, match="kernel"):
        cosmograd.paint(torch.zeros(4, 3), 8, 1.0, kernel="spline")


def test_spec_from_ini_matches_keywords(tmp_path):
    ini = tmp_path / "small.ini"
    ini.write_text("particles = 16\nmesh = 32\nbox_size = 64\noutput_dir = elsewhere\n")
    a = cosmograd.SimSpec(str(ini), sigma8=0.9)
    b = cosmograd.SimSpec(particles=16, mesh=32, box_size=64.0, sigma8=0.9)
    assert a.settings == b.settings
    assert a.cosmology["sigma8"] == 0.9 and a.box_size == 64.0
