"""Make the demo's sample from the IRA sample: every tweet published on the
given days (UTC) by the authors of shared/data/ira/tweets-sample.csv.gz,
with their rows of shared/data/ira/authors.csv.

Usage: python3 make_sample.py SHARED_DATA_IRA FIRST_DAY LAST_DAY OUT_DIR
       python3 make_sample.py ../../../shared/data/ira 2016-10-06 2016-10-08 .

Rows and their order are unchanged; they are read with Python's csv module
and written back with it (quoting may differ from the original file). The
gzip header has no name and time 0, so the same input gives the same bytes.
"""
import csv
import gzip
import io
import os
import sys

csv.field_size_limit(10**9)
src, first, last, out = sys.argv[1:5]
rows, accounts = [], set()
with gzip.open(os.path.join(src, "tweets-sample.csv.gz"), "rt", encoding="utf-8", newline="") as f:
    reader = csv.reader(f)
    header = next(reader)
    for r in reader:
        if first <= r[4][:10] <= last:
            rows.append(r)
            accounts.add(r[0].lower())
buf = io.StringIO()
w = csv.writer(buf, lineterminator="\n")
w.writerow(header)
w.writerows(rows)
name = f"tweets-{first}_{last[8:]}.csv.gz"
with open(os.path.join(out, name), "wb") as f:
    with gzip.GzipFile(fileobj=f, mode="wb", mtime=0, filename="") as g:
        g.write(buf.getvalue().encode("utf-8"))
lines = open(os.path.join(src, "authors.csv"), encoding="utf-8", newline="").read().splitlines(keepends=True)
kept = [lines[0]] + [l for l in lines[1:] if l.split(",")[0].lower() in accounts]
open(os.path.join(out, "authors.csv"), "w", encoding="utf-8", newline="").write("".join(kept))
print(f"{len(rows)} tweets by {len(accounts)} accounts -> {name}; {len(kept) - 1} author rows")
