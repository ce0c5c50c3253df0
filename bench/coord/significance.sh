#!/usr/bin/env bash
# The cost of --significance: one network at one window, plain and tested
# against each null model, best wall time of RUNS runs (default 3) after a
# run that warms the coordination cache, peak RSS, and the edges kept.
#
#   bench/coord/significance.sh CASE [NETWORK] [WINDOW] [RANDOMISATIONS]
#   (defaults: co-retweet, 60, 1000; the IRA sample case of README.md)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd); repo=$(cd "$here/../.." && pwd)
case_dir=$1; net=${2:-co-retweet}; window=${3:-60}; r=${4:-1000}
runs=${RUNS:-3}
lt=${LEAKTRACE_BIN:-$repo/target/release/leaktrace}
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
"$lt" coord "$case_dir" --network "$net" --window "$window" --no-store -q >/dev/null
best() {
    local b="" m=""
    for _ in $(seq "$runs"); do
        /usr/bin/time -f '%e %M' -o "$work/t" "$lt" coord "$case_dir" --network "$net" --window "$window" \
            --no-store --json "$@" >"$work/out.json"
        read -r s kb <"$work/t"
        if [ -z "$b" ] || awk "BEGIN{exit !($s < $b)}"; then b=$s; m=$((kb / 1024)); fi
    done
    echo "$b $m $(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["networks"][0]["edges"])' "$work/out.json")"
}
printf '%-34s %8s %8s %7s %8s\n' run wall_s ratio MiB edges
read -r base bm be < <(best)
printf '%-34s %8s %8s %7s %8s\n' "plain" "$base" "1.0x" "$bm" "$be"
for null in "swap" "shift" "shift --shift-max 1d"; do
    read -r s m e < <(best --significance 0.01 --randomisations "$r" --null $null)
    printf '%-34s %8s %8s %7s %8s\n' "$null, R=$r, P=0.01" "$s" "$(awk "BEGIN{printf \"%.1fx\", $s / $base}")" "$m" "$e"
done
