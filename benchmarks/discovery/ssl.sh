# Discovery part "ssl" (sourced by benchmarks/discovery/run.sh with bin, work, out, train):
# a SimCLR encoder of single-band galaxy stamps (32 x 32, 0.1 arcsec, i < 23.5, irregular
# galaxies with spiral arms and knots, per-stamp Moffat PSF) of the 2-degree lightcone mock,
# trained without labels on the training split; its embeddings of the training and test
# splits ($work/ssl/embeddings_{train,test}.h5, read by explore.sh); and the linear probe of
# the embeddings on the mock labels (morphology class, redshift bin) at 10% and 100% of the
# training labels beside a supervised ResNet of the same architecture and a probe on
# non-parametric measures, all scored on the held-out test split.
ssl_dir=$work/ssl
mkdir -p "$ssl_dir"
[ -f "$ssl_dir/stamps/stamps.h5" ] || "$bin" mock stamps --galaxies "$work/lc2/galaxies.h5" \
  --count 12000 --size 32 --seed 1 --log_level warn --out "$ssl_dir/stamps"
ssl_train_args=(--epochs 5 --batch 256 --stage_channels 8,16,32 --blocks_per_stage 1
  --embedding_dim 32 --projection_dim 32 --temperature 0.2 --threads 1 --seed 1)
if [ "$train" = 1 ]; then
  t0=$(date +%s)
  "$bin" discover ssl train --stamps "$ssl_dir/stamps" "${ssl_train_args[@]}" \
    --out "$ssl_dir/train" --overwrite true
  echo "$(($(date +%s) - t0))" > "$ssl_dir/train_seconds"
  cp "$ssl_dir/train/discover_ssl_encoder.cgm" models/discover_ssl_encoder.cgm
  cp "$ssl_dir/train/training_curve.png" "$out/discovery_ssl_training.png"
fi
for split in train test; do
  "$bin" discover ssl embed --model models/discover_ssl_encoder.cgm --stamps "$ssl_dir/stamps" \
    --split $split --threads 1 --overwrite true --out "$ssl_dir/embeddings_$split.h5"
done
t0=$(date +%s)
"$bin" discover ssl probe --model models/discover_ssl_encoder.cgm --stamps "$ssl_dir/stamps" \
  --label_fraction 0.1 --supervised_epochs 3 --threads 1 --overwrite true --out "$ssl_dir/probe"
ssl_probe_s=$(($(date +%s) - t0))
cp "$ssl_dir/probe/probe.png" "$out/discovery_ssl.png"
{
  echo "## Self-supervised stamp encoder and linear probe (ssl.sh)"
  echo
  echo "Data: 12000 single-galaxy i-band stamps (32 x 32 px, 0.1 arcsec) of the 2-degree lightcone"
  echo "mock (\`mock stamps --count 12000 --seed 1\`; synthetic galaxies and truth, our own mock),"
  echo "split 70/10/20 into train/validation/test by the model's seeded split. The encoder saw"
  echo "only the training stamps, without labels. Labels for the probe: the Galaxy-Zoo-like class"
  echo "of the truth's spiral arms (smooth, 2, 3, 4+ arms) and 4 redshift bins of redshift_true"
  echo "with equal shares of the training stamps. Augmentations: the 8 symmetries of the square,"
  echo "centre jitter (+-2 px) with size scaling 0.9-1.1, brightness x 0.8-1.25, added noise of"
  echo "0-1 x the stamp's sigma; the reddening augmentation of Stein et al. (2022) needs several"
  echo "bands and is left out for these single-band stamps."
  echo
  if [ -f "$ssl_dir/train_seconds" ]; then
    echo "Training: $(cat "$ssl_dir/train_seconds") s wall time, one torch thread:"
  else
    echo "Training command of the shipped models/discover_ssl_encoder.cgm:"
  fi
  echo
  echo '```'
  echo "cosmograd discover ssl train --stamps WORK/ssl/stamps ${ssl_train_args[*]} --out WORK/ssl/train"
  echo '```'
  echo
  echo "Five epochs with a cosine schedule, a small network (stages 8,16,32, one block each, D ="
  echo "32) to fit the training budget of this 2-core machine; longer or wider training should"
  echo "help the probe."
  sed -e '1d' "$ssl_dir/probe/ssl_probe.md"
  echo
  echo "Probe wall time (embedding, features, 4 supervised trainings): ${ssl_probe_s} s."
  echo "Embeddings for explore.sh: \`$ssl_dir/embeddings_train.h5\`, \`$ssl_dir/embeddings_test.h5\`."
  echo
  echo "![linear probe](discovery_ssl.png)"
} > "$work/ssl.md"
