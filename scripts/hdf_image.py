#!/usr/bin/env python3
"""The Hubble Deep Field image that scikit-image ships as a single-band float FITS image for
`cosmograd vision detect apply` (a sanity check of detection on data nobody simulated).

    /usr/bin/python3 scripts/hdf_image.py --out hdf.fits
    cosmograd vision detect apply --model models/vision_detector.cgm --image hdf.fits \
        --rebin 4 --out hdf_detect

Source and its limits (as scripts/hdf_cutouts.py, which cuts stamps from the same image):
skimage.data.hubble_deep_field() (Debian: python3-skimage) is an 872 x 1000, 8-bit RGB JPEG
crop of the public colour composite of the Hubble Deep Field (Williams et al. 1996, AJ 112,
1335). Its pixel values are display values, not fluxes: the stretch is non-linear (compressive:
faint light is lifted, bright cores flattened), cores saturate at 255 and the JPEG compression
correlates and quantises the noise. So fluxes measured on it compare one method with another on
the same pixels (U-Net footprint sums vs SExtractor's FLUX_AUTO), never with catalogued HDF
magnitudes.

Steps: the single band is the mean of R, G and B (the "luminance" hdf_cutouts.py uses); the sky
is the median of the pixels within 3 sigma (sigma = 1.4826 MAD, iterated) and is subtracted, so
the image is background-subtracted as the detector and SExtractor (BACK_VALUE 0) expect; rows are
flipped so that FITS row 1 is the bottom of the picture (north up when displayed). The header
records the display stretch, the sky level and sigma, the fraction of saturated pixels, and a TAN
WCS with the nominal 0.04 arcsec pixels of the drizzled HDF (not calibrated for this crop) at
the nominal field centre (RA 12h36m49.4s, Dec +62d12m58s, J2000; Williams et al. 1996).

Pixel scale vs the detector: the mocks it is trained on have 0.2 arcsec pixels, a 0.8 arcsec
(4 px) PSF and galaxies of median half-light radius 1.8 px (up to ~6 px); this image has 0.04
arcsec pixels and a ~2 px PSF, and its bright galaxies span tens of pixels. `--rebin N` in
apply sums N x N pixels (0.04 N arcsec). N = 4 (0.16 arcsec, near the training 0.2) brings the
galaxies to the training sizes (the bright ones to ~5-25 px) at the price of a PSF (~0.5 px)
sharper than any in training; with N = 2 the big spirals are twice the largest training
galaxies and the network splits them (fewer of SExtractor's brightest 50 matched, lower flux
ratios), so 4 is the documented choice.

Exit codes: 0 written; 2 a missing Python module (skimage, numpy, astropy).
"""

import argparse
import os
import sys
import tempfile

try:
    import numpy as np
    from astropy.io import fits
except ImportError as err:  # pragma: no cover - reported to the user
    print(f"hdf_image: needs numpy and astropy ({err}); install python3-astropy "
          "(scripts/install-deps.sh)", file=sys.stderr)
    sys.exit(2)

# The image loader and the clipped sky statistics of the cutout script (same image).
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hdf_cutouts import clipped_stats, load_hdf_band  # noqa: E402

PIXEL_SCALE = 0.04  # arcsec, nominal (drizzled HDF)
RA_CENTRE = 15.0 * (12 + 36 / 60 + 49.4 / 3600)  # deg, nominal HDF centre (Williams+ 1996)
DEC_CENTRE = 62 + 12 / 60 + 58 / 3600  # deg


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", required=True, help="FITS file to write")
    a = ap.parse_args()
    rgb, band = load_hdf_band()
    sky, sigma = clipped_stats(band)
    saturated = float((rgb == 255).any(axis=2).mean())
    image = np.flipud(band - sky).astype(np.float32)  # FITS row 1 = bottom of the picture
    ny, nx = image.shape

    hdu = fits.PrimaryHDU(image)
    h = hdu.header
    h["BUNIT"] = ("ADU", "JPEG display value minus sky (not flux)")
    h["FILTER"] = ("RGBMEAN", "mean of the JPEG's R, G, B")
    h["ORIGIN"] = "skimage.data.hubble_deep_field()"
    h["CTYPE1"], h["CTYPE2"] = "RA---TAN", "DEC--TAN"
    h["CUNIT1"], h["CUNIT2"] = "deg", "deg"
    h["CRVAL1"] = (RA_CENTRE, "nominal HDF centre (Williams et al. 1996)")
    h["CRVAL2"] = (DEC_CENTRE, "nominal HDF centre (Williams et al. 1996)")
    h["CRPIX1"], h["CRPIX2"] = (nx + 1) / 2.0, (ny + 1) / 2.0
    h["CD1_1"] = (-PIXEL_SCALE / 3600.0, "nominal 0.04 arcsec pixels, not calibrated")
    h["CD1_2"], h["CD2_1"] = 0.0, 0.0
    h["CD2_2"] = PIXEL_SCALE / 3600.0
    h["LONPOLE"] = 180.0
    h["RADESYS"] = "ICRS"
    h["EQUINOX"] = 2000.0
    h["PIXSCALE"] = (PIXEL_SCALE, "[arcsec] nominal")
    h["SKYLEVEL"] = (sky, "[ADU] subtracted: clipped median of the band")
    h["SKYSIG"] = (sigma, "[ADU] 1.4826 MAD of the sky, 3-sigma clipped")
    h["SATFRAC"] = (saturated, "fraction of pixels at 255 in a JPEG channel")
    h["COMMENT"] = "Display-stretched 8-bit JPEG: non-linear stretch, cores saturate at 255,"
    h["COMMENT"] = "JPEG-correlated noise; values compare methods, not catalogued fluxes."
    h["COMMENT"] = "Written by cosmograd scripts/hdf_image.py."

    out = os.path.abspath(a.out)
    os.makedirs(os.path.dirname(out), exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=os.path.basename(out) + ".", suffix=".tmp",
                               dir=os.path.dirname(out))
    os.close(fd)
    try:
        hdu.writeto(tmp, overwrite=True)
        os.replace(tmp, out)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    print(f"hdf_image: wrote {out}: {nx} x {ny} pixels, sky {sky:.2f} ADU subtracted, "
          f"sigma {sigma:.3f} ADU, {100 * saturated:.2f}% saturated pixels")
    return 0


if __name__ == "__main__":
    sys.exit(main())
