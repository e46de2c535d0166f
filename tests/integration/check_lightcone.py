#!/usr/bin/env python3
"""Checks a `cosmograd run` lightcone's files (tests/integration/CMakeLists.txt).

--files DIR: the FITS maps have the standard HEALPix / TAN WCS headers (read card by card, no
astropy needed), the catalogue opens in h5py with consistent columns, and `cosmograd cl`'s
table (DIR/cl_from_cli.txt) agrees with the run's own measurement.
--cl FILE --ell-min A --ell-max B: the measured convergence C_ell agrees with the halofit
Limber C_ell within 10% on average over the bins in [A, B] both as measured and with the
file's Poisson noise of the shell counts subtracted (the particles' discreteness noise lies
between none, for a lattice, and Poisson), and every bin below A lies within 4
cosmic-variance sigmas of it. Exit 1 on failure.
"""
import argparse
import math
import os
import sys


def fits_cards(path, hdu):
    """The header cards (key -> raw value text) of HDU number `hdu` (0: primary)."""
    with open(path, "rb") as f:
        data = f.read()
    pos, index = 0, 0
    while pos < len(data):
        cards, end = {}, False
        while not end:
            block = data[pos:pos + 2880].decode("ascii")
            pos += 2880
            for i in range(0, 2880, 80):
                card = block[i:i + 80]
                key = card[:8].strip()
                if key == "END":
                    end = True
                    break
                if card[8:10] == "= ":
                    cards[key] = card[10:].split("/")[0].strip().strip("'").strip()
        if index == hdu:
            return cards
        # skip the data unit
        bitpix = abs(int(cards.get("BITPIX", 8)))
        naxis = int(cards.get("NAXIS", 0))
        size = 0
        if naxis > 0:
            size = bitpix // 8
            for k in range(1, naxis + 1):
                size *= int(cards["NAXIS%d" % k])
        pos += (size + 2879) // 2880 * 2880
        index += 1
    raise SystemExit(f"{path}: no HDU {hdu}")


def check_files(d):
    bad = []
    healpix = [f for f in os.listdir(d) if f.endswith("_healpix.fits")]
    flat = [f for f in os.listdir(d) if f.endswith("_flat.fits")]
    if not healpix or not flat:
        bad.append(f"{d}: expected HEALPix and flat FITS maps, got {sorted(os.listdir(d))}")
    for f in healpix:
        c = fits_cards(os.path.join(d, f), 1)
        nside = int(c.get("NSIDE", 0))
        for key, want in (("PIXTYPE", "HEALPIX"), ("ORDERING", "RING"), ("INDXSCHM", "IMPLICIT"),
                          ("XTENSION", "BINTABLE")):
            if c.get(key) != want:
                bad.append(f"{f}: {key} = {c.get(key)!r}, expected {want!r}")
        if int(c.get("LASTPIX", -1)) != 12 * nside * nside - 1 or "COORDSYS" not in c:
            bad.append(f"{f}: NSIDE {nside}, LASTPIX {c.get('LASTPIX')}, COORDSYS {c.get('COORDSYS')}")
    for f in flat:
        c = fits_cards(os.path.join(d, f), 0)
        if c.get("CTYPE1") != "RA---TAN" or c.get("CTYPE2") != "DEC--TAN":
            bad.append(f"{f}: CTYPE {c.get('CTYPE1')!r} {c.get('CTYPE2')!r}")
        if not float(c.get("CDELT1", 0)) < 0 < float(c.get("CDELT2", 0)):
            bad.append(f"{f}: CDELT1 {c.get('CDELT1')} CDELT2 {c.get('CDELT2')}")
    try:
        import h5py
        import numpy as np
        with h5py.File(os.path.join(d, "lightcone_particles.hdf5"), "r") as h:
            g = h["Lightcone"]
            n = len(g["ID"])
            pos, chi = g["Position"][...], g["Chi"][...]
            if n == 0 or pos.shape != (n, 3):
                bad.append(f"catalogue: {n} entries, Position {pos.shape}")
            elif np.max(np.abs(np.linalg.norm(pos, axis=1) - chi)) > 1e-6 * np.max(chi):
                bad.append("catalogue: |Position| != Chi")
            ra, dec, z = g["RA"][...], g["Dec"][...], g["Redshift"][...]
            if n and (ra.min() < 0 or ra.max() >= 360 or abs(dec).max() > 90 or z.min() < 0):
                bad.append("catalogue: RA, Dec or Redshift out of range")
    except ImportError:
        print("note: h5py not available, catalogue not checked")
    own = [l for l in open(os.path.join(d, [f for f in os.listdir(d)
                                             if f.endswith("_healpix_cl.txt")][0]))
           if not l.startswith("#")]
    cli = [l for l in open(os.path.join(d, "cl_from_cli.txt")) if not l.startswith("#")]
    a = {round(float(l.split()[0]), 3): float(l.split()[3]) for l in own}
    b = {round(float(l.split()[0]), 3): float(l.split()[3]) for l in cli}
    common = set(a) & set(b)
    if not common or any(abs(a[k] - b[k]) > 1e-6 * abs(a[k]) for k in common):
        bad.append(f"cosmograd cl and the run's own C_ell differ ({len(common)} common bins)")
    return bad


def check_cl(path, ell_min, ell_max):
    rows = [list(map(float, l.split())) for l in open(path) if not l.startswith("#")]
    bad, raw, subtracted = [], [], []
    for ell, lo, hi, cl, modes, pix, lin, nl, poisson in rows:
        if ell_min <= ell <= ell_max:
            raw.append(cl / nl)
            subtracted.append((cl - poisson) / nl)
        elif ell < ell_min:
            sigma = math.sqrt(2.0 / modes) * nl  # full sky: modes = sum of 2l + 1
            if abs(cl - nl) > 4 * sigma:
                bad.append(f"ell {ell:.1f}: C {cl:.3e} vs Limber {nl:.3e} (4 sigma {4 * sigma:.2e})")
    for name, ratios in (("C", raw), ("C - Poisson", subtracted)):
        mean = sum(ratios) / len(ratios)
        print(f"{len(ratios)} bins in [{ell_min}, {ell_max}]: mean ({name}) / C_halofit = "
              f"{mean:.4f}; per bin " + " ".join(f"{r:.3f}" for r in ratios))
        if abs(mean - 1) > 0.10:
            bad.append(f"mean ({name}) / C_halofit = {mean:.4f} is more than 10% from 1")
    return bad


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--files")
    ap.add_argument("--cl")
    ap.add_argument("--ell-min", type=float, default=20)
    ap.add_argument("--ell-max", type=float, default=100)
    a = ap.parse_args()
    bad = check_files(a.files) if a.files else check_cl(a.cl, a.ell_min, a.ell_max)
    for b in bad:
        print("FAIL:", b)
    print("OK" if not bad else f"{len(bad)} problems")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
