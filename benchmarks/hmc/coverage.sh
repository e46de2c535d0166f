#!/bin/bash
# Calibration of explicit field-level inference (issue 21): PM mocks of 32^3 particles (2 steps,
# 256 Mpc/h, 32^3 force mesh) observed as the CIC density on 16^3 cells with white noise of
# power 2000 (Mpc/h)^3, truths (Omega_m, sigma8) drawn from the sampler's uniform prior
# (0.1..0.5, 0.6..1.0), one NUTS chain per mock. Writes OUT/coverage.md: how often the truth falls
# inside the 68% and 95% credible regions (marginal and joint), against the binomial spread,
# and the sampler's efficiency (benchmarks/hmc/summarise.py).
#   bash benchmarks/hmc/coverage.sh [OUT]   (from the repository root, after scripts/build.sh)
# MOCKS (20), JOBS (2 mocks at a time, one thread each), WARMUP (150), SAMPLES (120), DEPTH (4).
set -euo pipefail
bin=$(realpath "${COSMOGRAD:-build/apps/cosmograd}")
out=${1:-hmc-coverage}
mocks=${MOCKS:-20}
mkdir -p "$out"
# The truths: a fixed-seed uniform draw over the prior (Python's Mersenne Twister).
python3 -c "
import random
r = random.Random(21)
for i in range(1, $mocks + 1):
    print(i, round(r.uniform(0.1, 0.5), 5), round(r.uniform(0.6, 1.0), 5))
" > "$out/truths.txt"
run_mock() {
  read -r i om s8 <<< "$1"
  local d="$out/mock_$i"
  "$bin" reconstruct data --seed $((1000 + i)) --noise_seed "$i" --Omega_m "$om" --sigma8 "$s8" \
    --box_size 256 --particles 32 --mesh 32 --steps 2 --data_mesh 16 --noise_power 2000 \
    --threads 1 --out "$d/data" > "$d.log" 2>&1
  "$bin" sample --data "$d/data/data.h5" --chains 1 --warmup "${WARMUP:-150}" \
    --samples "${SAMPLES:-120}" --max_tree_depth "${DEPTH:-4}" --seed "$i" --threads 1 \
    --progress false --out "$d/hmc" >> "$d.log" 2>&1
}
export -f run_mock
export bin out
start=$(date +%s)
xargs -P "${JOBS:-2}" -I{} bash -c 'run_mock "{}"' < "$out/truths.txt"
seconds=$(( $(date +%s) - start ))
# Coverage (marginal equal-tailed intervals, the joint Mahalanobis region) and efficiency.
python3 "$(dirname "$0")/summarise.py" "$out" "$seconds"
