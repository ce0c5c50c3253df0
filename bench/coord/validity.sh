#!/usr/bin/env bash
# How well clusters on the combined networks recover the Clemson account
# categories of the IRA sample (ARI and NMI over the clustered accounts), at
# several windows. A measurement for VALIDITY.md, not a test.
#
#   bench/coord/validity.sh CASE_DIR [WINDOW...]   (default windows: 60 600 3600 86400)
#   SIGNIFICANCE=0.01 NETWORKS=co-retweet,co-tweet,co-link,co-hashtag bench/coord/validity.sh CASE_DIR 600
#     (only edges significant at that level, swap null; --significance takes object networks only)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd); repo=$(cd "$here/../.." && pwd)
case_dir=$1; shift
windows=("$@"); [ ${#windows[@]} -gt 0 ] || windows=(60 600 3600 86400)
lt=$repo/target/release/leaktrace
nets=${NETWORKS:-co-retweet,co-tweet,co-similar-text,co-link,co-hashtag}
out=$(mktemp); trap 'rm -f "$out"' EXIT
printf '%-8s %-10s %9s %9s %9s %7s %7s\n' window method clusters clustered labelled ARI NMI
for w in "${windows[@]}"; do
    for m in louvain components; do
        "$lt" clusters "$case_dir" --network "$nets" --window "$w" --method "$m" \
            --compare-label account_category --no-store --no-profile --json \
            ${SIGNIFICANCE:+--significance "$SIGNIFICANCE"} > "$out"
        python3 - "$w" "$m" "$out" <<'P'
import json, sys
v = json.load(open(sys.argv[3]))
s = v["agreement"]["scores"]
clustered = sum(c["size"] for c in v["clusters"])
print(f'{sys.argv[1]:<8} {sys.argv[2]:<10} {len(v["clusters"]):>9} {clustered:>9} {s["labelled_accounts"]:>9} {s["ari"]:>7.3f} {s["nmi"]:>7.3f}')
P
    done
done
