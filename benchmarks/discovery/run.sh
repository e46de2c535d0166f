#!/bin/bash
# Discovery modules (issue 26) on held-out mocks, written to OUT/discovery.md with the pictures:
# the contrastive (SimCLR) stamp encoder and its linear probe against a supervised CNN with the
# same labels (ssl.sh); similarity search, anomaly detection of injected lenses, mergers and
# artefacts, and the self-organising map of the embeddings, each on SSL embeddings and on
# hand-crafted features (explore.sh); transient classification, GRU against Bazin features +
# trees (transients.sh); mass maps from noisy masked shear, U-Net against Kaiser-Squires and
# Wiener filters (massmap.sh); symbolic regression of the Sersic b_n and the HOD <N_sat>(M)
# (symbolic.sh). Every training and test set is the project's own mock (synthetic truth): the
# 2-degree lightcone galaxy mock of benchmarks/vision/run.sh (same commands and seeds) for
# stamps and light curves, and PM lightcone runs for the convergence maps.
# TRAIN=1 (default 0) retrains the shipped models into models/ with the exact commands in the
# snippets; otherwise models/discover_*.cgm are evaluated. WORK=DIR keeps (and reuses) the mocks
# and each part's section; PARTS="massmap symbolic" reruns only those parts (PARTS="": none,
# only the assembly of WORK/<part>.md into OUT/discovery.md).
#   bash benchmarks/discovery/run.sh [OUT]   (from the repository root, after scripts/build.sh)
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

here=$(dirname "$0")
for part in ${PARTS-ssl explore transients massmap symbolic}; do
  . "$here/$part.sh"
done

{
  echo "# Discovery modules (benchmarks/discovery/run.sh)"
  echo
  echo "Held-out mocks of the project's own making (synthetic truth; see the script's header)."
  echo "Models: models/discover_*.cgm. Machine: $(nproc) cores,"
  echo "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); one torch thread throughout."
  for part in ssl explore transients massmap symbolic; do
    echo
    sed -e "s#$bin#cosmograd#g" -e "s#$work#WORK#g" "$work/$part.md"
  done
} > "$out/discovery.md"
echo "wrote $out/discovery.md"
