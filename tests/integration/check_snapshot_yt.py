#!/usr/bin/env python3
"""Checks that yt reads a cosmograd snapshot as intended.

Usage:
  python3 check_snapshot_yt.py SNAPSHOT.hdf5 --box 256 --n 2097152 [--pos x,y,z]
                               [--vel vx,vy,vz] [--expect-from-hdf5] [--use-file-units]
                               [--mpc-unit-base]

Loads SNAPSHOT (a single-file snapshot or the first file "name.0.hdf5" of a multi-file one)
with yt.load and checks:
  * the domain width equals --box in Mpc/h (yt unit 'Mpccm/h') on all three axes,
  * the number of PartType1 particles equals --n,
  * with --pos, the particle with the smallest ParticleIDs (cosmograd: lattice index 0,
    ID 1) sits at x,y,z [Mpc/h] within 1e-3 Mpc/h (periodic distance),
  * with --vel, that particle's peculiar velocity (yt's particle_velocity, i.e. Gadget's
    Velocities times sqrt(a)) is vx,vy,vz [km/s] within 1e-4 relative + 1e-3 km/s.
With --expect-from-hdf5 the expected position and velocity of that particle are read from
the files themselves with h5py instead (raw Coordinates and Velocities of the smallest
ParticleIDs over all files of the snapshot, converted with the file's own UnitLength_in_cm
and UnitVelocity_in_cm_per_s from /Parameters, else /Header, else Gadget's kpc/h and km/s,
and Velocities times sqrt(Time)): yt must agree with what the file declares.
By default yt is given no units, as a user would load the file: yt then assumes Gadget's
kpc/h comoving lengths, which is what cosmograd writes by default. With --use-file-units
the /Parameters Unit*_in_cm* attributes are passed as yt's unit_base (needed for snapshots
written with lengths in Mpc/h).

Exit status: 0 when every check passes, 1 on a mismatch, 2 when the file cannot be loaded
or yt is missing. Needs Debian's python3-yt (run with /usr/bin/python3 when another Python
comes first on PATH).
"""

import argparse
import os
import sys
import tempfile

POS_TOL = 1e-3  # Mpc/h
VEL_RTOL, VEL_ATOL = 1e-4, 1e-3  # relative, km/s
BOX_RTOL = 1e-6


def parse_vector(text):
    parts = text.split(",")
    if len(parts) != 3:
        raise argparse.ArgumentTypeError(f"wants x,y,z, got '{text}'")
    try:
        return [float(p) for p in parts]
    except ValueError as e:
        raise argparse.ArgumentTypeError(f"wants numbers: {e}") from e


def file_unit_base(path):
    import h5py

    with h5py.File(path, "r") as f:
        if "Parameters" not in f:
            raise RuntimeError(f"{path}: --use-file-units but there is no /Parameters group")
        attrs = f["Parameters"].attrs
        base = {}
        for key in ("UnitLength_in_cm", "UnitMass_in_g", "UnitVelocity_in_cm_per_s"):
            if key not in attrs:
                raise RuntimeError(f"{path}: --use-file-units but /Parameters has no {key}")
            base[key] = float(attrs[key])
        return base


MPC_CM = 3.0856775814913673e24  # 1 Mpc [cm]
KPC_CM = MPC_CM / 1000.0


def snapshot_files(path):
    """All files of the snapshot that `path` (name.hdf5 or name.0.hdf5) belongs to."""
    import h5py

    with h5py.File(path, "r") as f:
        num_files = int(f["Header"].attrs.get("NumFilesPerSnapshot", 1))
    if num_files <= 1:
        return [path]
    head, sep, tail = path.rpartition(".0.")
    if not sep:
        raise RuntimeError(f"{path}: NumFilesPerSnapshot = {num_files} but the name has no '.0.'")
    return [f"{head}.{i}.{tail}" for i in range(num_files)]


def expected_from_hdf5(path):
    """Position [Mpc/h] and peculiar velocity [km/s] of the smallest-ID particle, read with
    h5py and converted with the units the file declares."""
    import h5py
    import numpy as np

    best = None
    for name in snapshot_files(path):
        with h5py.File(name, "r") as f:
            def unit(key, default):
                for group in ("Parameters", "Header"):
                    if group in f and key in f[group].attrs:
                        return float(f[group].attrs[key])
                return default

            if "PartType1" not in f or f["PartType1/ParticleIDs"].shape[0] == 0:
                continue
            ids = f["PartType1/ParticleIDs"][:]
            i = int(np.argmin(ids))
            if best is not None and ids[i] >= best[0]:
                continue
            length = unit("UnitLength_in_cm", KPC_CM) / MPC_CM
            velocity = unit("UnitVelocity_in_cm_per_s", 1.0e5) / 1.0e5
            a = float(f["Header"].attrs["Time"])
            pos = np.asarray(f["PartType1/Coordinates"][i], dtype=np.float64) * length
            vel = np.asarray(f["PartType1/Velocities"][i], dtype=np.float64) * velocity * a**0.5
            best = (ids[i], pos.tolist(), vel.tolist())
    if best is None:
        raise RuntimeError(f"{path}: no PartType1 particles")
    print(f"h5py: lowest ID {int(best[0])} at {best[1]} Mpc/h, peculiar velocity {best[2]} km/s")
    return best[1], best[2]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("snapshot", help="snapshot file (name.hdf5 or name.0.hdf5)")
    ap.add_argument("--box", type=float, required=True, help="box side [Mpc/h]")
    ap.add_argument("--n", type=int, required=True, help="number of particles")
    ap.add_argument("--pos", type=parse_vector, help="x,y,z of the lowest-ID particle [Mpc/h]")
    ap.add_argument("--vel", type=parse_vector,
                    help="peculiar velocity vx,vy,vz of the lowest-ID particle [km/s]")
    ap.add_argument("--expect-from-hdf5", action="store_true",
                    help="expect the lowest-ID particle's position and velocity read with h5py")
    ap.add_argument("--use-file-units", action="store_true",
                    help="pass /Parameters units to yt as unit_base")
    ap.add_argument("--mpc-unit-base", action="store_true",
                    help="load as README says for Mpc/h snapshots: "
                         "unit_base={'length': (1.0, 'Mpccm/h')}")
    args = ap.parse_args()
    if args.expect_from_hdf5 and (args.pos is not None or args.vel is not None):
        ap.error("--expect-from-hdf5 replaces --pos and --vel")

    if not os.path.isfile(args.snapshot):
        print(f"FAIL: {args.snapshot}: no such file", file=sys.stderr)
        return 2
    try:
        import numpy as np
        import yt
    except ImportError as e:
        # Debian's python3-yt lives under /usr/bin/python3; another interpreter first on PATH
        # (pyenv, a venv) does not see it, so retry once with the system one.
        system = "/usr/bin/python3"
        if (os.path.exists(system) and not os.environ.get("COSMOGRAD_YT_REEXEC")
                and os.path.realpath(sys.executable) != os.path.realpath(system)):
            os.environ["COSMOGRAD_YT_REEXEC"] = "1"
            os.execv(system, [system, os.path.abspath(__file__)] + sys.argv[1:])
        print(f"FAIL: cannot import yt ({e}); install python3-yt (Debian) for {system}",
              file=sys.stderr)
        return 2
    yt.set_log_level(40)  # errors only

    if args.expect_from_hdf5:
        try:
            args.pos, args.vel = expected_from_hdf5(args.snapshot)
        except Exception as e:  # h5py missing or a malformed file
            print(f"FAIL: cannot read {args.snapshot} with h5py: {type(e).__name__}: {e}",
                  file=sys.stderr)
            return 2

    errors = []
    # yt writes a particle index (.ewah) next to the data unless told otherwise: keep it in a
    # temporary directory so the check works on read-only outputs and leaves nothing behind.
    with tempfile.TemporaryDirectory(prefix="cosmograd_yt_") as tmp:
        try:
            kwargs = {"index_filename": os.path.join(tmp, "index.ewah")}
            if args.use_file_units:
                kwargs["unit_base"] = file_unit_base(args.snapshot)
            if args.mpc_unit_base:
                kwargs["unit_base"] = {"length": (1.0, "Mpccm/h")}
            ds = yt.load(args.snapshot, **kwargs)
            print(f"yt {yt.__version__} loaded {args.snapshot} as {type(ds).__name__}"
                  f" (z = {ds.current_redshift:.6g}, files = {ds.file_count})")

            width = ds.domain_width.to("Mpccm/h").d
            print(f"domain width [Mpccm/h]: {width[0]:.9g} {width[1]:.9g} {width[2]:.9g}")
            if np.any(np.abs(width - args.box) > BOX_RTOL * args.box):
                hint = "" if args.use_file_units else (
                    " (written in Mpc/h? yt assumes kpc/h; try --use-file-units)")
                errors.append(f"domain width {width.tolist()} Mpc/h != box {args.box}{hint}")

            ad = ds.all_data()
            ids = ad["PartType1", "ParticleIDs"].d
            count = ids.size
            declared = ds.particle_type_counts.get("PartType1", 0)
            print(f"PartType1 particles: {count} read, {declared} in the header")
            if count != args.n or declared != args.n:
                errors.append(f"particle count {count} (header {declared}) != {args.n}")

            i = int(np.argmin(ids)) if count > 0 else None
            if args.pos is not None and i is not None:
                pos = ad["PartType1", "Coordinates"][i].to("Mpccm/h").d
                want = np.array(args.pos)
                diff = np.abs(pos - want) % args.box
                dist = np.minimum(diff, args.box - diff)
                print(f"lowest ID {int(ids[i])} at [Mpccm/h]: "
                      f"{pos[0]:.6f} {pos[1]:.6f} {pos[2]:.6f}"
                      f" (expected {want[0]:.6f} {want[1]:.6f} {want[2]:.6f})")
                if np.any(dist > POS_TOL):
                    errors.append(f"particle with ID {int(ids[i])} at {pos.tolist()} Mpc/h, "
                                  f"expected {args.pos} within {POS_TOL} Mpc/h")
            if args.vel is not None and i is not None:
                vel = np.array([ad["PartType1", f"particle_velocity_{c}"][i].to("km/s").d
                                for c in "xyz"])
                want = np.array(args.vel)
                print(f"lowest ID {int(ids[i])} peculiar velocity [km/s]: "
                      f"{vel[0]:.6f} {vel[1]:.6f} {vel[2]:.6f}"
                      f" (expected {want[0]:.6f} {want[1]:.6f} {want[2]:.6f})")
                if np.any(np.abs(vel - want) > VEL_RTOL * np.abs(want) + VEL_ATOL):
                    errors.append(f"particle with ID {int(ids[i])} has velocity {vel.tolist()} "
                                  f"km/s, expected {args.vel}")
        except Exception as e:  # yt raises many types; report any as a load failure
            print(f"FAIL: yt could not read {args.snapshot}: {type(e).__name__}: {e}",
                  file=sys.stderr)
            return 2

    for e in errors:
        print(f"FAIL: {e}", file=sys.stderr)
    if not errors:
        print("OK")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
