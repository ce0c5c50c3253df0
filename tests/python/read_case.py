"""Open a case's post tables with DuckDB, pandas and Polars, as a user would,
and check they agree with `leaktrace info --json`."""

import json
import sys

import duckdb
import pandas as pd
import polars as pl

case, info_path = sys.argv[1], sys.argv[2]
info = json.load(open(info_path))
posts_dir = f"{case}/posts"
want = info["posts"]
assert want > 0, "the demo case has no posts"

con = duckdb.connect()
n, accounts, first, last = con.execute(
    f"SELECT count(*), count(DISTINCT account), min(time), max(time) "
    f"FROM read_parquet('{posts_dir}/*/*.parquet', hive_partitioning = true)"
).fetchone()
assert n == want, (n, want)
assert accounts == info["accounts"], (accounts, info["accounts"])
# The posts' range is that of the social sources (the case's range also spans its emails).
social = [s for s in info["sources"] if s["kind"] == "social"]
want_first = min(s["first_post"] for s in social)
want_last = max(s["last_post"] for s in social)
assert first.strftime("%Y-%m-%dT%H:%M:%SZ") == want_first, (first, want_first)
assert last.strftime("%Y-%m-%dT%H:%M:%SZ") == want_last, (last, want_last)
kinds = dict(con.execute(
    f"SELECT kind, count(*) FROM read_parquet('{posts_dir}/*/*.parquet') GROUP BY kind").fetchall())
assert kinds == {k["value"]: k["count"] for k in info["kinds"]}, (kinds, info["kinds"])

df = pd.read_parquet(posts_dir)
assert len(df) == want, (len(df), want)
assert str(df["time"].dtype).startswith("datetime64") and "UTC" in str(df["time"].dtype), df["time"].dtype
assert df["id"].dtype == "int64", df["id"].dtype
assert "source" in df.columns, df.columns  # from the source=<id> partition folders

pf = pl.read_parquet(f"{posts_dir}/*/*.parquet", hive_partitioning=True)
assert pf.height == want, (pf.height, want)
tags = pf.explode("hashtags").group_by("hashtags").len().sort("len", descending=True)
top = info["top_hashtags"][0]
assert tags.filter(pl.col("hashtags") == top["value"])["len"][0] == top["count"], (tags.head(3), top)

print(f"DuckDB, pandas and Polars read {want} posts from {posts_dir}; counts agree with leaktrace info")
