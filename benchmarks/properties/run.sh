#!/bin/bash
# Galaxy property modules (issue 25): photometric redshifts (MDN, hybrid CNN, kNN, template
# fits), stellar masses (MDN against least squares and kNN), Sersic structure (CNN against a
# Levenberg-Marquardt fitter) and the SED emulator, on held-out mocks, written to
# OUT/properties.md with the pictures. Every training and test set is the project's own mock
# (synthetic truth): the 2-degree lightcone galaxy mock of benchmarks/vision/run.sh (69k
# galaxies to z = 1.2, LSST Y10 ugrizy depths), 62k of them with i <= 25.3, split by a hash of
# the galaxy id into 70% training, 10% validation and 20% test (seed 1), the same test
# galaxies for every photo-z and mass method.
# TRAIN=1 (default 0) retrains the shipped models into models/ with the exact commands below;
# otherwise models/properties_*.cgm are evaluated. WORK=DIR keeps (and reuses) the mocks.
#   bash benchmarks/properties/run.sh [OUT]   (from the repository root, after scripts/build.sh)
set -euo pipefail
build=$(realpath "${BUILD:-build}")
bin=$build/apps/cosmograd
out=${1:-benchmarks/results}
train=${TRAIN:-0}
work=${WORK:-$(mktemp -d)}
[ -n "${WORK:-}" ] || trap 'rm -rf "$work"' EXIT
mkdir -p "$out" models

# The 2-degree lightcone galaxy mock (the commands and seeds of benchmarks/vision/run.sh).
if [ ! -f "$work/lc2/galaxies.h5" ]; then
  "$bin" run --particles 64 --mesh 128 --box_size 32 --steps 10 --z_out 1.2,0.8,0.5,0.25,0 \
    --halos true --write_snapshot false --lightcone true --lightcone_z_max 1.2 \
    --lightcone_nside 0 --lightcone_field_deg 2 --lightcone_field_pixels 128 \
    --source_z 1.2 --progress false --log_level warn --output_dir "$work/run2"
  h=$work/run2
  "$bin" mock catalog --halos "$h/halos_z1p200.hdf5,$h/halos_z0p800.hdf5,$h/halos_z0p500.hdf5,$h/halos_z0p250.hdf5,$h/halos_z0p000.hdf5" \
    --lightcone true --z_max 1.2 --hod zheng07_mr18 --lensing_dir "$h" --format hdf5 \
    --log_level warn --out "$work/lc2"
fi
galaxies=$work/lc2/galaxies.h5

# Photo-z and stellar-mass MDNs (TRAIN=1): the shipped models' exact commands.
if [ "$train" = 1 ]; then
  t0=$(date +%s)
  "$bin" properties photoz train --galaxies "$galaxies" --threads 1 --seed 1 \
    --out "$work/train_photoz" --overwrite true
  cp "$work/train_photoz/photoz_mdn.cgm" models/properties_photoz_mdn.cgm
  t1=$(date +%s)
  "$bin" properties mass train --galaxies "$galaxies" --threads 1 --seed 1 \
    --out "$work/train_mass" --overwrite true
  cp "$work/train_mass/mass_mdn.cgm" models/properties_mass_mdn.cgm
  "$bin" properties mass train --galaxies "$galaxies" --inputs photometry+redshift \
    --threads 1 --seed 1 --out "$work/train_mass_specz" --overwrite true
  cp "$work/train_mass_specz/mass_mdn.cgm" models/properties_mass_specz_mdn.cgm
  t2=$(date +%s)
  echo "MDN training wall times [s]: photoz $((t1 - t0)), mass (both) $((t2 - t1))" \
    > "$work/train_times"
fi

# The SED emulator, the multi-band stamps and hybrid CNN, the Sersic structure modules: each
# snippet trains (TRAIN=1) and evaluates its part.
here=$(dirname "$0")
. "$here/sed.sh"
. "$here/hybrid.sh"
. "$here/structure.sh"

# Photo-z: every method on the same held-out galaxies.
"$bin" properties photoz evaluate --model models/properties_photoz_mdn.cgm \
  --galaxies "$galaxies" --sed_emulator models/properties_sed_emulator.cgm \
  --hybrid models/properties_hybrid_photoz.cgm --stamps "$stamps" --threads 1 \
  --out "$work/eval_photoz" --overwrite true
"$bin" properties mass evaluate --model models/properties_mass_mdn.cgm --galaxies "$galaxies" \
  --threads 1 --out "$work/eval_mass" --overwrite true
"$bin" properties mass evaluate --model models/properties_mass_specz_mdn.cgm \
  --galaxies "$galaxies" --threads 1 --out "$work/eval_mass_specz" --overwrite true
for f in pit.png pz_scatter_mdn.png pz_scatter_hybrid_cnn.png pz_scatter_knn.png \
  pz_scatter_template.png pz_scatter_template_emulated.png; do
  cp "$work/eval_photoz/$f" "$out/properties_$f"
done
cp "$work/eval_mass/mass_scatter.png" "$out/properties_mass_scatter.png"
{
  echo "# Galaxy property modules (benchmarks/properties/run.sh)"
  echo
  echo "Held-out galaxies of the project's own lightcone mock (synthetic truth; see the script's"
  echo "header). Models: models/properties_*.cgm. Machine: $(nproc) cores,"
  echo "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); one torch thread throughout."
  echo
  echo "Classical baseline beside every learned model, on the same held-out data: photo-z MDN and"
  echo "hybrid CNN against kNN and chi^2 template fits (classic and emulated grid); stellar-mass"
  echo "MDN against least squares and a kNN mean; structure CNN against a Levenberg-Marquardt"
  echo "Sersic fit; SED emulator against the direct SED calculation."
  [ -f "$work/train_times" ] && { echo; cat "$work/train_times"; }
  echo
  sed -e 's/^## /### /' -e 's/^# /## /' "$work/eval_photoz/photoz.md"
  echo
  echo "![PIT](properties_pit.png)"
  echo
  echo "![MDN](properties_pz_scatter_mdn.png) ![hybrid](properties_pz_scatter_hybrid_cnn.png)"
  echo "![kNN](properties_pz_scatter_knn.png) ![template](properties_pz_scatter_template.png)"
  echo "![emulated template](properties_pz_scatter_template_emulated.png)"
  echo
  sed -e 's/^## /### /' -e 's/^# /## /' "$work/eval_mass/mass.md"
  echo
  echo "With the true redshift as an extra input (a spectroscopic sample):"
  echo
  sed -n '/^|/p' "$work/eval_mass_specz/mass.md"
  echo
  echo "![mass](properties_mass_scatter.png)"
  echo
  sed -e 's/^## /### /' -e 's/^# /## /' "$work/eval_sed/sed_emulator.md"
  echo
  echo "![SED emulator](properties_sed_dm.png)"
  echo
  sed -e 's/^## /### /' -e 's/^# /## /' "$work/eval_structure/structure.md"
  echo
  echo "![R_e](properties_structure_re.png) ![n](properties_structure_n.png)"
} > "$out/properties.md"
echo "wrote $out/properties.md"
