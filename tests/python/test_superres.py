"""The shipped super-resolution model from Python: on a box it was not trained on it stays as
close to the high-resolution run of the same white noise as interpolation does, patches equal
the whole box, and gradients reach the low-resolution input."""

import pathlib

import torch

import cosmograd

MODEL = pathlib.Path(__file__).resolve().parents[2] / "models" / "superres.cgm"


def spec(n, box=64.0):
    # The model's training runs: 2 Mpc/h spacing at low resolution, a 2x force mesh, 10 steps.
    return cosmograd.SimSpec(particles=n, mesh=2 * n, box_size=box, seed=500, threads=2,
                             fft_planning="estimate", transfer="eisenstein_hu")


def density(fields, box, n_mesh):
    rows = cosmograd.fields_to_particle_rows(fields)
    q = cosmograd.lattice_positions(fields.shape[1], box, dtype=torch.float64)
    pos = torch.remainder(q + rows[:, :3].double(), box)
    mesh = cosmograd.paint(pos, n_mesh, box)
    return mesh / mesh.mean() - 1


def test_superres_on_an_unseen_box_and_patches_join():
    g = cosmograd.SuperRes(str(MODEL))
    assert g.factor == 2
    assert abs(g.particle_spacing - 2.0) < 1e-12
    lo, hi = spec(32), spec(64)
    with torch.no_grad():
        x = cosmograd.particle_rows_to_fields(cosmograd.simulate_particles(
            lo, cosmograd.white_noise(lo), cosmograd.cosmo_params(lo)))
        target = cosmograd.particle_rows_to_fields(cosmograd.simulate_particles(
            hi, cosmograd.white_noise(hi), cosmograd.cosmo_params(hi)))
        y = g.superres(x, noise_seed=-1, patch=32)
        noise_free = g.forward(x[None])[0]
        assert torch.allclose(y, noise_free, atol=1e-4)
        # Against the baseline, the low-resolution run interpolated to the fine lattice (the
        # untrained model), both painted on the fine mesh.
        interp = cosmograd.upsample_lattice(x[None], 2)[0]
        d_hr = density(target, 64.0, 64)
        err_sr = (density(y, 64.0, 64) - d_hr).square().mean().item()
        err_interp = (density(interp, 64.0, 64) - d_hr).square().mean().item()
        moved = (y - interp)[:3].square().mean().sqrt().item()
    # Seed 500 was not trained on (training seeds 1-192). Per box the generator is not always
    # closer to the real run than interpolation in density (it is not on this box); what it
    # gains is in the summed held-out spectra and the largest halos
    # (benchmarks/results/superres.md). Here: it moves the particles (0.06 Mpc/h rms)
    # and stays within 10% of interpolation's density error.
    print(err_sr, err_interp, moved)
    assert 0.02 < moved < 1.0, moved
    assert err_sr < 1.1 * err_interp, (err_sr, err_interp)


def test_gradient_reaches_the_low_resolution_input():
    g = cosmograd.SuperRes(str(MODEL))
    x = (0.5 * torch.randn(1, 6, 8, 8, 8)).requires_grad_()
    y = g.forward(x, g.make_noise(1, 8, 1))
    assert y.shape == (1, 6, 16, 16, 16)
    y[:, :3].square().mean().backward()
    assert torch.isfinite(x.grad).all() and x.grad.abs().sum() > 0
