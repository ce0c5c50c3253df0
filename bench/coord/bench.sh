#!/usr/bin/env bash
# Side-by-side benchmark of `leaktrace coord --compat qut` and the QUT
# Coordination Network Toolkit 1.5.2 on the IRA sample: for each shared
# network type and window, both tools' compute time, the ratio, and whether
# the edge lists are identical.
#
#   bench/coord/bench.sh [IRA_TWEETS_CSV_GZ] [AUTHORS_CSV]   (default: ../shared/data/ira/)
#
# Times are wall-clock seconds of one command each: for the toolkit, its
# `compute` on a database it has already preprocessed (its preprocess time
# is printed once); for leaktrace, `coord` on a case it has already ingested
# (reading the posts table included, storing the run excluded), once with
# its coordination cache emptied first ("cold": Parquet decoded, columns
# interned and cached) and once again ("warm": the cached columns). The
# ratio is the toolkit's time over leaktrace's warm time; cold_ratio over
# its cold time. Needs python3 and PyPI (see qut_reference.sh for the
# toolkit's install).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd); repo=$(cd "$here/../.." && pwd)
tweets=${1:-$repo/../shared/data/ira/tweets-sample.csv.gz}
authors=${2:-$repo/../shared/data/ira/authors.csv}
windows=(${WINDOWS:-60 600})
venv=${QUT_VENV:-/tmp/leaktrace-qut-venv}
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import coordination_network_toolkit' 2>/dev/null; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet coordination-network-toolkit==1.5.2
fi
(cd "$repo" && cargo build --release --quiet)
lt=$repo/target/release/leaktrace
work=${WORK:-$(mktemp -d)}
case_dir=$work/ira
if [ ! -d "$case_dir" ]; then
    "$lt" case init "$case_dir" >/dev/null
    "$lt" ingest "$case_dir" "$tweets" --accounts "$authors" --quiet
fi
"$lt" export "$case_dir" --format qut --out "$work/ira-qut.csv" >/dev/null
db=$work/qut.db
if [ ! -f "$db" ]; then
    s=$(date +%s.%N)
    "$venv/bin/python" -W ignore -m coordination_network_toolkit "$db" preprocess "$work/ira-qut.csv" >/dev/null
    echo "toolkit preprocess: $(echo "$(date +%s.%N) - $s" | bc) s"
fi
printf '%-18s %7s %10s %8s %8s %7s %11s %7s %s\n' network window toolkit_s cold_s warm_s ratio cold_ratio edges identical
for pair in co-retweet:co_retweet co-tweet:co_tweet co-link:co_link co-similar-text:co_similar_tweet; do
    ours=${pair%%:*}; theirs=${pair##*:}
    for w in "${windows[@]}"; do
        s=$(date +%s.%N)
        "$venv/bin/python" -W ignore -m coordination_network_toolkit "$db" compute "$theirs" --time_window "$w" >/dev/null 2>&1
        tq=$(echo "$(date +%s.%N) - $s" | bc)
        "$venv/bin/python" -c 'import sys; from coordination_network_toolkit.output import output_gephi_csv; output_gephi_csv(*sys.argv[1:])' \
            "$db" "$theirs" "$work/q-$theirs-$w.csv"
        rm -rf "$case_dir/cache/coord"
        s=$(date +%s.%N)
        "$lt" coord "$case_dir" --network "$ours" --window "$w" --compat qut --no-store --no-evidence \
            --out "$work/l-$theirs-$w-cold.csv" >/dev/null
        tc=$(echo "$(date +%s.%N) - $s" | bc)
        s=$(date +%s.%N)
        "$lt" coord "$case_dir" --network "$ours" --window "$w" --compat qut --no-store --no-evidence \
            --out "$work/l-$theirs-$w.csv" >/dev/null
        tl=$(echo "$(date +%s.%N) - $s" | bc)
        same=no
        cmp -s "$work/q-$theirs-$w.csv" "$work/l-$theirs-$w.csv" && cmp -s "$work/l-$theirs-$w-cold.csv" "$work/l-$theirs-$w.csv" && same=yes
        edges=$(($(wc -l < "$work/l-$theirs-$w.csv") - 1))
        printf '%-18s %7s %10.2f %8.2f %8.2f %6.0fx %10.0fx %7s %s\n' "$ours" "$w" "$tq" "$tc" "$tl" \
            "$(echo "$tq / $tl" | bc -l)" "$(echo "$tq / $tc" | bc -l)" "$edges" "$same"
    done
done
# All nine networks in leaktrace's own forms: the first run also derives and
# caches the co-tweet keys and token sets in those forms; the second reads them.
for run in first again; do
    s=$(date +%s.%N)
    "$lt" coord "$case_dir" --network co-retweet,co-tweet,co-similar-text,co-link,co-domain,co-hashtag,co-mention,co-reply,sync \
        --window 60 --no-store >/dev/null
    echo "leaktrace, all nine networks at 60 s (with evidence), $run run: $(echo "$(date +%s.%N) - $s" | bc) s"
done
echo "work folder: $work"
