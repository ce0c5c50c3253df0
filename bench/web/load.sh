#!/usr/bin/env bash
# Load test of the web UI: `leaktrace serve` on the demo case under wrk,
# against a search page and an account page, then a check that the server
# is still up and still answers correctly.
#
#   bash bench/web/load.sh                  # 60 s per URL, release build
#   DURATION=5s bash bench/web/load.sh      # a quick run (CI)
#   LEAKTRACE_BIN=target/debug/leaktrace DURATION=5s bash bench/web/load.sh   # no release build
#   CASE=big-case PAGES="/ /search?q=hillary" bash bench/web/load.sh           # an existing case
#
# Environment: DURATION (wrk -d, default 60s), THREADS (wrk -t, default 2),
# CONNECTIONS (wrk -c, default 50), QUERY (search query, default "police"),
# LEAKTRACE_BIN (a binary to use instead of building the release one), CASE (an
# existing case to serve instead of the demo's; it is only read), PAGES (the
# paths to load, space-separated; default: the search and an account page).
# Everything runs on this machine: the server listens on 127.0.0.1, on a
# free port, and wrk shares the machine's cores with it.
# Exits non-zero if a request failed (non-2xx answer, socket error) or the
# server did not survive the load.
set -euo pipefail

repo="$(cd "$(dirname "$0")/../.." && pwd)"
duration="${DURATION:-60s}"
threads="${THREADS:-2}"
conns="${CONNECTIONS:-50}"
query="${QUERY:-police}"

command -v wrk >/dev/null || { echo "wrk is needed (Debian package wrk)" >&2; exit 1; }
command -v curl >/dev/null || { echo "curl is needed (Debian package curl)" >&2; exit 1; }

if [ -n "${LEAKTRACE_BIN:-}" ]; then
  bin="$(cd "$(dirname "$LEAKTRACE_BIN")" && pwd)/$(basename "$LEAKTRACE_BIN")"
else
  echo "== build (release)"
  (cd "$repo" && cargo build --release --quiet -p leaktrace)
  bin="${CARGO_TARGET_DIR:-$repo/target}/release/leaktrace"
fi

work="$(mktemp -d)"
server_pid=
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

if [ -n "${CASE:-}" ]; then
  case_dir="$(cd "$CASE" && pwd)"
  demo=0
else
  echo "== demo case"
  case_dir="$work/case"
  "$bin" demo --case "$case_dir" --no-serve -q >"$work/demo.log" 2>&1 || { cat "$work/demo.log" >&2; exit 1; }
  demo=1
fi
search_path="/search?q=$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$query")"
if [ -n "${PAGES:-}" ]; then
  read -r -a pages <<<"$PAGES"
else
  # A demo account that is in a cluster (its page draws the activity chart and the partners).
  account="$("$bin" search "$case_dir" 'label:account_category=LeftTroll' --json --limit 1 |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["hits"][0]["account"])')"
  account_path="/account/$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$account")"
  pages=("$search_path" "$account_path")
fi

echo "== serve"
"$bin" serve "$case_dir" --bind 127.0.0.1:0 >"$work/serve.out" 2>"$work/serve.err" &
server_pid=$!
for _ in $(seq 100); do
  grep -q '^http://' "$work/serve.out" 2>/dev/null && break
  kill -0 "$server_pid" 2>/dev/null || { echo "leaktrace serve exited:" >&2; cat "$work/serve.err" >&2; exit 1; }
  sleep 0.1
done
base="$(grep -m1 '^http://' "$work/serve.out")"
base="${base%/}"
[ -n "$base" ] || { echo "leaktrace serve printed no URL" >&2; exit 1; }
echo "serving $base"

check_pages() {
  local code
  for p in "${pages[@]}"; do
    code="$(curl -s -o /dev/null -w '%{http_code}' "$base$p")"
    [ "$code" = 200 ] || { echo "$p answered $code" >&2; return 1; }
  done
  # The demo's email, verified, with its badge: a page that reads the evidence and the catalog.
  if [ "$demo" = 1 ]; then
    curl -s "$base/email/1" | grep -q 'class="badge ok"' || { echo "/email/1 lost its verified badge" >&2; return 1; }
  fi
}
check_pages

echo "== load: wrk -t$threads -c$conns -d$duration --latency (machine: $(uptime | sed 's/.*load/load/'))"
failed=0
summary=()
for p in "${pages[@]}"; do
  out="$work/wrk-$(echo "$p" | tr -c 'a-zA-Z0-9' _).txt"
  wrk -t"$threads" -c"$conns" -d"$duration" --latency "$base$p" | tee "$out"
  rps="$(awk '/^Requests\/sec:/ {print $2}' "$out")"
  p99="$(awk '$1 == "99%" {print $2}' "$out")"
  p50="$(awk '$1 == "50%" {print $2}' "$out")"
  total="$(awk '/requests in/ {print $1}' "$out")"
  non2xx="$(awk '/Non-2xx or 3xx responses:/ {print $NF}' "$out")"
  sockerr="$(grep 'Socket errors:' "$out" || true)"
  summary+=("$(printf '%-40s %10s req/s   p50 %8s   p99 %8s   %s requests' "$p" "$rps" "$p50" "$p99" "$total")")
  if [ -n "$non2xx" ]; then echo "FAIL: $non2xx answers were not 2xx/3xx on $p" >&2; failed=1; fi
  if [ -n "$sockerr" ]; then echo "FAIL: $p: $sockerr" >&2; failed=1; fi
done

echo "== after the load (machine: $(uptime | sed 's/.*load/load/'))"
if ! kill -0 "$server_pid" 2>/dev/null; then
  echo "FAIL: the server died under load; its stderr:" >&2
  cat "$work/serve.err" >&2
  exit 1
fi
check_pages || { echo "FAIL: the server no longer answers correctly" >&2; failed=1; }
rss="$(awk '/^VmRSS/ {print $2, $3}' "/proc/$server_pid/status")"
threads_now="$(awk '/^Threads/ {print $2}' "/proc/$server_pid/status")"

echo "== summary ($("$bin" --version), $(nproc) cores, wrk -t$threads -c$conns -d$duration)"
printf '%s\n' "${summary[@]}"
echo "server after the load: up, pages correct, RSS $rss, $threads_now threads"
[ "$failed" = 0 ] || exit 1
echo "load test passed"
