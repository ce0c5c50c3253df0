#!/usr/bin/env bash
# Email indexing and search: leaktrace against notmuch on the same synthetic
# maildir, in the same run (the comparison issue 5 asks for).
#
#   bash bench/search/notmuch.sh [WORK_DIR]
#
#   N=20000          messages to synthesise (bench/search/make_mail.py, seeded)
#   SEED=2016        generator seed (same N and SEED: the same bytes)
#   RUNS=20          runs per one-shot query and tool
#   LEAKTRACE_BIN    the leaktrace binary (default target/release/leaktrace;
#                    build it first with `cargo build --release -p leaktrace`)
#   WITH_IRA=1       afterwards, add the IRA sample (../shared/data/ira) to the
#                    leaktrace case and time the same queries again, leaktrace
#                    only: the issue's target index (IRA sample + N emails)
#
# Needs notmuch (Debian: apt-get install notmuch); uses hyperfine when present
# (apt-get install hyperfine), else a Python timing loop. Installs nothing.
#
# Steps: generate WORK_DIR/mail-N-sSEED/inbox/{cur,new,tmp} (kept for reuse);
# `notmuch new` into a fresh database (a generated NOTMUCH_CONFIG with
# database.path = the maildir's parent, no hooks); `leaktrace ingest` of the
# same maildir into a fresh case (which indexes it), then `leaktrace search
# --reindex` (the index build alone); then each query once for hit counts
# (notmuch count / leaktrace --json total) and RUNS times as a one-shot
# process, start-up included (notmuch search --limit=10, thread summaries /
# leaktrace search --limit 10, hits with snippets). Last, `notmuch compact`
# for the compacted size (queries ran on the database as `notmuch new` left
# it). Both tools read the maildir just after the generator wrote it (or
# after each other), so both find it in the page cache.
set -euo pipefail

repo="$(cd "$(dirname "$0")/../.." && pwd)"
N="${N:-20000}"
SEED="${SEED:-2016}"
RUNS="${RUNS:-20}"
work="${1:-$(mktemp -d)}"
bin="${LEAKTRACE_BIN:-$repo/target/release/leaktrace}"
ira="${LEAKTRACE_DATA:-$repo/../shared/data/ira}"
export TZ=UTC  # notmuch reads date: ranges in local time; leaktrace's time: ranges are UTC

command -v notmuch >/dev/null || { echo "notmuch is needed: apt-get install notmuch" >&2; exit 1; }
[ -x "$bin" ] || { echo "no $bin: run \`cargo build --release -p leaktrace\` or set LEAKTRACE_BIN" >&2; exit 1; }
mkdir -p "$work"
work="$(cd "$work" && pwd)"
root="$work/mail-$N-s$SEED"   # notmuch's database.path
maildir="$root/inbox"          # what both tools index
queries="$root.queries.json"
case_dir="$work/case-$N"
out="$work/out-$N"
mkdir -p "$out"
mib() { echo "$(($1 / 1048576)) MiB"; }

echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); $(uptime)"
echo "== leaktrace: $("$bin" --version)   notmuch: $(notmuch --version)   hyperfine: $(hyperfine --version 2>/dev/null || echo none)"

echo "== generate $N messages (seed $SEED)"
if [ -f "$root.done" ]; then
  echo "reusing $maildir"
else
  rm -rf "$root" "$root.done"
  /usr/bin/time -f "generated in %e s" python3 "$repo/bench/search/make_mail.py" "$maildir" --n "$N" --seed "$SEED" --queries "$queries"
  touch "$root.done"
fi
msgs=$(find "$maildir/cur" "$maildir/new" -type f | wc -l)
mail_bytes=$(du -sb "$maildir" | cut -f1)
echo "$msgs message files, $(mib "$mail_bytes")"

echo "== notmuch new"
rm -rf "$root/.notmuch"
export NOTMUCH_CONFIG="$work/notmuch-config"
cat >"$NOTMUCH_CONFIG" <<EOF
[database]
path=$root
[user]
name=Bench
primary_email=bench@example.net
[new]
tags=unread;inbox;
ignore=
[search]
exclude_tags=
[maildir]
synchronize_flags=true
EOF
/usr/bin/time -o "$out/notmuch-new.time" -f "%e %M %U %S" notmuch new --quiet
read -r nm_wall nm_rss nm_user nm_sys <"$out/notmuch-new.time"
nm_index=$(du -sb "$root/.notmuch/xapian" | cut -f1)
echo "notmuch new: $nm_wall s wall ($nm_user s user, $nm_sys s sys), max RSS $nm_rss KiB, $(notmuch count '*') messages, index $(mib "$nm_index")"

echo "== leaktrace ingest"
rm -rf "$case_dir"
"$bin" case init "$case_dir" >/dev/null
/usr/bin/time -o "$out/leaktrace-ingest.time" -f "%e %M %U %S" "$bin" ingest "$case_dir" "$maildir" 2>&1 | tee "$out/leaktrace-ingest.log"
read -r lt_wall lt_rss lt_user lt_sys <"$out/leaktrace-ingest.time"
lt_ix=$(sed -n 's/.*indexed .* documents .* in \([0-9.]*\) s$/\1/p' "$out/leaktrace-ingest.log")
lt_index=$(du -sb "$case_dir/index" | cut -f1)
lt_catalog=$(du -cb "$case_dir"/catalog.sqlite* | tail -1 | cut -f1)
lt_evidence=$(du -sb "$case_dir/evidence" | cut -f1)
lt_case=$(du -sb "$case_dir" | cut -f1)
echo "leaktrace ingest: $lt_wall s wall ($lt_user s user, $lt_sys s sys), max RSS $lt_rss KiB; index $(mib "$lt_index"), catalog $(mib "$lt_catalog"), evidence $(mib "$lt_evidence"), case $(mib "$lt_case")"
/usr/bin/time -o "$out/leaktrace-reindex.time" -f "%e %M %U %S" "$bin" search "$case_dir" --reindex 2>&1 | tee "$out/leaktrace-reindex.log"
read -r rx_wall rx_rss rx_user rx_sys <"$out/leaktrace-reindex.time"
echo "leaktrace search --reindex: $rx_wall s wall ($rx_user s user, $rx_sys s sys), max RSS $rx_rss KiB"

cat >"$out/queries.py" <<'PY'
"""Hit counts and one-shot timings: queries.py QUERIES BIN CASE OUT RUNS TOOLS LABEL."""
import json, os, shlex, shutil, statistics, subprocess, sys, time
queries, bin_, case, out, runs = json.load(open(sys.argv[1])), sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
tools, label = sys.argv[6].split(","), sys.argv[7]

def command(tool, q):
    if tool == "notmuch":
        return ["notmuch", "search", "--limit=10", q["notmuch"]]
    return [bin_, "search", case, q["leaktrace"], "--limit", "10"]

def count(tool, q):
    if tool == "notmuch":
        return int(subprocess.run(["notmuch", "count", q["notmuch"]], check=True, capture_output=True, text=True).stdout)
    r = subprocess.run([bin_, "search", case, q["leaktrace"], "--json", "--limit", "1"], capture_output=True, text=True)
    return json.loads(r.stdout)["total"] if r.returncode == 0 else "error: " + r.stderr.strip()[:200]

def timed(argv):
    """Wall times (ms) of RUNS runs, after 2 warm-up runs."""
    if shutil.which("hyperfine"):
        f = os.path.join(out, "hf.json")
        r = subprocess.run(["hyperfine", "-N", "--style", "none", "--warmup", "2", "--runs", str(runs),
                            "--export-json", f, shlex.join(argv)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        if r.returncode:
            sys.exit(f"hyperfine failed on {shlex.join(argv)}:\n{r.stderr}")
        return [t * 1000 for t in json.load(open(f))["results"][0]["times"]]
    ts = []
    for i in range(runs + 2):
        t = time.perf_counter()
        subprocess.run(argv, check=True, stdout=subprocess.DEVNULL)
        if i >= 2:
            ts.append((time.perf_counter() - t) * 1000)
    return ts

rows = []
for q in queries:
    row = {"name": q["name"], "query": {t: q[t] for t in tools}, "hits": {}, "ms": {}}
    line = f'{q["name"]:<22}'
    for t in tools:
        row["hits"][t] = count(t, q)
        row["ms"][t] = timed(command(t, q)) if isinstance(row["hits"][t], int) else []
        med = f'{statistics.median(row["ms"][t]):6.1f} ms' if row["ms"][t] else ""
        line += f'   {t} {row["hits"][t]!s:>7} hits {med}'
    print(line, flush=True)
    rows.append(row)
json.dump(rows, open(os.path.join(out, f"queries-{label}.json"), "w"), indent=1)
PY

echo "== queries: hit counts, then $RUNS one-shot runs each"
python3 "$out/queries.py" "$queries" "$bin" "$case_dir" "$out" "$RUNS" notmuch,leaktrace mail

echo "== notmuch compact (size only)"
notmuch compact --quiet
nm_compact=$(du -sb "$root/.notmuch/xapian" | cut -f1)
echo "compacted: $(mib "$nm_compact")"

with_ira=""
if [ "${WITH_IRA:-0}" = 1 ]; then
  echo "== leaktrace: the IRA sample added to the same case, same queries (leaktrace only)"
  /usr/bin/time -f "ingest of the IRA sample: %e s wall, max RSS %M KiB" \
    "$bin" ingest "$case_dir" "$ira/tweets-sample.csv.gz" --accounts "$ira/authors.csv" --quiet 2>&1 | tee "$out/ira-ingest.log"
  python3 "$out/queries.py" "$queries" "$bin" "$case_dir" "$out" "$RUNS" leaktrace ira
  with_ira="$out/queries-ira.json"
fi

echo "== summary"
cat >"$out/figures.json" <<EOF
{"msgs": $msgs, "mail_bytes": $mail_bytes,
 "nm_wall": $nm_wall, "nm_user": $nm_user, "nm_sys": $nm_sys, "nm_rss": $nm_rss, "nm_index": $nm_index, "nm_compact": $nm_compact,
 "lt_wall": $lt_wall, "lt_user": $lt_user, "lt_sys": $lt_sys, "lt_rss": $lt_rss, "lt_ix": ${lt_ix:-null},
 "lt_index": $lt_index, "lt_catalog": $lt_catalog, "lt_evidence": $lt_evidence, "lt_case": $lt_case,
 "rx_wall": $rx_wall, "rx_user": $rx_user, "rx_rss": $rx_rss}
EOF
python3 - "$out/figures.json" "$out/queries-mail.json" "$with_ira" <<'PY'
import json, statistics, sys
f = json.load(open(sys.argv[1]))
rows = json.load(open(sys.argv[2]))
ira = json.load(open(sys.argv[3])) if sys.argv[3] else None
n = f["msgs"]
mib = lambda b: f"{b / 1048576:,.0f} MiB"
med = statistics.median
def p95(ts):
    ts = sorted(ts)
    return ts[min(len(ts) - 1, int(round(0.95 * (len(ts) - 1))))]
print(f"{n:,} messages, {mib(f['mail_bytes'])} of maildir")
print()
print("| index build | notmuch | leaktrace | ratio |")
print("|---|---:|---:|---:|")
print(f"| `notmuch new` / `leaktrace ingest` (store, parse, catalog, index) | {f['nm_wall']:.1f} s = {n / f['nm_wall']:,.0f} msg/s "
      f"| {f['lt_wall']:.1f} s = {n / f['lt_wall']:,.0f} msg/s | **{f['nm_wall'] / f['lt_wall']:.1f}×** |")
print(f"| CPU time (user + sys) | {f['nm_user']:.1f} + {f['nm_sys']:.1f} s | {f['lt_user']:.1f} + {f['lt_sys']:.1f} s | — |")
if f["lt_ix"]:
    print(f"| leaktrace ingest before its index step (store, parse, catalog) | — | {f['lt_wall'] - f['lt_ix']:.1f} s | — |")
    print(f"| leaktrace ingest's index step | — | {f['lt_ix']:.1f} s = {n / f['lt_ix']:,.0f} msg/s | {f['nm_wall'] / f['lt_ix']:.1f}× |")
print(f"| index build alone (`leaktrace search --reindex`) | — | {f['rx_wall']:.1f} s = {n / f['rx_wall']:,.0f} msg/s | {f['nm_wall'] / f['rx_wall']:.1f}× |")
print(f"| index size | {mib(f['nm_index'])} ({mib(f['nm_compact'])} after `notmuch compact`) | {mib(f['lt_index'])} | — |")
print(f"| everything written | {mib(f['nm_index'])} (the maildir stays where it is) | {mib(f['lt_case'])}: evidence {mib(f['lt_evidence'])} "
      f"(every original byte), catalog {mib(f['lt_catalog'])}, index {mib(f['lt_index'])} | — |")
print(f"| max RSS | {f['nm_rss'] / 1024:,.0f} MiB | {f['lt_rss'] / 1024:,.0f} MiB (reindex {f['rx_rss'] / 1024:,.0f} MiB) | — |")
print()
cols = "| query | notmuch hits | leaktrace hits | notmuch median / p95 ms | leaktrace median / p95 ms | notmuch / leaktrace |"
if ira:
    cols += " leaktrace hits, IRA + mail | median / p95 ms |"
print(cols)
print("|---" * (cols.count("|") - 1) + "|")
notes = []
for i, r in enumerate(rows):
    q = r["query"]
    shown = f"`{q['notmuch']}`" if q["notmuch"] == q["leaktrace"] else f"`{q['notmuch']}` / `{q['leaktrace']}`"
    nm, lt = r["ms"]["notmuch"], r["ms"]["leaktrace"]
    a, b = r["hits"]["notmuch"], r["hits"]["leaktrace"]
    line = (f"| {r['name']}: {shown} | {a:,} | {b if isinstance(b, str) else format(b, ',')} | {med(nm):.1f} / {p95(nm):.1f} | "
            + (f"{med(lt):.1f} / {p95(lt):.1f} | {med(nm) / med(lt):.1f}× |" if lt else "— | — |"))
    if ira:
        x = ira[i]
        h, t = x["hits"]["leaktrace"], x["ms"]["leaktrace"]
        line += f" {h if isinstance(h, str) else format(h, ',')} | " + (f"{med(t):.1f} / {p95(t):.1f} |" if t else "— |")
    print(line)
    if not isinstance(b, int) or (max(a, b) > 0 and (min(a, b) == 0 or max(a, b) / min(a, b) > 1.5)):
        notes.append(f"  {r['name']}: notmuch {a}, leaktrace {b}")
allnm = [t for r in rows for t in r["ms"]["notmuch"]]
alllt = [t for r in rows for t in r["ms"]["leaktrace"]]
line = f"| all queries | | | {med(allnm):.1f} / {p95(allnm):.1f} | {med(alllt):.1f} / {p95(alllt):.1f} | {med(allnm) / med(alllt):.1f}× |"
if ira:
    allira = [t for r in ira for t in r["ms"]["leaktrace"]]
    line += f" | {med(allira):.1f} / {p95(allira):.1f} |"
print(line)
if notes:
    print("\nhit counts differing by more than 1.5×:")
    print("\n".join(notes))
PY
echo "== $(uptime)"
echo "results in $out"
