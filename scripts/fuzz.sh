#!/usr/bin/env bash
# Builds the libFuzzer harnesses under Fuzz/ (swiftc -sanitize=fuzzer,address) and runs them.
#
# Usage: scripts/fuzz.sh [csv|timestamp|modelfile|all|build] [seconds per target (default 60)] [extra libFuzzer flags]
#
# The library modules a harness needs are compiled straight from Sources/ into static libraries
# under .build-fuzz/ (instrumented for coverage and AddressSanitizer), then linked with the
# harness. Each run starts from the committed seeds (Fuzz/seeds/TARGET) plus the crash
# regressions (Fuzz/crashes/TARGET) and grows a working corpus in .build-fuzz/corpus/TARGET.
# A crashing input is written to .build-fuzz/artifacts/TARGET/; copy it to Fuzz/crashes/TARGET
# once fixed (the test suite replays every file there). The last lines of each run's log
# (executions, exec/s, coverage) go to .build-fuzz/TARGET.log.
set -euo pipefail
cd "$(dirname "$0")/.."
target=${1:-all}
seconds=${2:-60}
shift $(( $# > 2 ? 2 : $# )) || true
extra=("$@")
out=.build-fuzz
mkdir -p "$out"
blas_include=$(pkg-config --cflags-only-I openblas 2>/dev/null | sed 's/-I//g' | xargs || true)
blas_libdir=$(pkg-config --libs-only-L openblas 2>/dev/null | sed 's/-L//g' | xargs || true)
common=(-sanitize=fuzzer,address -parse-as-library -O -g -enforce-exclusivity=unchecked -swift-version 5
        -I "$out" -I Sources/COpenBLAS -I Sources/CZlib)
[[ -n "$blas_include" ]] && common+=(-Xcc -I"$blas_include")

# module NAME DEPENDENCY...: compiles Sources/NAME into $out/libNAME.a and $out/NAME.swiftmodule,
# unless it is newer than every source and every dependency (modules built before it).
module() {
    local name=$1 lib="$out/lib$1.a"
    shift
    local stale=false dependency
    [[ -f "$lib" ]] || stale=true
    $stale || [[ -z $(find "Sources/$name" -name '*.swift' -newer "$lib") ]] || stale=true
    for dependency in "$@"; do if [[ "$out/lib$dependency.a" -nt "$lib" ]]; then stale=true; fi; done
    $stale || return 0
    echo "compiling $name" >&2
    swiftc "${common[@]}" -module-name "$name" -emit-module -emit-module-path "$out/$name.swiftmodule" \
        -emit-library -static -o "$lib" $(find "Sources/$name" -name '*.swift' | sort)
}

link_flags=(-L "$out" -lz -lopenblas)
[[ -n "$blas_libdir" ]] && link_flags+=(-L "$blas_libdir")

build() {
    local t=$1
    local modules
    case $t in
        csv|timestamp) modules=(ChurnSupport EventLog Snapshots Features) ;;
        modelfile) modules=(ChurnSupport TensorKit EventLog Snapshots Features Evaluation ChurnModel Baselines Reports Pipelines) ;;
        *) echo "unknown target $t (csv, timestamp, modelfile)" >&2; exit 64 ;;
    esac
    local built=()
    for m in "${modules[@]}"; do module "$m" ${built[@]+"${built[@]}"}; built+=("$m"); done
    local libs=()
    for (( i=${#modules[@]}-1; i>=0; i-- )); do libs+=("-l${modules[i]}"); done
    local exe="$out/fuzz-$t"
    if [[ -f "$exe" ]] && [[ -z $(find "Fuzz/$t" "$out" -maxdepth 1 \( -name '*.swift' -o -name '*.a' \) -newer "$exe") ]]; then return; fi
    echo "linking fuzz-$t" >&2
    # ld.gold warns about every ASan helper symbol it cannot export; the warnings are harmless.
    swiftc "${common[@]}" -module-name "Fuzz_$t" Fuzz/"$t"/main.swift -o "$exe" "${libs[@]}" "${link_flags[@]}" \
        2> >(grep -v "Cannot export local symbol '__asan" >&2)
}

run() {
    local t=$1
    build "$t"
    mkdir -p "$out/corpus/$t" "$out/artifacts/$t" "Fuzz/crashes/$t"
    local dict=() maxlen=4096
    [[ $t == modelfile ]] && maxlen=20000
    [[ -f "Fuzz/$t.dict" ]] && dict=(-dict="Fuzz/$t.dict")
    echo "fuzzing $t for ${seconds}s" >&2
    # Leak detection is off: the Swift runtime's caches look like leaks to LeakSanitizer.
    ASAN_OPTIONS=detect_leaks=0:allocator_may_return_null=1 \
    "$out/fuzz-$t" "$out/corpus/$t" "Fuzz/seeds/$t" "Fuzz/crashes/$t" "${dict[@]}" \
        -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -max_len="$maxlen" -print_final_stats=1 \
        -artifact_prefix="$out/artifacts/$t/" ${extra[@]+"${extra[@]}"} 2>&1 | tee "$out/$t.log" | grep -E "^#[0-9]+.*(pulse|DONE|NEW_FUNC)|ERROR|SUMMARY|^stat::|crash-|timeout-|oom-" | tail -40
}

case $target in
    build) for t in timestamp csv modelfile; do build "$t"; done ;;
    all) for t in timestamp csv modelfile; do run "$t"; done ;;
    *) run "$target" "$@" ;;
esac
