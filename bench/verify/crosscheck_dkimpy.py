#!/usr/bin/env python3
"""Compare leaktrace's DKIM and ARC verdicts with dkimpy's on every mail
fixture in testdata/mail (and on altered copies of the real Gmail message).

For each signature, leaktrace "passes" when both its header signature and its
body hash pass; dkimpy's verify(idx=…) is asked the same question with the
same archived keys (minkey=512, so key size is not what is compared). Known,
explained differences are listed as such; any other disagreement fails.

usage: crosscheck_dkimpy.py LEAKTRACE_BINARY
"""
import json
import os
import subprocess
import sys
import tempfile

import dkim

LT = sys.argv[1]
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
MAIL = os.path.join(ROOT, "testdata", "mail")


def load_keys(path):
    keys = {}
    files = [path]
    if os.path.isdir(path):
        files = [os.path.join(path, f) for f in sorted(os.listdir(path))]
    for f in files:
        base = os.path.basename(f)
        if base.endswith(".txt") and "._domainkey." in base:
            keys[base[:-4].lower() + "."] = open(f, "rb").read().strip()
            continue
        if not base.endswith("keys.txt"):
            continue
        for line in open(f, encoding="utf-8"):
            line = line.strip()
            if line and not line.startswith((";", "#")):
                name, value = line.split(None, 1)
                keys[name.lower().rstrip(".") + "."] = value.encode()
    return keys


def leaktrace(path, keys, outdir):
    out = subprocess.run([LT, "verify", path, "--keys", keys, "--json", "--sort-into", outdir],
                         check=True, capture_output=True).stdout
    return json.loads(out)


def main():
    work = tempfile.mkdtemp()
    inputs = [(os.path.join(MAIL, "zobnin-2017", "message.eml"), os.path.join(MAIL, "zobnin-2017"))]
    # Altered copies of the real message: one body byte, one signed header.
    raw = open(inputs[0][0], "rb").read()
    body = raw.index(b"\r\n\r\n") + 4
    at = body + next(i for i, b in enumerate(raw[body:]) if 97 <= b <= 122)
    altered = raw[:at] + (b"b" if raw[at] == 97 else b"a") + raw[at + 1:]
    for name, data in [("zobnin-body-byte.eml", altered),
                       ("zobnin-date-changed.eml", raw.replace(b"Date: Mon, 29 May 2017", b"Date: Sun, 28 May 2017", 1))]:
        p = os.path.join(work, name)
        open(p, "wb").write(data)
        inputs.append((p, inputs[0][1]))
    for sub, keys in [("mail-auth", "mail-auth/keys.txt"), ("generated", "generated/keys.txt")]:
        for f in sorted(os.listdir(os.path.join(MAIL, sub))):
            if f.endswith((".eml", ".mbox")):
                inputs.append((os.path.join(MAIL, sub, f), os.path.join(MAIL, keys)))

    agree = explained = disagree = 0
    print(f"{'message':38} {'sig':28} {'leaktrace':22} {'dkimpy':30} verdict")
    for n, (path, keys) in enumerate(inputs):
        outdir = os.path.join(work, f"sorted-{n}")
        keymap = load_keys(keys)
        dns = lambda name, timeout=5: keymap.get(name.decode().lower())
        for row in leaktrace(path, keys, outdir):
            msg = open(os.path.join(outdir, row["sorted_to"]), "rb").read()
            label = os.path.basename(path) + ("" if row["container"] == "eml" else f"#{row['index']}")
            d = dkim.DKIM(msg, minkey=512)
            for idx, s in enumerate(row["signatures"]):
                ours = s["header_signature"] == "pass" and s["body_hash"] == "pass"
                try:
                    theirs = bool(d.verify(idx=idx, dnsfunc=dns))
                    why = "pass" if theirs else "fail"
                except Exception as e:  # dkimpy raises on what it refuses
                    theirs, why = False, f"error: {e}"
                sig = f"{s['domain']}/{s['selector']}"
                mine = f"{s['header_signature']}/{s['body_hash']}"
                if ours == theirs:
                    agree += 1
                    verdict = "agree"
                elif not theirs and ("expired_now" in s["warnings"] or s["reason"] == "expired") and "x=" in why:
                    explained += 1
                    verdict = "explained: dkimpy judges x= against today, leaktrace against Date"
                elif not theirs and s["reason"] == "duplicate_signed_header":
                    explained += 1
                    verdict = "explained: both refuse the message; leaktrace says why (duplicate_signed_header)"
                else:
                    disagree += 1
                    verdict = "DISAGREE"
                print(f"{label[:38]:38} {sig[:28]:28} {mine:22} {why[:30]:30} {verdict}")
            if row.get("arc"):
                cv, _, comment = dkim.arc_verify(msg, dnsfunc=dns, minkey=512)
                cv = cv.decode() if isinstance(cv, bytes) else str(cv)
                ours = row["arc"]["result"]
                ok = ours == cv
                agree += ok
                disagree += not ok
                print(f"{label[:38]:38} {'ARC chain':28} {ours:22} {cv + ' ' + str(comment)[:20]:30} {'agree' if ok else 'DISAGREE'}")
    print(f"{agree} agree, {explained} differ for the stated reason, {disagree} disagree")
    sys.exit(1 if disagree else 0)


main()
