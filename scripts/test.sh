#!/usr/bin/env bash
# Installs what is missing, builds libnnblas with warnings as errors, and
# runs every test: the normal build, then the same suite under
# AddressSanitizer and UndefinedBehaviorSanitizer, then under valgrind.
# Ends with the line "tests: N passed, M failed".
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/setup.sh

nn_need $NN_BUILD_PACKAGES

passed=0
failed=0

# Runs one meson test suite in a build directory and adds its results to
# the totals (read from meson's JSON log, one line per test; NN_TESTLOG
# names the log when meson calls it something else than testlog).
run_suite() {
    local dir=$1
    shift
    local status=0
    local log="$dir/meson-logs/${NN_TESTLOG:-testlog}.json"
    # A log left by an earlier run must not be counted for this one.
    rm -f "$log"
    meson test -C "$dir" --print-errorlogs "$@" || status=$?
    if [ -f "$log" ]; then
        local ok bad
        ok=$(grep -c '"result": "OK"' "$log" || true)
        bad=$(grep -cE '"result": "(FAIL|TIMEOUT|ERROR|UNEXPECTEDPASS)"' "$log" || true)
        passed=$((passed + ok))
        failed=$((failed + bad))
        echo "[$dir] $ok passed, $bad failed"
    fi
    if [ "$status" -ne 0 ] && [ ! -f "$log" ]; then
        failed=$((failed + 1))
    fi
}

echo "== release build, warnings as errors =="
nn_configure build -Dbuildtype=release -Dwerror=true
ninja -C build
run_suite build

echo "== AddressSanitizer + UndefinedBehaviorSanitizer =="
nn_configure build-asan -Dbuildtype=debug -Db_sanitize=address,undefined \
    -Db_lundef=false -Dwerror=true
ninja -C build-asan
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    run_suite build-asan --no-suite install

# The model loader's fuzz target (clang, libFuzzer) for a minute on one
# core, counted as one test: passed when the fuzzer finds nothing.
echo "== fuzzing the model loader for 60 s =="
if bash scripts/fuzz.sh 60; then
    passed=$((passed + 1))
else
    failed=$((failed + 1))
fi

# Memcheck sees what the sanitizers do not: reads of uninitialised memory,
# and bad accesses inside OpenBLAS, LAPACK and libc, which are not
# instrumented, all in the optimised build. Only definite leaks fail a
# test: the script tests run bash under the wrapper, which exits with
# memory still reachable. meson names the log after the wrapper.
echo "== valgrind memcheck, release build =="
nn_need valgrind
NN_TESTLOG=testlog-valgrind run_suite build --timeout-multiplier 4 \
    --no-suite install --no-suite bench \
    --wrapper "valgrind --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite"

echo "tests: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
