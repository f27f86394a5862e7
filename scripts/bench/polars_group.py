"""The polars side of scripts/bench/data_layer.sh and predict_vs_polars.sh: read, parse, sort, group.

read_csv of the 4 columns with amount as Float32, timestamp parsed, sort by (customer_id,
timestamp), group_by customer with count, first/last time and summed amount.

usage: polars_group.py EVENTS.csv[.gz] [TIME_FORMAT]   (default: the ISO format churn-simulate writes)
Prints: polars read+parse=..s sort+groupby=..s total=..s customers=N events=M
        polars_events_per_second=.. polars_mb_per_second=.. peak_rss_mib=..
"""
import os
import resource
import sys
import time

import polars as pl

path = sys.argv[1]
time_format = sys.argv[2] if len(sys.argv) > 2 else "%Y-%m-%dT%H:%M:%SZ"
t0 = time.perf_counter()
df = pl.read_csv(path, schema_overrides={"amount": pl.Float32},
                 columns=["customer_id", "timestamp", "event", "amount"])
df = df.with_columns(pl.col("timestamp").str.to_datetime(time_format))
t1 = time.perf_counter()
df = df.sort(["customer_id", "timestamp"], maintain_order=True)
g = df.group_by("customer_id", maintain_order=True).agg(
    pl.len().alias("n"), pl.col("timestamp").min().alias("first"), pl.col("timestamp").max().alias("last"),
    pl.col("amount").sum().alias("amount"))
t2 = time.perf_counter()
print(f"polars read+parse={t1-t0:.3f}s sort+groupby={t2-t1:.3f}s total={t2-t0:.3f}s "
      f"customers={g.height} events={df.height}", flush=True)
mb = os.path.getsize(path) / 1e6
print(f"polars_events_per_second={df.height / (t2 - t0):.0f} polars_mb_per_second={mb / (t2 - t0):.1f} "
      f"peak_rss_mib={resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f}", flush=True)
