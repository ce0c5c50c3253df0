"""Plant coordinated groups into a real background, for VALIDITY.md.

Usage: python3 plant.py BACKGROUND_QUT_CSV OUT_CSV [--groups G] [--shift] [--seed S]

BACKGROUND_QUT_CSV is a case exported with `leaktrace export CASE --format
qut` (the IRA sample). With --shift every background account's times move
by its own random offset (uniform in 0..30 days): each account keeps its
rhythm and its posts, but whatever the accounts did in concert is undone,
so every background edge that remains is chance. Without it the background
is the troll farm as it was, coordination included.

Each planted group is 20 new accounts that, in 40 bursts (--bursts) spread over the
background's busiest year, retweet the same new post (75% of them per
burst, within 4 minutes) and share the same new link with near-duplicate
texts (60% per burst, within 5 minutes): the design of the planted-campaign
test in crates/cli/tests/coord.rs. Also writes OUT_CSV.planted.csv
(account,group) for score_planted.py and score_edges.py.
"""
import argparse
import csv
import random
from collections import Counter

ap = argparse.ArgumentParser()
ap.add_argument("background")
ap.add_argument("out")
ap.add_argument("--groups", type=int, default=10)
ap.add_argument("--shift", action="store_true")
ap.add_argument("--seed", type=int, default=2016)
ap.add_argument("--bursts", type=int, default=40, help="bursts per group (default 40)")
a = ap.parse_args()
rnd = random.Random(a.seed)
csv.field_size_limit(10**9)

with open(a.background, newline="", encoding="utf-8") as f:
    rows = list(csv.reader(f))
header, rows = rows[0], rows[1:]
ts = header.index("timestamp")
user = header.index("user_id")
if a.shift:
    offset = {}
    for r in rows:
        u = r[user]
        if u not in offset:
            offset[u] = rnd.randrange(0, 30 * 86400)
        r[ts] = str(int(float(r[ts])) + offset[u])
years = Counter(int(float(r[ts])) // (365 * 86400) for r in rows)
year0 = years.most_common(1)[0][0] * 365 * 86400
words = ["today", "now", "urgent", "please", "everyone", "friends", "folks", "truth"]
planted = []
mid = 9_000_000_000_000_000_000
with open(a.out, "w", newline="", encoding="utf-8") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    for g in range(a.groups):
        members = [f"zz_g{g:02d}_{i:02d}" for i in range(20)]
        planted += [(m, g) for m in members]
        for burst in range(a.bursts):
            t = year0 + rnd.randrange(0, 365 * 86400)
            target = 8_000_000_000_000_000_000 + g * 1000 + burst
            for m in members:
                if rnd.random() < 0.75:
                    mid += 1
                    w.writerow([mid, m, m, target, "", f"RT @source_demo: story {g} {burst}", t + rnd.randrange(240), ""])
                if rnd.random() < 0.60:
                    mid += 1
                    text = (f"the leaked files in story {g} number {burst} show what they hid from voters "
                            f"read and share {rnd.choice(words)}")
                    w.writerow([mid, m, m, "", "", text, t + rnd.randrange(300),
                                f"https://campaign{g}.example/story-{burst}"])
with open(a.out + ".planted.csv", "w", encoding="utf-8") as f:
    f.write("account,group\n")
    f.write("".join(f"{m},{g}\n" for m, g in planted))
print(f"{len(rows)} background rows{' (times shifted per account)' if a.shift else ''}, "
      f"{a.groups} groups of 20 planted -> {a.out}")
