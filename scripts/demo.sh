#!/usr/bin/env bash
# The main job: installs what is missing, builds libnnblas, runs the
# examples (from-scratch XOR, Keras-style logic gates, XOR from Fortran,
# handwritten digits, iris) and a quick benchmark, and writes loss curves
# and charts to out/.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/setup.sh

nn_need $NN_BUILD_PACKAGES gnuplot-nox
nn_configure build -Dbuildtype=release
ninja -C build >/dev/null

out=$(pwd)/out
mkdir -p "$out"

echo "== XOR from scratch (layer-level API, gradient descent) =="
build/examples/xor_scratch "$out"
echo
echo "== Logic gates (sequential model, Adam) =="
build/examples/logic_gates "$out"
if [ -x build/examples/xor_fortran ]; then
    echo
    echo "== XOR from Fortran (module nnblas) =="
    build/examples/xor_fortran
fi
echo
echo "== Handwritten digits =="
build/examples/digits "$out"
echo
echo "== Iris =="
build/examples/iris "$out"
if [ -x build/bench/nnblas-bench ]; then
    echo
    echo "== Benchmark, quick mode =="
    build/bench/nnblas-bench --quick --csv "$out/bench_quick.csv"
    if command -v gnuplot >/dev/null; then
        bench/plot_layers.sh "$out/bench_quick.csv" "$out/bench_layers.png"
    fi
fi

echo
echo "Charts and loss curves are in $out:"
ls "$out"/*.png 2>/dev/null | sed 's/^/  /' || echo "  (no charts: gnuplot is missing)"
