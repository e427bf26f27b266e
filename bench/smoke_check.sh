#!/bin/sh
# The bench's test: a tiny run of every mode, then a check that the CSV
# and the JSON it wrote parse and hold the same records.
# Usage: smoke_check.sh NNBLAS_BENCH PYTHON3
set -eu
bench=$1
python=$2
dir=$(mktemp -d "${TMPDIR:-/tmp}/nnblas-bench.XXXXXX")
trap 'rm -rf "$dir"' EXIT

"$bench" --quick --smoke --layers --train --crossover \
    --csv "$dir/smoke.csv" --json "$dir/smoke.json"

"$python" - "$dir/smoke.csv" "$dir/smoke.json" <<'PY'
import csv, json, sys

with open(sys.argv[1], newline="") as f:
    rows = list(csv.reader(f))
header, body = rows[0], rows[1:]
assert all(len(r) == len(header) for r in body), "ragged CSV rows"
with open(sys.argv[2]) as f:
    doc = json.load(f)
records = doc["records"]
assert len(records) == len(body), "CSV and JSON disagree on the count"
sections = {r["section"] for r in records}
assert {"layer", "train", "crossover"} <= sections, sections
assert all(r["median_s"] > 0 for r in records if r["ran"]), "bad times"
assert len(doc["crossover_results"]) == 3
print("bench smoke: %d records in CSV and JSON" % len(records))
PY
