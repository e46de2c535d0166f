#!/usr/bin/env python3
"""Writes the seed corpus of tests/fuzz/corpus/<target>/: small valid inputs.

Text targets (ini, power_table) get valid files. The structure-aware targets (snapshot,
field, halo_catalog, fits) read their input through FuzzedDataProvider, whose zero bytes
choose the well-formed layout; the seeds vary the few leading choices (consumed from the
end of the input) and the data bytes (consumed from the front). Check that the seeds are
accepted with: COSMOGRAD_FUZZ_VERBOSE=1 build-fuzz/tests/fuzz/fuzz_<t> -runs=0 corpus/<t>
"""
import math
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))


def put(target, name, data):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


def ks(n, lo=1e-4, hi=10.0):
    return [lo * (hi / lo) ** (i / (n - 1)) for i in range(n)]


def pk(k):
    return 2e4 * k / (1 + (k / 0.02) ** 2.5)


# ---- ini: the examples' style of config for `cosmograd run` ------------------------------
put("ini", "quickstart.ini", open(os.path.join(HERE, "../../examples/quickstart.ini")).read())
put("ini", "small.ini", "# small run\nparticles = 16\nmesh = 32\nbox_size = 64\nsteps = 2\n"
    "seed = 7\nOmega_m = 0.31 ; comment\n")
put("ini", "lightcone.ini", "particles = 16\nmesh = 32\nlightcone = true\n"
    "transfer = eisenstein_hu_nowiggle\n")

# ---- power_table: CLASS pk (new and old header), CLASS tk, CAMB --------------------------
rows = ks(12)
put("power_table", "class_pk.dat",
    "# Matter power spectrum P(k) at redshift z=0\n# for k=1e-4 to 10 h/Mpc,\n"
    "#    1:k (h/Mpc)              2:P (Mpc/h)^3\n"
    + "".join(f"{k:.6e} {pk(k):.6e}\n" for k in rows))
put("power_table", "class_pk_old.dat",
    "# Matter power spectrum P(k) at redshift z=1\n# Number of wavenumbers k:\n12\n"
    "# k (h/Mpc)  P (Mpc/h)^3\n" + "".join(f"{k:.6e} {pk(k):.6e}\n" for k in rows))
put("power_table", "class_tk.dat",
    "# Transfer functions T_i(k) for adiabatic (AD) mode (normalized to initial curvature=1)\n"
    "# for redshift z=0\n#    1:k (h/Mpc)     2:d_g    3:d_b    4:d_cdm    5:d_m    6:d_tot\n"
    + "".join(f"{k:.6e} -1 {-1e5 / (1 + (k / 0.05) ** 2):.6e} -2 {-1e5 / (1 + (k / 0.05) ** 2):.6e} -3\n"
              for k in rows))
put("power_table", "camb_matterpower.dat",
    "#    k/h          P(k)\n" + "".join(f"{k:.6e} {pk(k):.6e}\n" for k in rows))
put("power_table", "camb_noheader.dat", "".join(f"{k:.6e} {pk(k):.6e}\n" for k in rows))

# ---- structure-aware targets ------------------------------------------------------------
# FuzzedDataProvider takes integers from the end of the input, bytes from the front.
for size in (64, 512, 4096):
    put("snapshot", f"zeros_{size}", bytes(size))
    put("halo_catalog", f"zeros_{size}", bytes(size))
    put("field", f"zeros_{size}", bytes(size))
put("snapshot", "two_files", bytes(1024) + bytes([1]))
put("snapshot", "three_files", bytes(1024) + bytes([2]))
put("snapshot", "double_base_path", bytes([1, 1]) + bytes(1024) + bytes([0]))
put("field", "mesh_8", bytes(4096) + bytes([3]))
put("halo_catalog", "ten_groups", bytes(1024) + bytes([6]))

one = struct.pack(">d", 1.0)
data = one * 512  # big-endian doubles for the data unit (a PSF must sum to > 0)
# Last byte: 0 flat map, 1 HEALPix map, 2 PSF (ConsumeIntegralInRange(0, 2)).
put("fits", "flat", data + bytes(64) + bytes([0]))
put("fits", "healpix", data + bytes(64) + bytes([1]))
put("fits", "healpix_nside2", data + bytes(62) + bytes([1, 0]) + bytes([1]))
put("fits", "psf", data + bytes(64) + bytes([2]))
