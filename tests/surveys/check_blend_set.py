#!/usr/bin/env python3
"""Checks a `cosmograd mock blends` directory with h5py: the documented datasets and shapes of
blends.h5, the truth table's rows, segmentation labels of present slots only, empty slots zero,
and images - sum(isolated over slots) as pure noise: zero mean and, on background pixels
(noiseless blend below 0.1 sigma, where source Poisson noise is negligible), an rms within 5%
of the sigma attribute and of the truth table's SigmaBg_<band>.

usage: check_blend_set.py DIR COUNT
"""
import sys

import h5py
import numpy as np


def main(directory, count):
    fails = []
    with h5py.File(f"{directory}/blends.h5", "r") as f:
        bands = f.attrs["bands"].decode().split(",")
        sigma = np.asarray(f.attrs["sigma"], dtype=float)
        ref = f.attrs["ref_band"].decode()
        images, isolated = f["images"][...], f["isolated"][...]
        seg, n_gal, psfs = f["segmentation"][...], f["n_galaxies"][...], f["psfs"][...]
        unit = f.attrs["unit"].decode()
        scale = float(f.attrs["pixel_scale"])
    with h5py.File(f"{directory}/truth.h5", "r") as t:
        truth = t["truth"]
        rows = truth["stamp"].shape[0]
        sigma_truth = np.array([truth.attrs[f"SigmaBg_{b}"] for b in bands])
    n, nb, s = images.shape[0], len(bands), images.shape[-1]
    m = isolated.shape[1]
    if images.shape != (count, nb, s, s) or images.dtype != np.float32:
        fails.append(f"images {images.shape} {images.dtype}")
    if isolated.shape != (n, m, nb, s, s) or isolated.dtype != np.float32:
        fails.append(f"isolated {isolated.shape} {isolated.dtype}")
    if seg.shape != (n, s, s) or seg.dtype != np.int32:
        fails.append(f"segmentation {seg.shape} {seg.dtype}")
    if n_gal.shape != (n,) or n_gal.min() < 1 or n_gal.max() > m:
        fails.append(f"n_galaxies {n_gal}")
    if psfs.shape[0] != nb or psfs.shape[1] != psfs.shape[2] or psfs.shape[1] % 2 != 1:
        fails.append(f"psfs {psfs.shape}")
    if not np.allclose(psfs.sum(axis=(1, 2)), 1.0, atol=1e-4):
        fails.append(f"psf sums {psfs.sum(axis=(1, 2))}")
    if unit != "nJy" or scale <= 0 or ref not in bands:
        fails.append(f"attributes unit {unit} pixel_scale {scale} ref_band {ref}")
    if rows != n_gal.sum():
        fails.append(f"truth rows {rows} != sum n_galaxies {n_gal.sum()}")
    if not np.allclose(sigma, sigma_truth, rtol=1e-6):
        fails.append(f"sigma {sigma} != SigmaBg {sigma_truth}")
    for k in range(n):
        if seg[k].max() > n_gal[k] or seg[k].min() < 0:
            fails.append(f"stamp {k}: segmentation labels {seg[k].max()} > {n_gal[k]}")
        if np.any(isolated[k, n_gal[k]:] != 0):
            fails.append(f"stamp {k}: empty slots are not zero")
    noiseless = isolated.astype(np.float64).sum(axis=1)
    residual = images - noiseless
    for b, band in enumerate(bands):
        r = residual[:, b]
        background = noiseless[:, b] < 0.1 * sigma[b]
        rms = r[background].std()
        mean = r.mean()
        print(f"{band}: rms {rms:.4f} sigma {sigma[b]:.4f} ratio {rms / sigma[b]:.4f} "
              f"mean {mean:+.4f} ({background.sum()} background pixels)")
        if abs(rms / sigma[b] - 1) > 0.05:
            fails.append(f"{band}: background rms {rms} vs sigma {sigma[b]}")
        if abs(mean) > 5 * r.std() / np.sqrt(r.size):
            fails.append(f"{band}: residual mean {mean}")
    for f in fails:
        print("FAIL", f)
    print(f"{n} stamps, {rows} galaxies, bands {','.join(bands)}: "
          f"{'ok' if not fails else f'{len(fails)} failures'}")
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], int(sys.argv[2])))
