#!/usr/bin/env bash
# Data-layer benchmark: parse + store + snapshot + featurize an event log with the EventLog
# library (release build), alternated with polars (read_csv with timestamp parsing, sort, and
# group-by per customer) on the same file.
#
# usage: scripts/bench/data_layer.sh [FILE] [ROUNDS]
#   FILE defaults to a generated 10M-event log in ${BENCH_DIR:-/tmp/churn-databench}.
#   Needs python3 with numpy (generator) and polars (pip install polars; a venv in scripts/.venv is used when present).
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
work="${BENCH_DIR:-/tmp/churn-databench}"
mkdir -p "$work"
file="${1:-$work/events10m.csv}"
rounds="${2:-2}"
python="python3"
[ -x "$repo/scripts/.venv/bin/python" ] && python="$repo/scripts/.venv/bin/python"

if [ ! -f "$file" ]; then
    "$python" "$repo/scripts/bench/make_event_log.py" "$file" 10000000 1
fi

# A throwaway package that depends on this one and builds only the EventLog library.
pkg="$work/pkg"
mkdir -p "$pkg/Sources/DataLayerBench"
cp "$repo/scripts/bench/DataLayerBench/main.swift" "$pkg/Sources/DataLayerBench/main.swift"
cat > "$pkg/Package.swift" <<SWIFT
// swift-tools-version:6.0
import PackageDescription
let package = Package(
    name: "DataLayerBench",
    dependencies: [.package(path: "$repo")],
    targets: [.executableTarget(name: "DataLayerBench",
                                dependencies: [.product(name: "EventLog", package: "$(basename "$repo")")],
                                swiftSettings: [.unsafeFlags(["-Ounchecked"])])],
    swiftLanguageModes: [.v5]
)
SWIFT
(cd "$pkg" && swift build -c release --product DataLayerBench >&2)
bench="$pkg/.build/release/DataLayerBench"

cat > "$work/polars_bench.py" <<'PY'
import resource, sys, time
import polars as pl
path = sys.argv[1]
t0 = time.perf_counter()
df = pl.read_csv(path, schema_overrides={"amount": pl.Float32},
                 columns=["customer_id", "timestamp", "event", "amount"])
df = df.with_columns(pl.col("timestamp").str.to_datetime("%Y-%m-%d %H:%M:%S"))
t1 = time.perf_counter()
df = df.sort(["customer_id", "timestamp"], maintain_order=True)
g = df.group_by("customer_id", maintain_order=True).agg(
    pl.len().alias("n"), pl.col("timestamp").min().alias("first"), pl.col("timestamp").max().alias("last"),
    pl.col("amount").sum().alias("amount"))
t2 = time.perf_counter()
mb = __import__("os").path.getsize(path) / 1e6
print(f"polars read+parse={t1-t0:.3f}s sort+groupby={t2-t1:.3f}s total={t2-t0:.3f}s customers={g.height} events={df.height}")
print(f"polars_events_per_second={df.height/(t2-t0):.0f} polars_mb_per_second={mb/(t2-t0):.1f} "
      f"peak_rss_mib={resource.getrusage(resource.RUSAGE_SELF).ru_maxrss/1024:.0f}")
PY

echo "file: $file ($(du -h "$file" | cut -f1)), cores: $(nproc)"
for r in $(seq 1 "$rounds"); do
    echo "--- round $r: EventLog"
    "$bench" "$file" --value-column amount
    echo "--- round $r: polars"
    "$python" "$work/polars_bench.py" "$file" || echo "(polars not available)"
done
