"""Precision and recall of planted pairs among the edges of a coord run.

Usage: python3 score_edges.py EDGES_CSV PLANTED_CSV

EDGES_CSV: `leaktrace coord --out FILE.csv` (network,source,target,…);
PLANTED_CSV: account,group (plant.py, make_synthetic.py). A planted pair is
two accounts of one group. Pairs are counted once over all networks.
Recall: planted pairs with an edge, of all planted pairs; precision: of the
pairs with an edge, those planted (meaningful when the background has no
coordination of its own, as with plant.py --shift).
"""
import csv
import sys
from collections import defaultdict

group = {}
size = defaultdict(int)
with open(sys.argv[2], newline="") as f:
    for r in csv.DictReader(f):
        group[r["account"]] = r["group"]
        size[r["group"]] += 1
pairs = set()
with open(sys.argv[1], newline="") as f:
    for r in csv.DictReader(f):
        a, b = sorted((r["source"], r["target"]))
        pairs.add((a, b))
planted = {p for p in pairs if p[0] in group and group.get(p[0]) == group.get(p[1])}
total = sum(n * (n - 1) // 2 for n in size.values())
print(f"pairs {len(pairs)} planted {len(planted)} background {len(pairs) - len(planted)} "
      f"precision {len(planted) / max(len(pairs), 1):.3f} recall {len(planted) / total:.3f}")
