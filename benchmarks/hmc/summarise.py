#!/usr/bin/env python3
"""Summarises benchmarks/hmc/coverage.sh's mocks into OUT/coverage.md: how often the truth lies
inside the 68% and 95% credible regions (marginal equal-tailed intervals and the joint
Mahalanobis region of posterior.txt) against the binomial spread, and the sampler's efficiency
(medians over the mocks of each quantity's bulk ESS, ESS per sampling gradient and wall time
per effective sample, from diagnostics.md).  Usage: summarise.py OUT [SECONDS]"""
import math
import statistics
import sys
from pathlib import Path


def read_posterior(path):
    params, level = {}, None
    for line in path.read_text().splitlines():
        if line.startswith("#") or not line.strip():
            continue
        f = line.split()
        if f[0] == "truth_level":
            level = float(f[1])
        else:
            params[f[0]] = [float(x) for x in f[1:]]  # mean sd q2.5 q16 q50 q84 q97.5 truth
    return params, level


def read_diagnostics(path):
    chains, quantities, section = [], {}, None
    for line in path.read_text().splitlines():
        if line.startswith("## "):
            section = line[3:].strip()
            continue
        if not line.startswith("| ") or line.startswith("| chain") or line.startswith("| quantity"):
            continue
        cells = [c.strip() for c in line.strip("|").split("|")]
        if section == "Chains":
            chains.append(cells)
        elif section == "Quantities":
            quantities[cells[0]] = cells
    return chains, quantities


def number(text):
    try:
        return float(text)
    except ValueError:
        return math.nan


def main():
    out = Path(sys.argv[1])
    seconds = sys.argv[2] if len(sys.argv) > 2 else "n/a"
    mocks = sorted(out.glob("mock_*/hmc/posterior.txt"), key=lambda p: int(p.parts[-3][5:]))
    n = len(mocks)
    inside = {"Omega_m": [0, 0], "sigma8": [0, 0], "joint": [0, 0]}
    sds = {"Omega_m": [], "sigma8": []}
    eff, chain_rows = {}, []
    for post in mocks:
        params, level = read_posterior(post)
        for name in ("Omega_m", "sigma8"):
            mean, sd, q2, q16, q50, q84, q97, truth = params[name]
            inside[name][0] += q16 <= truth <= q84
            inside[name][1] += q2 <= truth <= q97
            sds[name].append(sd)
        inside["joint"][0] += level < 0.68
        inside["joint"][1] += level < 0.95
        chains, quantities = read_diagnostics(post.parent / "diagnostics.md")
        chain_rows.extend(chains)
        for name, cells in quantities.items():
            eff.setdefault(name, []).append(
                (number(cells[5]), number(cells[6]), number(cells[8]), number(cells[9])))
    lines = [f"# Coverage and efficiency of HMC field-level posteriors ({n} PM mocks)", ""]
    lines += ["| region | inside 68% | inside 95% |", "|---|---|---|"]
    for key, label in (("Omega_m", "Omega_m (marginal)"), ("sigma8", "sigma8 (marginal)"),
                       ("joint", "(Omega_m, sigma8) joint")):
        a, b = inside[key]
        lines.append(f"| {label} | {a} / {n} ({a / n:.2f}) | {b} / {n} ({b / n:.2f}) |")
    lines += ["", f"Expected for calibrated posteriors: {0.68 * n:.1f} +- "
              f"{math.sqrt(n * 0.68 * 0.32):.1f} inside 68%, {0.95 * n:.1f} +- "
              f"{math.sqrt(n * 0.95 * 0.05):.1f} inside 95% (binomial 1-sigma).", ""]
    lines.append(f"Mean posterior sd: Omega_m {statistics.mean(sds['Omega_m']):.4f}, sigma8 "
                 f"{statistics.mean(sds['sigma8']):.4f}. Wall time of the whole study: {seconds} s.")
    lines += ["", "## Efficiency (medians over the mocks, one chain each)", "",
              "| quantity | R-hat | bulk ESS | bulk ESS per sampling gradient | wall time per "
              "effective sample [s] |", "|---|---|---|---|---|"]
    for name, rows in eff.items():
        med = [statistics.median(r[i] for r in rows) for i in range(4)]
        lines.append(f"| {name} | {med[0]:.3f} | {med[1]:.0f} | {med[2]:.2e} | {med[3]:.3g} |")
    acc = statistics.median(number(c[1]) for c in chain_rows)
    step = statistics.median(number(c[2]) for c in chain_rows)
    leap = statistics.median(number(c[3]) for c in chain_rows)
    div = sum(int(c[5]) for c in chain_rows)
    bfmi = statistics.median(number(c[6]) for c in chain_rows)
    wall = statistics.median(number(c[8]) for c in chain_rows)
    lines += ["", f"Per chain (medians): acceptance {acc:.2f}, step size {step:.3g}, {leap:.0f} "
              f"leapfrog steps per iteration, E-BFMI {bfmi:.2f}, wall time {wall:.0f} s; "
              f"{div} divergent transitions in all."]
    (out / "coverage.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
