#!/usr/bin/env bash
# Runs the test suite under AddressSanitizer and ThreadSanitizer, each in its own build
# directory (.build-asan, .build-tsan), one after the other.
#
# Usage: scripts/sanitize.sh [address|thread|all] [extra `swift test` arguments]
#
# Suppressions for findings that are not ours (toolchain, Foundation, OpenBLAS) live in
# scripts/sanitizers/ with the reasoning; see docs/RELIABILITY.md.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/setup.sh
ensure_system_packages
which=${1:-all}
shift $(( $# > 0 ? 1 : 0 )) || true
here=$(pwd)

run() {
    local sanitizer=$1 path=$2
    shift 2
    echo "== swift test --sanitize=$sanitizer (build path $path)" >&2
    # The executables the end-to-end tests run are built with the same sanitizer.
    swift build --build-tests --sanitize="$sanitizer" --build-path "$path" -j 1
    local start=$SECONDS
    swift test --skip-build --sanitize="$sanitizer" --build-path "$path" "$@"
    echo "== $sanitizer: clean ($((SECONDS - start)) s)" >&2
}

# Leak checking stays off: the Swift runtime's metadata caches and Foundation's singletons are
# never freed and would be reported at exit.
export ASAN_OPTIONS="detect_leaks=0:halt_on_error=1:abort_on_error=1:detect_stack_use_after_return=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:suppressions=$here/scripts/sanitizers/tsan.supp${TSAN_OPTIONS:+:$TSAN_OPTIONS}"
case $which in
    address) run address .build-asan "$@" ;;
    thread) run thread .build-tsan "$@" ;;
    all) run address .build-asan "$@"; run thread .build-tsan "$@" ;;
    *) echo "usage: scripts/sanitize.sh [address|thread|all] [swift test arguments]" >&2; exit 64 ;;
esac
