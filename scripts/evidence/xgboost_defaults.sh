#!/bin/bash
# Do XGBoost's defaults work without tuning? Out-of-time ROC AUC and log loss of the xgboost row
# for the defaults and for settings around them, on the logs scripts/evidence/out_of_time.sh makes
# (run that first; it leaves the logs in its OUT_DIR). The LSTM trains one epoch only: the
# booster does not depend on it.
#
#   scripts/evidence/xgboost_defaults.sh LOG_DIR OUT_DIR
set -euo pipefail
logs=${1:?usage: xgboost_defaults.sh LOG_DIR OUT_DIR}; out=${2:?usage: xgboost_defaults.sh LOG_DIR OUT_DIR}
bin=${BIN:-.build/release}
mkdir -p "$out"
settings=("defaults:" "depth-3:--xgboost-max-depth 3" "depth-6:--xgboost-max-depth 6" "eta-0.1:--xgboost-learning-rate 0.1"
          "eta-0.02:--xgboost-learning-rate 0.02" "min-child-10:--xgboost-min-child-weight 10" "no-subsampling:--xgboost-subsample 1 --xgboost-colsample 1")
for log in order-1 standard-1 purchases; do
  if [ "$log" = purchases ]; then
    file="$logs/purchases.csv"; train=(--value-column amount --horizon 90d --cutoff 1998-01-01); eval=(--cutoff 1998-04-01)
  else
    file="$logs/$log.csv.gz"; train=(--value-column amount --churn-event cancel --horizon 30d --cutoff 2024-11-01); eval=(--cutoff 2024-12-01)
  fi
  echo "$log"
  for s in "${settings[@]}"; do
    name=${s%%:*}; flags=${s#*:}
    # shellcheck disable=SC2086
    "$bin/churn-train" --events "$file" --model "$out/$log-$name.safetensors" --epochs 1 "${train[@]}" $flags > /dev/null 2> "$out/$log-$name.err"
    "$bin/churn-evaluate" --model "$out/$log-$name.safetensors" --events "$file" "${eval[@]}" --bootstrap 200 --report "$out/$log-$name" > /dev/null 2>&1
    python3 -c "
import json,sys; m=json.load(open('$out/$log-$name/metrics.json'))['models']['xgboost']
trees=[l for l in open('$out/$log-$name.err') if l.startswith('XGBoost:')][0].split()[1]
print(f'  {\"$name\":15s} AUC {m[\"roc_auc\"]:.4f}  log loss {m[\"log_loss\"]:.4f}  trees {trees}')"
  done
done
