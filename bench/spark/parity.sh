#!/usr/bin/env bash
# Parity of the Spark job (crates/coord/spark/coord_job.py) with the native
# engine: for every network at each window, and for the four QUT networks
# with --compat qut, run `leaktrace coord` (stored, so its evidence is kept)
# and the job on the same case with the same parameters (the native run's
# params.json), and compare edges as sets and evidence as multisets
# (compare.py). One line per (network, window, compat); exit status 1 on any
# difference.
#
#   LEAKTRACE_BIN=path/to/leaktrace bench/spark/parity.sh CASE [WINDOW_S...]
#     CASE       a case folder (not modified: runs go to a scratch copy of
#                its catalog, reading its posts in place)
#     WINDOW_S   default 1 60 600
#   Environment: SPARK_SUBMIT (default: the one of the installed pyspark),
#   MASTER (default local[2]), SHUFFLE_PARTITIONS (default 8),
#   HOT_OBJECT_ACTIONS (default: the job's), MIN_WEIGHT (default 1),
#   EXTRA_PARAMS (JSON object merged into the job's parameters).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd); repo=$(cd "$here/../.." && pwd)
case_dir=$(realpath "${1:?usage: parity.sh CASE [WINDOW_S...]}"); shift
windows=("$@"); [ ${#windows[@]} -gt 0 ] || windows=(1 60 600)
lt=${LEAKTRACE_BIN:-$repo/target/release/leaktrace}
[ -x "$lt" ] || { echo "parity.sh: LEAKTRACE_BIN ($lt) is not an executable" >&2; exit 2; }
submit=${SPARK_SUBMIT:-$(python3 -c 'import os, pyspark; print(os.path.join(os.path.dirname(pyspark.__file__), "bin", "spark-submit"))')}
master=${MASTER:-local[2]}
export SPARK_LOCAL_IP=${SPARK_LOCAL_IP:-127.0.0.1}
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
mkdir "$work/case"
cp "$case_dir/catalog.sqlite" "$work/case/"
ln -s "$case_dir/posts" "$work/case/posts"

all=co-retweet,co-tweet,co-similar-text,co-link,co-domain,co-hashtag,co-mention,co-reply,sync
qut=co-retweet,co-tweet,co-link,co-similar-text
runs=()
for mode in own qut; do
    for w in "${windows[@]}"; do
        if [ "$mode" = qut ]; then nets=$qut; flags=(--compat qut); else nets=$all; flags=(); fi
        out=$("$lt" coord "$work/case" --network "$nets" --window "$w" --min-weight "${MIN_WEIGHT:-1}" \
            "${flags[@]}" --json)
        dir=$(printf '%s' "$out" | python3 -c 'import json, sys; print(json.load(sys.stdin)["output"])')
        runs+=("$work/case/$dir:$work/native-$mode-$w")
        cp "$work/case/$dir/params.json" "$work/params-$mode-$w.json"
    done
done
python3 "$here/runs_to_jsonl.py" "${runs[@]}" 2>"$work/convert.log" || { cat "$work/convert.log" >&2; exit 2; }

fail=0
for mode in own qut; do
    for w in "${windows[@]}"; do
        python3 - "$work/params-$mode-$w.json" <<'PY'
import json, os, sys
p = json.load(open(sys.argv[1]))
p["shuffle_partitions"] = int(os.environ.get("SHUFFLE_PARTITIONS", "8"))
if os.environ.get("HOT_OBJECT_ACTIONS"):
    p["hot_object_actions"] = int(os.environ["HOT_OBJECT_ACTIONS"])
p.update(json.loads(os.environ.get("EXTRA_PARAMS") or "{}"))
json.dump(p, open(sys.argv[1], "w"))
PY
        start=$(date +%s.%N)
        if ! "$submit" --master "$master" "$repo/crates/coord/spark/coord_job.py" \
            --params "$work/params-$mode-$w.json" --posts "$case_dir/posts" --out "$work/job-$mode-$w" \
            >"$work/job-$mode-$w.log" 2>&1; then
            echo "FAIL  the job (window $w s, $mode):"; grep 'leaktrace-job' "$work/job-$mode-$w.log" | tail -3
            fail=$((fail + 1)); continue
        fi
        secs=$(python3 -c "import sys; print('%.1f' % (float(sys.argv[2]) - float(sys.argv[1])))" "$start" "$(date +%s.%N)")
        compat=$([ "$mode" = qut ] && echo "compat qut" || echo "own rules")
        python3 "$here/compare.py" --networks "$([ "$mode" = qut ] && echo $qut || echo $all)" \
            --label "window ${w}s $compat" "$work/native-$mode-$w" "$work/job-$mode-$w" \
            || fail=$((fail + 1))
        echo "      (job: ${secs} s wall with Spark's start-up; $(grep -o 'done in [0-9.]* s' "$work/job-$mode-$w.log"))"
    done
done
if [ "$fail" -eq 0 ]; then echo "parity: all same"; else echo "parity: $fail comparison(s) differ"; fi
[ "$fail" -eq 0 ]
