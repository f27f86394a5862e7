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
# never freed and would be reported at exit. A report aborts the process (tests see a signal,
# never one of the tools' exit codes).
address() {
    ASAN_OPTIONS="detect_leaks=0:halt_on_error=1:abort_on_error=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}" run address .build-asan "$@"
}
# TSan's own exit code after a report is 66, which is also the tools' "no input": use 86.
thread() {
    TSAN_OPTIONS="halt_on_error=1:exitcode=86:second_deadlock_stack=1:suppressions=$here/scripts/sanitizers/tsan.supp${TSAN_OPTIONS:+:$TSAN_OPTIONS}" \
        run thread .build-tsan "$@"
}
case $which in
    address) address "$@" ;;
    thread) thread "$@" ;;
    all) address "$@"; thread "$@" ;;
    *) echo "usage: scripts/sanitize.sh [address|thread|all] [swift test arguments]" >&2; exit 64 ;;
esac
