#!/usr/bin/env bash
# How long `first`, `leadlag` and `timeline --query` take when they read
# only the posts the search index finds, against reading every post (the
# same binary with the case's index moved aside), on a case built here.
#
#   bench/timeline/bench.sh ira   WORK [COPIES]   # the IRA sample, COPIES times over (default 3: 2,475,336 posts)
#   bench/timeline/bench.sh synth WORK POSTS      # bench/coord/make_synthetic.py posts (50000000: 50M)
#
# Reads ../shared/data/ira/ (not part of the repository) for `ira`. Each
# command runs RUNS times (default 3) with --no-store; the best wall time is
# printed, with its peak RSS, and whether both ways gave the same JSON.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd); repo=$(cd "$here/../.." && pwd)
kind=$1; work=$2; mkdir -p "$work"
runs=${RUNS:-3}
lt=${LEAKTRACE_BIN:-$repo/target/release/leaktrace}
data=${LEAKTRACE_DATA:-$repo/../shared/data/ira}
command -v /usr/bin/time >/dev/null 2>&1 || apt-get install -y time >/dev/null
case_dir=$work/case-$kind-${3:-3}
if [ ! -d "$case_dir" ]; then
    "$lt" case init "$case_dir" >/dev/null
    if [ "$kind" = ira ]; then
        # The same tweets under distinct bytes (gzip levels), so the case
        # takes each copy as a source of its own.
        for i in $(seq 1 "${3:-3}"); do
            zcat "$data/tweets-sample.csv.gz" | gzip -"$i" > "$work/copy-$i.csv.gz"
            "$lt" ingest "$case_dir" "$work/copy-$i.csv.gz" --quiet
        done
        "$lt" ingest "$case_dir" --accounts "$data/authors.csv" --quiet
    else
        csv=$work/synthetic-$3.csv
        [ -f "$csv" ] || python3 "$repo/bench/coord/make_synthetic.py" "$3" "$csv" 2>/dev/null
        /usr/bin/time -f "ingest with index: %e s, %M KiB" "$lt" ingest "$case_dir" "$csv" --quiet
    fi
fi
if [ "$kind" = ira ]; then
    commands=(
        "first|#podestaemails"
        "first|#maga"
        "first|word:podesta"
        "leadlag|--leader|events:$repo/examples/events/podesta-2016.csv"
        "leadlag|--leader|jenn_abrams|--followers|account_category=RightTroll"
        "timeline|--query|hashtag:podestaemails|--bursts|--bucket|1d"
    )
else
    commands=(
        "first|https://example.org/9999"
        "first|https://example.org/99"
        "first|https://example.org/0"
        "first|repost:1000000000099"
        "timeline|--query|url:\"https://example.org/99\""
        "leadlag|--leader|events:$work/release-1.csv"
        "leadlag|--leader|events:$work/release-2.csv"
    )
    # A declared release an hour before https://example.org/99's first
    # post (2016-03-08 12:01:02 UTC in the 50M posts of make_synthetic.py), about
    # that URL, and about it and the 15,791 reposts of one post.
    head='time,kind,label,source,objects'
    printf '%s\n%s\n' "$head" '2016-03-08T12:00:00Z,release,synthetic release,https://example.org/99,url:https://example.org/99' >"$work/release-1.csv"
    printf '%s\n%s\n' "$head" '2016-03-08T12:00:00Z,release,synthetic release,https://example.org/99,url:https://example.org/99 repost:1000000000099' >"$work/release-2.csv"
fi
# Best wall seconds and its peak MiB over $runs runs; the JSON of the last.
measure() {
    local out=$1; shift
    local best="" mem=""
    for _ in $(seq "$runs"); do
        /usr/bin/time -f '%e %M' -o "$work/t" "$@" --no-store --json >"$out" 2>"$work/err"
        read -r s kb <"$work/t"
        if [ -z "$best" ] || awk "BEGIN{exit !($s < $best)}"; then best=$s; mem=$((kb / 1024)); fi
    done
    echo "$best $mem"
}
printf '%-70s %9s %8s %9s %8s %s\n' command indexed_s MiB every_s MiB same
for c in "${commands[@]}"; do
    IFS='|' read -r -a args <<<"$c"
    read -r fs fm < <(measure "$work/fast.json" "$lt" "${args[0]}" "$case_dir" "${args[@]:1}")
    mv "$case_dir/index" "$case_dir/index-aside"
    if [ "${args[0]}" = timeline ]; then
        # --query needs the index; the old way read every post and kept the
        # ids the query matched: measured with the index back, stream forced.
        mv "$case_dir/index-aside" "$case_dir/index"
        read -r ss sm < <(LEAKTRACE_EVERY_POST=1 measure "$work/slow.json" "$lt" "${args[0]}" "$case_dir" "${args[@]:1}")
    else
        read -r ss sm < <(measure "$work/slow.json" "$lt" "${args[0]}" "$case_dir" "${args[@]:1}")
        mv "$case_dir/index-aside" "$case_dir/index"
    fi
    same=$(cmp -s "$work/fast.json" "$work/slow.json" && echo yes || echo NO)
    printf '%-70s %9s %8s %9s %8s %s\n' "${args[*]}" "$fs" "$fm" "$ss" "$sm" "$same"
done
