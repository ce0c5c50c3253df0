"""Build testdata/coord/ira-2016-10-05_08.qut.csv.gz, the real background
of the planted-campaign test, from a QUT CSV export of the IRA sample.

Usage: python3 make_background.py IRA_QUT_CSV OUT_CSV_GZ

Keeps, unchanged and in order, every row published from 2016-10-05 to
2016-10-08 UTC (the days around the first Podesta release).
"""
import csv
import gzip
import io
import sys

START, END = 1475625600, 1475971200  # 2016-10-05T00:00Z, 2016-10-09T00:00Z

csv.field_size_limit(10**9)
src, dst = sys.argv[1], sys.argv[2]
buf = io.StringIO()
w = csv.writer(buf, lineterminator="\n")
n = 0
with open(src, encoding="utf-8", newline="") as f:
    reader = csv.reader(f)
    w.writerow(next(reader))
    for r in reader:
        if START <= int(float(r[6])) < END:
            w.writerow(r)
            n += 1
with open(dst, "wb") as f:
    # mtime 0: the same input gives the same bytes.
    with gzip.GzipFile(fileobj=f, mode="wb", mtime=0, filename="") as g:
        g.write(buf.getvalue().encode("utf-8"))
print(f"{n} rows -> {dst}")
