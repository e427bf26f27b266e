#!/bin/sh
# Draws the layer-mode results of an nnblas-bench CSV as a PNG: GFLOP/s
# against the layer size inputs x outputs (log scale) for the naive loops,
# the library in NN_GEMM_BLAS and NN_GEMM_AUTO mode and raw cblas_dgemm;
# forward in the top row, backward below, one column per batch size.
# Needs gnuplot.
#
# Usage: plot_layers.sh BENCH.csv [OUT.png]   (default: BENCH_layers.png)
set -eu

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
    echo "usage: $0 BENCH.csv [OUT.png]" >&2
    exit 2
fi
csv=$1
png=${2:-${csv%.csv}_layers.png}
command -v gnuplot >/dev/null || {
    echo "$0: gnuplot is not installed (apt-get install gnuplot-nox)" >&2
    exit 1
}

dir=$(mktemp -d "${TMPDIR:-/tmp}/nnblas-plot.XXXXXX")
trap 'rm -rf "$dir"' EXIT

# One file per pass, path and batch: "inputs*outputs GFLOP/s", sorted by
# size. Columns are found by name, so their order in the CSV does not
# matter.
awk -F, -v dir="$dir" '
    NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
    $col["section"] == "layer" && $col["ran"] == 1 {
        file = dir "/" $col["pass"] "-" $col["path"] "-" $col["batch"] ".dat"
        print $col["inputs"] * $col["outputs"], $col["gflops"] >> file
        print $col["batch"] >> (dir "/batches")
    }' "$csv"
if [ ! -s "$dir/batches" ]; then
    echo "$0: no layer results in $csv (run nnblas-bench --layers)" >&2
    exit 1
fi
for f in "$dir"/*.dat; do
    sort -g "$f" -o "$f"
done
batches=$(sort -gu "$dir/batches" | tr '\n' ' ')
columns=$(echo $batches | wc -w)

# A row per pass, a column per batch size. A path with no results for a
# batch (naive skipped in quick mode) leaves an empty file, which gnuplot
# warns about and skips.
gnuplot 2>/dev/null <<GNUPLOT
set terminal pngcairo size $((340 * columns + 80)),760 noenhanced
set output '$png'
set multiplot layout 2,$columns title 'nnblas-bench layer mode: dense layer with bias and relu; GFLOP/s against inputs x outputs'
set logscale x
set xtics 100
set format x '1e%T'
set xlabel 'inputs x outputs'
set ylabel 'GFLOP/s'
set yrange [0:*]
set key top right font ',9' samplen 2
set grid
do for [pass in "forward backward"] {
    do for [b in "$batches"] {
        set title pass.', batch '.b
        plot '$dir/'.pass.'-naive-'.b.'.dat' using 1:2 with linespoints pt 6 lc 1 title 'naive loops', \
             '$dir/'.pass.'-blas-'.b.'.dat' using 1:2 with linespoints pt 7 lc 2 title 'library, NN_GEMM_BLAS', \
             '$dir/'.pass.'-auto-'.b.'.dat' using 1:2 with linespoints pt 2 lc 4 dt 2 title 'library, NN_GEMM_AUTO', \
             '$dir/'.pass.'-raw-'.b.'.dat' using 1:2 with linespoints pt 4 lc 3 title 'raw cblas_dgemm'
        unset key
    }
}
unset multiplot
GNUPLOT
echo "wrote $png"
