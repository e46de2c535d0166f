# Discovery part "transients" (sourced by benchmarks/discovery/run.sh with bin, work, out, train):
# light-curve classification of mock transients (SNIa, SNII, SNIbc, SLSN-I, TDE, AGN) hosted by
# the 2-degree lightcone mock's galaxies and observed with the LSST-WFD-like cadence of
# `cosmograd mock lightcurves` (3 years, ugrizy, PLAsTiCC columns): 12000 training curves
# (seed 1) and 4000 held-out curves (seed 2: other transients, hosts, cadence draws and noise).
# A GRU (2 x 64, SuperNNova-like, random truncations, host z masked for half the curves)
# against joint Bazin fits + a random forest, at full phase, at the true peak and 10 days
# before it, with and without host redshift; flat-weighted log-loss, accuracy, SN Ia AUC.
tr_dir=$work/transients
mkdir -p "$tr_dir"
[ -f "$tr_dir/train/lightcurves.h5" ] || "$bin" mock lightcurves \
  --galaxies "$work/lc2/galaxies.h5" --count 12000 --seed 1 --format hdf5 --log_level warn \
  --out "$tr_dir/train"
[ -f "$tr_dir/test/lightcurves.h5" ] || "$bin" mock lightcurves \
  --galaxies "$work/lc2/galaxies.h5" --count 4000 --seed 2 --format hdf5 --log_level warn \
  --out "$tr_dir/test"
tr_train_cmd=("$bin" discover transients train --lightcurves "$tr_dir/train" --hidden 64
  --layers 2 --epochs 30 --batch 64 --lr 2e-3 --max_seconds 540 --seed 1 --threads 1
  --overwrite true --out "$tr_dir/model")
if [ "$train" = 1 ]; then
  t0=$(date +%s)
  "${tr_train_cmd[@]}"
  echo "$(($(date +%s) - t0))" > "$tr_dir/train_seconds"
  cp "$tr_dir/model/discover_transients_gru.cgm" models/discover_transients_gru.cgm
  cp "$tr_dir/model/training_curve.png" "$out/discovery_transients_training.png"
fi
t0=$(date +%s)
"$bin" discover transients evaluate --model models/discover_transients_gru.cgm \
  --train "$tr_dir/train" --test "$tr_dir/test" --before_days 10 --trees 200 --seed 1 \
  --threads 1 --overwrite true --out "$tr_dir/eval"
tr_eval_s=$(($(date +%s) - t0))
cp "$tr_dir/eval/confusion_gru.png" "$out/discovery_transients_confusion_gru.png"
cp "$tr_dir/eval/confusion_baseline.png" "$out/discovery_transients_confusion_baseline.png"
cp "$tr_dir/eval/phase_curve.png" "$out/discovery_transients_phase.png"
{
  echo "## Transient classification: GRU against Bazin features + random forest (transients.sh)"
  echo
  echo "Data: our own mock light curves (synthetic truth): \`mock lightcurves\` on the 2-degree"
  echo "lightcone mock's galaxies, 12000 training objects (seed 1) and 4000 held-out objects"
  echo "(seed 2), class fractions SNIa 0.40, SNII 0.25, SNIbc 0.10, SLSN-I 0.05, TDE 0.05,"
  echo "AGN 0.15, LSST-WFD-like cadence over 3 years (parametric Bazin/blackbody models and a"
  echo "damped random walk for AGN, surveys/mocks/transients.hpp; no real SN templates, so the"
  echo "numbers are not comparable one to one with PLAsTiCC's). Metric: PLAsTiCC flat-weighted"
  echo "log-loss (all class weights 1, Malz et al. 2019), top-1 accuracy over the 6 classes, and"
  echo "the SN Ia vs rest AUC. Anchors on real-like simulations: SuperNNova (Moeller & de"
  echo "Boissiere 2020) 96.9% Ia vs non-Ia accuracy without redshift, > 86% two days before"
  echo "peak; avocado (Boone 2019) flat log-loss 0.468 on PLAsTiCC."
  echo
  if [ -f "$tr_dir/model/summary.txt" ]; then
    echo "Training set: $(grep '^objects' "$tr_dir/model/summary.txt"); $(grep '^dropped' \
      "$tr_dir/model/summary.txt") (S/N >= 5; most faint high-z SNII and SNIbc of the z <= 1.2"
    echo "hosts never reach two detections in the WFD depth), leaving $(grep '^train_curves' \
      "$tr_dir/model/summary.txt" | cut -d' ' -f2) training and $(grep '^val_curves' \
      "$tr_dir/model/summary.txt" | cut -d' ' -f2) validation curves for the GRU."
    echo
  fi
  sed -n '/^model /,$p' "$tr_dir/eval/transients_eval.md"
  echo
  echo "Reading the table: the GRU is trained on the flat-weighted (inverse class frequency)"
  echo "cross-entropy, i.e. on the PLAsTiCC metric, and wins clearly on flat log-loss at every"
  echo "phase, and on the rare classes' recall (SNIbc, SNII, SLSN-I). The random forest, also"
  echo "class-weighted, but with hard tree votes (probabilities floored at 0.01/6 so that the"
  echo "log-loss stays finite; the floor is a fixed choice, not tuned), keeps a higher top-1"
  echo "accuracy, because it calls nearly every SN Ia an SN Ia (the most common class of the"
  echo "test set); the SN Ia AUCs of the two are close. Where the GRU loses: top-1 accuracy at"
  echo "every phase and SN Ia recall. The GRU's accuracy is not monotonic in the truncation"
  echo "time because the population changes with it (only bright, early-detected objects have"
  echo "two detections 20 days before peak)."
  echo
  if [ -f "$tr_dir/train_seconds" ]; then
    echo "Training: $(cat "$tr_dir/train_seconds") s wall time, one torch thread; evaluation"
    echo "(Bazin fits, 6 forests, GRU inference): ${tr_eval_s} s. Commands:"
  else
    echo "Evaluation (Bazin fits, 6 forests, GRU inference): ${tr_eval_s} s. Training command"
    echo "of the shipped models/discover_transients_gru.cgm:"
  fi
  echo
  echo '```'
  echo "cosmograd mock lightcurves --galaxies lc2/galaxies.h5 --count 12000 --seed 1 --out transients/train"
  echo "cosmograd mock lightcurves --galaxies lc2/galaxies.h5 --count 4000 --seed 2 --out transients/test"
  echo "cosmograd ${tr_train_cmd[*]:1}" | sed "s|$work/||g"
  echo "cosmograd discover transients evaluate --model models/discover_transients_gru.cgm --train transients/train --test transients/test --before_days 10 --trees 200 --seed 1 --threads 1"
  echo '```'
  echo
  echo "Pictures: discovery_transients_confusion_gru.png, discovery_transients_confusion_baseline.png"
  echo "(row-normalised confusion at full phase without z), discovery_transients_phase.png (GRU"
  echo "accuracy and Ia AUC against the truncation time, baseline points at -10 and 0 days)."
} > "$work/transients.md"
