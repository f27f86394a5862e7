#!/usr/bin/env bash
# The README's first command: installs what the build needs, builds in release mode, simulates a
# sample event log (if absent), trains a model, evaluates it against the baselines on the next,
# unseen month, scores every customer with reasons, and measures churn on the log (churn-analyze). Prints where the model, report and predictions are.
#
# Usage: scripts/quickstart.sh [--customers N]   (default 5000; the whole run takes a few minutes)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/setup.sh
customers=5000
if [ "${1:-}" = "--customers" ]; then customers=$2; fi

ensure_system_packages
echo "== building (release)" >&2
swift build -c release >&2
bin=.build/release
out=data/sample
mkdir -p "$out"

events="$out/events.csv.gz"
if [ ! -f "$events" ]; then
    echo "== simulating $customers customers over 2024 into $events" >&2
    "$bin/churn-simulate" --customers "$customers" --start 2024-01-01 --days 366 --seed 1 --output "$events"
fi

# Out-of-time setup: train on windows that end by 2024-12-01, evaluate on December.
model="$out/churn.safetensors"
echo "== training (cutoffs 2024-11-01 and three earlier months; churn = a 'cancel' event within 30 days)" >&2
"$bin/churn-train" --events "$events" --value-column amount --churn-event cancel --horizon 30d \
    --cutoff 2024-11-01 --snapshots 4 --every 30d --epochs 12 --model "$model"

echo "== evaluating on December 2024 (customers and window not used for training)" >&2
"$bin/churn-evaluate" --model "$model" --events "$events" --cutoff 2024-12-01 --report "$out/report"

echo "== scoring every customer as of 2025-01-01, with their three main reasons" >&2
"$bin/churn-predict" --model "$model" --events "$events" --as-of 2025-01-01 --explain 3 --output "$out/predictions.csv"

echo "== measuring churn per month: rates, revenue retention, involuntary churn, cohorts, survival, risk deciles" >&2
"$bin/churn-analyze" --events "$events" --value-column amount --churn-event cancel --involuntary-event payment_failed \
    --within 10d --model "$model" --as-of 2024-12-01 --report "$out/analysis"

cat <<DONE

Done.
  model:        $model
  report:       $out/report/report.html (and report.md, metrics.json)
  predictions:  $out/predictions.csv ($(($(wc -l < "$out/predictions.csv") - 1)) customers, with reasons)
  analysis:     $out/analysis/report.html (and report.md, metrics.json)
The bundled sample model is models/default.safetensors (scripts/make_default_model.sh).
DONE
