"""Build testdata/coord/ira-excerpt.qut.csv from a QUT CSV export of the IRA sample.

Usage: python3 make_excerpt.py IRA_QUT_CSV OUT_CSV

IRA_QUT_CSV is `leaktrace export CASE --format qut` of a case holding
shared/data/ira/tweets-sample.csv.gz. The excerpt keeps, unchanged and in
order, every row whose timestamp falls in four half-hour buckets chosen for
having co-retweets, co-tweets and shared links between several accounts,
then appends five hand-made rows that exercise the toolkit's quirks (see
testdata/coord/README.md).
"""
import csv
import sys

BUCKET_S = 1800
BUCKETS = {812831, 818526, 816982, 817758}

csv.field_size_limit(10**9)
src, dst = sys.argv[1], sys.argv[2]
with open(src, encoding="utf-8", newline="") as f:
    reader = csv.reader(f)
    header = next(reader)
    rows = [r for r in reader if int(float(r[6])) // BUCKET_S in BUCKETS]

first = rows[0]
linked = next(r for r in rows if r[7] and not r[3])
t0 = int(first[6])
extra = [
    # A repeated message_id (of a post with a URL), by another user and with
    # no URL: the toolkit keeps the first row, but still adds this row's URL
    # `''` to its URL table, with this row's user and time.
    [linked[0], "zz_demo_dup", "zz_demo_dup", "", "", "a later copy of an earlier id", linked[6], ""],
    # Messages that are only mentions: empty after the toolkit's
    # normalisation, so they co-tweet with each other.
    ["9000000000000000001", "zz_demo_a", "zz_demo_a", "", "", "@someone", str(t0), ""],
    ["9000000000000000002", "zz_demo_b", "zz_demo_b", "", "", "@other_one", str(t0 + 30), ""],
    ["9000000000000000003", "zz_demo_a", "zz_demo_a", "", "", "@Someone_Else", str(t0 + 45), ""],
    ["9000000000000000004", "zz_demo_b", "zz_demo_b", "", "", "@x", str(t0 + 60), ""],
]
with open(dst, "w", encoding="utf-8", newline="") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    w.writerows(extra)
print(f"{len(rows)} IRA rows + {len(extra)} hand-made rows -> {dst}")
