#!/bin/bash
# Vision modules (issue 24): the data sets, training and held-out evaluation of the four
# modules beside their classical baselines, written to OUT/vision.md with the pictures.
# Every training image is the project's own mock (synthetic truth):
#   blends:  4000 BTK-style blend stamps (64 x 64, 0.2 arcsec, i band, 1-6 galaxies with
#            i <= 25.3) of a 1-degree lightcone mock (`cosmograd mock blends`);
#   lenses:  4000 strong-lens / non-lens stamps (64 x 64, ugrizy) of the same mock;
#   stamps:  16000 single-galaxy stamps (32 x 32, 0.1 arcsec, i < 23.5, irregular galaxies with
#            spiral arms and knots, per-stamp Moffat PSF) of a 2-degree lightcone mock;
#   hdf:     the Hubble Deep Field image of Debian's scikit-image (real data, detection only).
# TRAIN=1 (default 0) retrains the four models into models/ (about 40 minutes on 2 cores);
# otherwise the shipped models are evaluated.
#   bash benchmarks/vision/run.sh [OUT]   (from the repository root, after scripts/build.sh)
set -euo pipefail
build=$(realpath "${BUILD:-build}")
bin=$build/apps/cosmograd
out=${1:-benchmarks/results}
train=${TRAIN:-0}
work=${WORK:-$(mktemp -d)}
[ -n "${WORK:-}" ] || trap 'rm -rf "$work"' EXIT
mkdir -p "$out" models

# The lightcone galaxy mocks (as benchmarks/imagegen/run.sh), field 1 and 2 degrees.
for deg in 1 2; do
  [ -f "$work/lc$deg/galaxies.h5" ] && continue
  "$bin" run --particles 64 --mesh 128 --box_size 32 --steps 10 --z_out 1.2,0.8,0.5,0.25,0 \
    --halos true --write_snapshot false --lightcone true --lightcone_z_max 1.2 \
    --lightcone_nside 0 --lightcone_field_deg $deg --lightcone_field_pixels $((64 * deg)) \
    --source_z 1.2 --progress false --log_level warn --output_dir "$work/run$deg"
  h=$work/run$deg
  "$bin" mock catalog --halos "$h/halos_z1p200.hdf5,$h/halos_z0p800.hdf5,$h/halos_z0p500.hdf5,$h/halos_z0p250.hdf5,$h/halos_z0p000.hdf5" \
    --lightcone true --z_max 1.2 --hod zheng07_mr18 --lensing_dir "$h" --format hdf5 \
    --log_level warn --out "$work/lc$deg"
done
[ -f "$work/blends/blends.h5" ] || "$bin" mock blends --galaxies "$work/lc1/galaxies.h5" \
  --count 4000 --size 64 --bands i --max_blend 6 --log_level warn --out "$work/blends"
[ -f "$work/lenses/lens_stamps.h5" ] || "$bin" mock lenses --galaxies "$work/lc1/galaxies.h5" \
  --count 4000 --log_level warn --out "$work/lenses"
[ -f "$work/stamps/stamps.h5" ] || "$bin" mock stamps --galaxies "$work/lc2/galaxies.h5" \
  --count 16000 --log_level warn --out "$work/stamps"

# Training (TRAIN=1): the shipped models' exact commands, one torch thread each.
if [ "$train" = 1 ]; then
  t0=$(date +%s)
  "$bin" vision detect train --blends "$work/blends" --steps 2000 --batch 16 \
    --validate_every 250 --threads 1 --seed 1 --out "$work/train_detect" --overwrite true
  cp "$work/train_detect/detector.pt" models/vision_detector.cgm
  t1=$(date +%s)
  "$bin" vision morphology train --stamps "$work/stamps" --members 3 --epochs 4 \
    --psf_channel true --threads 1 --seed 1 \
    --out "$work/train_morphology" --overwrite true
  cp "$work/train_morphology/vision_morphology.cgm" models/vision_morphology.cgm
  t2=$(date +%s)
  "$bin" vision lens train --lenses "$work/lenses" --members 3 --epochs 15 --threads 1 --seed 1 \
    --out "$work/train_lens" --overwrite true
  cp "$work/train_lens/vision_lens_finder.cgm" models/vision_lens_finder.cgm
  t3=$(date +%s)
  "$bin" vision restore train --stamps "$work/stamps/stamps.h5" --threads 1 \
    --seed 1 --out "$work/train_restore" --overwrite true
  cp "$work/train_restore/vision_restorer.cgm" models/vision_restorer.cgm
  t4=$(date +%s)
  echo "training wall times [s]: detect $((t1 - t0)), morphology $((t2 - t1)), lens $((t3 - t2)), restore $((t4 - t3))" \
    > "$work/train_times"
fi

# Held-out evaluation of the models in models/ beside the classical baselines.
"$bin" vision detect evaluate --model models/vision_detector.cgm --blends "$work/blends" \
  --threads 1 --out "$work/eval_detect" --overwrite true
"$bin" vision morphology evaluate --model models/vision_morphology.cgm --stamps "$work/stamps" \
  --threads 1 --out "$work/eval_morphology" --overwrite true
"$bin" vision lens evaluate --model models/vision_lens_finder.cgm --lenses "$work/lenses" \
  --threads 1 --out "$work/eval_lens" --overwrite true
"$bin" vision restore evaluate --model models/vision_restorer.cgm \
  --stamps "$work/stamps/stamps.h5" --threads 1 --out "$work/eval_restore" --overwrite true
# Real data: the Hubble Deep Field image, rebinned 4 x 4 towards the training pixel scale.
/usr/bin/python3 scripts/hdf_image.py --out "$work/hdf/hdf.fits"
"$bin" vision detect apply --model models/vision_detector.cgm --image "$work/hdf/hdf.fits" \
  --rebin 4 --threads 1 --out "$work/hdf_detect" --overwrite true

cp "$work/eval_detect/detections.png" "$out/vision_detections.png"
cp "$work/hdf_detect/detections.png" "$out/vision_hdf_detections.png"
cp "$work/eval_morphology/reliability.png" "$out/vision_reliability.png"
cp "$work/eval_lens/roc.png" "$out/vision_roc.png"
cp "$work/eval_restore/restore_examples.png" "$out/vision_restore_examples.png"
{
  echo "# Vision modules (benchmarks/vision/run.sh)"
  echo
  echo "Held-out mocks of the project's own simulation (synthetic truth; see the script's header"
  echo "for the sets) and the Hubble Deep Field image. Models: models/vision_*.cgm."
  echo "Machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)."
  [ -f "$work/train_times" ] && { echo; cat "$work/train_times"; }
  echo
  sed 's/^# /## /' "$work/eval_detect/detect_eval.md"
  echo
  echo "![detections](vision_detections.png)"
  echo
  sed 's/^# /## /' "$work/hdf_detect/apply.md"
  echo
  echo "![HDF detections](vision_hdf_detections.png)"
  echo
  sed 's/^# /## /' "$work/eval_morphology/morphology_eval.md"
  echo
  echo "![reliability](vision_reliability.png)"
  echo
  sed 's/^# /## /' "$work/eval_lens/lens_eval.md"
  echo
  echo "![ROC](vision_roc.png)"
  echo
  sed 's/^# /## /' "$work/eval_restore/restore_eval.md"
  echo
  echo "![restoration](vision_restore_examples.png)"
} > "$out/vision.md"
echo "wrote $out/vision.md"
