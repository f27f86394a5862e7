#!/usr/bin/env bash
# Worked example of scaling out churn-predict (issue 7): score an event log as N shards run as
# independent processes, concatenate their outputs, and check the union.
#
# usage: scripts/score_sharded.sh N MODEL OUTPUT EVENTS... [-- extra churn-predict flags]
#   JOBS=K     shards run at once (default: the number of cores). Each process reads the whole
#              input but keeps only its shard's events in memory, so N > cores bounds memory.
#   CHECK=1    also run the unsharded command and check that the union equals it exactly
#   PREDICT=P  the churn-predict binary (default .build/release/churn-predict, built if missing)
#
# Shard I of N holds the customers whose id has FNV-1a 64-bit hash (of its UTF-8 bytes; offset
# basis 0xcbf29ce484222325, prime 0x100000001b3) ≡ I mod N. Across machines, run the same
# command with a different I on each: a Kubernetes indexed Job passes $JOB_COMPLETION_INDEX,
# Spark can RDD.pipe it per partition; an upstream engine that splits the log by the same hash
# lets each machine read only its part (the --shard filter then keeps everything it reads).
# The outputs never share a customer, so concatenating them is the whole result; this script
# sorts the rows bytewise (LC_ALL=C sort of whole lines) into one file.
#
# example:
#   scripts/score_sharded.sh 4 data/sample/churn.safetensors /tmp/scores.csv data/sample/events.csv.gz
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
if [ $# -lt 4 ]; then
    sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 64
fi
n="$1" model="$2" output="$3"; shift 3
events=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do events+=("$1"); shift; done
[ "${1:-}" = "--" ] && shift
extra=("$@")
case "$n" in ''|*[!0-9]*|0) echo "N must be a positive integer, got '$n'" >&2; exit 64 ;; esac

predict="${PREDICT:-$repo/.build/release/churn-predict}"
if [ ! -x "$predict" ]; then
    (cd "$repo" && swift build -c release --product churn-predict >&2)
fi
jobs="${JOBS:-$(nproc)}"
threads=$(( $(nproc) / (jobs < n ? jobs : n) )); [ "$threads" -ge 1 ] || threads=1
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

event_args=()
for e in "${events[@]}"; do event_args+=(--events "$e"); done

echo "scoring ${events[*]} in $n shards, $jobs at a time, $threads thread(s) each" >&2
# Each shard is an independent process; xargs -P runs up to $jobs of them at once. (GNU parallel
# does the same: parallel -j "$jobs" churn-predict ... --shard {}/"$n" ::: $(seq 0 $((n-1))).)
export predict model n threads work
seq 0 $((n - 1)) | xargs -P "$jobs" -I{} sh -c '
    "$predict" --model "$model" "$@" --shard {}/"$n" --threads "$threads" \
        --output "$work/part.{}.csv" 2> "$work/part.{}.log" \
        || { echo "shard {} failed:" >&2; cat "$work/part.{}.log" >&2; exit 255; }
' sh "${event_args[@]}" "${extra[@]}"

total=0
for i in $(seq 0 $((n - 1))); do
    rows=$(( $(wc -l < "$work/part.$i.csv") - 1 ))
    total=$((total + rows))
    echo "  shard $i/$n: $rows customers ($(tail -n 1 "$work/part.$i.log"))" >&2
done
{ head -n 1 "$work/part.0.csv"; for i in $(seq 0 $((n - 1))); do tail -n +2 "$work/part.$i.csv"; done | LC_ALL=C sort; } > "$work/union.csv"
mv "$work/union.csv" "$output"
echo "wrote $output: $total customers from $n shards" >&2

if [ "${CHECK:-0}" = 1 ]; then
    "$predict" --model "$model" "${event_args[@]}" "${extra[@]}" --output "$work/whole.csv" 2> "$work/whole.log"
    { head -n 1 "$work/whole.csv"; tail -n +2 "$work/whole.csv" | LC_ALL=C sort; } > "$work/whole.sorted.csv"
    if cmp -s "$work/whole.sorted.csv" "$output"; then
        echo "check: the union of the $n shards equals the unsharded output exactly ($total rows)" >&2
    else
        echo "check FAILED: the union of the shards differs from the unsharded output" >&2
        diff "$work/whole.sorted.csv" "$output" | head -5 >&2
        exit 1
    fi
fi
