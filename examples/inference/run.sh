#!/bin/bash
# The worked example of field-level inference (README "Field-level inference campaigns"): a
# 700-simulation campaign over (Omega_m, sigma8), neural posterior estimators on the density
# field, on P(k) and on P(k) + B, and their calibration and precision against the Gaussian
# P(k) and P + B likelihoods on 100 held-out simulations. About 20 minutes on 2 cores (the
# density NPE's compressor takes most of it).
#   bash examples/inference/run.sh [OUT]     (from the repository root, after scripts/build.sh)
set -euo pipefail
bin=${COSMOGRAD:-build/apps/cosmograd}
out=${1:-example-inference}
"$bin" campaign examples/inference/campaign.ini --out "$out/campaign" --threads 2 --progress false
split="--campaign $out/campaign --validation 50 --test 100 --k_max 0.39 --threads 2"
# shellcheck disable=SC2086
"$bin" infer train $split --summary density --patience 30 --out "$out/npe_density.cgm"
# shellcheck disable=SC2086
"$bin" infer train $split --summary power --out "$out/npe_power.cgm"
# shellcheck disable=SC2086
"$bin" infer train $split --summary power_bispectrum --out "$out/npe_power_bispectrum.cgm"
# shellcheck disable=SC2086
"$bin" infer evaluate $split --out "$out/evaluation" \
  --models "$out/npe_density.cgm,$out/npe_power.cgm,$out/npe_power_bispectrum.cgm" \
  --baseline_covariance fiducial,design
"$bin" infer --model "$out/npe_density.cgm" "$out/campaign/sims/sim_000450.h5" \
  --out "$out/posterior_sim450" --threads 2
