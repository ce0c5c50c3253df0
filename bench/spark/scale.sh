#!/usr/bin/env bash
# Native engine against Spark, side by side in one run: co-retweet + co-link
# at a 60 s window on synthetic posts (bench/coord/make_synthetic.py: Zipf
# repost targets and URLs, accounts = posts / 25), computed
#   1. natively (first run, which builds the coordination cache, and a later one),
#   2. on Spark local[2] (one JVM, two cores),
#   3. on a Spark standalone cluster this script starts on loopback: a master
#      and two workers (one core and WORKER_MEMORY each), stopped by process id;
# with wall time, peak memory, Spark's shuffle bytes, the largest and the
# median task of the widest join stage (skew), and whether the edges are
# identical to the native ones (sorted CSV, sha256).
#
#   SIZES="5000000" WORK=/tmp/leaktrace-spark bench/spark/scale.sh
#   Environment: LEAKTRACE_BIN (default: cargo build --release), SIZES,
#   WORK, ENGINES (default "native local standalone"), WORKER_MEMORY (4g),
#   SHUFFLE_PARTITIONS (default: Spark's own, 200), MIN_WEIGHT (1),
#   SPARK_CONF (space-separated K=V, each given as --conf, e.g. spark.driver.memory=6g).
#
# Peak memory: of leaktrace and everything it started (GNU time; on local[2]
# that is the whole Spark job), and for the standalone cluster also the
# largest sum of the RSS of the workers' process groups (daemons and
# executors), sampled every 0.5 s.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd); repo=$(cd "$here/../.." && pwd)
sizes=(${SIZES:-5000000})
engines=${ENGINES:-native local standalone}
work=${WORK:-/tmp/leaktrace-spark}
mkdir -p "$work"
lt=${LEAKTRACE_BIN:-}
if [ -z "$lt" ]; then (cd "$repo" && cargo build --release --quiet -p leaktrace); lt=$repo/target/release/leaktrace; fi
command -v /usr/bin/time >/dev/null 2>&1 || apt-get install -y time >/dev/null
spark_home=$(python3 -c 'import os, pyspark; print(os.path.dirname(pyspark.__file__))')
export SPARK_LOCAL_IP=127.0.0.1
conf=()
[ -n "${SHUFFLE_PARTITIONS:-}" ] && conf+=(--conf "spark.sql.shuffle.partitions=$SHUFFLE_PARTITIONS")
for kv in ${SPARK_CONF:-}; do conf+=(--conf "$kv"); done

pids=()
cleanup() { for p in "${pids[@]}"; do kill -9 -- "-$p" 2>/dev/null || true; done; }
trap cleanup EXIT

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# Start a master and two workers on loopback; sets $master_url and $worker_pids.
start_cluster() {
    local port ui i
    port=$(free_port); ui=$(free_port)
    setsid "$spark_home/bin/spark-class" org.apache.spark.deploy.master.Master --host 127.0.0.1 \
        --port "$port" --webui-port "$ui" >"$work/master.log" 2>&1 &
    pids+=($!)
    for _ in $(seq 120); do curl -sf "http://127.0.0.1:$ui/json/" >/dev/null && break; sleep 0.5; done
    master_url=spark://127.0.0.1:$port
    worker_pids=()
    for i in 1 2; do
        mkdir -p "$work/worker-$i"
        setsid "$spark_home/bin/spark-class" org.apache.spark.deploy.worker.Worker "$master_url" --host 127.0.0.1 \
            --cores 1 --memory "${WORKER_MEMORY:-4g}" --webui-port 0 --work-dir "$work/worker-$i" \
            >"$work/worker-$i.log" 2>&1 &
        pids+=($!); worker_pids+=($!)
    done
    for _ in $(seq 120); do
        [ "$(curl -sf "http://127.0.0.1:$ui/json/" | python3 -c 'import json,sys; print(json.load(sys.stdin)["aliveworkers"])' 2>/dev/null)" = 2 ] && return
        sleep 0.5
    done
    echo "scale.sh: the standalone cluster did not come up (logs in $work)" >&2; exit 1
}

# Largest sum of RSS (MiB) over the process groups of the workers, until $1 exists.
sample_cluster_rss() {
    local stop=$1 out=$2 peak=0 now g
    while [ ! -e "$stop" ]; do
        now=0
        for g in "${worker_pids[@]}"; do
            now=$((now + $(ps -o rss= -g "$g" 2>/dev/null | awk '{s += $1} END {print s + 0}')))
        done
        [ "$now" -gt "$peak" ] && peak=$now
        sleep 0.5
    done
    echo $((peak / 1024)) >"$out"
}

# run NAME ARGS...: wall seconds and peak RSS (MiB) of leaktrace coord; the
# sorted edges' sha256 and the job's metrics go to $work/NAME.*.
run() {
    local name=$1; shift
    /usr/bin/time -f '%e %M' -o "$work/$name.time" "$lt" coord "$case_dir" --network co-retweet,co-link \
        --window 60 --min-weight "${MIN_WEIGHT:-1}" --no-store --json --quiet --out "$work/$name.csv" "$@" \
        >"$work/$name.json" 2>"$work/$name.err" || { cat "$work/$name.err" >&2; exit 1; }
    sort "$work/$name.csv" | sha256sum | cut -c1-12 >"$work/$name.sha"
}

metrics() {
    python3 - "$1" <<'PY'
import json, sys
v = json.load(open(sys.argv[1]))
t = ((v.get("engine") or {}).get("metrics") or {}).get("total") or {}
w = t.get("widest_stage") or {}
mb = t.get("shuffle_write_bytes")
print("%s %s %s %s" % (
    "%.0f" % (mb / 2**20) if mb is not None else "-",
    t.get("tasks", "-"),
    w.get("max_task_shuffle_read_records", "-"),
    w.get("median_task_shuffle_read_records", "-"),
))
PY
}

printf '%10s  %-18s %8s %9s %12s %12s %7s %14s %14s %13s\n' posts engine wall_s peak_MiB cluster_MiB shuffle_MiB tasks \
    widest_max_rec widest_med_rec edges_sha256
for n in "${sizes[@]}"; do
    csv=$work/synthetic-$n.csv
    [ -f "$csv" ] || python3 "$repo/bench/coord/make_synthetic.py" "$n" "$csv" 2>/dev/null
    case_dir=$work/case-$n
    if [ ! -f "$case_dir/catalog.sqlite" ]; then
        rm -rf "$case_dir"
        "$lt" case init "$case_dir" >/dev/null
        "$lt" ingest "$case_dir" "$csv" --quiet --no-index >/dev/null
    fi
    hot=$(python3 - "$csv" <<'PY'
import collections, csv, sys
c = collections.Counter(r["repost_id"] for r in csv.DictReader(open(sys.argv[1], newline="")) if r["repost_id"])
obj, k = c.most_common(1)[0]
print(k)
PY
)
    line() { printf '%10s  %-18s %8s %9s %12s %12s %7s %14s %14s %13s\n' "$n" "$@"; }
    for e in $engines; do
        case $e in
        native)
            rm -rf "$case_dir/cache/coord"
            run native-first
            read -r s m <"$work/native-first.time"
            line "native, first run" "$s" $((m / 1024)) - - - - - "$(cat "$work/native-first.sha")"
            run native
            read -r s m <"$work/native.time"
            line native "$s" $((m / 1024)) - - - - - "$(cat "$work/native.sha")"
            ;;
        local)
            run spark-local --engine spark --master 'local[2]' "${conf[@]}"
            read -r s m <"$work/spark-local.time"
            read -r sh tk mx md < <(metrics "$work/spark-local.json")
            line "spark local[2]" "$s" $((m / 1024)) - "$sh" "$tk" "$mx" "$md" "$(cat "$work/spark-local.sha")"
            ;;
        standalone)
            start_cluster
            rm -f "$work/sampled"
            sample_cluster_rss "$work/sampled" "$work/cluster.rss" &
            sampler=$!
            run spark-standalone --engine spark --master "$master_url" \
                --conf "spark.executor.memory=${WORKER_MEMORY:-4g}" "${conf[@]}"
            touch "$work/sampled"; wait "$sampler"
            read -r s m <"$work/spark-standalone.time"
            read -r sh tk mx md < <(metrics "$work/spark-standalone.json")
            line "spark standalone 2w" "$s" $((m / 1024)) "$(cat "$work/cluster.rss")" "$sh" "$tk" "$mx" "$md" \
                "$(cat "$work/spark-standalone.sha")"
            cleanup; pids=()
            ;;
        esac
    done
    echo "  $n posts: the most reposted target has $hot reposts (what a join on the object alone would send to one task)"
done
