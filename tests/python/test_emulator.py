"""The shipped emulator from Python: it moves 2LPT towards the PM run of the same white noise,
patches equal the whole box, and a loss on emulated particles has gradients in the white noise
and the cosmological parameters."""

import pathlib

import torch

import cosmograd

MODEL = pathlib.Path(__file__).resolve().parents[2] / "models" / "emulator.cgm"


def spec_32():
    # The model's particle spacing (4 Mpc/h), run's algorithm (2LPT at a = 0.1, 10 steps).
    return cosmograd.SimSpec(particles=32, mesh=64, box_size=128.0, seed=7, threads=2,
                             fft_planning="estimate")


def test_emulator_moves_2lpt_towards_the_pm_run():
    emu = cosmograd.Emulator(str(MODEL))
    assert abs(emu.particle_spacing - 4.0) < 1e-12
    spec = spec_32()
    w = cosmograd.white_noise(spec)
    theta = cosmograd.cosmo_params(spec)
    with torch.no_grad():
        lpt = cosmograd.lpt_particles(spec, w, theta, 1.0)
        pm = cosmograd.simulate_particles(spec, w, theta)
        om_s8 = torch.tensor([[theta[0].item(), theta[4].item()]], dtype=torch.float32)
        x = cosmograd.particle_rows_to_fields(lpt)
        y = emu.forward(x[None], om_s8)[0]
        rows = cosmograd.fields_to_particle_rows(y)
    err_lpt = (lpt[:, :3] - pm[:, :3]).square().mean().sqrt().item()
    err_emu = (rows[:, :3] - pm[:, :3]).square().mean().sqrt().item()
    # Held-out boxes: 0.41 Mpc/h against 0.88 for 2LPT (benchmarks/results/emulators.md).
    assert err_emu < 0.6 * err_lpt, (err_emu, err_lpt)
    with torch.no_grad():
        patched = emu.emulate(x, om_s8[0], 8)  # 32 <= 8 + 2 * 32: evaluated whole
    assert torch.allclose(patched, y, atol=1e-5)


def test_gradient_flows_to_noise_and_parameters():
    emu = cosmograd.Emulator(str(MODEL))
    spec = spec_32()
    w = cosmograd.white_noise(spec).requires_grad_()
    theta = cosmograd.cosmo_params(spec).requires_grad_()
    x = cosmograd.particle_rows_to_fields(cosmograd.lpt_particles(spec, w, theta, 1.0))
    om_s8 = torch.stack([theta[0], theta[4]]).float()[None]
    y = emu.forward(x[None], om_s8)
    (y[0, :3] ** 2).mean().backward()
    assert torch.isfinite(w.grad).all() and w.grad.abs().max() > 0
    assert torch.isfinite(theta.grad).all()
    assert theta.grad[4] > 0  # more sigma8, larger displacements
