#!/usr/bin/env bash
# Installs what is missing, builds libnnblas with warnings as errors, and
# runs every test: the normal build, then the same suite under
# AddressSanitizer and UndefinedBehaviorSanitizer. Ends with the line
# "tests: N passed, M failed".
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/setup.sh

nn_need $NN_BUILD_PACKAGES

passed=0
failed=0

# Runs one meson test suite in a build directory and adds its results to
# the totals (read from meson's JSON log, one line per test).
run_suite() {
    local dir=$1
    shift
    local status=0
    meson test -C "$dir" --print-errorlogs "$@" || status=$?
    local log="$dir/meson-logs/testlog.json"
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

echo "tests: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
