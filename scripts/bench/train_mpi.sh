#!/bin/bash
# Data-parallel scaling on one machine: trains on a simulated log of N customers (default
# 20,000) as one process and as `mpirun -n P` processes (default 2) with the cores split among
# them, alternating the two ROUNDS times (default 3), and prints each run's wall time and
# churn-train's time split, the median ratio, and the largest weight difference of the models.
#
#   scripts/bench/train_mpi.sh [CUSTOMERS] [PROCESSES] [ROUNDS] [WORK_DIR]
#
# Needs a release build, mpirun (Debian: openmpi-bin), python3 with numpy and safetensors.
set -euo pipefail
customers=${1:-20000}
processes=${2:-2}
rounds=${3:-3}
work=${4:-/tmp/churn-train-mpi}
bin=${BIN:-.build/release}
cores=$(nproc)
mkdir -p "$work"
log="$work/log-$customers.csv.gz"
[ -f "$log" ] || "$bin/churn-simulate" --customers "$customers" --days 365 --seed 5 --output "$log" --quiet
flags=(--events "$log" --value-column amount --churn-event cancel --horizon 30d --epochs "${EPOCHS:-2}" --no-xgboost)
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
one=() many=()
run() {  # label, command...
  local label=$1; shift
  local start end
  start=$(date +%s%N)
  "$@" "${flags[@]}" --model "$work/$label.safetensors" > /dev/null 2> "$work/$label.err"
  end=$(date +%s%N)
  local seconds
  seconds=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f", (b - a) / 1e9 }')
  echo "$label: $seconds s wall" >&2
  grep -E '^time' "$work/$label.err" | sed 's/^/  /' >&2
  echo "$seconds"
}
for round in $(seq 1 "$rounds"); do
  one+=("$(run one "$bin/churn-train" --threads "$cores")")
  many+=("$(run many mpirun -n "$processes" "$bin/churn-train" --threads $((cores / processes > 0 ? cores / processes : 1)))")
done
python3 - "$work/one.safetensors" "$work/many.safetensors" "${one[*]}" "${many[*]}" "$processes" <<'PY'
import statistics, sys
import numpy as np
from safetensors.numpy import load_file
a, b = (load_file(p) for p in sys.argv[1:3])
one = [float(x) for x in sys.argv[3].split()]
many = [float(x) for x in sys.argv[4].split()]
ratios = [o / m for o, m in zip(one, many)]
print(f"one process: median {statistics.median(one):.1f} s; {sys.argv[5]} processes: median {statistics.median(many):.1f} s; "
      f"speed-up per round {', '.join(f'{r:.2f}' for r in ratios)} (median {statistics.median(ratios):.2f}x)")
diff = max(float(np.abs(a[k].astype(np.float64) - b[k].astype(np.float64)).max()) for k in a if a[k].dtype == np.float32 and a[k].size)
print(f"largest weight difference between the two models: {diff:.3g}")
PY
