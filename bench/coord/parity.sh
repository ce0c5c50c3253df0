#!/usr/bin/env bash
# Live parity check: run the QUT Coordination Network Toolkit 1.5.2 (from
# PyPI, in a virtualenv) and `leaktrace coord --compat qut` on the same QUT
# CSV, for co_retweet, co_tweet, co_link and co_similar_tweet at each window,
# and compare the edge lists byte for byte. Exit status 1 on any difference.
#
#   bench/coord/parity.sh [INPUT.csv] [WINDOW...]
#     INPUT   default testdata/coord/ira-excerpt.qut.csv
#     WINDOW  default 59 60 600
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd); repo=$(cd "$here/../.." && pwd)
input=$(realpath "${1:-$repo/testdata/coord/ira-excerpt.qut.csv}"); shift || true
windows=("$@"); [ ${#windows[@]} -gt 0 ] || windows=(59 60 600)
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
"$here/qut_reference.sh" "$input" "$work/qut" "${windows[@]}" >/dev/null 2>&1
# LEAKTRACE_BIN: a binary already built (CI passes its debug build).
lt=${LEAKTRACE_BIN:-}
if [ -z "$lt" ]; then (cd "$repo" && cargo build --release --quiet); lt=$repo/target/release/leaktrace; fi
"$lt" case init "$work/case" >/dev/null
"$lt" ingest "$work/case" "$input" --format qut --quiet
fail=0; n=0
for pair in co-retweet:co_retweet co-tweet:co_tweet co-link:co_link co-similar-text:co_similar_tweet; do
    for w in "${windows[@]}"; do
        "$lt" coord "$work/case" --network "${pair%%:*}" --window "$w" --compat qut --no-store \
            --out "$work/lt.csv" >/dev/null
        n=$((n + 1))
        if cmp -s "$work/qut/${pair##*:}-w$w.csv" "$work/lt.csv"; then
            echo "same       ${pair##*:} window $w s ($(($(wc -l < "$work/lt.csv") - 1)) edges)"
        else
            echo "DIFFERENT  ${pair##*:} window $w s"; diff "$work/qut/${pair##*:}-w$w.csv" "$work/lt.csv" | head -5
            fail=$((fail + 1))
        fi
    done
done
echo "$((n - fail)) passed, $fail failed"
[ "$fail" -eq 0 ]
