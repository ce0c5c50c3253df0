#!/usr/bin/env python3
"""Write stored native coord runs (analyses/coord/<run>/edges.parquet and
evidence.parquet) as the Spark job's edges.jsonl and evidence.jsonl, so
compare.py can compare the two. Uses pyspark (local, loopback only) to
read Parquet: the parity check needs nothing the Spark job does not.

Usage: runs_to_jsonl.py RUN_DIR:OUT_DIR [RUN_DIR:OUT_DIR ...]
"""

import json
import os
import sys

os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")


def main():
    from pyspark.sql import SparkSession, functions as F

    spark = (
        SparkSession.builder.master("local[1]")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "1")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    for arg in sys.argv[1:]:
        run, out = arg.split(":", 1)
        os.makedirs(out, exist_ok=True)
        edges = spark.read.parquet(os.path.join(run, "edges.parquet"))
        with open(os.path.join(out, "edges.jsonl"), "w", encoding="utf-8") as f:
            for r in edges.toLocalIterator():
                d = r.asDict()
                f.write(json.dumps(d, ensure_ascii=False) + "\n")
        ev = spark.read.parquet(os.path.join(run, "evidence.parquet"))
        ev = ev.select(
            "network", "source", "target", "object", "post_1",
            F.expr("unix_millis(time_1)").alias("time_1"), "post_2",
            F.expr("unix_millis(time_2)").alias("time_2"), "similarity",
        )
        with open(os.path.join(out, "evidence.jsonl"), "w", encoding="utf-8") as f:
            for r in ev.toLocalIterator():
                f.write(json.dumps(r.asDict(), ensure_ascii=False) + "\n")
    spark.stop()


if __name__ == "__main__":
    main()
