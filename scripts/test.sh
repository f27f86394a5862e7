#!/usr/bin/env bash
# Installs what the build needs (Debian packages), builds, and runs the whole test suite.
# Usage: scripts/test.sh [extra `swift test` arguments]
#
# Without arguments it then builds the tests once more in release mode and reruns the numerical
# suites (TensorKitTests, ChurnModelTests: PyTorch parity, gradient checks, batch invariance)
# there, once per vector instruction set this CPU runs (CHURN_ISA=avx512, avx2, portable): the
# optimized kernels are what users run, and every path must pass on its own.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/setup.sh
ensure_system_packages
ensure_python_test_packages
swift build --build-tests
swift test --skip-build "$@"
if [ $# -eq 0 ]; then
    swift build -c release --build-tests -Xswiftc -enable-testing --build-path .build/release-tests
    flags=$(grep -m1 '^flags' /proc/cpuinfo 2>/dev/null || true)
    paths="portable"
    if [[ " $flags " == *" avx2 "* && " $flags " == *" fma "* ]]; then paths="$paths avx2"; fi
    if [[ " $flags " == *" avx512f "* ]]; then paths="$paths avx512"; fi
    for isa in $paths; do
        echo "== numerical suites in release mode on $isa (CHURN_ISA=$isa)" >&2
        CHURN_ISA=$isa swift test -c release --skip-build --build-path .build/release-tests --filter "TensorKitTests|ChurnModelTests"
    done
fi
