#!/bin/bash
# Generative galaxy images (issue 23 item 7): the PSF-aware VAE with a latent flow prior
# (Lanusse et al. 2021) trained on two stamp sets, each evaluated on its held-out stamps beside
# an exponential-profile baseline:
#   mock: 4000 stamps (32 x 32, 0.1 arcsec, i band, each its own Moffat PSF of 0.15-0.3 arcsec)
#         of the i < 23.5 lightcone galaxies of the run in benchmarks/images/run.sh, drawn with
#         irregular structure (spiral arms, star-forming knots; `cosmograd mock stamps`);
#   hdf:  cutouts of the Hubble Deep Field image that Debian's scikit-image ships
#         (scripts/hdf_cutouts.py; a display-stretched JPEG, so fluxes are only relative).
# Copies the trained models to models/galaxy_vae_{mock,hdf}.cgm and writes OUT/imagegen.md with
# the tables, wall times and sample grids (imagegen_{mock,hdf}_samples.png).
#   bash benchmarks/imagegen/run.sh [OUT]   (from the repository root, after scripts/build.sh)
set -euo pipefail
build=$(realpath "${BUILD:-build}")
bin=$build/apps/cosmograd
out=${1:-benchmarks/results}
steps=${STEPS:-3000}
flow_steps=${FLOW_STEPS:-2000}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$out" models
"$bin" run --particles 64 --mesh 128 --box_size 32 --steps 10 --z_out 1.2,0.8,0.5,0.25,0 \
  --halos true --write_snapshot false --lightcone true --lightcone_z_max 1.2 --lightcone_nside 0 \
  --lightcone_field_deg 1 --lightcone_field_pixels 64 --source_z 1.2 --progress false \
  --log_level warn --output_dir "$work/run"
halos=$work/run/halos_z1p200.hdf5,$work/run/halos_z0p800.hdf5,$work/run/halos_z0p500.hdf5
halos=$halos,$work/run/halos_z0p250.hdf5,$work/run/halos_z0p000.hdf5
"$bin" mock catalog --halos "$halos" --lightcone true --z_max 1.2 --hod zheng07_mr18 \
  --lensing_dir "$work/run" --format hdf5 --log_level warn --out "$work/lc"
"$bin" mock stamps --galaxies "$work/lc/galaxies.h5" --count 4000 --log_level warn \
  --out "$work/mock"
/usr/bin/python3 scripts/hdf_cutouts.py --out "$work/hdf/stamps.h5"

for set in mock hdf; do
  start=$(date +%s.%N)
  "$bin" imagegen train --stamps "$work/$set/stamps.h5" --steps "$steps" \
    --flow_steps "$flow_steps" --out "$work/train_$set"
  echo "$set $(echo "$(date +%s.%N) - $start" | bc)" >> "$work/times"
  cp "$work/train_$set/galaxy_vae.pt" "models/galaxy_vae_$set.cgm"
  "$bin" imagegen evaluate --model "models/galaxy_vae_$set.cgm" --stamps "$work/$set/stamps.h5" \
    --out "$work/eval_$set"
  cp "$work/eval_$set/samples.png" "$out/imagegen_${set}_samples.png"
done

{
  echo "# Generative galaxy images (benchmarks/imagegen/run.sh)"
  echo
  echo "PSF-aware VAE + latent spline flow conditioned on (R_e, mag), Lanusse et al. 2021;"
  echo "\`cosmograd imagegen train\` ($steps autoencoder + $flow_steps flow steps, batch 64,"
  echo "seed 1) then \`cosmograd imagegen evaluate\` on the held-out 15%. The baseline draws"
  echo "exponential profiles with the same R_e and magnitude and ellipticities of training"
  echo "stamps. Measurements: surveys/images/stamp_measures.hpp, on noisy stamps for all three."
  echo "KS p-values are asymptotic; D above ~1.36 sqrt(2/n) rejects at 5%."
  echo
  echo "Machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)."
  for set in mock hdf; do
    echo
    echo "## $set stamps (training wall time $(printf '%.0f' "$(grep "^$set " "$work/times" | cut -d' ' -f2)") s)"
    echo
    echo '```'
    grep -v '^#' "$work/train_$set/summary.txt"
    echo '```'
    echo
    cat "$work/eval_$set/imagegen_eval.md"
    echo
    echo "Rows: held-out stamps; VAE samples with the same R_e, mag, PSF and noise; the same"
    echo "samples without noise; the exponential baseline."
    echo
    echo "![$set samples](imagegen_${set}_samples.png)"
  done
} > "$out/imagegen.md"
cat "$out/imagegen.md"
