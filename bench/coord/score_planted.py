"""Precision and recall of planted groups in a clustering.

Usage: python3 score_planted.py PLANTED_CSV MEMBERSHIP_CSV

PLANTED_CSV: account,group (make_synthetic.py); MEMBERSHIP_CSV: the first two
columns account,cluster (`leaktrace clusters --out FILE.csv`). For each planted
group, the cluster holding most of its members: recall is the share of the
group in it, precision the share of that cluster that is the group. Prints the
worst and the mean of both over the groups.
"""
import csv
import sys
from collections import Counter, defaultdict

planted = defaultdict(set)
with open(sys.argv[1], newline="") as f:
    for r in csv.DictReader(f):
        planted[r["group"]].add(r["account"])
cluster_of, size = {}, Counter()
with open(sys.argv[2], newline="") as f:
    rd = csv.reader(f)
    next(rd)
    for r in rd:
        if len(r) > 1 and r[1] != "":
            cluster_of[r[0]] = r[1]
            size[r[1]] += 1
precision, recall = [], []
for g, members in planted.items():
    found = Counter(cluster_of[a] for a in members if a in cluster_of)
    if not found:
        precision.append(0.0)
        recall.append(0.0)
        continue
    c, k = found.most_common(1)[0]
    recall.append(k / len(members))
    precision.append(k / size[c])
print(f"groups {len(planted)} precision min {min(precision):.3f} mean {sum(precision) / len(precision):.3f} "
      f"recall min {min(recall):.3f} mean {sum(recall) / len(recall):.3f}")
