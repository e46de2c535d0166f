# SED emulator and template-fit photo-z (issue 25), a snippet for benchmarks/properties/run.sh.
# Needs: $bin (the cosmograd binary), $work (work dir holding lc2/galaxies.h5, the 2-degree
# lightcone mock of benchmarks/vision/run.sh), $out (results dir), $train (1: retrain).
# Training: 150000 draws from the prior (magnitudes by the direct calculation, ~0.6 ms each on
# one core), then at most 780 s of Adam on one torch thread; the kept model is the best of the
# validations (shipped model: 95 s generation + 644 s training, 2 shared cores). Evaluation:
# 20000 fresh draws (seed 1000003) timed on one thread; the template fits, classic and on the
# emulated fine grid, run in `properties photoz evaluate` on the photo-z test galaxies.
if [ "$train" = 1 ]; then
  "$bin" properties sed train --samples 150000 --steps 50000 --validate_every 2500 \
    --max_seconds 780 --threads 1 --seed 1 --out "$work/train_sed" --overwrite true
  cp "$work/train_sed/sed_emulator.cgm" models/properties_sed_emulator.cgm
fi
# The emulator on held-out draws (the template fits themselves are in photoz evaluate).
"$bin" properties sed evaluate --model models/properties_sed_emulator.cgm --samples 20000 \
  --seed 1000003 --threads 1 --out "$work/eval_sed" --overwrite true
cp "$work/eval_sed/sed_emulator_dm.png" "$out/properties_sed_dm.png"
