#!/usr/bin/env bash
# Search benchmark: index build rate, in-process query latency (p95), and
# one-shot CLI query latency including start-up, on the whole IRA sample.
#
#   bash bench/search/bench.sh [WORK_DIR]
#
# Reads ../shared/data/ira/ (not part of the repository). Builds the release
# binary, makes a case in WORK_DIR (default: a temporary folder), ingests the
# sample with its account labels (which indexes it), rebuilds the index once
# more with --reindex, runs the in-process query mix (crates/search/benches/
# query_latency.rs), then times one-shot `leaktrace search` with hyperfine.
# The notmuch comparison of issue 5 needs a mail corpus and is not run here.
set -euo pipefail

repo="$(cd "$(dirname "$0")/../.." && pwd)"
data="${LEAKTRACE_DATA:-$repo/../shared/data/ira}"
work="${1:-$(mktemp -d)}"
bin="$repo/target/release/leaktrace"
case_dir="$work/ira-case"

[ -f "$data/tweets-sample.csv.gz" ] || { echo "no $data/tweets-sample.csv.gz" >&2; exit 1; }
if ! command -v hyperfine >/dev/null; then
  (apt-get install -y hyperfine >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y hyperfine >/dev/null; }) \
    || { echo "hyperfine is needed (Debian package hyperfine)" >&2; exit 1; }
fi

echo "== build"
(cd "$repo" && cargo build --release -p leaktrace)

echo "== ingest (posts, labels, and the incremental index build)"
rm -rf "$case_dir"
"$bin" case init "$case_dir" >/dev/null
/usr/bin/time -f "ingest wall %e s, max RSS %M KiB" \
  "$bin" ingest "$case_dir" "$data/tweets-sample.csv.gz" --accounts "$data/authors.csv" --quiet 2>&1 | tee "$work/ingest.log"

echo "== full rebuild of the index"
/usr/bin/time -f "reindex wall %e s, max RSS %M KiB" "$bin" search "$case_dir" --reindex 2>&1 | tee "$work/reindex.log"
du -sh "$case_dir/index" | tee "$work/index-size.txt"

echo "== in-process query latency"
(cd "$repo" && cargo bench -p leaktrace-search --bench query_latency -- "$case_dir" 50) | tee "$work/in-process.txt"

echo "== one-shot CLI queries (start-up included)"
hyperfine --warmup 3 --runs 40 -N --export-json "$work/hyperfine.json" \
  "$bin search $case_dir wikileaks --limit 10" \
  "$bin search $case_dir hashtag:podestaemails --limit 10 --sort time" \
  "$bin search $case_dir \"\\\"crooked hillary\\\"\" --limit 10 --json" \
  "$bin search $case_dir account:jenn_abrams --limit 10 --sort newest" >/dev/null
# Label queries read the account labels from the catalog at query time.
hyperfine --warmup 1 --runs 5 -N --export-json "$work/hyperfine-label.json" \
  "$bin search $case_dir label:account_category=RightTroll --limit 10" >/dev/null
python3 - "$work/hyperfine.json" "$work/hyperfine-label.json" <<'PY'
import json, sys
for r in [r for f in sys.argv[1:] for r in json.load(open(f))["results"]]:
    t = sorted(x * 1000 for x in r["times"])
    p95 = t[min(len(t) - 1, int(round(0.95 * (len(t) - 1))))]
    print(f'{r["command"].split("leaktrace ", 1)[1][:70]:<72} mean {r["mean"]*1000:6.1f} ms  p95 {p95:6.1f} ms')
PY
echo "results in $work"
