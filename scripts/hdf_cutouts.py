#!/usr/bin/env python3
"""Real galaxy cutouts from the Hubble Deep Field image that scikit-image ships, written as a
cosmograd stamp set (the HDF5 layout of surveys/images/stamp_set.hpp).

    /usr/bin/python3 scripts/hdf_cutouts.py --out hdf_stamps.h5 [--size 32] [--seed 1]
                                            [--png hdf_examples.png]

Source and its limits, honestly: skimage.data.hubble_deep_field() (Debian: python3-skimage) is
an 872 x 1000 display-stretched, 8-bit RGB JPEG crop of the public colour composite of the
Hubble Deep Field (Williams et al. 1996, AJ 112, 1335). Its pixel values are not calibrated
fluxes: the stretch is non-linear, bright cores saturate at 255 and JPEG compression correlates
the noise. This script nevertheless treats the mean of the three channels as linear flux in
arbitrary units ("ADU"); magnitudes use an arbitrary zero point of 31.4 and the pixel scale of
0.04 arcsec (the HDF's drizzled scale) is nominal, not calibrated for this crop.

Steps:
1. Single band: the mean of R, G, B as float. Background: median and sigma = 1.4826 MAD of
   the pixels within 3 sigma of the median, iterated to convergence; subtracted.
2. Detection: the image smoothed by a Gaussian of sigma 1 px, thresholded at 3 times the
   smoothed image's own clipped-MAD sigma, 8-connected components labelled (scipy.ndimage);
   no deblending.
3. Selection: area >= 15 px; not touching the image edge; a size x size cutout centred on the
   flux-weighted centroid (rounded to a pixel, which becomes stamp pixel (size/2, size/2))
   inside the image; the object's own segment not reaching the stamp border; fewer than 5
   of its pixels at 255 in any channel of the JPEG (saturated).
4. Other objects: every pixel of another detected object, dilated by 2 px (disk), outside the
   object's own segment, is replaced by Gaussian noise of the background sigma (seeded), as
   the COSMOS real-galaxy catalogue of GalSim and Lanusse et al. 2021 do (the replacement
   noise is white; the JPEG's own noise is correlated by the compression and quantised).
5. Conditions: half_light_radius = the circularised radius sqrt(a b) enclosing half of the
   segment's flux in elliptical apertures of the object's adaptive-moment shape (Bernstein &
   Jarvis 2002), each pixel split into 5 x 5 sub-pixels that share its flux in proportion to
   the image's bilinear interpolation (as surveys/images/stamp_measures.hpp); mag = 31.4 -
   2.5 log10(isophotal flux, the segment's sum); noise_sigma = the background sigma.
6. PSF: a Gaussian whose FWHM is the 5th percentile of the adaptive-moment sizes of the
   bright objects (peak S/N > 30, no pixel at 255, area >= 15, not on the edge; sigma^2 =
   sqrt(det M) - 1/12, the pixel's variance removed), i.e. of the most compact ones, used when
   at least 10 such objects give 1 <= FWHM <= 8 px, else a nominal FWHM of 2.0 px (reported).
   Peak S/N 30, not 50: the 8-bit clipping caps the peak S/N near (255 - sky) / sigma ~ 49,
   and lower cuts let noise pull the 5th percentile down (1.69 px at S/N > 20, 1.97 at 30).
   Written pixel-integrated, P x P with P = 15, normalised, the same for every stamp.

Exit codes: 0 written; 1 fewer than --min_count stamps (the file is still written) or none;
2 a missing Python module (skimage, scipy, numpy, h5py).
"""

import argparse
import math
import os
import sys
import tempfile

try:
    import numpy as np
    from scipy import ndimage, special
except ImportError as err:  # pragma: no cover - reported to the user
    print(f"hdf_cutouts: needs numpy and scipy ({err}); install python3-scipy "
          "(scripts/install-deps.sh)", file=sys.stderr)
    sys.exit(2)

FORMAT = "cosmograd stamps 1"
ZERO_POINT = 31.4
PIXEL_SCALE = 0.04  # arcsec, nominal
PSF_SIZE = 15
PSF_PEAK_SNR = 30.0
FALLBACK_FWHM = 2.0
SIGMA_TO_FWHM = 2.0 * math.sqrt(2.0 * math.log(2.0))


def load_hdf_band():
    """The HDF JPEG (RGB uint8) and its mean of the three channels as float64."""
    try:
        from skimage import data
    except ImportError as err:
        print(f"hdf_cutouts: cannot import skimage ({err}); install python3-skimage "
              "(scripts/install-deps.sh)", file=sys.stderr)
        sys.exit(2)
    rgb = np.asarray(data.hubble_deep_field())
    return rgb, rgb.astype(np.float64).mean(axis=2)


def clipped_stats(values, clip=3.0, iterations=20):
    """Median and 1.4826 MAD of the values within clip sigma of the median, iterated."""
    v = values.ravel()
    med, sigma = np.median(v), 1.4826 * np.median(np.abs(v - np.median(v)))
    for _ in range(iterations):
        kept = v[np.abs(v - med) < clip * sigma]
        new_med = np.median(kept)
        new_sigma = 1.4826 * np.median(np.abs(kept - new_med))
        if new_med == med and new_sigma == sigma:
            break
        med, sigma = new_med, new_sigma
    return float(med), float(sigma)


def detect(image, sigma_smooth=1.0, threshold=3.0):
    """Labels (8-connected) of the smoothed image above threshold x its clipped sigma."""
    smooth = ndimage.gaussian_filter(image, sigma_smooth)
    _, sigma_s = clipped_stats(smooth)
    labels, count = ndimage.label(smooth > threshold * sigma_s, structure=np.ones((3, 3)))
    return labels, count


def adaptive_moments(stamp, x, y, m, max_iter=300):
    """Adaptive (elliptical Gaussian weighted) moments, Bernstein & Jarvis 2002: iterate
    c <- <p>_W, M <- 2 <d d^T>_W from (x, y) [px, pixel centres at +0.5] and M [px^2].
    Returns (x, y, M) or None when it fails (as surveys/images/stamp_measures.cpp)."""
    ny, nx = stamp.shape
    yy, xx = np.mgrid[0:ny, 0:nx] + 0.5
    m = np.array(m, dtype=np.float64)
    for _ in range(max_iter):
        det = np.linalg.det(m)
        if not det > 0:
            return None
        mi = np.linalg.inv(m)
        dx, dy = xx - x, yy - y
        q = mi[0, 0] * dx * dx + 2 * mi[0, 1] * dx * dy + mi[1, 1] * dy * dy
        wi = np.where(q < 80, np.exp(-0.5 * np.minimum(q, 80)), 0.0) * stamp
        s0 = wi.sum()
        if not s0 > 0:
            return None
        nx_, ny_ = x + (wi * dx).sum() / s0, y + (wi * dy).sum() / s0
        nm = 2 * np.array([[(wi * dx * dx).sum(), (wi * dx * dy).sum()],
                           [(wi * dx * dy).sum(), (wi * dy * dy).sum()]]) / s0
        if (not np.linalg.det(nm) > 0 or nm[0, 0] <= 0 or np.trace(nm) > max(nx, ny) ** 2
                or not (0 <= nx_ <= nx and 0 <= ny_ <= ny)):
            return None
        tol = 1e-7 * np.trace(nm)
        done = math.hypot(nx_ - x, ny_ - y) < 1e-7 and np.abs(nm - m).max() < tol
        x, y, m = nx_, ny_, nm
        if done:
            return x, y, m
    return None


def unweighted_moments(stamp, mask):
    """Flux-weighted centre and second moments of the masked pixels, or None."""
    ny, nx = stamp.shape
    yy, xx = np.mgrid[0:ny, 0:nx] + 0.5
    f = np.where(mask, stamp, 0.0)
    total = f.sum()
    if not total > 0:
        return None
    x, y = (f * xx).sum() / total, (f * yy).sum() / total
    dx, dy = xx - x, yy - y
    m = np.array([[(f * dx * dx).sum(), (f * dx * dy).sum()],
                  [(f * dx * dy).sum(), (f * dy * dy).sum()]]) / total
    return (x, y, m) if np.linalg.det(m) > 0 and m[0, 0] > 0 else None


def shape_of(stamp, mask):
    """Adaptive moments started from the segment's moments; those when adaptive fails."""
    start = unweighted_moments(stamp, mask)
    if start is None:
        return None
    return adaptive_moments(stamp, *start) or start


def half_light_radius(stamp, mask, x, y, m, sub=5):
    """Circularised half-light radius [px] of the masked pixels' flux in elliptical apertures
    r^2 = sqrt(det M) d^T M^-1 d about (x, y); sub x sub sub-pixels share each pixel's flux in
    proportion to the positive part of the bilinear interpolation (equally when it is 0)."""
    ny, nx = stamp.shape
    offsets = (np.arange(sub) + 0.5) / sub
    xs = (np.arange(nx)[:, None] + offsets[None, :]).ravel()
    ys = (np.arange(ny)[:, None] + offsets[None, :]).ravel()
    gx, gy = np.meshgrid(xs, ys)
    interp = ndimage.map_coordinates(stamp, [gy.ravel() - 0.5, gx.ravel() - 0.5], order=1,
                                     mode="nearest").reshape(gx.shape)
    interp = np.maximum(interp, 0.0).reshape(ny, sub, nx, sub)
    norm = interp.sum(axis=(1, 3), keepdims=True)
    share = np.where(norm > 0, interp / np.where(norm > 0, norm, 1.0), 1.0 / sub ** 2)
    flux = (share * np.where(mask, stamp, 0.0)[:, None, :, None]).reshape(gx.shape)
    scaled = math.sqrt(np.linalg.det(m)) * np.linalg.inv(m)
    dx, dy = gx - x, gy - y
    r = np.sqrt(scaled[0, 0] * dx * dx + 2 * scaled[0, 1] * dx * dy + scaled[1, 1] * dy * dy)
    order = np.argsort(r.ravel(), kind="stable")
    r, f = r.ravel()[order], flux.ravel()[order]
    cum = np.cumsum(f) - 0.5 * f  # each sub-pixel's flux half inside its radius
    half = 0.5 * f.sum()
    if not half > 0:
        return math.nan
    j = int(np.argmax(cum >= half))
    if j == 0:
        return float(r[0])
    return float(r[j - 1] + (r[j] - r[j - 1]) * (half - cum[j - 1]) / (cum[j] - cum[j - 1]))


def gaussian_psf(fwhm, size):
    """A pixel-integrated circular Gaussian of the given FWHM [px], size x size, centred on the
    central pixel, normalised to sum 1."""
    sigma = fwhm / SIGMA_TO_FWHM
    edges = np.arange(size + 1) - size / 2.0
    cdf = special.ndtr(edges / sigma)
    line = np.diff(cdf)
    psf = np.outer(line, line)
    return psf / psf.sum()


def estimate_psf_fwhm(image, saturated, labels, count, sigma, slices):
    """5th-percentile adaptive-moment FWHM [px] of the bright unsaturated objects, and how
    many there were."""
    fwhms = []
    ny, nx = image.shape
    for k in range(1, count + 1):
        sl = slices[k - 1]
        seg = labels[sl] == k
        if seg.sum() < 15 or sl[0].start == 0 or sl[1].start == 0 or sl[0].stop == ny \
                or sl[1].stop == nx:
            continue
        if image[sl][seg].max() < PSF_PEAK_SNR * sigma or saturated[sl][seg].any():
            continue
        cy, cx = ndimage.center_of_mass(np.where(seg, image[sl], 0.0))
        iy, ix = int(round(sl[0].start + cy)), int(round(sl[1].start + cx))
        h = 10
        if iy - h < 0 or ix - h < 0 or iy + h + 1 > ny or ix + h + 1 > nx:
            continue
        cut = image[iy - h:iy + h + 1, ix - h:ix + h + 1]
        own = labels[iy - h:iy + h + 1, ix - h:ix + h + 1] == k
        found = shape_of(np.where(own, cut, 0.0), own)
        if found is None:
            continue
        var = math.sqrt(np.linalg.det(found[2])) - 1.0 / 12.0
        if var > 0:
            fwhms.append(SIGMA_TO_FWHM * math.sqrt(var))
    if len(fwhms) == 0:
        return math.nan, 0
    return float(np.percentile(fwhms, 5)), len(fwhms)


def make_stamps(image, saturated, labels, count, sigma, size, rng):
    """The selected, cleaned size x size stamps with their half-light radii and isophotal
    fluxes, and the reasons objects were skipped."""
    ny, nx = image.shape
    slices = ndimage.find_objects(labels)
    areas = np.bincount(labels.ravel(), minlength=count + 1)
    disk = np.hypot(*np.mgrid[-2:3, -2:3]) <= 2.0
    stamps, radii, fluxes = [], [], []
    skipped = {"small": 0, "image_edge": 0, "cutout_outside": 0, "stamp_edge": 0,
               "saturated": 0, "no_shape": 0}
    h = size // 2
    for k in range(1, count + 1):
        sl = slices[k - 1]
        if areas[k] < 15:
            skipped["small"] += 1
            continue
        if sl[0].start == 0 or sl[1].start == 0 or sl[0].stop == ny or sl[1].stop == nx:
            skipped["image_edge"] += 1
            continue
        seg_box = labels[sl] == k
        cy, cx = ndimage.center_of_mass(np.where(seg_box, image[sl], 0.0))
        iy, ix = int(round(sl[0].start + cy)), int(round(sl[1].start + cx))
        oy, ox = iy - h, ix - h
        if oy < 0 or ox < 0 or oy + size > ny or ox + size > nx:
            skipped["cutout_outside"] += 1
            continue
        if sl[0].start <= oy or sl[1].start <= ox or sl[0].stop >= oy + size \
                or sl[1].stop >= ox + size:
            skipped["stamp_edge"] += 1
            continue
        if saturated[sl][seg_box].sum() >= 5:
            skipped["saturated"] += 1
            continue
        # Other objects, dilated by 2 px; a 2-px margin lets neighbours outside the stamp grow in.
        y0, y1 = max(oy - 2, 0), min(oy + size + 2, ny)
        x0, x1 = max(ox - 2, 0), min(ox + size + 2, nx)
        lab = labels[y0:y1, x0:x1]
        others = ndimage.binary_dilation((lab != 0) & (lab != k), structure=disk)
        others = others[oy - y0:oy - y0 + size, ox - x0:ox - x0 + size]
        own = labels[oy:oy + size, ox:ox + size] == k
        replace = others & ~own
        stamp = image[oy:oy + size, ox:ox + size].copy()
        stamp[replace] = rng.normal(0.0, sigma, int(replace.sum()))
        found = shape_of(stamp, own)
        if found is None:
            skipped["no_shape"] += 1
            continue
        radius = half_light_radius(stamp, own, *found)
        flux = float(stamp[own].sum())
        if not (radius > 0 and flux > 0):
            skipped["no_shape"] += 1
            continue
        stamps.append(stamp)
        radii.append(radius)
        fluxes.append(flux)
    return stamps, radii, fluxes, skipped


def source_text(size, seed, fwhm, fwhm_note, sky, sigma):
    return (
        "Hubble Deep Field (Williams et al. 1996, AJ 112, 1335) as shipped by scikit-image: "
        "skimage.data.hubble_deep_field(), an 872 x 1000 display-stretched 8-bit RGB JPEG crop "
        "of the public HST/WFPC2 colour composite. Band = mean of R, G, B; the pixel values "
        "are treated as linear flux in arbitrary units (ADU) although the JPEG is non-linearly "
        "stretched, clipped at 255 and compressed (a limitation: not a calibrated image). "
        f"pixel_scale {PIXEL_SCALE} arcsec is nominal (the HDF drizzled scale), not calibrated "
        f"for this crop; zero_point {ZERO_POINT} is arbitrary. Background {sky:.3f} ADU "
        f"(3-sigma clipped median) subtracted, sigma {sigma:.3f} ADU (clipped 1.4826 MAD). "
        "Detection: Gaussian-smoothed (1 px) image above 3 sigma, 8-connected, no deblending; "
        "other objects (dilated 2 px) replaced by white Gaussian noise of the background "
        "sigma (the JPEG's own noise is correlated). "
        "half_light_radius: circularised, curve of growth within the object's segment; mag: "
        "isophotal (segment) flux. "
        f"PSF: pixel-integrated Gaussian, FWHM {fwhm:.3f} px ({fwhm_note}). "
        f"Made by scripts/hdf_cutouts.py --size {size} --seed {seed}.")


def write_stamp_set(path, stamps, psf, sigma, radii, mags, source):
    """Writes the stamp-set layout of surveys/images/stamp_set.hpp atomically."""
    try:
        import h5py
    except ImportError as err:
        print(f"hdf_cutouts: cannot import h5py ({err}); install python3-h5py",
              file=sys.stderr)
        sys.exit(2)
    n = len(stamps)
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".hdf_cutouts.", suffix=".h5.tmp", dir=directory)
    os.close(fd)
    try:
        with h5py.File(tmp, "w") as f:
            # Fixed-length ASCII strings, as the C++ writer (sim/io/detail/hdf5_file.hpp).
            f.attrs["format"] = np.bytes_(FORMAT)
            f.attrs["band"] = np.bytes_("hdf_rgb_mean")
            f.attrs["unit"] = np.bytes_("ADU")
            f.attrs["source"] = np.bytes_(source)
            f.attrs["pixel_scale"] = np.float64(PIXEL_SCALE)
            f.attrs["zero_point"] = np.float64(ZERO_POINT)
            f.attrs["size_kind"] = np.bytes_("observed")
            f.create_dataset("images", data=np.asarray(stamps, dtype=np.float32))
            f.create_dataset("psfs", data=np.repeat(psf[None].astype(np.float32), n, axis=0))
            f.create_dataset("noise_sigma", data=np.full(n, sigma, dtype=np.float32))
            f.create_dataset("half_light_radius", data=np.asarray(radii, dtype=np.float32))
            f.create_dataset("mag", data=np.asarray(mags, dtype=np.float32))
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes it 0600
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def write_png(path, stamps, radii, mags, sigma, rng):
    """An 8 x 8 grid of randomly chosen stamps, asinh-stretched; skipped without matplotlib."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("hdf_cutouts: matplotlib not importable; --png skipped "
              "(install python3-matplotlib)")
        return
    n = min(64, len(stamps))
    chosen = np.sort(rng.choice(len(stamps), n, replace=False))
    fig, axes = plt.subplots(8, 8, figsize=(12, 12.6))
    for ax in axes.ravel():
        ax.axis("off")
    for ax, i in zip(axes.ravel(), chosen):
        stretched = np.arcsinh(stamps[i] / (3 * sigma))
        ax.imshow(stretched, origin="lower", cmap="gray_r", vmin=-0.5,
                  vmax=max(stretched.max(), 1.0))
        ax.set_title(f"m {mags[i]:.1f} r {radii[i]:.1f}", fontsize=7)
    fig.suptitle("HDF cutouts (skimage JPEG, mean of RGB, asinh stretch; mag, r_half [px])")
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", required=True, help="output stamp-set HDF5 file")
    parser.add_argument("--size", type=int, default=32, help="stamp side [px], >= 8")
    parser.add_argument("--seed", type=int, default=1, help="seed of the replacement noise")
    parser.add_argument("--png", help="optional 8 x 8 grid of example stamps")
    parser.add_argument("--min_count", type=int, default=1,
                        help="exit 1 when fewer stamps are written")
    args = parser.parse_args()
    if args.size < max(8, PSF_SIZE):
        parser.error(f"--size = {args.size}: must be >= {max(8, PSF_SIZE)} (the PSF side)")

    rgb, band = load_hdf_band()
    sky, sigma = clipped_stats(band)
    image = band - sky
    labels, count = detect(image)
    slices = ndimage.find_objects(labels)

    saturated = (rgb == 255).any(axis=2)
    fwhm, n_psf = estimate_psf_fwhm(image, saturated, labels, count, sigma, slices)
    if n_psf >= 10 and 1.0 <= fwhm <= 8.0:
        fwhm_note = (f"5th percentile of the adaptive-moment FWHM of {n_psf} unsaturated "
                     f"objects with peak S/N > {PSF_PEAK_SNR:g}")
    else:
        fwhm_note = (f"nominal: the estimate ({fwhm:.2f} px from {n_psf} objects) was "
                     "unreliable")
        fwhm = FALLBACK_FWHM
    psf = gaussian_psf(fwhm, PSF_SIZE)

    rng = np.random.default_rng(args.seed)
    stamps, radii, fluxes, skipped = make_stamps(image, saturated, labels, count, sigma,
                                                 args.size, rng)
    mags = [ZERO_POINT - 2.5 * math.log10(f) for f in fluxes]
    print(f"hdf_cutouts: background {sky:.2f} ADU, sigma {sigma:.3f} ADU; {count} detections; "
          f"skipped {skipped}")
    print(f"hdf_cutouts: PSF FWHM {fwhm:.3f} px ({fwhm_note})")
    if len(stamps) == 0:
        print("hdf_cutouts: no stamps", file=sys.stderr)
        return 1
    print(f"hdf_cutouts: {len(stamps)} stamps of {args.size} x {args.size}; mag "
          f"{min(mags):.2f} .. {max(mags):.2f}, half_light_radius {min(radii):.2f} .. "
          f"{max(radii):.2f} px (median {np.median(radii):.2f})")
    source = source_text(args.size, args.seed, fwhm, fwhm_note, sky, sigma)
    write_stamp_set(args.out, stamps, psf, sigma, radii, mags, source)
    print(f"hdf_cutouts: wrote {args.out}")
    if args.png:
        write_png(args.png, stamps, radii, mags, sigma, rng)
        if os.path.exists(args.png):
            print(f"hdf_cutouts: wrote {args.png}")
    if len(stamps) < args.min_count:
        print(f"hdf_cutouts: {len(stamps)} stamps < --min_count {args.min_count}",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
