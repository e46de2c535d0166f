#!/bin/bash
# Mock catalogues end to end (issue 22): a 128^3-particle PM run in 128 Mpc/h (256^3 mesh,
# 20 steps) with halo catalogues at z = 0.6, 0.4, 0.2, 0 and a 6-degree flat lightcone field
# with convergence to z = 0.3 and 0.7; then box mocks of the z = 0 halos for two Zheng et al.
# 2007 samples (observed at z = 0.1), the lightcone mock with shear, and 2000 transient light
# curves. Writes OUT/mocks.md (the FoF mass function against Tinker et al. 2008, wall times,
# the summaries, the HOD occupation tables) and the PNGs beside it.
#   bash benchmarks/mocks/run.sh [OUT]   (from the repository root, after scripts/build.sh)
set -euo pipefail
bin=$(realpath "${COSMOGRAD:-build/apps/cosmograd}")
out=${1:-benchmarks/results/mocks}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$out"
timed() {  # timed LABEL CMD...: runs CMD, appends "LABEL seconds" to $work/times
  local label=$1 start
  shift
  start=$(date +%s.%N)
  "$@" > "$work/$label.log" 2>&1
  echo "$label $(echo "$(date +%s.%N) - $start" | bc)" >> "$work/times"
}
timed run "$bin" run --particles 128 --mesh 256 --box_size 128 --steps 20 --z_out 0.6,0.4,0.2,0 \
  --halos true --write_snapshot false --lightcone true --lightcone_z_max 0.7 \
  --lightcone_nside 0 --lightcone_field_deg 6 --lightcone_field_pixels 128 \
  --source_z 0.3,0.7 --progress false --output_dir "$work/run"
for hod in zheng07_mr21 zheng07_mr21.5; do
  timed "box_$hod" "$bin" mock catalog --halos "$work/run/halos_z0p000.hdf5" --hod "$hod" \
    --photometry_z 0.1 --out "$work/box_$hod"
done
halos=$work/run/halos_z0p600.hdf5,$work/run/halos_z0p400.hdf5,$work/run/halos_z0p200.hdf5
timed lightcone "$bin" mock catalog --halos "$halos,$work/run/halos_z0p000.hdf5" \
  --lightcone true --z_max 0.7 --lensing_dir "$work/run" --hod zheng07_mr21 --out "$work/lc"
timed lightcurves "$bin" mock lightcurves --galaxies "$work/lc/galaxies.h5" --count 2000 \
  --out "$work/lcurves"

cp "$work/box_zheng07_mr21/hod_occupation.png" "$out/hod_occupation_mr21.png"
cp "$work/lc/colours_vs_z.png" "$out/colours_vs_z.png"
for c in SNIa SNII SNIbc SLSN-I TDE AGN; do
  [ -f "$work/lcurves/light_curve_$c.png" ] && cp "$work/lcurves/light_curve_$c.png" "$out/"
done
{
  echo "# Mock catalogues (benchmarks/mocks/run.sh)"
  echo
  echo "Machine: $(uname -n), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); $(date -u +%Y-%m-%d)"
  echo
  echo "FoF mass function of the z = 0 catalogue against Tinker et al. 2008 (ratio per bin):"
  echo
  echo '```'
  grep -v '^#' "$work/run/halos_z0p000_massfunction.txt" | awk '{printf "%.3e %.3f\n", $3, $5 / $7}'
  echo '```'
  echo
  echo "| step | wall [s] |"
  echo "|---|---|"
  while read -r label s; do printf '| %s | %.1f |\n' "$label" "$s"; done < "$work/times"
  for d in box_zheng07_mr21 box_zheng07_mr21.5 lc; do
    echo
    echo "## $d: summary.txt"
    echo
    echo '```'
    cat "$work/$d/summary.txt"
    echo '```'
    if [ -f "$work/$d/hod_occupation.txt" ]; then
      echo
      echo '```'
      cat "$work/$d/hod_occupation.txt"
      echo '```'
    fi
  done
  echo
  echo "## lightcurves: summary.txt"
  echo
  echo '```'
  cat "$work/lcurves/summary.txt"
  echo '```'
} > "$out/mocks.md"
cat "$out/mocks.md"
