#!/bin/bash
# Models with customer attributes against the same models without them, out of time, on logs of
# churn-simulate's `attributes` scenario (the plan, the acquisition channel and the company size
# change the cancel hazard; docs/SIMULATION.md).
#
#   scripts/evidence/attributes.sh OUT_DIR [SEEDS...]      (default seeds: 1 7)
#
# Trains twice per seed with default flags up to 2024-11-01 — with `--attribute-column plan
# --customers TABLE` and without — scores both at 2024-12-01 with every scorer, and prints each
# model's ROC AUC and log loss and the paired differences (with − without) with 95% bootstrap
# intervals over customers (scripts/evidence/paired_models.py). Needs a release build and Python 3
# with numpy and pandas.
set -euo pipefail
out=${1:?usage: attributes.sh OUT_DIR [SEEDS...]}; shift
seeds=${*:-1 7}
bin=${BIN:-.build/release}
customers=${CUSTOMERS:-20000}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out"
common=(--value-column amount --churn-event cancel --horizon 30d --cutoff 2024-11-01)
for seed in $seeds; do
  log="$out/attributes-$seed.csv.gz" table="$out/attributes-$seed-customers.csv"
  [ -f "$log" ] || "$bin/churn-simulate" --customers "$customers" --start 2024-01-01 --days 365 --seed "$seed" \
    --scenario attributes --output "$log" --customers-output "$table" --quiet
  for variant in with without; do
    flags=(); [ "$variant" = with ] && flags=(--attribute-column plan --customers "$table")
    model="$out/$variant-$seed.safetensors"
    [ -f "$model" ] || "$bin/churn-train" --events "$log" --model "$model" "${common[@]}" "${flags[@]}" \
      > "$out/$variant-$seed.train.out" 2> "$out/$variant-$seed.train.err"
    for scorer in ensemble lstm xgboost; do
      "$bin/churn-predict" --model "$model" --events "$log" "${flags[@]}" --as-of 2024-12-01 --scorer "$scorer" \
        --output "$out/$variant-$seed-$scorer.csv" 2> /dev/null
    done
    "$bin/churn-evaluate" --model "$model" --events "$log" "${flags[@]}" --cutoff 2024-12-01 --report "$out/$variant-$seed" \
      > "$out/$variant-$seed.eval.out" 2> "$out/$variant-$seed.eval.err"
  done
  echo "seed $seed"
  for scorer in ensemble lstm xgboost; do
    echo " $scorer"
    python3 "$here/paired_models.py" --events "$log" --as-of 2024-12-01 --horizon-days 30 --churn-event cancel \
      --a "$out/with-$seed-$scorer.csv" --b "$out/without-$seed-$scorer.csv" --names with,without | sed 's/^/  /'
  done
  echo " churn-evaluate at 2024-12-01 (with attributes | without): ROC AUC"
  python3 - "$out/with-$seed/metrics.json" "$out/without-$seed/metrics.json" <<'PY'
import json, sys
w, wo = (json.load(open(p))["models"] for p in sys.argv[1:3])
for name in w:
    a, b = w[name], wo.get(name, {})
    print(f"   {name:20s} {a['roc_auc']:.4f} | {b.get('roc_auc', float('nan')):.4f}")
PY
done
