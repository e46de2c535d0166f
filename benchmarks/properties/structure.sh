# Structural parameters (Sersic flux, R_e, n, q, PA): CNN with uncertainties against a
# Levenberg-Marquardt fitter on the same held-out stamps (snippet for run.sh: $bin the cosmograd
# binary, $work a work dir, $out the results dir, $train 1 to retrain, else the shipped model).
# Stamps: 30000 single-Sersic i-band stamps (48 px at 0.1"/px, Moffat PSF FWHM 0.15-0.3",
# S/N >= 20, R_e 1-6 px) of the 2-degree lightcone mock $work/lc2/galaxies.h5.
# CNN: stride-2 stem (48 -> 24 px), stages 16,32,48,64 channels (24 -> 12 -> 6 -> 3 px), flatten,
# hidden 128 (0.8 MB); 20000 steps of batch 128 with D4 augmentation, cosine LR, best-validation
# checkpoint and per-target sigma calibration on the validation split (~14 min, 1 thread).
[ -f "$work/structure_data/sersic_stamps.h5" ] ||
  "$bin" properties structure data --galaxies "$work/lc2/galaxies.h5" --count 30000 --seed 1 \
    --threads 1 --overwrite true --out "$work/structure_data"
if [ "${train:-0}" = 1 ]; then
  "$bin" properties structure train --stamps "$work/structure_data/sersic_stamps.h5" \
    --channels 16,32,48,64 --stem_stride 2 --hidden 128 --steps 20000 --batch 128 --lr 2e-3 \
    --validate_every 500 --max_seconds 1150 --seed 1 --threads 1 --overwrite true \
    --out "$work/structure_train"
  cp "$work/structure_train/structure_net.cgm" models/properties_structure.cgm
fi
"$bin" properties structure evaluate --model models/properties_structure.cgm \
  --stamps "$work/structure_data/sersic_stamps.h5" --fit_count 1000 --max_iterations 100 \
  --threads 1 --overwrite true --out "$work/eval_structure"
cp "$work/eval_structure/structure_re.png" "$out/properties_structure_re.png"
cp "$work/eval_structure/structure_n.png" "$out/properties_structure_n.png"
