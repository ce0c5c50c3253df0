#!/usr/bin/env bash
# Ingest benchmark of the Telegram, Bluesky, Meta Content Library and TikTok
# readers: a synthetic file of N records per format (bench/platforms/make.py,
# default 1,000,000) into a fresh case each, --no-index (posts table and
# catalog), release build, pinned to one core unless PIN=0.
# Prints wall time, posts/s and peak RSS per format.
# Usage: bench/platforms/run.sh [N] [FORMAT...]
set -euo pipefail
cd "$(dirname "$0")/../.."
n=${1:-1000000}
shift || true
formats=("$@")
[ ${#formats[@]} -gt 0 ] || formats=(telegram bluesky tiktok meta-cl)
[ "${PIN:-1}" = 1 ] && pin="taskset -c 0" || pin=""
cargo build --release --workspace --quiet
bin=target/release/leaktrace
data=${LEAKTRACE_PLATFORMS_DATA:-target/bench-platforms-$n}
[ -f "$data/meta-cl.csv" ] || python3 bench/platforms/make.py "$data" "$n"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "cpu: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); pinned: ${pin:-no}"
for f in "${formats[@]}"; do
  case $f in
    telegram) file=$data/telegram/result.json ;;
    bluesky) file=$data/bluesky.jsonl ;;
    tiktok) file=$data/tiktok.jsonl ;;
    meta-cl) file=$data/meta-cl.csv ;;
  esac
  rm -rf "$tmp/case"
  "$bin" case init "$tmp/case" >/dev/null
  start=$(date +%s.%N)
  rss=$($pin python3 - "$bin" "$tmp/case" "$file" <<'PY'
import resource, subprocess, sys
subprocess.run([sys.argv[1], "ingest", sys.argv[2], sys.argv[3], "--quiet", "--no-index"], check=True, stdout=subprocess.DEVNULL)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
PY
)
  end=$(date +%s.%N)
  posts=$("$bin" info "$tmp/case" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["posts"])')
  python3 - "$f" "$start" "$end" "$posts" "$rss" "$(stat -c %s "$file")" <<'PY'
import sys
f, s, e, n, rss, size = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
print(f"{f:10} {n:>9,} posts  {size / 2**20:7.0f} MiB  {e - s:6.2f} s  {n / (e - s):>9,.0f} posts/s  peak RSS {rss / 1024:.0f} MiB")
PY
done
