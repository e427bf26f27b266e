#!/usr/bin/env bash
# Fuzzes the model loader: builds its libFuzzer target with clang under
# AddressSanitizer and UndefinedBehaviorSanitizer in build-fuzz/, and runs
# it for SECONDS (default 60) in one process on one core, starting from
# tests/fuzz/corpus. New inputs go to build-fuzz/corpus/, inputs that
# crash to build-fuzz/artifacts/ (copy one to tests/fuzz/crashes/ once its
# bug is fixed). Ends with the line "fuzz: N executions in S s, exit E".
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/setup.sh

seconds=${1:-60}
nn_need $NN_BUILD_PACKAGES clang libclang-rt-14-dev

# Quiet when it works; the whole output when configuring or building fails.
quietly() {
    local out
    if ! out=$("$@" 2>&1); then
        printf '%s\n' "$out" >&2
        echo "fuzz: this step failed: $*" >&2
        return 1
    fi
}
if [ ! -f build-fuzz/build.ninja ]; then
    CC=clang quietly meson setup build-fuzz -Dfuzz=true \
        -Dbuildtype=debugoptimized -Db_sanitize=address,undefined \
        -Db_lundef=false -Dwerror=true
fi
quietly ninja -C build-fuzz tests/fuzz/fuzz_load

mkdir -p build-fuzz/corpus build-fuzz/artifacts
log=build-fuzz/fuzz.log
status=0
# -malloc_limit_mb turns any allocation far beyond what an input of
# -max_len bytes justifies into a reported crash.
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    build-fuzz/tests/fuzz/fuzz_load build-fuzz/corpus tests/fuzz/corpus \
    -max_total_time="$seconds" -max_len=8192 -timeout=10 \
    -malloc_limit_mb=64 -rss_limit_mb=1024 -print_final_stats=1 \
    -artifact_prefix=build-fuzz/artifacts/ >"$log" 2>&1 || status=$?

runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
took=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log" | tail -n 1)
if [ "$status" -ne 0 ]; then
    grep -a -E "ERROR|SUMMARY|fuzz_load:|Test unit written" "$log" | head -n 20 || true
    echo "fuzz: the full log is $log"
fi
echo "fuzz: ${runs:-0} executions in ${took:-$seconds} s, exit $status"
exit "$status"
