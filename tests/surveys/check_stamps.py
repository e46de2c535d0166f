#!/usr/bin/env python3
"""Checks a `cosmograd mock stamps` directory with h5py: stamps.h5 has the documented layout
(surveys/images/stamp_set.hpp), every PSF sums to 1, the conditions match the truth table, the
noise is what noise_sigma says, and the noiseless stamps hold 10^(-0.4 (mag - 31.4)) nJy within
2% where the galaxy fits in the stamp (under 0.2% of its light on the stamp's outer 2 pixels),
and /intrinsic (the light before the PSF) convolved with the stamp's PSF is /noiseless.

usage: check_stamps.py STAMPS_DIR
"""
import sys

import h5py
import numpy as np


def main(directory):
    failures = []

    def check(ok, what):
        if not ok:
            failures.append(what)

    with h5py.File(f"{directory}/stamps.h5", "r") as f:
        check(f.attrs["format"].decode() == "cosmograd stamps 1", "format attribute")
        for key in ("band", "unit", "source", "pixel_scale", "zero_point"):
            check(key in f.attrs, f"root attribute {key}")
        images = f["images"][:].astype(np.float64)
        clean = f["noiseless"][:].astype(np.float64)
        intrinsic = f["intrinsic"][:].astype(np.float64)
        psfs = f["psfs"][:].astype(np.float64)
        sigma = f["noise_sigma"][:].astype(np.float64)
        radius = f["half_light_radius"][:].astype(np.float64)
        mag = f["mag"][:].astype(np.float64)
        zero_point = float(f.attrs["zero_point"])
        pixel_scale = float(f.attrs["pixel_scale"])
        for name in ("images", "noiseless", "intrinsic", "psfs", "noise_sigma", "half_light_radius", "mag"):
            check(f[name].dtype == np.float32, f"/{name} is float32")
    n, s, s2 = images.shape
    check(s == s2 and s >= 8, f"/images shape {images.shape}")
    check(clean.shape == images.shape, f"/noiseless shape {clean.shape}")
    check(psfs.ndim == 3 and psfs.shape[0] == n and psfs.shape[1] == psfs.shape[2], "/psfs shape")
    p = psfs.shape[1]
    check(p % 2 == 1 and p <= s, f"psf side {p} odd and <= {s}")
    for name, v in (("noise_sigma", sigma), ("half_light_radius", radius), ("mag", mag)):
        check(v.shape == (n,), f"/{name} shape {v.shape}")
    check(np.all(np.abs(psfs.sum(axis=(1, 2)) - 1) < 1e-3), "PSF sums 1 within 1e-3")
    check(np.all(np.argmax(psfs.reshape(n, -1), axis=1) == (p * p) // 2), "PSF peaks centred")
    check(np.all(sigma > 0) and np.all(radius > 0) and np.all(np.isfinite(mag)), "conditions")
    check(np.all(clean >= 0), "noiseless >= 0")
    check(intrinsic.shape == images.shape, f"/intrinsic shape {intrinsic.shape}")
    # /intrinsic convolved with the stamp's PSF (zero outside the stamp, as the renderer pads)
    # is /noiseless, to float32 rounding of the peak.
    from scipy.signal import fftconvolve
    worst = 0.0
    for k in range(min(n, 20)):
        conv = fftconvolve(intrinsic[k], psfs[k], mode="same")
        worst = max(worst, np.abs(conv - clean[k]).max() / max(clean[k].max(), 1e-30))
    print(f"intrinsic * psf vs noiseless: largest difference {worst:.2e} of the peak")
    check(worst < 1e-4, "intrinsic convolved with the PSF is noiseless (1e-4 of the peak)")

    with h5py.File(f"{directory}/truth.h5", "r") as f:
        t = f["truth"]
        check(t["galaxy_id"].shape == (n,), "one truth row per stamp")
        check(np.allclose(t["mag"][:], mag, rtol=0, atol=1e-5), "truth mag = /mag")
        check(np.allclose(t["re_arcsec"][:] / pixel_scale, radius, rtol=1e-6),
              "half_light_radius = re_arcsec / pixel_scale")
        fraction = t["stamp_fraction"][:]
        for col in ("redshift_true", "stellar_mass", "quenched", "bulge_fraction", "e1", "e2",
                    "psf_fwhm", "arms", "knot_fraction"):
            check(col in t, f"truth column {col}")

    flux = 10 ** (-0.4 * (mag - zero_point))
    total = clean.sum(axis=(1, 2))
    check(np.all(total <= flux * 1.001), "no stamp holds more than the galaxy's flux")
    check(np.allclose(total, fraction * flux, rtol=1e-4), "truth stamp_fraction")
    edge = np.ones((s, s), bool)
    edge[2:-2, 2:-2] = False
    fits = clean[:, edge].sum(axis=1) < 2e-3 * total
    ratio = total[fits] / flux[fits]
    print(f"{fits.sum()} of {n} stamps fit; sum(noiseless) / flux in "
          f"[{ratio.min() if fits.any() else 0:.4f}, {ratio.max() if fits.any() else 0:.4f}]")
    check(fits.sum() >= 3, "at least 3 galaxies fit in their stamps")
    check(np.all(np.abs(ratio - 1) < 0.02), "sum(noiseless) = 10^(-0.4 (mag - 31.4)) within 2%")

    # Background pixels: (noisy - noiseless) / noise_sigma has unit variance.
    faint = clean < 0.1 * sigma[:, None, None]
    pulls = ((images - clean) / sigma[:, None, None])[faint]
    print(f"{pulls.size} background pixels: pull sd {pulls.std():.3f}")
    check(pulls.size > 100 and abs(pulls.std() - 1) < 0.1, "background pull sd 1 within 0.1")

    for what in failures:
        print("FAIL:", what)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
