#!/usr/bin/env python3
"""Compare two coord results network by network: the edges as sets, the
evidence as multisets.

Usage: compare.py [--label TEXT] [--networks a,b] [--rel-tol R] NATIVE JOB

NATIVE and JOB are each a directory holding edges.jsonl (and optionally
evidence.jsonl), as the Spark job writes them (runs_to_jsonl.py writes a
stored native run that way), or an edges file: .jsonl, or the .csv of
`leaktrace coord --out x.csv` (network,source,target,weight,events,p_value;
no `directed`, so that column is then not compared). Evidence is compared
when both sides have it.

An edge is (network, directed, source, target, weight, events, p_value).
p_value is compared exactly unless --rel-tol is given (then |a - b| <= R *
max(|a|, |b|)); the line says which. Prints one line per network:
`same` or `DIFF` with counts, then a few differing rows; exit status 1 when
any network differs.
"""

import argparse
import collections
import csv
import json
import os
import sys


def read_edges(path):
    """-> {network: [(directed|None, source, target, weight, events, p_value)]}"""
    out = collections.defaultdict(list)
    if path.endswith(".csv"):
        with open(path, encoding="utf-8", newline="") as f:
            for r in csv.DictReader(f):
                p = float(r["p_value"]) if r.get("p_value") else None
                out[r["network"]].append((None, r["source"], r["target"], int(r["weight"]), int(r["events"]), p))
        return out
    with open(path, encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            r = json.loads(line)
            out[r["network"]].append(
                (r["directed"], r["source"], r["target"], int(r["weight"]), int(r["events"]), r["p_value"])
            )
    return out


def read_evidence(path):
    out = collections.defaultdict(collections.Counter)
    with open(path, encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            r = json.loads(line)
            key = (
                r["source"], r["target"], r["object"], int(r["post_1"]), int(r["time_1"]),
                int(r["post_2"]), int(r["time_2"]), r["similarity"],
            )
            out[r["network"]][key] += 1
    return out


def locate(p):
    if os.path.isdir(p):
        ev = os.path.join(p, "evidence.jsonl")
        return os.path.join(p, "edges.jsonl"), (ev if os.path.exists(ev) else None)
    return p, None


def same_p(a, b, tol):
    if a is None or b is None:
        return a is None and b is None
    if tol is None:
        return a == b
    return abs(a - b) <= tol * max(abs(a), abs(b))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--label", default="")
    ap.add_argument("--networks", help="only these (comma-separated); default: all on either side")
    ap.add_argument("--rel-tol", type=float, default=None)
    ap.add_argument("native")
    ap.add_argument("job")
    args = ap.parse_args()
    ne, nv = locate(args.native)
    je, jv = locate(args.job)
    a, b = read_edges(ne), read_edges(je)
    ea = read_evidence(nv) if nv and jv else None
    eb = read_evidence(jv) if nv and jv else None
    nets = args.networks.split(",") if args.networks else sorted(set(a) | set(b))
    label = (" " + args.label) if args.label else ""
    fail = 0
    for net in nets:
        ra, rb = a.get(net, []), b.get(net, [])
        ignore_dir = any(r[0] is None for r in ra + rb)
        key = (lambda r: r[1:5]) if ignore_dir else (lambda r: r[0:5])
        ka = collections.Counter(key(r) for r in ra)
        kb = collections.Counter(key(r) for r in rb)
        diffs = []
        if ka != kb or len(ra) != len(rb):
            diffs += ["native only: %r" % (k,) for k in (ka - kb)]
            diffs += ["job only:    %r" % (k,) for k in (kb - ka)]
            if not diffs:
                diffs.append("duplicate edges")
        pa = {key(r): r[5] for r in ra}
        pb = {key(r): r[5] for r in rb}
        exact = True
        for k in pa.keys() & pb.keys():
            if pa[k] != pb[k]:
                exact = False
            if not same_p(pa[k], pb[k], args.rel_tol):
                diffs.append("p_value %r: native %r job %r" % (k, pa[k], pb[k]))
        ev_note = ""
        if ea is not None:
            ca, cb = ea.get(net, collections.Counter()), eb.get(net, collections.Counter())
            if ca != cb:
                diffs += ["evidence native only: %r" % (k,) for k in list((ca - cb).elements())[:5]]
                diffs += ["evidence job only:    %r" % (k,) for k in list((cb - ca).elements())[:5]]
                if ca - cb == cb - ca:  # both empty: equal as sets, not as multisets
                    diffs.append("evidence multiplicities differ")
            ev_note = ", %d evidence" % sum(ca.values())
        has_p = any(r[5] is not None for r in ra)
        p_note = ""
        if has_p:
            p_note = ", p-values bit-identical" if exact else ", p-values within %g" % (args.rel_tol or 0)
        if diffs:
            fail += 1
            print("DIFF  %-16s%s (%d native edges, %d job edges)" % (net, label, len(ra), len(rb)))
            for d in diffs[:8]:
                print("        " + d)
        else:
            print("same  %-16s%s (%d edges%s%s)" % (net, label, len(ra), ev_note, p_note))
    sys.exit(1 if fail else 0)


if __name__ == "__main__":
    main()
