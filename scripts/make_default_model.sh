#!/usr/bin/env bash
# Trains the bundled sample model, models/default.safetensors, on simulated data:
# 10,000 customers over 2024 (churn-simulate seed 1), churn = a 'cancel' event within 30 days,
# four monthly training cutoffs ending 2024-11-01. Deterministic for the seed and thread count.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/setup.sh
ensure_system_packages
swift build -c release >&2
bin=.build/release
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$bin/churn-simulate" --customers 10000 --start 2024-01-01 --days 366 --seed 1 --output "$work/events.csv.gz" --quiet
"$bin/churn-train" --events "$work/events.csv.gz" --value-column amount --churn-event cancel --horizon 30d \
    --cutoff 2024-11-01 --snapshots 4 --every 30d --epochs 12 --seed 1 --threads 1 --model models/default.safetensors
"$bin/churn-evaluate" --model models/default.safetensors --events "$work/events.csv.gz" --cutoff 2024-12-01
