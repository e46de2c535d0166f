#!/bin/bash
# Galaxy images (issue 23, CPU reference path): ms per 64x64 stamp (bench_images), then a survey
# tile end to end: a run resolving halos of 2e11 Msun/h (64^3 particles in 32 Mpc/h, 1-degree
# flat lightcone field to z = 1.2), its M_r < -18 lightcone galaxies (zheng07_mr18), a
# 2048 x 2048 tile at 0.2 arcsec (LSST-like y10 depths, 0.7 arcsec Moffat PSF), and SExtractor
# on its r band (tests/surveys/check_sextractor.py: completeness per magnitude, flux pulls of
# isolated bright galaxies). Writes OUT/images.md and the tile's colour composite.
#   bash benchmarks/images/run.sh [OUT]   (from the repository root, after scripts/build.sh)
set -euo pipefail
build=$(realpath "${BUILD:-build}")
bin=$build/apps/cosmograd
out=${1:-benchmarks/results}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$out"
"$build/benchmarks/bench_images" --out "$work/stamps.md"
"$bin" run --particles 64 --mesh 128 --box_size 32 --steps 10 --z_out 1.2,0.8,0.5,0.25,0 \
  --halos true --write_snapshot false --lightcone true --lightcone_z_max 1.2 --lightcone_nside 0 \
  --lightcone_field_deg 1 --lightcone_field_pixels 64 --source_z 1.2 --progress false \
  --log_level warn --output_dir "$work/run"
halos=$work/run/halos_z1p200.hdf5,$work/run/halos_z0p800.hdf5,$work/run/halos_z0p500.hdf5
halos=$halos,$work/run/halos_z0p250.hdf5,$work/run/halos_z0p000.hdf5
"$bin" mock catalog --halos "$halos" --lightcone true --z_max 1.2 --hod zheng07_mr18 \
  --lensing_dir "$work/run" --format hdf5 --log_level warn --out "$work/lc"
start=$(date +%s.%N)
"$bin" mock images --galaxies "$work/lc/galaxies.h5" --nx 2048 --ny 2048 --log_level warn \
  --out "$work/img"
tile_s=$(echo "$(date +%s.%N) - $start" | bc)
/usr/bin/python3 "$(dirname "$0")/../../tests/surveys/check_sextractor.py" "$work/img" r \
  --out "$work/sex.md" || true
cp "$work/img/tile_rgb.png" "$out/images_tile_rgb.png"
{
  cat "$work/stamps.md"
  echo
  echo "## A survey tile and SExtractor (benchmarks/images/run.sh)"
  echo
  echo "2048 x 2048 pixels of 0.2 arcsec from the M_r < -18 lightcone galaxies of a 64^3-particle"
  echo "run in 32 Mpc/h (1-degree field, z < 1.2); $(grep '^galaxies' "$work/img/summary.txt" | cut -d' ' -f2)"
  echo "galaxies drawn in $(printf '%.1f' "$tile_s") s (6 bands, noise, segmentation, files)."
  echo "Noise per band (nJy per pixel; k electrons per nJy; n_eff of the PSF):"
  echo
  echo '```'
  tail -n +4 "$work/img/summary.txt"
  echo '```'
  echo
  echo "SExtractor 2.25 (source-extractor, DETECT_THRESH 1.5, 5 pixels, gauss_2.0_5x5) on r,"
  echo "detections matched to the truth within max(3 pixels, R_e / 2):"
  echo
  cat "$work/sex.md"
  echo
  echo "![tile](images_tile_rgb.png)"
  echo
  echo "## The generative model"
  echo
  echo "Samples of the PSF-aware VAE (benchmarks/imagegen/run.sh, tables in imagegen.md): rows"
  echo "are held-out mock stamps, samples with their size, magnitude, PSF and noise, the same"
  echo "samples without noise, and the exponential-profile baseline; then the same for cutouts"
  echo "of the Hubble Deep Field image."
  echo
  echo "![mock samples](imagegen_mock_samples.png)"
  echo
  echo "![HDF samples](imagegen_hdf_samples.png)"
} > "$out/images.md"
cat "$out/images.md"
