#!/usr/bin/env bash
# Writes what leaktrace produces on the IRA sample and the mail fixtures into
# OUTDIR, with one sha256 line per file in OUTDIR/SUMS, so that two builds
# can be compared byte for byte (a refactoring must not change any of it):
#
#   LEAKTRACE_BIN=old/leaktrace bench/arch/outputs.sh /tmp/before
#   LEAKTRACE_BIN=new/leaktrace bench/arch/outputs.sh /tmp/after
#   diff /tmp/before/SUMS /tmp/after/SUMS && echo identical
#
# Input: ../shared/data/ira (825,112 tweets) when present, else the
# committed excerpt (testdata/ira). Times that depend on the clock (run
# timestamps, checked-at dates) are masked before hashing; nothing else is.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd); repo=$(cd "$here/../.." && pwd)
out=${1:?usage: outputs.sh OUTDIR}
lt=${LEAKTRACE_BIN:-$repo/target/debug/leaktrace}
rm -rf "$out"; mkdir -p "$out"; out=$(realpath "$out")
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
if [ -f "$repo/../shared/data/ira/tweets-sample.csv.gz" ]; then
    tweets=$repo/../shared/data/ira/tweets-sample.csv.gz; authors=$repo/../shared/data/ira/authors.csv
else
    tweets=$repo/testdata/ira/by-author-excerpt.csv; authors=$repo/testdata/ira/authors-excerpt.csv
fi
echo "input: $tweets" >&2
case=$work/case
"$lt" case init "$case" >/dev/null
"$lt" ingest "$case" "$tweets" --accounts "$authors" --quiet >/dev/null

# Every network in leaktrace's own form, with evidence kept in the stored run.
for net in co-retweet co-tweet co-similar-text co-link co-domain co-hashtag co-mention co-reply; do
    for w in 60 600; do
        "$lt" coord "$case" --network "$net" --window "$w" --out "$out/coord-$net-$w.csv" >/dev/null
    done
done
"$lt" coord "$case" --network sync --window 10m --out "$out/coord-sync-10m.csv" >/dev/null
"$lt" coord "$case" --network co-retweet,co-link --window 60 --out "$out/coord-retweet-link-60.gexf" >/dev/null
# The QUT toolkit's form.
for net in co-retweet co-tweet co-link co-similar-text; do
    "$lt" coord "$case" --network "$net" --window 60 --compat qut --no-store --out "$out/qut-$net-60.csv" >/dev/null
done
# Clusters, with labels, in every output form.
for ext in json csv gexf graphml; do
    "$lt" clusters "$case" --network co-retweet,co-tweet,co-link --window 10m --label account_category \
        --compare-label account_category --out "$out/clusters.$ext" >"$out/clusters-stdout-$ext.txt"
done
# The stored runs themselves (edges, evidence, parameters).
(cd "$case/analyses" && find . -type f | sort | while read -r f; do
    dest=$out/stored/${f#./}; mkdir -p "$(dirname "$dest")"; cp "$f" "$dest"; done)
# Timeline questions.
"$lt" first "$case" '#PodestaEmails' --json --no-store >"$out/first-podesta.json" || true
"$lt" timeline "$case" --query podesta --bursts --json --no-store >"$out/timeline-podesta.json" || true
"$lt" search "$case" 'podesta' --json --facets -n 50 >"$out/search-podesta.json" || true

# Verification of every mail fixture, with and without its keys; then the
# same mail as a case (`verify CASE`).
cd "$repo"
for f in $(find testdata/mail -name '*.eml' -o -name '*.mbox' | sort); do
    name=$(echo "${f#testdata/mail/}" | tr / _)
    dir=$(dirname "$f")
    keys=$(ls "$dir"/keys.txt "$dir"/*._domainkey.*.txt 2>/dev/null | head -1 || true)
    if [ -n "$keys" ]; then
        "$lt" verify "$f" --keys "$keys" --json >"$out/verify-$name.json" 2>"$out/verify-$name.stderr.txt" || true
    fi
    "$lt" verify "$f" --json >"$out/verify-nokeys-$name.json" 2>/dev/null || true
done
mail=$work/mail
"$lt" case init "$mail" >/dev/null
"$lt" ingest "$mail" testdata/mail/generated --quiet >/dev/null
"$lt" ingest "$mail" testdata/mail/generated/mboxrd.mbox --quiet >/dev/null
"$lt" verify "$mail" --keys testdata/mail/generated/keys.txt --json >"$out/verify-case.json" 2>"$out/verify-case.stderr.txt"
"$lt" search "$mail" 'message' --json -n 100 >"$out/search-mail.json" || true

# Equal-score search hits come back in the order indexing threads stored
# them: only the totals and facets are compared.
for f in "$out"/search-*.json; do
    python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); d.pop("hits",None); json.dump(d,open(sys.argv[1],"w"),sort_keys=True,indent=1)' "$f"
done
# Mask what depends on the clock or the temporary folder, then hash.
find "$out" -type f \( -name '*.json' -o -name '*.txt' -o -name '*.csv' -o -name '*.gexf' -o -name '*.graphml' \) \
    -print0 | xargs -0 sed -i -E \
    -e 's/"(created|created_at|started|started_at|finished|finished_at|verified_at|checked_at|ran_at|at)": ?"[^"]*"/"\1":"T"/g' \
    -e 's/"(elapsed_ms|elapsed|duration_ms|seconds)": ?[0-9.]+/"\1":0/g' \
    -e "s#$work#WORK#g" \
    -e 's/lastmodifieddate="[^"]*"/lastmodifieddate="T"/g'
(cd "$out" && find . -type f ! -name SUMS | sort | xargs sha256sum >SUMS)
echo "$(wc -l <"$out/SUMS") files in $out/SUMS" >&2
