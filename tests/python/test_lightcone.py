"""Born convergence of the on-the-fly lightcone from Python: its gradient against finite
differences (double), and the flat and HEALPix maps' basic physics."""

import torch

import cosmograd

# A 16^3 double run of a 64 Mpc/h box replicated to 800 Mpc/h around its centre, a 15 degree
# flat field of 12^2 pixels, sources at z = 0.35 (tests/sim/sky/test_lightcone.cpp's check).
SPEC = dict(particles=16, mesh=32, box_size=64.0, a_list=[0.1, 0.3, 0.5, 0.7, 0.8, 0.9, 1.0],
            precision="double", threads=1, fft_planning="estimate")
LC = dict(lightcone_shell_edges=[100.0 * i for i in range(9)], lightcone_field_deg=15.0,
          lightcone_field_pixels=12, source_z=0.35, lightcone_shuffle=False)


def test_flat_kappa_gradient_matches_finite_differences():
    spec = cosmograd.SimSpec(**SPEC)
    w0 = cosmograd.white_noise(spec, torch.float64)
    theta0 = cosmograd.cosmo_params(spec)
    target = 0.01 * torch.randn(12, 12, dtype=torch.float64,
                                generator=torch.Generator().manual_seed(4))

    def loss(w, theta):
        flat, healpix = cosmograd.simulate_kappa(spec, w, theta, **LC)
        assert flat.shape == (12, 12) and healpix.numel() == 0
        return 0.5 * ((flat - target) ** 2).sum()

    w = w0.clone().requires_grad_()
    theta = theta0.clone().requires_grad_()
    loss(w, theta).backward()
    # Along two random white-noise directions and for each parameter: central differences
    # (eps 1e-7; at 1e-6 a painter kink inside the interval biases them) against the adjoint,
    # relative 1e-6 (noise) and 1e-5 (parameters).
    g = torch.Generator().manual_seed(5)
    with torch.no_grad():
        for _ in range(2):
            v = torch.randn(w0.shape, dtype=torch.float64, generator=g)
            fd = (loss(w0 + 1e-7 * v, theta0) - loss(w0 - 1e-7 * v, theta0)) / 2e-7
            adj = (w.grad * v).sum()
            assert abs(fd - adj) <= 1e-6 * abs(fd) + 1e-12, (fd.item(), adj.item())
        # The loss is piecewise smooth (painter kinks): where one lies inside the step, the
        # adjoint is the derivative on one side, so the closest of the central, forward and
        # backward differences is compared (sigma8 has a kink 1e-7 below its value).
        f0 = loss(w0, theta0)
        for i, name in enumerate(cosmograd.COSMO_PARAMS):
            e = torch.zeros(7, dtype=torch.float64)
            e[i] = 1e-7
            fp, fm = loss(w0, theta0 + e), loss(w0, theta0 - e)
            diffs = [(fp - fm) / 2e-7, (fp - f0) / 1e-7, (f0 - fm) / 1e-7]
            err = min(abs(d - theta.grad[i]) for d in diffs)
            assert err <= 1e-5 * abs(theta.grad[i]) + 1e-12, (name, [d.item() for d in diffs],
                                                             theta.grad[i].item())


def test_healpix_kappa_has_zero_mean_and_responds_to_sigma8():
    spec = cosmograd.SimSpec(**{**SPEC, "precision": "float"})
    w = cosmograd.white_noise(spec)
    keys = dict(lightcone_shell_edges=[0.0, 150.0, 300.0], lightcone_nside=8, source_z=0.15)
    flat, k1 = cosmograd.simulate_kappa(spec, w, cosmograd.cosmo_params(spec), **keys)
    _, k2 = cosmograd.simulate_kappa(spec, w, cosmograd.cosmo_params(spec, sigma8=1.2), **keys)
    assert flat.numel() == 0 and k1.shape == (12 * 8 * 8,)
    # kappa is a weighted sum of shell overdensities against each shell's expected count, so
    # over the full sky its mean is the shells' count fluctuation, small against the scatter.
    assert abs(k1.mean().item()) < 0.1 * k1.std().item()
    # More clustering, larger convergence fluctuations.
    assert k2.std().item() > k1.std().item() * 1.2


def test_lightcone_keys_are_checked():
    spec = cosmograd.SimSpec(**SPEC)
    w = cosmograd.white_noise(spec, torch.float64)
    th = cosmograd.cosmo_params(spec)
    for bad, match in ((dict(particles=8), "particles"),
                       (dict(lightcone_field_deg=-1.0), "lightcone_field_deg"),
                       (dict(source_z="1.0,2.0", lightcone_field_deg=5.0), "exactly one")):
        try:
            cosmograd.simulate_kappa(spec, w, th, **bad)
        except ValueError as e:
            assert match in str(e), str(e)
        else:
            raise AssertionError(f"{bad} accepted")
