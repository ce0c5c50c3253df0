#!/usr/bin/env python3
"""Differential test of the job's text rules against the native ones.

Runs the Rust text rules (bench/spark/text_oracle, built with rustc) and
crates/coord/spark/coord_job.py's port on the same texts: random strings
over an alphabet chosen for the rules' corners (final sigma, case mappings
added after Python's Unicode version, whitespace Python and Rust disagree
on, word-break classes, emoji ZWJ sequences, Hebrew quotes, URLs, `RT @x:`,
`@` runs), plus every text of the files given. Compares the four outputs:
qut_tweet_key, qut tokens, tweet_key, own tokens. Exit 1 on any difference.

Usage: text_fuzz.py [--oracle BIN] [--n N] [--seed S] [FILE...]
  FILE: any text file; each line (or each CSV field of a .csv) is a text.
"""

import argparse
import csv
import gzip
import os
import random
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "crates", "coord", "spark"))
import coord_job as job  # noqa: E402

PIECES = (
    list("aAzZ09_ .,;:!?'\"-/#@()[]…>&%")
    + ["\t", "\n", "\r", "\r\n", "\x0b", "\x0c", "\x1c", "\x1f", "\x85", "\xa0", "\u1680", "\u2000", "\u2028",
       "\u202f", "\u3000", "\u200b", "\u200d", "\ufeff", "\u00ad"]
    + list("ΣσςΑαΒΔ") + ["\u0301", "\u0345", "\u05d0", "\u05d1", '"', "'", "\u05f3"]
    + ["\u0130", "I", "\u1e9e", "\u212a", "\u2126", "\u1c89", "\ua7cb", "\ua7dc", "\U00010d50", "\u24b6"]
    + ["日本", "語", "テキスト", "ｶﾀｶﾅ", "ー", "한국어", "ไทย", "\u0627\u0644\u0639", "١٢٣", "Ⅻ", "½", "²"]
    + ["👍", "👨\u200d👩\u200d👧", "🇺🇸", "🇷", "\u2764\ufe0f", "©", "🏳️\u200d🌈", "\U0001f3fb"]
    + ["http://", "https://", "HTTPS://", "hTtP://", "://", "t.co/abc", "example.com/a?b=c", "www.x.org"]
    + ["RT @", "rt @", "Rt @", "RT @a_b:", "RT @x: ", "@user", "a@b.com", " @ ", "3.14", "1,000", "U.S.A.", "e-mail"]
    + ["dog's", "l'été", "O'Neil", "don’t", "café", "naïve", "Ǆ", "ǅ", "ǆ", "ﬁ", "ß", "İstanbul"]
)


def random_char(rng):
    """Any scalar value, for the tables' sake."""
    while True:
        cp = rng.randrange(0x110000) if rng.random() < 0.5 else rng.randrange(0x3000)
        if not 0xD800 <= cp < 0xE000:
            return chr(cp)


def random_texts(n, rng):
    out = []
    for _ in range(n):
        k = rng.randint(0, 14)
        out.append("".join(rng.choice(PIECES) if rng.random() < 0.85 else random_char(rng) for _ in range(k)))
    return out


def file_texts(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8", errors="replace", newline="") as f:
        if ".csv" in path:
            for row in csv.reader(f):
                for field in row:
                    if field:
                        yield field
        else:
            for line in f:
                yield line.rstrip("\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--oracle", help="text_oracle binary (default: build it)")
    ap.add_argument("--n", type=int, default=50_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("files", nargs="*")
    args = ap.parse_args()
    oracle = args.oracle
    if not oracle:
        oracle = subprocess.check_output([os.path.join(HERE, "text_oracle", "build.sh")], text=True).strip()
    texts = random_texts(args.n, random.Random(args.seed))
    for f in args.files:
        texts.extend(file_texts(f))
    inp = "".join(t.encode("utf-8").hex() + "\n" for t in texts)
    res = subprocess.run([oracle], input=inp, capture_output=True, text=True, check=True).stdout.splitlines()
    assert len(res) == len(texts), (len(res), len(texts))
    bad = 0
    for t, line in zip(texts, res):
        want = [bytes.fromhex(h).decode("utf-8") for h in line.split("\t")]
        got = [
            job.qut_tweet_key(t),
            "\x1f".join(job.qut_tokens(t)),
            job.tweet_key(t),
            "\x1f".join(job.own_tokens(t)),
        ]
        if got != want:
            bad += 1
            if bad <= 10:
                names = ["qut_tweet_key", "qut_tokens", "tweet_key", "tokens"]
                for name, g, w in zip(names, got, want):
                    if g != w:
                        print("DIFF %s on %r:\n  job    %r\n  native %r" % (name, t, g, w))
    print("%d texts, %d differ" % (len(texts), bad))
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
