# Discovery of laws by symbolic regression (issue 26, part 7): genetic programming over
# expression trees (written here, PySR-style) on mock data it is not told the law of, against a
# cubic least-squares polynomial on the same points (snippet for run.sh: $bin the cosmograd
# binary, $work a scratch dir, $out the results dir; $train is unused: nothing is trained or
# shipped, every run searches from scratch with a fixed seed, ~5 s each on one core).
# Data (synthetic, made by the command itself):
#   sersic_bn: b_n of Ciotti & Bertin (1999) at 200 n uniform in [0.5, 6] (+50 in (6, 10] for
#     extrapolation) with 0.2% Gaussian relative noise (and once with 0.5%, where the 4/(405 n)
#     term sinks into the noise);
#   hod_nsat: <N_sat>(M) measured from the project's HOD (zheng07_mr20, its Poisson draws) on
#     100000 halos log-uniform in 1e12..10^15.5 Msun/h, 40 bins in 1e12..10^14.5 (+16 beyond).
sym=$work/symbolic
mkdir -p "$sym"
sym_common=(--population 500 --generations 100 --max_complexity 20 --seed 1 --overwrite true)
"$bin" discover symbolic --dataset sersic_bn --points 200 --noise 0.002 "${sym_common[@]}" \
  --out "$sym/sersic" > /dev/null
"$bin" discover symbolic --dataset sersic_bn --points 200 --noise 0.005 "${sym_common[@]}" \
  --out "$sym/sersic_noise005" > /dev/null
"$bin" discover symbolic --dataset sersic_bn --points 200 --noise 0.002 --operators +,-,*,/ \
  "${sym_common[@]}" --out "$sym/sersic_arith" > /dev/null
"$bin" discover symbolic --dataset hod_nsat --halos 100000 --bins 40 "${sym_common[@]}" \
  --out "$sym/hod" > /dev/null
# Robustness: seeds 2..6 (new data and a new search each).
sym_seeds=""
for sym_run in "sersic_bn 0.002 +,-,*,/,pow,sqrt,log,exp" "sersic_bn 0.005 +,-,*,/,pow,sqrt,log,exp" \
  "sersic_bn 0.002 +,-,*,/" "hod_nsat 0 +,-,*,/,pow,sqrt,log,exp"; do
  read -r sym_ds sym_nz sym_ops <<< "$sym_run"
  sym_pass=0
  for sym_s in 2 3 4 5 6; do
    sym_dir=$sym/seeds/${sym_ds}_${sym_nz}_${#sym_ops}_$sym_s
    "$bin" discover symbolic --dataset "$sym_ds" --noise "$sym_nz" --operators "$sym_ops" --population 500 \
      --generations 100 --seed "$sym_s" --overwrite true --out "$sym_dir" > /dev/null
    if grep -q "^law_test pass" "$sym_dir/summary.txt"; then sym_pass=$((sym_pass + 1)); fi
  done
  sym_label=$sym_ds
  if [ "$sym_ds" = sersic_bn ]; then sym_label="$sym_ds (noise $sym_nz, operators $sym_ops)"; fi
  sym_seeds="$sym_seeds- $sym_label: the chosen expression passes the law test for $sym_pass of 5 further seeds (2..6)\n"
done
cp "$sym/sersic/fit.png" "$out/discovery_symbolic_sersic.png"
cp "$sym/sersic/residuals.png" "$out/discovery_symbolic_sersic_residuals.png"
cp "$sym/hod/fit.png" "$out/discovery_symbolic_hod.png"
cp "$sym/hod/residuals.png" "$out/discovery_symbolic_hod_residuals.png"
sym_val() {
  sed -n "s/^$2 //p" "$sym/$1/summary.txt" |
    awk '{ if ($0 ~ /^-?[0-9.]+(e[-+]?[0-9]+)?$/) printf "%.3g", $0; else printf "%s", $0 }'
}
sym_row() {
  echo "| $2 | \`$(sym_val "$1" chosen)\` | $(sym_val "$1" law_test) | $(sym_val "$1" holdout_chi2) | $(sym_val "$1" polynomial_holdout_chi2) | $(sym_val "$1" extrapolation_rel) | $(sym_val "$1" polynomial_extrapolation_rel) | $(sym_val "$1" seconds) |"
}
{
  echo "## Discovery of laws: symbolic regression"
  echo
  echo "Genetic-programming symbolic regression (expression trees over +, -, *, /, pow, sqrt,"
  echo "log, exp; population 500, 100 generations, complexity <= 20 nodes, Levenberg-Marquardt"
  echo "constants, chosen from the Pareto front by N ln(chi2/N) + complexity ln(N)/2) on synthetic"
  echo "mock data whose law it is not told, against a cubic weighted least-squares polynomial on the"
  echo "same training points. Held out: 20% of the in-range points; extrapolation: n in (6, 10] for"
  echo "b_n, log M in (14.5, 15.5] for <N_sat>. Law tests: b_n: the expression's asymptote has slope"
  echo "2 within 1% and intercept -1/3 within 0.02 (Ciotti & Bertin 1999: 2n - 1/3 + 4/(405n) + ...);"
  echo "<N_sat>: a power law at high mass (log slopes at x = 100 and 1000, x = M/1e13 Msun/h, agree"
  echo "within 0.02) with exponent within 0.03 of alpha = 1.06 (Zheng et al. 2007; a linear law fails)."
  echo
  echo "| data | chosen expression | law test | held-out chi2/N symbolic | held-out chi2/N cubic | extrapolation rms rel. error symbolic | extrapolation rms rel. error cubic | search [s] |"
  echo "|---|---|---|---|---|---|---|---|"
  sym_row sersic "b_n, 0.2% noise"
  sym_row sersic_noise005 "b_n, 0.5% noise"
  sym_row sersic_arith "b_n, 0.2% noise, operators + - * / only"
  sym_row hod "HOD <N_sat>"
  echo
  echo "Errors are against the true law (rms of model/truth - 1) beyond the training range;"
  echo "chi2/N is against the noisy held-out points (1 = at the noise level). Robustness:"
  printf "%b" "$sym_seeds"
  echo
  echo "Where it loses: inside the training range the cubic fits as well (held-out chi2/N about 1"
  echo "for both); the symbolic form wins only beyond it. At 0.5% noise the 4/(405 n) term of b_n is"
  echo "at the noise level over [0.5, 6] with 160 training points: forms without it (a line whose"
  echo "intercept absorbs the term, (c n + d)^1.004) compete with the law and fewer seeds recover it"
  echo "(above); 0.2% is the documented default for that reason. The search is stochastic: other"
  echo "seeds may pick an equally good but different-looking form (e.g. (x - c)^1.006 for b_n, which"
  echo "fails the law test, or (2 + c^n)(n - 0.16), which passes it without being the 1/n series);"
  echo "with the arithmetic operators only, the search returns the Ciotti & Bertin series itself"
  echo "(2.000 n - 0.335..0.339 + c/n, c = 0.013..0.016 absorbing the 1/n^2 term) for all six seeds."
  echo
  echo "Commands (from the repository root):"
  echo
  echo '```'
  echo "cosmograd discover symbolic --dataset sersic_bn --points 200 --noise 0.002 ${sym_common[*]} --out $sym/sersic"
  echo "cosmograd discover symbolic --dataset sersic_bn --points 200 --noise 0.005 ${sym_common[*]} --out $sym/sersic_noise005"
  echo "cosmograd discover symbolic --dataset sersic_bn --points 200 --noise 0.002 --operators +,-,*,/ ${sym_common[*]} --out $sym/sersic_arith"
  echo "cosmograd discover symbolic --dataset hod_nsat --halos 100000 --bins 40 ${sym_common[*]} --out $sym/hod"
  echo '```'
  echo
  for r in sersic sersic_noise005 sersic_arith hod; do
    sed -e 's/^### /#### /' -e 's/^## /### /' "$sym/$r/symbolic.md"
    echo
  done
  echo "Pictures: discovery_symbolic_sersic.png, discovery_symbolic_hod.png (data, truth, found"
  echo "expression, cubic) and *_residuals.png (model / truth - 1 in %)."
} > "$work/symbolic.md"
