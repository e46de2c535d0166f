# Hybrid CNN + photometry photo-z (Pasquet et al. 2019 style, p(z) from a mixture density head)
# on ugrizy stamps (snippet for run.sh: $bin the cosmograd binary, $work a work dir with
# $work/lc2/galaxies.h5, $out the results dir, $train 1 to retrain, else the shipped model).
# Stamps: every galaxy with i <= 25.3 (62306), 25 x 25 px at 0.2"/px, bulge + disk, Moffat
# (beta 3.5) at LSST seeing per band, background noise at each band's m5 (seed 1); ~3 min on one
# core. The split is split_sample's (validation 0.1, test 0.2, seed 1), every method's.
stamps=$work/multiband_stamps/multiband_stamps.h5
[ -f "$stamps" ] || "$bin" properties stamps --galaxies "$work/lc2/galaxies.h5" --seed 1 \
  --threads 1 --overwrite true --out "$work/multiband_stamps"
if [ "${train:-0}" = 1 ]; then
  # The shipped model: 22 epochs, 472 s with 1 torch thread on a shared 2-core machine (the
  # 25 min cap never binds at that pace, so the cosine schedule and the model are step-exact).
  "$bin" properties hybrid train --galaxies "$work/lc2/galaxies.h5" \
    --stamps "$stamps" --epochs 22 \
    --photometry_hidden 128,128 --max_minutes 25 --seed 1 --threads 1 --overwrite true \
    --out "$work/hybrid_train"
  cp "$work/hybrid_train/hybrid_photoz.cgm" models/properties_hybrid_photoz.cgm
fi
# Its p(z) of the held-out test galaxies are scored in `properties photoz evaluate` (run.sh).
