#!/usr/bin/env bash
# Ingest benchmark: the IRA sample (825,112 posts) into a fresh case.
# Prints wall time, posts/s and peak RSS. Needs ../shared/data (not part of the repo).
# Usage: bench/ingest.sh [runs]
#   LEAKTRACE_INGEST_FLAGS   extra ingest flags (default --no-index: posts table and catalog only)
#   PIN=1                    pin the ingest to one core (taskset -c 0)
set -euo pipefail
cd "$(dirname "$0")/.."
data=${LEAKTRACE_IRA:-../shared/data/ira/tweets-sample.csv.gz}
runs=${1:-3}
LEAKTRACE_INGEST_FLAGS=${LEAKTRACE_INGEST_FLAGS---no-index}
[ "${PIN:-0}" = 1 ] && pin="taskset -c 0" || pin=""
[ -f "$data" ] || { echo "bench/ingest.sh: $data not found" >&2; exit 1; }
cargo build --release --quiet
bin=target/release/leaktrace
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
posts=$(zcat "$data" | python3 -c 'import csv,sys; print(sum(1 for _ in csv.reader(sys.stdin)) - 1)')
echo "input: $data ($(stat -c %s "$data") bytes, $posts records)"
echo "cpu: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
for i in $(seq "$runs"); do
  rm -rf "$tmp/case"
  "$bin" case init "$tmp/case" >/dev/null
  start=$(date +%s.%N)
  # Peak RSS from the kernel's accounting of the child (ru_maxrss, KiB).
  rss=$($pin python3 - "$bin" "$tmp/case" "$data" $LEAKTRACE_INGEST_FLAGS <<'PY'
import resource, subprocess, sys
subprocess.run([sys.argv[1], "ingest", sys.argv[2], sys.argv[3], "--quiet", *sys.argv[4:]], check=True, stdout=subprocess.DEVNULL)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
PY
)
  end=$(date +%s.%N)
  python3 - "$start" "$end" "$posts" "$rss" "$i" <<'PY'
import sys
s, e, n, rss, i = float(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
print(f"run {i}: {e - s:.2f} s wall, {n / (e - s):,.0f} posts/s, peak RSS {rss / 1024:.0f} MiB")
PY
done
"$bin" info "$tmp/case" --json | python3 -c 'import json,sys; i=json.load(sys.stdin); print("case:", i["posts"], "posts,", i["accounts"], "accounts,", i["rejected"], "rejected")'
du -sh "$tmp/case/posts" "$tmp/case/evidence" "$tmp/case/catalog.sqlite"
