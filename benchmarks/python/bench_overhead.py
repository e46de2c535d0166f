#!/usr/bin/env python3
"""Overhead of calling the engine from Python: simulate_density (a new engine per call) and
Simulator.density (the reusable engine), forward only and forward + backward, at 32^3 and
64^3 meshes, timed from Python and by a C++ loop over the same op in the same process
(cosmograd._cosmograd._bench). Rounds alternate C++ and Python so that the machine's load
drifts affect both; medians over rounds. Goal (issue 27): overhead <= 5%.

  PYTHONPATH=build/python /usr/bin/python3 benchmarks/python/bench_overhead.py
"""

import argparse
import os
import statistics
import subprocess
import time

import torch

import cosmograd
from cosmograd import _cosmograd

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_OUT = os.path.join(HERE, "..", "results", "python_overhead.md")


def python_times(op, repeats, backward):
    out = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        y = op()
        if backward:
            y.pow(2).sum().backward()
        out.append(time.perf_counter() - t0)
    return out


def measure(label, cpp_op, py_op, rounds, repeats, backward):
    cpp, py = [], []
    for r in range(rounds):  # alternate which side goes first
        if r % 2 == 0:
            cpp += cpp_op(repeats, backward)
            py += python_times(py_op, repeats, backward)
        else:
            py += python_times(py_op, repeats, backward)
            cpp += cpp_op(repeats, backward)
    c, p = statistics.median(cpp), statistics.median(py)
    return dict(label=label, backward=backward, cpp=c, py=p, overhead=(p - c) / c,
                calls=len(cpp))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="32,64", help="meshes per side (particles = mesh/2)")
    parser.add_argument("--rounds", type=int, default=10, help="alternating C++/Python rounds")
    parser.add_argument("--repeats", type=int, default=3, help="calls per round and side")
    parser.add_argument("--threads", type=int, default=2, help="OpenMP and torch threads")
    parser.add_argument("--out", default=DEFAULT_OUT, help="markdown table written here")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    cosmograd.set_log_level("warn")

    rows = []
    # The fixed cost of a call: painting one point on an 8^3 mesh.
    one = torch.full((1, 3), 0.5, dtype=torch.float32)
    for backward in (False, True):
        x = one.clone().requires_grad_(backward)
        rows.append(measure(
            "paint, 1 point, 8^3 mesh",
            lambda r, b: _cosmograd._bench.paint(x, 8, 1.0, r, b),
            lambda: cosmograd.paint(x, 8, 1.0), args.rounds, 20 * args.repeats, backward))
    for n in (int(s) for s in args.sizes.split(",")):
        spec = cosmograd.SimSpec(particles=n // 2, mesh=n, box_size=2.0 * n, steps=10,
                                 threads=args.threads)
        theta = cosmograd.cosmo_params(spec)
        sim = cosmograd.Simulator(spec)
        w = sim.white_noise()
        for backward in (False, True):
            wg = w.clone().requires_grad_(backward)
            rows.append(measure(
                f"simulate_density, {n}^3 mesh",
                lambda r, b: _cosmograd._bench.simulate_density(spec, wg, theta, 0, r, b),
                lambda: cosmograd.simulate_density(spec, wg, theta),
                args.rounds, args.repeats, backward))
            sim.density(wg, theta)  # engine made before timing
            rows.append(measure(
                f"Simulator.density, {n}^3 mesh",
                lambda r, b: _cosmograd._bench.simulator_density(sim, wg, theta, 0, r, b),
                lambda: sim.density(wg, theta),
                args.rounds, args.repeats, backward))

    try:
        commit = subprocess.run(["git", "-C", HERE, "rev-parse", "--short", "HEAD"],
                                capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        commit = "unknown"
    lines = [
        "# Python call overhead (benchmarks/python/bench_overhead.py)",
        "",
        "No learned model is involved: the C++ call of the same op is the baseline.",
        "",
        f"Machine: {_cosmograd._bench.machine()}; commit {commit}; torch {torch.__version__}; "
        f"{args.threads} threads. Each op: N^3 = (mesh/2)^3 particles in a box of 2 mesh "
        "Mpc/h, 10 KDK steps in float32, the final CIC density on the force mesh; "
        f"median over {args.rounds} alternating rounds of {args.repeats} calls from C++ "
        "(a loop in the extension) and from Python. Goal (issue 27): overhead <= 5%.",
        "",
        "| op | backward | calls | C++ [ms] | Python [ms] | Python - C++ [us] | overhead |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(f"| {r['label']} | {'yes' if r['backward'] else 'no'} | {r['calls']} | "
                     f"{1e3 * r['cpp']:.3f} | {1e3 * r['py']:.3f} | "
                     f"{1e6 * (r['py'] - r['cpp']):+.0f} | {100 * r['overhead']:+.1f}% |")
    lines += [
        "",
        "The overhead is what a Python call adds to the same C++ call: argument conversion "
        "(pybind11; tensors are passed without copies), the interpreter, and for the backward "
        "the Python side of torch.autograd. The paint rows measure that fixed cost of a call "
        "on an op that does almost nothing; on the simulation rows it is far below the "
        "run-to-run scatter of this shared 2-core machine, so their percentages (either sign) "
        "are mostly noise: quote them as medians of several runs of this script.",
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    tmp = args.out + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, args.out)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
