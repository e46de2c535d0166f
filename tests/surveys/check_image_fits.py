#!/usr/bin/python3
"""Checks cosmograd FITS images (surveys/images/image_fits.hpp) with astropy against a spec.

usage: check_image_fits.py SPEC.json [--verbose]

SPEC.json (written by test_surveys_image_fits, ImageFits.SampleFilesForAstropy, next to the
files it names; paths are relative to it):
  {"files": [
     {"path": "sample.fits",
      "primary_image": false,          # true: one image in the primary HDU (no extensions)
      "keywords": {"GAIN": 4.5},       # numeric keywords every image HDU must carry
      "bands": [{"name": "g", "unit": "nJy", "shape": [ny, nx], "sum": 12.5}, ...],
      "pixels": [{"x": 0, "y": 0, "ra": 150.1, "dec": 2.2}, ...]}]}  # 0-based pixel -> deg

For every file: astropy opens it with no warning and verifies it (fits.verify 'exception');
the image HDUs are exactly the bands, in order (EXTNAME for extensions, FILTER for a primary
image), each with BUNIT, shape and sum (relative 1e-9) as expected; an extension file has an
empty primary HDU with NBANDS; for every image HDU astropy.wcs.WCS maps each pixel
(wcs_pix2world with origin 0) to the expected (RA, Dec) within 1e-6 deg of great-circle distance
and back (wcs_world2pix) within 1e-6 pixel; CTYPE, RADESYS and the keywords are as expected.

Exit status: 0 when everything matches, 1 with one line per mismatch on stderr otherwise.
"""
import argparse
import json
import os
import sys
import warnings

import numpy as np
from astropy.io import fits
from astropy.wcs import WCS

SKY_TOL_DEG = 1e-6
PIX_TOL = 1e-6
SUM_RTOL = 1e-9


def separation_deg(ra1, dec1, ra2, dec2):
    """Great-circle distance (Vincenty), all in degrees."""
    r1, d1, r2, d2 = map(np.radians, (ra1, dec1, ra2, dec2))
    da = r2 - r1
    x = np.cos(d2) * np.sin(da)
    y = np.cos(d1) * np.sin(d2) - np.sin(d1) * np.cos(d2) * np.cos(da)
    z = np.sin(d1) * np.sin(d2) + np.cos(d1) * np.cos(d2) * np.cos(da)
    return np.degrees(np.arctan2(np.hypot(x, y), z))


def check_hdu(name, hdu, band, entry, errors, report):
    where = f"{name}: {band['name']}"
    header = hdu.header
    if header.get("BUNIT", "") != band["unit"]:
        errors.append(f"{where}: BUNIT = {header.get('BUNIT')!r}, expected {band['unit']!r}")
    if header.get("CTYPE1") != "RA---TAN" or header.get("CTYPE2") != "DEC--TAN":
        errors.append(f"{where}: CTYPE = {header.get('CTYPE1')!r}, {header.get('CTYPE2')!r}")
    if header.get("RADESYS") != "ICRS":
        errors.append(f"{where}: RADESYS = {header.get('RADESYS')!r}, expected 'ICRS'")
    for key, value in entry.get("keywords", {}).items():
        if header.get(key) != value:
            errors.append(f"{where}: {key} = {header.get(key)!r}, expected {value!r}")
    data = hdu.data
    if data is None or list(data.shape) != band["shape"]:
        shape = None if data is None else list(data.shape)
        errors.append(f"{where}: shape {shape}, expected {band['shape']} (ny, nx)")
    else:
        total = float(np.sum(data.astype(np.float64)))
        if not np.isclose(total, band["sum"], rtol=SUM_RTOL, atol=0):
            errors.append(f"{where}: sum {total!r}, expected {band['sum']!r}")
        report(f"{where}: {data.dtype} {list(data.shape)}, BUNIT {band['unit']!r}, sum {total:.9g}")

    wcs = WCS(header)
    worst_sky = worst_pix = 0.0
    for p in entry["pixels"]:
        ra, dec = wcs.wcs_pix2world(p["x"], p["y"], 0)
        sep = float(separation_deg(ra, dec, p["ra"], p["dec"]))
        worst_sky = max(worst_sky, sep)
        if not sep <= SKY_TOL_DEG:
            errors.append(f"{where}: pixel ({p['x']}, {p['y']}) -> ({float(ra)!r}, "
                          f"{float(dec)!r}) deg, expected ({p['ra']!r}, {p['dec']!r}): "
                          f"{sep:.3g} deg apart")
        x, y = wcs.wcs_world2pix(p["ra"], p["dec"], 0)
        off = float(np.hypot(x - p["x"], y - p["y"]))
        worst_pix = max(worst_pix, off)
        if not off <= PIX_TOL:
            errors.append(f"{where}: ({p['ra']!r}, {p['dec']!r}) -> pixel ({float(x)!r}, "
                          f"{float(y)!r}), expected ({p['x']}, {p['y']})")
    report(f"{where}: WCS on {len(entry['pixels'])} pixels: worst {worst_sky:.2e} deg, "
           f"inverse {worst_pix:.2e} px")


def check_file(base, entry, errors, report):
    path = os.path.join(base, entry["path"])
    name = entry["path"]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            with fits.open(path) as hdul:
                hdul.verify("exception")
                if entry["primary_image"]:
                    images = [hdul[0]] if hdul[0].header.get("NAXIS") == 2 else []
                    names = [h.header.get("FILTER", "") for h in images]
                    if len(hdul) != 1:
                        errors.append(f"{name}: {len(hdul)} HDUs, expected only the primary")
                else:
                    images = list(hdul[1:])
                    names = [h.header.get("EXTNAME", "") for h in images]
                    if hdul[0].header.get("NAXIS") != 0:
                        errors.append(f"{name}: the primary HDU is not empty")
                    if hdul[0].header.get("NBANDS") != len(entry["bands"]):
                        errors.append(f"{name}: NBANDS = {hdul[0].header.get('NBANDS')!r}, "
                                      f"expected {len(entry['bands'])}")
                    for h in images:
                        if not isinstance(h, fits.ImageHDU):
                            errors.append(f"{name}: HDU {h.name!r} is not an IMAGE extension")
                expected = [b["name"] for b in entry["bands"]]
                if names != expected:
                    errors.append(f"{name}: bands {names}, expected {expected}")
                report(f"{name}: {len(hdul)} HDUs, bands {names}")
                for hdu, band in zip(images, entry["bands"]):
                    check_hdu(name, hdu, band, entry, errors, report)
    except (OSError, Warning, fits.VerifyError) as e:
        errors.append(f"{name}: {type(e).__name__}: {e}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("spec")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args()
    with open(args.spec) as f:
        spec = json.load(f)
    base = os.path.dirname(os.path.abspath(args.spec))
    errors = []
    lines = []
    for entry in spec["files"]:
        check_file(base, entry, errors, lines.append)
    if args.verbose:
        print("\n".join(lines))
    for e in errors:
        print("FAIL " + e, file=sys.stderr)
    if errors:
        print(f"{len(errors)} mismatches", file=sys.stderr)
        return 1
    print(f"OK: {len(spec['files'])} files match {args.spec}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
