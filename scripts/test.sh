#!/usr/bin/env bash
# Installs what the build needs (Debian packages), builds, and runs the whole test suite.
# Usage: scripts/test.sh [extra `swift test` arguments]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/setup.sh
ensure_system_packages
ensure_python_test_packages
swift build --build-tests
swift test --skip-build "$@"
