#!/usr/bin/env bash
# The Podesta releases as the IRA sample shows them, for VALIDITY.md: for
# #PodestaEmails and each #PodestaEmailsN, its first post in the sample,
# its posts and accounts by Clemson category, and how long after the first
# post the other accounts came (`leaktrace first`); the posts that say
# "Podesta Emails Part N" (`leaktrace timeline --query`); and the
# amplification of the first release, declared in
# examples/events/podesta-2016.csv (`leaktrace leadlag --leader events:`),
# for all accounts and per category, over the campaign (to election day,
# --to 2016-11-09: "Podesta" is still a word years later).
#
#   bench/timeline/podesta.sh IRA_CASE      (the IRA sample with authors.csv, indexed)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd); repo=$(cd "$here/../.." && pwd)
case_dir=$1
lt=${LEAKTRACE_BIN:-$repo/target/release/leaktrace}
authors=${LEAKTRACE_DATA:-$repo/../shared/data/ira}/authors.csv
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
for n in "" $(seq 2 40); do
    "$lt" first "$case_dir" "#podestaemails$n" --json --no-store > "$work/first-$n.json"
done
"$lt" timeline "$case_dir" --query '"podesta emails part"' --json --no-store > "$work/parts.json"
python3 - "$work" "$authors" <<'P'
import csv, json, os, re, statistics, sys
work, authors = sys.argv[1], sys.argv[2]
cat = {}
with open(authors, newline="", encoding="utf-8") as f:
    for r in csv.DictReader(f):
        cat[r["author"].lower()] = r["account_category"]
def cats(accounts):
    c = {}
    for a in accounts:
        k = cat.get(a.lower(), "(none)")
        c[k] = c.get(k, 0) + 1
    return ", ".join(f"{k} {v}" for k, v in sorted(c.items(), key=lambda x: (-x[1], x[0])))
print(f"{'hashtag':<20} {'first post (UTC)':<20} {'posts':>5} {'accts':>5} {'median later':>12}  categories")
tot = {}
def number(name):
    n = name[len("first-"):-len(".json")]
    return int(n) if n else 1
for name in sorted((n for n in os.listdir(work) if n.startswith("first-")), key=number):
    v = json.load(open(os.path.join(work, name)))
    if v["posts"] == 0:
        continue
    order = v["order"]
    later = [e["delay_ms"] / 3600000 for e in order if e["delay_ms"] > 0]
    med = f"{statistics.median(later):.1f} h" if later else "-"
    accts = [e["account"] for e in order]
    for a in accts:
        k = cat.get(a.lower(), "(none)")
        tot[k] = tot.get(k, 0) + 1
    tag = "#" + v["object"]["value"]
    print(f"{tag:<20} {v['first'][0]['time_ms'] and __import__('datetime').datetime.utcfromtimestamp(v['first'][0]['time_ms']/1000).strftime('%Y-%m-%d %H:%M'):<20} "
          f"{v['posts']:>5} {v['accounts']:>5} {med:>12}  {cats(accts)}")
print("account-hashtag pairs by category:", ", ".join(f"{k} {v}" for k, v in sorted(tot.items(), key=lambda x: -x[1])))
parts = [e for e in json.load(open(os.path.join(work, "parts.json")))["events"] if e["kind"] == "post"]
print(f'posts saying "Podesta Emails Part N": {len(parts)}')
for e in parts:
    n = re.search(r"part\s*(\d+)", e["what"], re.I)
    print(f"  {e['time_ms'] and __import__('datetime').datetime.utcfromtimestamp(e['time_ms']/1000).strftime('%Y-%m-%d %H:%M')}  "
          f"part {n.group(1) if n else '?':>3}  {e['who']:<18} {cat.get(e['who'].lower(), '(none)')}")
P
events="events:$repo/examples/events/podesta-2016.csv"
echo "== the first release (declared), every account"
"$lt" leadlag "$case_dir" --leader "$events" --to 2016-11-09 --no-store | sed -n '/Amplification/,$p'
for c in RightTroll LeftTroll NewsFeed HashtagGamer Fearmonger NonEnglish; do
    if "$lt" leadlag "$case_dir" --leader "$events" --followers "account_category=$c" --to 2016-11-09 --no-store --json \
        > "$work/ll.json" 2>/dev/null; then
        python3 - "$c" "$work/ll.json" <<'P'
import json, sys
v = json.load(open(sys.argv[2]))
row = next((r for r in v.get("amplification", []) if r["object"] is None), None)
if row and row["followers"]:
    d = row["delays"]
    print(f"  {sys.argv[1]:<13} followers {row['followers']:>3}  first {d['min']/3600000:5.1f} h  median {d['median']/3600000:5.1f} h  "
          f"p {row['test']['p_value']:.3f}")
else:
    print(f"  {sys.argv[1]:<13} no follower")
P
    fi
done
