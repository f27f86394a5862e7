#!/bin/bash
# Faithfulness of the reason codes on simulated logs: the deletion test and the agreement of the
# top reason with the simulated churn mechanism (scripts/evidence/explanations.py), and the cost
# of --explain against plain scoring.
#
#   scripts/evidence/explanations.sh OUT_DIR [SCENARIOS...]      (default: standard order attributes)
#
# Per scenario: 20,000 customers over 2024 (seed 3), trained with default flags up to 2024-11-01,
# explained at 2024-12-01 (every reason, JSON Lines), truth at 2024-12-01 over 30 days.
set -euo pipefail
out=${1:?usage: explanations.sh OUT_DIR [SCENARIOS...]}; shift
scenarios=${*:-standard order attributes}
bin=${BIN:-.build/release}
customers=${CUSTOMERS:-20000}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out"
for scenario in $scenarios; do
  log="$out/$scenario.csv.gz" truth="$out/$scenario-truth.csv" model="$out/$scenario.safetensors"
  flags=()
  if [ "$scenario" = attributes ]; then flags=(--attribute-column plan --customers "$out/$scenario-customers.csv"); fi
  [ -f "$truth" ] || "$bin/churn-simulate" --customers "$customers" --start 2024-01-01 --days 365 --seed 3 --scenario "$scenario" \
    --output "$log" --truth "$truth" --cutoff 2024-12-01 --horizon 30 --customers-output "$out/$scenario-customers.csv" --quiet
  [ -f "$model" ] || "$bin/churn-train" --events "$log" --model "$model" --value-column amount --churn-event cancel --horizon 30d \
    --cutoff 2024-11-01 "${flags[@]}" > "$out/$scenario.train.out" 2> "$out/$scenario.train.err"
  "$bin/churn-predict" --model "$model" --events "$log" "${flags[@]}" --as-of 2024-12-01 --explain 100 --format jsonl \
    --output "$out/$scenario-reasons.jsonl" 2> "$out/$scenario-reasons.err"
  echo "== $scenario"
  grep '^reasons:' "$out/$scenario-reasons.err" | sed 's/^/  /'
  extra=()
  [ "$scenario" = attributes ] && extra=(--customers "$out/$scenario-customers.csv" --attribute-column plan)
  python3 "$here/explanations.py" --bin "$bin" --model "$model" --events "$log" --as-of 2024-12-01 \
    --explained "$out/$scenario-reasons.jsonl" --truth "$truth" --out "$out/$scenario-deleted" "${extra[@]}" | sed 's/^/  /'
done
