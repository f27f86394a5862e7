#!/usr/bin/env bash
# Installs what the build needs (Debian packages), builds, and runs the whole test suite.
# Usage: scripts/test.sh [extra `swift test` arguments]
#
# Without arguments it then builds the tests once more in release mode and reruns the numerical
# suites (TensorKitTests, ChurnModelTests: PyTorch parity, gradient checks, batch invariance)
# there: release builds compile the SIMD kernels with fused multiply-add for the host CPU
# (CHURN_FMA, -target-cpu), a code path the debug build does not take.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/setup.sh
ensure_system_packages
ensure_python_test_packages
swift build --build-tests
swift test --skip-build "$@"
if [ $# -eq 0 ]; then
    echo "== numerical suites in release mode (the FMA kernels)" >&2
    swift build -c release --build-tests -Xswiftc -enable-testing --build-path .build/release-tests
    swift test -c release --skip-build --build-path .build/release-tests --filter "TensorKitTests|ChurnModelTests"
fi
