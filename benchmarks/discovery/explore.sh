# Discovery part "explore" (sourced by benchmarks/discovery/run.sh with bin, work, out, train):
# a held-out stamp set (mock stamps of the 2-degree lightcone, seed 2, not the encoder's
# training set) with 1% each of injected strong lenses, mergers and artefacts (discover
# inject); its SSL embeddings (models/discover_ssl_encoder.cgm via `discover ssl embed`) and its
# standardised non-parametric measures (the classical baseline); on both, exact similarity
# search scored against the morphology classes and isolation-forest / kNN-distance anomaly
# scores scored by the share of injected objects in the top N; the self-organising map of the
# SSL embeddings as a stamp mosaic. Nothing here is trained into models/ (train is unused).
ex=$work/explore
mkdir -p "$ex"
[ -f "$ex/stamps/stamps.h5" ] || "$bin" mock stamps --galaxies "$work/lc2/galaxies.h5" \
  --count 5000 --size 32 --seed 2 --log_level warn --out "$ex/stamps"
[ -f "$ex/injected/stamps.h5" ] || "$bin" discover inject --stamps "$ex/stamps" \
  --fraction_lens 0.01 --fraction_merger 0.01 --fraction_artefact 0.01 --seed 7 \
  --log_level warn --out "$ex/injected"
# The SSL embeddings (the ssl part's command); without the shipped encoder only the features.
ex_ssl=0
if [ -f models/discover_ssl_encoder.cgm ]; then
  "$bin" discover ssl embed --model models/discover_ssl_encoder.cgm --stamps "$ex/injected" \
    --split all --threads 1 --overwrite true --out "$ex/embeddings_ssl.h5" && ex_ssl=1
fi
ex_t0=$(date +%s)
"$bin" discover anomalies --features true --stamps "$ex/injected" --top 50,100,200 \
  --threads 1 --overwrite true --out "$ex/anomalies_features" > /dev/null
ex_feat_s=$(($(date +%s) - ex_t0))
ex_feat=$ex/anomalies_features/embeddings_features.h5
"$bin" discover search --embeddings "$ex_feat" --stamps "$ex/injected" --label morphology \
  --k 10 --threads 1 --overwrite true --out "$ex/search_features" > /dev/null
ex_map_in=$ex_feat
if [ "$ex_ssl" = 1 ]; then
  "$bin" discover anomalies --embeddings "$ex/embeddings_ssl.h5" --stamps "$ex/injected" \
    --top 50,100,200 --threads 1 --overwrite true --out "$ex/anomalies_ssl" > /dev/null
  "$bin" discover search --embeddings "$ex/embeddings_ssl.h5" --stamps "$ex/injected" \
    --label morphology --k 10 --threads 1 --overwrite true --out "$ex/search_ssl" > /dev/null
  ex_map_in=$ex/embeddings_ssl.h5
  ex_best=ssl
else
  ex_best=features
fi
"$bin" discover map --embeddings "$ex_map_in" --stamps "$ex/injected" --width 12 --height 12 \
  --threads 1 --overwrite true --out "$ex/map" > /dev/null
cp "$ex/search_$ex_best/search.png" "$out/discovery_search.png"
cp "$ex/anomalies_$ex_best/anomalies.png" "$out/discovery_anomalies.png"
cp "$ex/map/map.png" "$out/discovery_map.png"
cp "$ex/injected/inject_examples.png" "$out/discovery_inject_examples.png"
{
  echo "## Similarity search, anomaly detection and the self-organising map (explore.sh)"
  echo
  echo "Data: 5000 single-galaxy i-band stamps (32 x 32 px, 0.1 arcsec) of the 2-degree lightcone"
  echo "mock (\`mock stamps --count 5000 --size 32 --seed 2\`: synthetic galaxies and truth, our own"
  echo "mock; drawn with another seed than the encoder's training stamps, so most galaxies and"
  echo "every rendering, PSF and noise draw are new, though some galaxies of the 69k-galaxy"
  echo "catalogue appear in both with other random structure), with rare objects injected by"
  echo "\`discover inject --fraction_lens 0.01 --fraction_merger 0.01 --fraction_artefact 0.01"
  echo "--seed 7\`: galaxy-scale strong lenses (SIE ray-shot Gaussian source, PSF-convolved),"
  echo "mergers (a second galaxy of the set at 1-2 half-light radii) and artefacts (cosmic rays,"
  echo "satellite trail, saturated star with spikes, hot column), 50 of each (base rate 3%)."
  echo
  echo "![injected examples: rows lens, merger, artefact](discovery_inject_examples.png)"
  echo
  if [ "$ex_ssl" = 1 ]; then
    echo "Embeddings: the shipped SimCLR encoder (models/discover_ssl_encoder.cgm, \`discover ssl"
    echo "embed\`) beside the classical baseline: the non-parametric measures of"
    echo "surveys/vision/morphology_labels.hpp (A, G, M20, C, size, |e|, S/N, PSF FWHM, azimuthal"
    echo "modes 1-4), standardised, NaN set to the mean. Both go through the same code."
  else
    echo "**SSL embeddings: not available** (models/discover_ssl_encoder.cgm or \`discover ssl"
    echo "embed\` missing when this ran), so only the classical baseline is shown: the"
    echo "non-parametric measures of surveys/vision/morphology_labels.hpp, standardised."
  fi
  echo
  echo "### Anomaly detection"
  echo
  echo "Isolation forest (Liu, Ting & Zhou 2008: 100 trees, subsample 256, score"
  echo "2^(-E[h]/c(256))) and kNN distance (mean distance to the 10 nearest), on z-scored"
  echo "dimensions. Share = injected objects among the N highest scores; ratio = share / base"
  echo "rate (the issue's target: >= 5); per-kind ratios use each kind's own base rate (1%)."
  for v in ssl features; do
    [ -f "$ex/anomalies_$v/anomalies.md" ] || continue
    echo
    echo "**$v:**"
    echo
    sed -n '/^| method | top N/,/^$/p' "$ex/anomalies_$v/anomalies.md"
    sed -n '/^| method | AUROC/,/^$/p' "$ex/anomalies_$v/anomalies.md"
  done
  # The headline: kNN-distance AUROC and top-100 ratio of each input, read from the tables.
  echo
  for v in ssl features; do
    [ -f "$ex/anomalies_$v/anomalies.csv" ] || continue
    awk -F, -v v="$v" '/^knn_distance/ && $2 == 100 {printf "- %s: kNN distance top-100 ratio %.1f, AUROC %.3f\n", v, $5, $(NF-1)}
      /^isolation_forest/ && $2 == 100 {printf "- %s: isolation forest top-100 ratio %.1f, AUROC %.3f\n", v, $5, $(NF-1)}
      ' "$ex/anomalies_$v/anomalies.csv"
  done
  echo
  echo "Both inputs pass the target (ratio >= 5) by a wide margin because lenses and artefacts"
  echo "are far from every ordinary galaxy; mergers are the hard kind for both (their per-kind"
  echo "ratio is near or below 1 in the top 100): a second galaxy at 1-2 half-light radii, often"
  echo "fainter and smaller, changes the measures and the embedding less than the scatter of"
  echo "ordinary galaxies does. Where the SSL rows are below the features rows, the hand-crafted"
  echo "measures (which include the azimuthal modes and asymmetry that arcs and tracks disturb)"
  echo "win on these mocks."
  echo
  echo "![top-ranked stamps ($ex_best): first rows isolation forest, then kNN distance; frames blue lens, orange merger, red artefact](discovery_anomalies.png)"
  echo
  echo "### Similarity search"
  echo
  echo "Exact (brute-force) Euclidean nearest neighbours on z-scored dimensions, scored against"
  echo "the truth's morphology class (smooth, 2, 3, 4+ arms). precision@k: mean share of a"
  echo "query's k neighbours in its class; hit rate@k: share of queries with at least one of the"
  echo "k in its class (recall@k in the retrieval sense); chance: random neighbours."
  for v in ssl features; do
    [ -f "$ex/search_$v/search.md" ] || continue
    echo
    echo "**$v:**"
    echo
    sed -n '/^| k | queries/,/^$/p' "$ex/search_$v/search.md"
    sed -n '/^| class | queries/,/^$/p' "$ex/search_$v/search.md"
  done
  echo
  echo "![queries (white) and their 10 nearest neighbours ($ex_best; green same class, red other)](discovery_search.png)"
  echo
  echo "### Self-organising map"
  echo
  sed -n '/^input:/,/^$/p' "$ex/map/map.md"
  sed -n '/^| quantity/,/^$/p' "$ex/map/map.md"
  echo "![12 x 12 self-organising map of the $ex_best embeddings, each cell the stamp nearest its prototype](discovery_map.png)"
  echo
  echo "Wall time (features + both detectors, 5000 stamps, one thread): ${ex_feat_s} s. Commands:"
  echo
  echo '```'
  echo "cosmograd discover inject --stamps WORK/explore/stamps --fraction_lens 0.01 --fraction_merger 0.01 --fraction_artefact 0.01 --seed 7 --out WORK/explore/injected"
  echo "cosmograd discover ssl embed --model models/discover_ssl_encoder.cgm --stamps WORK/explore/injected --split all --out WORK/explore/embeddings_ssl.h5"
  echo "cosmograd discover anomalies --embeddings WORK/explore/embeddings_ssl.h5 --stamps WORK/explore/injected --top 50,100,200 --out DIR"
  echo "cosmograd discover anomalies --features true --stamps WORK/explore/injected --top 50,100,200 --out DIR"
  echo "cosmograd discover search --embeddings E.h5 --stamps WORK/explore/injected --label morphology --k 10 --out DIR"
  echo "cosmograd discover map --embeddings E.h5 --stamps WORK/explore/injected --width 12 --height 12 --out DIR"
  echo '```'
} > "$work/explore.md"
