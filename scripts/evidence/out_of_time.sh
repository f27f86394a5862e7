#!/bin/bash
# Out-of-time comparison of every model on simulated logs (both scenarios, several seeds) and on a
# purchase-like log: train with default flags up to a cutoff, evaluate at the next horizon.
#
#   scripts/evidence/out_of_time.sh OUT_DIR [SEEDS...]      (default seeds: 1 7)
#
# Needs a release build (swift build -c release) and, for the purchase log, Python 3 with numpy.
# Prints one table per log: ROC AUC (95% CI), log loss, and the headline's paired AUC difference.
set -euo pipefail
out=${1:?usage: out_of_time.sh OUT_DIR [SEEDS...]}; shift
seeds=${*:-1 7}
bin=${BIN:-.build/release}
customers=${CUSTOMERS:-20000}
mkdir -p "$out"

table() {  # metrics.json → a table
  python3 - "$1" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
h = m["headline"]
print(f"  {m['customers']} customers, churn rate {m['churn_rate']:.3f}; headline {h}")
for name, s in m["models"].items():
    ci = s.get("roc_auc_ci95") or [float("nan")] * 2
    d = m["differences"].get(name)
    diff = "" if d is None else f"{d['roc_auc_diff']:+.4f} [{d['roc_auc_diff_ci95'][0]:+.4f}, {d['roc_auc_diff_ci95'][1]:+.4f}]"
    ll = s.get("log_loss")
    lld = "" if d is None or d.get("log_loss_diff") is None else f"{d['log_loss_diff']:+.4f} [{d['log_loss_diff_ci95'][0]:+.4f}, {d['log_loss_diff_ci95'][1]:+.4f}]"
    print(f"  {name:20s} AUC {s['roc_auc']:.4f} [{ci[0]:.4f}, {ci[1]:.4f}]  logloss {'—' if ll is None else f'{ll:.4f}':>7s}  AUC diff {diff:34s} logloss diff {lld}")
PY
}

run() {  # name, log, train flags..., --, evaluate flags...
  local name=$1 log=$2; shift 2
  local train=() eval=()
  while [ "$1" != "--" ]; do train+=("$1"); shift; done; shift; eval=("$@")
  "$bin/churn-train" --events "$log" --model "$out/$name.safetensors" "${train[@]}" > "$out/$name.train.out" 2> "$out/$name.train.err"
  "$bin/churn-evaluate" --model "$out/$name.safetensors" --events "$log" "${eval[@]}" --report "$out/$name" > "$out/$name.eval.out" 2> "$out/$name.eval.err"
  echo "$name"; table "$out/$name/metrics.json"
  grep -E "^(time|XGBoost|ensemble)" "$out/$name.train.err" | sed 's/^/  /'
}

for scenario in order standard; do
  for seed in $seeds; do
    log="$out/$scenario-$seed.csv.gz"
    [ -f "$log" ] || "$bin/churn-simulate" --customers "$customers" --start 2024-01-01 --days 365 --seed "$seed" --scenario "$scenario" --output "$log" --quiet
    run "$scenario-$seed" "$log" --value-column amount --churn-event cancel --horizon 30d --cutoff 2024-11-01 \
      -- --cutoff 2024-12-01
  done
done

log="$out/purchases.csv"
[ -f "$log" ] || python3 scripts/make_purchase_log.py --customers 10000 --seed 1 --output "$log"
run purchases "$log" --value-column amount --horizon 90d --cutoff 1998-01-01 -- --cutoff 1998-04-01
