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

# A throwaway package that depends on this one and builds only the data-layer libraries.
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
                                dependencies: [.product(name: "EventLog", package: "$(basename "$repo")"),
                                               .product(name: "Snapshots", package: "$(basename "$repo")"),
                                               .product(name: "Features", package: "$(basename "$repo")")],
                                swiftSettings: [.unsafeFlags(["-Ounchecked"])])],
    swiftLanguageModes: [.v5]
)
SWIFT
(cd "$pkg" && swift build -c release --product DataLayerBench >&2)
bench="$pkg/.build/release/DataLayerBench"

polars_script="$repo/scripts/bench/polars_group.py"

echo "file: $file ($(du -h "$file" | cut -f1)), cores: $(nproc)"
for r in $(seq 1 "$rounds"); do
    echo "--- round $r: EventLog"
    "$bench" "$file" --value-column amount
    echo "--- round $r: polars"
    "$python" "$polars_script" "$file" "%Y-%m-%d %H:%M:%S" || echo "(polars not available)"
done
