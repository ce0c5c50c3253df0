#!/usr/bin/env bash
# Hostile inputs that once cost minutes or gigabytes: each must now finish
# within $MAX_S seconds and $MAX_MB MB of peak memory, with the outcome it
# should have (verified nothing / a reject / a clear error naming the line).
# LEAKTRACE_BIN: the binary to test (CI passes its debug build, so the time
# bound is loose: the quadratic cases took 22-48 s in a release build).
set -euo pipefail
cd "$(dirname "$0")/../.."
lt=${LEAKTRACE_BIN:-}
if [ -z "$lt" ]; then cargo build --quiet --release -p leaktrace; lt=${CARGO_TARGET_DIR:-target}/release/leaktrace; fi
MAX_S=${MAX_S:-10}
MAX_MB=${MAX_MB:-300}
if ! [ -x /usr/bin/time ]; then
  apt-get install -y time >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y time >/dev/null; }
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 bench/hostile/make.py "$work/in"
keys=testdata/mail/generated/keys.txt
failed=0

# check NAME EXPECTED-EXIT GREP-PATTERN -- COMMAND...
check() {
  local name=$1 want_rc=$2 pattern=$3
  shift 4
  local rc=0
  /usr/bin/time -f '%e %M' -o "$work/time" "$@" >"$work/out" 2>"$work/err" || rc=$?
  read -r secs kb < <(tail -1 "$work/time") || { secs=0; kb=0; }
  local mb=$((kb / 1024)) verdict=ok
  if [ "$rc" != "$want_rc" ]; then verdict="exit $rc, expected $want_rc"; fi
  if ! grep -q -- "$pattern" "$work/out" "$work/err"; then verdict="no '$pattern' in the output"; fi
  if awk -v s="$secs" -v m="$MAX_S" 'BEGIN { exit !(s > m) }'; then verdict="took $secs s (bound $MAX_S)"; fi
  if [ "$mb" -gt "$MAX_MB" ]; then verdict="used $mb MB (bound $MAX_MB)"; fi
  printf '%-24s %7.2f s %6d MB  %s\n' "$name" "$secs" "$mb" "$verdict"
  if [ "$verdict" != ok ]; then failed=1; sed 's/^/    /' "$work/err" | tail -5; fi
}

printf '%-24s %9s %9s  %s\n' input time 'peak RSS' result
check pdf-backscan 0 'unsigned' -- "$lt" verify "$work/in/pdf-backscan.eml" --keys "$keys"
check nested-multipart 0 'unsigned' -- "$lt" verify "$work/in/nested-multipart.eml" --keys "$keys"
check dkim-long-h 0 'unverified' -- "$lt" verify "$work/in/dkim-long-h.eml" --keys "$keys"
check dkim-100k-signatures 0 'only the first 50' -- "$lt" verify "$work/in/many-signatures.eml" --keys "$keys"
case_dir=$work/case
"$lt" case init "$case_dir" >/dev/null
check csv-empty-records 0 '1 posts' -- "$lt" ingest "$case_dir" "$work/in/empty-records.csv" --format ira-by-author
check csv-unclosed-quote 1 'line 3' -- "$lt" ingest "$case_dir" "$work/in/unclosed-quote.csv.gz" --format ira-by-author
check json-long-line 0 '2 posts' -- "$lt" ingest "$case_dir" "$work/in/long-json-line.jsonl.gz" --format twitter-v1
check mail-ingest-pdf 0 'added source' -- "$lt" ingest "$case_dir" "$work/in/pdf-backscan.eml"
check mail-ingest-nested 0 'added source' -- "$lt" ingest "$case_dir" "$work/in/nested-multipart.eml"
MAX_S=${MAX_S_BIG:-120} check mail-endless-header 0 '1 flagged as malformed' -- "$lt" ingest "$case_dir" "$work/in/endless-header.mbox.gz" --no-index
MAX_S=${MAX_S_BIG:-120} check mail-endless-line 0 '1 flagged as malformed' -- "$lt" ingest "$case_dir" "$work/in/endless-line.mbox.gz" --no-index
MAX_S=${MAX_S_BIG:-120} check mail-ingest-320MB 0 '640 messages' -- "$lt" ingest "$case_dir" "$work/in/big.mbox" --no-index
MAX_S=${MAX_S_BIG:-120} check verify-case-320MB 0 'verdicts of' -- "$lt" verify "$case_dir" --keys "$keys"
if [ "$failed" != 0 ]; then echo "hostile inputs: some bound was not kept"; exit 1; fi
echo "hostile inputs: every bound kept"
