#!/usr/bin/env bash
# Scale benchmark of coordination detection: synthetic posts (see
# make_synthetic.py: accounts = posts / 25, Zipf-distributed repost targets
# and URLs), for each size: ingest, then co-retweet + co-link at a 60 s
# window and Louvain clusters over both, with wall time and peak RSS of each
# command, run twice (the second run reads the coordination cache the first
# wrote, and must give the same clusters), and how well the planted
# campaigns come out (score_planted.py).
# Ingest runs with --no-index: building the search index is the search
# benchmark's business (bench/search/).
#
#   SIZES="1000000 5000000" WORK=/tmp/scale [MIN_WEIGHT=2] [MEMORY=8G] bench/coord/scale.sh
#
# Needs python3 with numpy. The CSVs and cases stay in $WORK (50M posts:
# about 4 GB of CSV and 2 GB of case).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd); repo=$(cd "$here/../.." && pwd)
sizes=(${SIZES:-1000000 5000000 10000000 25000000 50000000})
work=${WORK:-/tmp/leaktrace-scale}
window=${WINDOW:-60s}
mkdir -p "$work"
lt=${LEAKTRACE_BIN:-}
if [ -z "$lt" ]; then (cd "$repo" && cargo build --release --quiet -p leaktrace); lt=$repo/target/release/leaktrace; fi
# Wall seconds and peak RSS (MiB) of a command, from GNU time.
measure() {
    local log=$1; shift
    /usr/bin/time -f '%e %M' -o "$log.time" "$@" >"$log" 2>"$log.err" || { cat "$log.err" >&2; exit 1; }
    read -r secs kb <"$log.time"
    echo "$secs $((kb / 1024))"
}
command -v /usr/bin/time >/dev/null 2>&1 || apt-get install -y time >/dev/null
printf '%12s %10s %10s %10s %10s %10s %10s %10s %12s %12s %9s  %s\n' posts accounts ingest_s ingest_MiB clust_s clust_MiB \
    warm_s warm_MiB retweet_edges link_edges clusters planted
for n in "${sizes[@]}"; do
    csv=$work/synthetic-$n.csv
    [ -f "$csv" ] || python3 "$here/make_synthetic.py" "$n" "$csv" 2>/dev/null
    case_dir=$work/case-$n
    rm -rf "$case_dir"
    "$lt" case init "$case_dir" >/dev/null
    read -r is im < <(measure "$work/ingest-$n.log" "$lt" ingest "$case_dir" "$csv" --quiet --no-index)
    read -r cs cm < <(measure "$work/clusters-$n.log" "$lt" clusters "$case_dir" --network co-retweet,co-link \
        --window "$window" --min-weight "${MIN_WEIGHT:-2}" --no-store --out "$work/membership-$n.csv" ${MEMORY:+--memory "$MEMORY"})
    # Again, from the coordination cache the first run wrote: same clusters, less time.
    read -r ws wm < <(measure "$work/clusters-warm-$n.log" "$lt" clusters "$case_dir" --network co-retweet,co-link \
        --window "$window" --min-weight "${MIN_WEIGHT:-2}" --no-store --out "$work/membership-warm-$n.csv" ${MEMORY:+--memory "$MEMORY"})
    cmp -s "$work/membership-$n.csv" "$work/membership-warm-$n.csv" || { echo "warm run: other clusters" >&2; exit 1; }
    log=$work/clusters-$n.log
    rt=$(awk '$1 == "co-retweet" {print $2}' "$log"); ln=$(awk '$1 == "co-link" {print $2}' "$log")
    nc=$(head -1 "$log" | awk '{print $1}')
    score=$(python3 "$here/score_planted.py" "$csv.planted.csv" "$work/membership-$n.csv")
    printf '%12s %10s %10s %10s %10s %10s %10s %10s %12s %12s %9s  %s\n' "$n" $((n / 25)) "$is" "$im" "$cs" "$cm" "$ws" "$wm" \
        "$rt" "$ln" "$nc" "$score"
    rm -rf "$case_dir"
done
