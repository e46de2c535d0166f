#!/usr/bin/env bash
# Reproduces the shipped LDL baryon painters (models/ldl_*.cgm) and their held-out table
# (benchmarks/results/baryons.md) from scratch: six dark-matter-only runs (100 Mpc/h, 128^3
# particles, seeds 1-6), their synthetic targets on a 64^3 mesh, the fits on seeds 1-4 and
# the evaluation on seeds 5-6. About 45 minutes on a 2-core machine (the fits: 8, 13 and 18
# minutes on one thread each).
# Usage: bash benchmarks/baryons/reproduce.sh [WORK_DIR]   (from the repository root)
set -euo pipefail
B=${COSMOGRAD:-build/apps/cosmograd}
W=${1:-baryon-work}
mkdir -p "$W"
for s in 1 2 3 4 5 6; do
  "$B" run --box_size 100 --particles 128 --mesh 256 --steps 10 --seed "$s" --threads 1 \
    --write_density false --output_dir "$W/run$s" --overwrite true
  "$B" paint targets "$W/run$s/snapshot_z0p000.hdf5" --out "$W/t$s" --mesh 64 --threads 2
done
TRAIN="$W/t1,$W/t2,$W/t3,$W/t4"
TEST="$W/t5,$W/t6"
"$B" paint fit --train "$TRAIN" --target bcm_matter --mesh 64 --layers 2 --iterations 100 \
  --mse_weight 0.05 --power_weight 1 --threads 1 --out models/ldl_bcm_matter.cgm
for t in electron_pressure hi_density; do
  "$B" paint fit --train "$TRAIN" --target "$t" --mesh 64 --iterations 80 --threads 1 \
    --out "models/ldl_$t.cgm"
done
MODELS=models/ldl_bcm_matter.cgm,models/ldl_electron_pressure.cgm,models/ldl_hi_density.cgm
"$B" paint evaluate --models "$MODELS" --train "$TRAIN" --test "$TEST" --mesh 64 --threads 2 \
  --report benchmarks/results/baryons.md
