#!/usr/bin/env bash
# Reproduces benchmarks/results/reconstruction.md (issue 19): held-out data sets (white-noise
# seeds 101-103, never drawn in training: the RIM trains on its own generator's prior draws),
# then RIM-10, Adam-10, Adam-100, L-BFGS-400 and annealed Adam on each kind of data: three
# data sets at 32^3, two at 64^3.
#   bash benchmarks/reconstruction/reproduce.sh            (about 25 minutes on 2 cores)
# Training the shipped RIM (about 30 minutes on 2 cores) is:
#   build/apps/cosmograd reconstruct train --train_steps 400 --rim_kernel 5 --out models/rim.cgm
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
bin="${COSMOGRAD_BIN:-$root/build/apps/cosmograd}"
work="${WORK:-/tmp/cosmograd-reconstruction}"
model="${RIM_MODEL:-$root/models/rim.cgm}"
out="$root/benchmarks/results/reconstruction.md"
mkdir -p "$work"

# name | seeds | keys of `reconstruct data`
cases=(
  "m32|101 102 103|"
  "mask32|101 102 103|--mask_fraction 0.25"
  "rsd32|101 102 103|--los z"
  "m64|101 102|--particles 64 --mesh 64 --box_size 400"
  "halo64|101 102|--particles 64 --mesh 64 --tracer halos --noise_power 1"
)
titles=(
  "32^3 in 200 Mpc/h, matter (CosmicRIM's setting)"
  "32^3 in 200 Mpc/h, matter behind a slab mask (a quarter of the box unobserved)"
  "32^3 in 200 Mpc/h, matter in redshift space (line of sight z)"
  "64^3 in 400 Mpc/h, matter (the RIM trained at 32^3 applied unchanged: same cell size)"
  "64^3 in 200 Mpc/h, FoF halo-mass field (bias fitted on a calibration run; no RIM: it is trained on matter)"
)
sections=()
for i in "${!cases[@]}"; do
  IFS='|' read -r name seeds keys <<<"${cases[$i]}"
  list=""
  for s in $seeds; do
    # shellcheck disable=SC2086
    "$bin" reconstruct data --seed "$s" --noise_seed "$s" $keys --out "$work/$name-$s" >/dev/null
    list="$list${list:+,}$work/$name-$s/data.h5"
  done
  rim=(--model "$model")
  if [[ "$name" == halo* ]]; then rim=(); fi
  "$bin" reconstruct evaluate --data "$list" "${rim[@]}" --title "${titles[$i]}" \
    --out "$work/$name.md"
  sections+=("$work/$name.md")
done
{
  echo "# Initial-condition reconstruction (issue 19)"
  echo
  echo "Made by \`bash benchmarks/reconstruction/reproduce.sh\` on $(date -u +%Y-%m-%d)."
  echo "r(k) and T(k) = sqrt(P_rec / P_true) of the reconstructed linear field against the"
  echo "truth's, averaged over the held-out data sets of each section (seeds 101-103 at 32^3,"
  echo "101-102 at 64^3); the plots of the 32^3 and 64^3 matter sections are in reconstruction/."
  echo "Every data set is the project's own simulation (synthetic data), as is all RIM training data."
  echo "The learned model is RIM-10; the classical baselines on the same data sets are MAP by L-BFGS-400,"
  echo "Adam-10, Adam-100 and annealed Adam-100 (the halo section has baselines only)."
  echo
  for f in "${sections[@]}"; do cat "$f"; echo; done
} >"$out.tmp"
mv "$out.tmp" "$out"
mkdir -p "$root/benchmarks/results/reconstruction"
cp "$work/m32.png" "$root/benchmarks/results/reconstruction/rk_32.png"
cp "$work/m64.png" "$root/benchmarks/results/reconstruction/rk_64.png"
echo "wrote $out"
