#!/bin/bash
# Training memory and time at scale: simulates a log of N customers (default 100,000: about 30M
# events) and trains on it with default flags except --epochs (default 2), printing peak RSS,
# wall time and churn-train's own time split.
#
#   scripts/bench/train_memory.sh [CUSTOMERS] [EPOCHS] [WORK_DIR]
#
# Needs a release build. For an A/B against another build, set BIN_B to its directory: both run
# on the same log, alternated, and the trained tensors are compared.
set -euo pipefail
customers=${1:-100000}
epochs=${2:-2}
work=${3:-/tmp/churn-train-memory}
bin=${BIN:-.build/release}
mkdir -p "$work"
log="$work/log-$customers.csv.gz"
[ -f "$log" ] || "$bin/churn-simulate" --customers "$customers" --days 365 --seed 5 --output "$log" --quiet
flags=(--events "$log" --value-column amount --churn-event cancel --horizon 30d --epochs "$epochs")
run() {  # label, bin dir
  /usr/bin/time -f "$1: %e s wall, peak RSS %M KB" "$2/churn-train" "${flags[@]}" --model "$work/$1.safetensors" \
    > /dev/null 2> "$work/$1.err"
  tail -1 "$work/$1.err"
  grep -E '^time' "$work/$1.err" | sed 's/^/  /'
}
run A "$bin"
if [ -n "${BIN_B:-}" ]; then
  run B "$BIN_B"
  run A "$bin"
  run B "$BIN_B"
  python3 - "$work/A.safetensors" "$work/B.safetensors" <<'PY'
import sys
import numpy as np
from safetensors.numpy import load_file
a, b = (load_file(p) for p in sys.argv[1:3])
same = sorted(a) == sorted(b) and all(np.array_equal(a[k], b[k]) for k in a)
print("the two builds trained " + ("the same tensors, bit for bit" if same else "DIFFERENT tensors"))
PY
fi
