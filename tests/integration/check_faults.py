#!/usr/bin/env python3
"""Fault tests of `cosmograd run` (issue 28): kill -9 at random steps and resume, SIGTERM, a
second signal, a full disk, a read-only output directory, damaged files.

  check_faults.py --cosmograd BIN --work DIR kill [--trials 10] [--mpiexec MPIEXEC --ranks 2]
  check_faults.py --cosmograd BIN --work DIR signals
  check_faults.py --cosmograd BIN --work DIR disk          (needs root to mount a tmpfs)
  check_faults.py --cosmograd BIN --work DIR damaged

kill: one uninterrupted reference run, then `trials` runs (restart_every 1, 2 or 3 steps) each
killed with SIGKILL (the whole process group: every rank under mpiexec) at a random step and a
random delay after it, resumed with `cosmograd run --resume` until they finish; the final
snapshots must be bitwise equal to the reference (positions, velocities, ids), the P(k) files
byte-identical, the manifest present, no restart or temporary file left. Exit 0 on success,
1 on failure, 77 when a prerequisite (h5py, mount) is missing.
"""
import argparse
import glob
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time

RUN = ["--particles", "16", "--mesh", "32", "--box_size", "64", "--steps", "12",
       "--z_out", "1,0", "--fft_planning", "estimate", "--threads", "1",
       "--write_density", "false"]
STEP_LINE = re.compile(r"step (\d+)/(\d+)")
EXIT_INTERRUPTED = 75


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def launcher(args):
    if not args.mpiexec:
        return []
    cmd = [args.mpiexec, "-n", str(args.ranks), "--oversubscribe"]
    if os.geteuid() == 0:
        cmd.append("--allow-run-as-root")
    return cmd


def start(args, cosmograd_args):
    """Starts cosmograd in its own process group, stderr piped (info log: one line per step)."""
    cmd = launcher(args) + [args.cosmograd] + cosmograd_args
    env = dict(os.environ, OMP_WAIT_POLICY="passive")
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            start_new_session=True, env=env)


def run_to_end(args, cosmograd_args, expect=0):
    p = start(args, cosmograd_args)
    _, err = p.communicate(timeout=300)
    if p.returncode != expect:
        fail(f"{' '.join(cosmograd_args)} exited {p.returncode} (expected {expect}):\n{err}")
    return err


def run_until_step(args, cosmograd_args, step, delay, sig):
    """Runs until the progress line of `step`, waits `delay` s, sends `sig` to the group."""
    p = start(args, cosmograd_args + ["--progress", "true", "--log_level", "info"])
    lines = []
    for line in p.stderr:
        lines.append(line)
        m = STEP_LINE.search(line)
        if m and int(m.group(1)) >= step:
            time.sleep(delay)
            try:
                os.killpg(p.pid, sig)
            except ProcessLookupError:
                pass
            break
    rest = p.stderr.read()
    p.wait(timeout=300)
    return p.returncode, "".join(lines) + rest


def h5_equal(a, b):
    import h5py
    import numpy as np
    with h5py.File(a, "r") as fa, h5py.File(b, "r") as fb:
        for key in ("Coordinates", "Velocities", "ParticleIDs"):
            x, y = fa["PartType1/" + key][:], fb["PartType1/" + key][:]
            if x.shape != y.shape or x.tobytes() != y.tobytes():
                return f"{key} differs"
    return None


def compare_outputs(ref, out):
    for f in sorted(glob.glob(os.path.join(ref, "snapshot_*.hdf5"))):
        other = os.path.join(out, os.path.basename(f))
        if not os.path.exists(other):
            return f"{other} is missing"
        why = h5_equal(f, other)
        if why:
            return f"{other}: {why} from the uninterrupted run"
    for f in sorted(glob.glob(os.path.join(ref, "power_*.txt"))):
        with open(f, "rb") as fa, open(os.path.join(out, os.path.basename(f)), "rb") as fb:
            if fa.read() != fb.read():
                return f"{os.path.basename(f)} differs from the uninterrupted run"
    if not os.path.exists(os.path.join(out, "MANIFEST.txt")):
        return "MANIFEST.txt is missing"
    if os.path.exists(os.path.join(out, "restart")):
        return "restart/ was left in a finished run"
    left = [f for f in os.listdir(out) if ".tmp." in f or f == ".cosmograd.lock"]
    if left:
        return f"left behind: {left}"
    return None


def reference(args):
    ref = os.path.join(args.work, "reference")
    shutil.rmtree(ref, ignore_errors=True)
    run_to_end(args, ["run"] + RUN + ["--output_dir", ref, "--progress", "false"])
    return ref


def cmd_kill(args):
    ref = reference(args)
    rng = random.Random(args.seed)
    steps = int(RUN[RUN.index("--steps") + 1])
    for trial in range(args.trials):
        every = rng.choice([1, 2, 3])
        kill_at = rng.randint(every + 1, steps - 1)
        delay = rng.uniform(0.0, 0.05)
        out = os.path.join(args.work, f"killed_{trial}")
        shutil.rmtree(out, ignore_errors=True)
        rc, log = run_until_step(args, ["run"] + RUN + ["--output_dir", out, "--restart_every",
                                                        str(every)], kill_at, delay,
                                 signal.SIGKILL)
        resumes = 0
        while rc != 0:
            if resumes > 3:
                fail(f"trial {trial}: still not finished after {resumes} resumes:\n{log}")
            resumes += 1
            p = start(args, ["run", "--resume", out, "--progress", "false"])
            _, log = p.communicate(timeout=300)
            rc = p.returncode
            if rc != 0 and "no restart in it" in log:
                fail(f"trial {trial}: killed at step {kill_at} with restart_every {every} but "
                     f"no restart was found:\n{log}")
        why = compare_outputs(ref, out)
        if why:
            fail(f"trial {trial} (restart_every {every}, killed after step {kill_at} + "
                 f"{delay * 1000:.0f} ms): {why}")
        print(f"trial {trial}: restart_every {every}, SIGKILL after step {kill_at} + "
              f"{delay * 1000:.0f} ms, {resumes} resume(s): final state bitwise equal")
    print(f"PASS: {args.trials} kill -9 / resume trials"
          + (f" under {args.mpiexec} -n {args.ranks}" if args.mpiexec else " (serial)"))


def cmd_signals(args):
    ref = reference(args)
    out = os.path.join(args.work, "sigterm")
    shutil.rmtree(out, ignore_errors=True)
    rc, log = run_until_step(args, ["run"] + RUN + ["--output_dir", out], 4, 0.0, signal.SIGTERM)
    if rc != EXIT_INTERRUPTED:
        fail(f"SIGTERM: exit {rc} (expected {EXIT_INTERRUPTED}):\n{log}")
    if "continue with: cosmograd run --resume" not in log:
        fail(f"SIGTERM: the message does not say how to continue:\n{log}")
    if not os.path.exists(os.path.join(out, "restart", "RESTART.txt")):
        fail("SIGTERM: no restart written")
    run_to_end(args, ["run", "--resume", out, "--progress", "false"])
    why = compare_outputs(ref, out)
    if why:
        fail(f"SIGTERM then resume: {why}")
    print("PASS: SIGTERM writes a restart and exits 75; the resumed run equals the reference")

    # Two signals: the second stops at once, leaving no temporaries or lock.
    out2 = os.path.join(args.work, "sigterm_twice")
    shutil.rmtree(out2, ignore_errors=True)
    long_run = [("200" if a == "12" else a) for a in RUN]  # --steps 200: 1 ms steps
    p = start(args, ["run"] + long_run + ["--output_dir", out2, "--progress", "true",
                                          "--log_level", "info"])
    for line in p.stderr:
        if STEP_LINE.search(line):
            break
    os.killpg(p.pid, signal.SIGTERM)
    time.sleep(0.001)
    os.killpg(p.pid, signal.SIGTERM)
    _, err = p.communicate(timeout=120)
    if p.returncode not in (-signal.SIGTERM, EXIT_INTERRUPTED, 128 + signal.SIGTERM):
        fail(f"two SIGTERMs: exit {p.returncode}:\n{err}")
    left = [f for f in os.listdir(out2) if ".tmp." in f or f == ".cosmograd.lock"]
    if os.path.isdir(os.path.join(out2, "restart")):
        left += [f for f in os.listdir(os.path.join(out2, "restart")) if ".tmp." in f]
    if left:
        fail(f"two SIGTERMs left {left}")
    print(f"PASS: a second SIGTERM stops at once (exit {p.returncode}), nothing partial left")

    # A resumed run of another configuration or with other keys is refused.
    out3 = os.path.join(args.work, "sigterm_edit")
    shutil.rmtree(out3, ignore_errors=True)
    run_until_step(args, ["run"] + RUN + ["--output_dir", out3], 3, 0.0, signal.SIGTERM)
    cfg = os.path.join(out3, "config.ini")
    text = open(cfg).read()
    open(cfg, "w").write(re.sub(r"^sigma8 = .*$", "sigma8 = 0.9", text, flags=re.M))
    p = start(args, ["run", "--resume", out3])
    _, err = p.communicate(timeout=120)
    if p.returncode == 0 or "sigma8" not in err or "another configuration" not in err:
        fail(f"an edited config.ini was not refused by name (exit {p.returncode}):\n{err}")
    p = start(args, ["run", "--resume", out3, "--steps", "20"])
    _, err = p.communicate(timeout=120)
    if p.returncode == 0 or "--steps" not in err:
        fail(f"--resume with --steps was not refused (exit {p.returncode}):\n{err}")
    print("PASS: resuming with an edited configuration or other keys is refused by name")


def cmd_disk(args):
    mnt = os.path.join(args.work, "small_disk")
    os.makedirs(mnt, exist_ok=True)
    subprocess.run(["umount", mnt], stderr=subprocess.DEVNULL)
    # 16^3 particles: a snapshot is about 0.2 MB, so 600 KB hold the first outputs only.
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=600k", "tmpfs", mnt],
                      stderr=subprocess.DEVNULL).returncode != 0:
        print("SKIP: cannot mount a tmpfs (needs root)")
        sys.exit(77)
    try:
        out = os.path.join(mnt, "run")
        many = [("3,2,1.5,1,0.5,0" if a == "1,0" else a) for a in RUN]  # more outputs
        p = start(args, ["run"] + many + ["--output_dir", out, "--progress", "false"])
        _, err = p.communicate(timeout=300)
        if p.returncode == 0:
            fail("a full disk did not fail the run")
        if "No space left on device" not in err:
            fail(f"the error does not say ENOSPC:\n{err}")
        named = re.search(r"(snapshot|density|power|config|MANIFEST)[^ :']*", err)
        if not named or out not in err:
            fail(f"the error does not name the file:\n{err}")
        left = [f for f in os.listdir(out) if ".tmp." in f]
        if left:
            fail(f"temporaries left on the full disk: {left}")
        import h5py
        for f in glob.glob(os.path.join(out, "snapshot_*.hdf5")):
            with h5py.File(f, "r") as h:  # every file that is there is complete
                h["PartType1/Coordinates"][:]
        print("PASS: a full disk fails the run with ENOSPC naming the file; the files before "
              "it are complete, no temporaries left (" + err.strip().splitlines()[-1][:160] + ")")

        # A read-only output directory fails before the simulation starts.
        subprocess.run(["mount", "-o", "remount,ro", mnt], check=True)
        out = os.path.join(mnt, "readonly_run")
        t0 = time.time()
        p = start(args, ["run"] + RUN + ["--output_dir", out, "--progress", "false",
                                         "--log_level", "info"])
        _, err = p.communicate(timeout=120)
        if p.returncode == 0 or out not in err or "initial conditions" in err:
            fail(f"a read-only output_dir was not refused before the run (exit {p.returncode}):\n"
                 f"{err}")
        print(f"PASS: a read-only output_dir is refused in {time.time() - t0:.2f} s before the "
              "initial conditions (" + err.strip().splitlines()[-1][:160] + ")")
    finally:
        subprocess.run(["umount", mnt], stderr=subprocess.DEVNULL)


def damage(path, how):
    data = open(path, "rb").read()
    if how == "truncate":
        data = data[: len(data) // 2]
    else:  # flip bytes in the middle
        mid = len(data) // 2
        data = data[:mid] + bytes(b ^ 0x5A for b in data[mid: mid + 64]) + data[mid + 64:]
    open(path, "wb").write(data)


def cmd_damaged(args):
    base = os.path.join(args.work, "damaged")
    shutil.rmtree(base, ignore_errors=True)
    os.makedirs(base)
    run = os.path.join(base, "run")
    rc, log = run_until_step(args, ["run"] + RUN + ["--output_dir", run, "--restart_every", "1"],
                             5, 0.0, signal.SIGTERM)
    if rc != EXIT_INTERRUPTED:
        fail(f"SIGTERM: exit {rc}:\n{log}")
    checks = []
    # A damaged restart file is refused with its name and what is wrong.
    rank_file = sorted(glob.glob(os.path.join(run, "restart", "step_*.bin")))[0]
    keep = open(rank_file, "rb").read()
    for how, word in (("truncate", "truncated"), ("flip", "checksum")):
        damage(rank_file, how)
        p = start(args, ["run", "--resume", run])
        _, err = p.communicate(timeout=120)
        if p.returncode == 0 or rank_file not in err or word not in err:
            fail(f"a {how}d restart file was not refused by name and reason:\n{err}")
        checks.append(f"restart file {how}: " + err.strip().splitlines()[-1][-90:])
        open(rank_file, "wb").write(keep)
    # Snapshot and P(k) table readers: `cosmograd power` on a damaged snapshot, `run` with a
    # damaged CLASS table.
    run_to_end(args, ["run", "--resume", run, "--progress", "false"])
    snap = os.path.join(base, "snap.hdf5")
    shutil.copy(os.path.join(run, "snapshot_z0p000.hdf5"), snap)
    damage(snap, "truncate")
    p = start(args, ["power", snap, "--out", os.path.join(base, "pk.txt")])
    _, err = p.communicate(timeout=120)
    if p.returncode == 0 or snap not in err:
        fail(f"a truncated snapshot was not refused by name:\n{err}")
    checks.append("truncated snapshot: " + err.strip().splitlines()[-1][-90:])
    table = os.path.join(base, "pk_class.dat")
    run_to_end(args, ["theory", "--out", os.path.join(base, "theory")])
    src = os.path.join(base, "theory", "linear_power.txt")
    if os.path.exists(src):  # as a CAMB table whose rows break off in the middle of a line
        rows = [l for l in open(src).read().splitlines() if l and not l.startswith("#")]
        open(table, "w").write("#  k/h  P(k)\n" + "\n".join(rows[: len(rows) // 2]) +
                               "\n1.0e-1 3.2e+")
        p = start(args, ["run"] + RUN + ["--output_dir", os.path.join(base, "table_run"),
                                         "--transfer", "table", "--transfer_file", table])
        _, err = p.communicate(timeout=120)
        if p.returncode == 0 or table not in err:
            fail(f"a damaged P(k) table was not refused by name:\n{err}")
        checks.append("damaged P(k) table: " + err.strip().splitlines()[-1][-90:])
    for c in checks:
        print("  " + c)
    print(f"PASS: {len(checks)} damaged files refused with their names")


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cosmograd", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--mpiexec", default="")
    ap.add_argument("--ranks", type=int, default=2)
    ap.add_argument("--trials", type=int, default=10)
    ap.add_argument("--seed", type=int, default=None, help="kill points (default: random)")
    ap.add_argument("what", choices=["kill", "signals", "disk", "damaged"])
    args = ap.parse_args()
    try:
        import h5py  # noqa: F401
    except ImportError:
        print("SKIP: h5py is missing")
        sys.exit(77)
    os.makedirs(args.work, exist_ok=True)
    {"kill": cmd_kill, "signals": cmd_signals, "disk": cmd_disk, "damaged": cmd_damaged}[
        args.what](args)


if __name__ == "__main__":
    main()
