#!/usr/bin/env python3
"""Fits sigma8 and the white noise of a small mock by gradient descent in PyTorch.

The mock is made by the engine itself (nothing is downloaded): a 32^3-particle run in a
128 Mpc/h box (5 steps) with sigma8 = 0.85 and seed 1, its final CIC density on a 32^3 mesh
plus Gaussian noise of rms `--noise` (0.2: high signal to noise). The fit starts from
sigma8 = 0.7 and w = 0 and minimises the negative log posterior

    -ln p = sum_c (delta_c(w, sigma8) - data_c)^2 / (2 noise^2) + sum_i w_i^2 / 2

(a unit Gaussian prior on the white noise w, flat in sigma8) with Adam; every gradient is
the engine's adjoint, reached through torch autograd. Writes a PNG with the loss, the
sigma8 trace and slices of the truth, the data and the fit.

Measured here (2 threads, defaults): after 200 iterations (22 s) sigma8 = 0.826 against
0.85 and still rising, the fitted density correlates with the truth at r = 0.976. This is
a joint MAP point, not a posterior: sigma8 is identified through the nonlinear mode
coupling, and with noisier or coarser data (e.g. --noise 0.5 on a 16^3 mesh) the prior
on w pulls the MAP to small w and large sigma8 (1.17 there), the known bias of MAP
amplitudes; sampling both (HMC) is the remedy.

  PYTHONPATH=build/python /usr/bin/python3 examples/python/fit_sigma8.py --output fit.png
"""

import argparse
import sys
import time

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import torch  # noqa: E402

import cosmograd  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--iterations", type=int, default=200, help="Adam steps")
    parser.add_argument("--noise", type=float, default=0.2, help="rms of the data's noise")
    parser.add_argument("--output", default="fit_sigma8.png", help="PNG written here")
    parser.add_argument("--threads", type=int, default=0, help="OpenMP threads (0: all)")
    args = parser.parse_args()

    keys = dict(particles=32, mesh=64, box_size=128.0, steps=5, threads=args.threads,
                fft_planning="estimate")
    truth_spec = cosmograd.SimSpec(seed=1, **keys)
    sim = cosmograd.Simulator(truth_spec)
    n_data = 32
    theta_true = cosmograd.cosmo_params(truth_spec, sigma8=0.85)
    w_true = sim.white_noise()
    with torch.no_grad():
        truth = sim.density(w_true, theta_true, n_data)
        g = torch.Generator().manual_seed(3)
        data = truth + args.noise * torch.randn(truth.shape, generator=g)

    w = torch.zeros_like(w_true, requires_grad=True)
    sigma8 = torch.tensor(0.7, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.Adam([{"params": [w], "lr": 0.05}, {"params": [sigma8], "lr": 0.01}])
    sched = torch.optim.lr_scheduler.ExponentialLR(opt, gamma=0.99)
    base = cosmograd.cosmo_params(truth_spec)
    mask = torch.zeros(7, dtype=torch.float64)
    mask[cosmograd.COSMO_PARAMS.index("sigma8")] = 1.0

    losses, traces = [], []
    t0 = time.perf_counter()
    for it in range(args.iterations):
        opt.zero_grad()
        theta = base * (1 - mask) + sigma8 * mask
        delta = sim.density(w, theta, n_data)
        chi2 = ((delta - data) ** 2).sum() / (2 * args.noise ** 2)
        loss = chi2 + 0.5 * (w.double() ** 2).sum()
        loss.backward()
        opt.step()
        sched.step()
        losses.append(loss.item())
        traces.append(sigma8.item())
        if it % 10 == 0 or it == args.iterations - 1:
            print(f"iteration {it:4d}  -ln p = {loss.item():12.2f}  chi2/cell = "
                  f"{2 * chi2.item() / data.numel():.3f}  sigma8 = {sigma8.item():.4f}")
    seconds = time.perf_counter() - t0
    with torch.no_grad():
        fit = sim.density(w, base * (1 - mask) + sigma8 * mask, n_data)
        r = torch.corrcoef(torch.stack([fit.flatten(), truth.flatten()]))[0, 1].item()
    print(f"sigma8: fitted {sigma8.item():.4f}, true 0.85; correlation of the fitted and true "
          f"density {r:.3f}; {args.iterations} iterations in {seconds:.1f} s")

    fig, ax = plt.subplots(1, 5, figsize=(20, 4))
    ax[0].semilogy(losses)
    ax[0].set(xlabel="iteration", ylabel="-ln posterior", title="loss")
    ax[1].plot(traces, label="fit")
    ax[1].axhline(0.85, color="k", ls="--", label="truth")
    ax[1].set(xlabel="iteration", ylabel="sigma8", title="sigma8")
    ax[1].legend()
    for a, field, title in zip(ax[2:], (truth, data, fit), ("truth", "data", "fit")):
        a.imshow(torch.log1p(field[:, :, n_data // 2].clamp(min=-0.9)).numpy(), cmap="magma",
                 vmin=-1.0, vmax=2.0)
        a.set(title=f"ln(1 + delta), {title} (slice)")
        a.axis("off")
    fig.tight_layout()
    fig.savefig(args.output, dpi=80)
    print(f"wrote {args.output}")
    # A fit that does not lower the posterior or leaves the density uncorrelated is broken
    # (the smoke test in tests/python runs this with a few iterations).
    if not losses[-1] < 0.9 * losses[0] or not r > 0.3:
        sys.exit(f"fit_sigma8: the fit failed (loss {losses[0]:.4g} -> {losses[-1]:.4g}, r = {r:.3f})")


if __name__ == "__main__":
    main()
