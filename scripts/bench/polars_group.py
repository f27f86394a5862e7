"""The polars side of scripts/bench/predict_vs_polars.sh: read, parse, sort and group an event log.

Same operations as the polars step of scripts/bench/data_layer.sh (read_csv of the 4 columns with
amount as Float32, timestamp parsed, sort by (customer_id, timestamp), group_by customer with
count, first/last time and summed amount), with the ISO timestamp format churn-simulate writes.

usage: polars_group.py EVENTS.csv[.gz]
Prints one line: polars read+parse=..s sort+groupby=..s total=..s customers=N events=M
"""
import sys
import time

import polars as pl

path = sys.argv[1]
t0 = time.perf_counter()
df = pl.read_csv(path, schema_overrides={"amount": pl.Float32},
                 columns=["customer_id", "timestamp", "event", "amount"])
df = df.with_columns(pl.col("timestamp").str.to_datetime("%Y-%m-%dT%H:%M:%SZ"))
t1 = time.perf_counter()
df = df.sort(["customer_id", "timestamp"], maintain_order=True)
g = df.group_by("customer_id", maintain_order=True).agg(
    pl.len().alias("n"), pl.col("timestamp").min().alias("first"), pl.col("timestamp").max().alias("last"),
    pl.col("amount").sum().alias("amount"))
t2 = time.perf_counter()
print(f"polars read+parse={t1-t0:.3f}s sort+groupby={t2-t1:.3f}s total={t2-t0:.3f}s "
      f"customers={g.height} events={df.height}", flush=True)
