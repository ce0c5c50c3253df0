#!/usr/bin/env bash
# Planted campaigns in real background data (plant.py), with and without
# --significance: precision and recall of the kept edges (score_edges.py)
# and of the clusters (score_planted.py), on the IRA sample as it is and
# with each account's times shifted (coordination undone). For VALIDITY.md.
#
#   bench/coord/validity_planted.sh IRA_CASE WORK [P] [GROUPS]
#   (env: NETWORKS, default co-retweet,co-link; WINDOW, default 10m; MIN_WEIGHT, default 2;
#    BURSTS per group, default 40; NULL, default swap; BACKGROUNDS, default "real shifted")
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd); repo=$(cd "$here/../.." && pwd)
ira=$1; work=$2; p=${3:-0.01}; groups=${4:-10}
lt=${LEAKTRACE_BIN:-$repo/target/release/leaktrace}
nets=${NETWORKS:-co-retweet,co-link}; window=${WINDOW:-10m}; mw=${MIN_WEIGHT:-2}; bursts=${BURSTS:-40}
mkdir -p "$work"
[ -f "$work/background.csv" ] || "$lt" export "$ira" --format qut --out "$work/background.csv" >/dev/null
printf '%-10s %-14s %s\n' background significance result
for bg in ${BACKGROUNDS:-real shifted}; do
    csv=$work/planted-$bg.csv
    python3 "$here/plant.py" "$work/background.csv" "$csv" --groups "$groups" --bursts "$bursts" \
        $([ $bg = shifted ] && echo --shift) >/dev/null
    case_dir=$work/case-$bg
    rm -rf "$case_dir"; "$lt" case init "$case_dir" >/dev/null
    "$lt" ingest "$case_dir" "$csv" --format qut --no-index --quiet
    for sig in none "$p"; do
        extra=(); [ "$sig" = none ] || extra=(--significance "$sig" --null "${NULL:-swap}")
        "$lt" coord "$case_dir" --network "$nets" --window "$window" --min-weight "$mw" "${extra[@]}" --no-store -q \
            --out "$work/edges-$bg-$sig.csv" >/dev/null
        "$lt" clusters "$case_dir" --network "$nets" --window "$window" --min-weight "$mw" "${extra[@]}" \
            --no-store --no-profile -q \
            --out "$work/members-$bg-$sig.csv" >/dev/null
        printf '%-10s %-14s edges:    %s\n' "$bg" "$sig" "$(python3 "$here/score_edges.py" "$work/edges-$bg-$sig.csv" "$csv.planted.csv")"
        printf '%-10s %-14s clusters: %s\n' "$bg" "$sig" "$(python3 "$here/score_planted.py" "$csv.planted.csv" "$work/members-$bg-$sig.csv")"
    done
done
