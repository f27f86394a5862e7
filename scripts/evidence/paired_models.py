#!/usr/bin/env python3
"""Paired comparison of two models' forecasts on the same customers, out of time.

Labels come from the log itself: a customer in the snapshot at --as-of (an event before it and,
with --churn-event, no such event before it) is a churner when the churn event (or, without it,
no event at all) falls in [as-of, as-of + horizon). Both prediction files (churn-predict CSVs at
the same --as-of) are restricted to those customers; AUC and log loss of each, and the paired
differences A − B with 95% intervals from the same bootstrap resamples of customers.

    paired_models.py --events log.csv.gz --as-of 2024-12-01 --horizon-days 30 --churn-event cancel \
        --a with.csv --b without.csv [--resamples 1000]
"""
import argparse

import numpy as np
import pandas as pd


def auc(y, p):
    order = np.argsort(p, kind="mergesort")
    ranks = np.empty(len(p))
    ranks[order] = np.arange(1, len(p) + 1)
    # Average ranks of ties.
    s = p[order]
    boundaries = np.flatnonzero(np.diff(s)) + 1
    starts = np.concatenate([[0], boundaries]); ends = np.concatenate([boundaries, [len(s)]])
    for lo, hi in zip(starts, ends):
        if hi - lo > 1:
            ranks[order[lo:hi]] = (lo + hi + 1) / 2
    n1 = y.sum(); n0 = len(y) - n1
    return (ranks[y == 1].sum() - n1 * (n1 + 1) / 2) / (n1 * n0)


def log_loss(y, p):
    p = np.clip(p, 1e-7, 1 - 1e-7)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--events", required=True)
    ap.add_argument("--as-of", required=True)
    ap.add_argument("--horizon-days", type=float, default=30)
    ap.add_argument("--churn-event")
    ap.add_argument("--customer-column", default="customer_id")
    ap.add_argument("--a", required=True, help="predictions of model A (churn-predict CSV)")
    ap.add_argument("--b", required=True, help="predictions of model B")
    ap.add_argument("--names", default="A,B")
    ap.add_argument("--resamples", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    log = pd.read_csv(args.events, usecols=[args.customer_column, "timestamp", "event"], dtype=str)
    log = log.rename(columns={args.customer_column: "customer_id"})
    t = pd.to_datetime(log["timestamp"], utc=True, format="mixed")
    as_of = pd.Timestamp(args.as_of, tz="UTC")
    end = as_of + pd.Timedelta(days=args.horizon_days)
    before = log[t < as_of]
    window = log[(t >= as_of) & (t < end)]
    population = set(before["customer_id"])
    if args.churn_event:
        population -= set(before.loc[before["event"] == args.churn_event, "customer_id"])
        churned = set(window.loc[window["event"] == args.churn_event, "customer_id"])
    else:
        churned = population - set(window["customer_id"])
    a = pd.read_csv(args.a, dtype={"customer_id": str}, keep_default_na=False).set_index("customer_id")["churn_probability"]
    b = pd.read_csv(args.b, dtype={"customer_id": str}, keep_default_na=False).set_index("customer_id")["churn_probability"]
    ids = sorted(population)
    y = np.array([c in churned for c in ids], dtype=np.float64)
    pa = a.reindex(ids).to_numpy(np.float64); pb = b.reindex(ids).to_numpy(np.float64)
    assert not np.isnan(pa).any() and not np.isnan(pb).any(), "a customer of the snapshot has no prediction"
    name_a, name_b = args.names.split(",")
    print(f"{len(ids)} customers at {args.as_of}, churn rate {y.mean():.4f}")
    rng = np.random.default_rng(args.seed)
    draws = [rng.integers(0, len(ids), len(ids)) for _ in range(args.resamples)]
    la = np.clip(pa, 1e-7, 1 - 1e-7); lb = np.clip(pb, 1e-7, 1 - 1e-7)
    loss_a = -(y * np.log(la) + (1 - y) * np.log(1 - la)); loss_b = -(y * np.log(lb) + (1 - y) * np.log(1 - lb))
    d_auc = [auc(y[i], pa[i]) - auc(y[i], pb[i]) for i in draws if 0 < y[i].sum() < len(i)]
    d_ll = [loss_a[i].mean() - loss_b[i].mean() for i in draws]
    for name, p in ((name_a, pa), (name_b, pb)):
        print(f"  {name:10s} ROC AUC {auc(y, p):.4f}  log loss {log_loss(y, p):.4f}")
    q = lambda v: np.percentile(v, [2.5, 97.5])
    lo, hi = q(d_auc)
    print(f"  {name_a} − {name_b}: AUC {auc(y, pa) - auc(y, pb):+.4f} [{lo:+.4f}, {hi:+.4f}]", end="")
    lo, hi = q(d_ll)
    print(f"  log loss {loss_a.mean() - loss_b.mean():+.4f} [{lo:+.4f}, {hi:+.4f}]")


if __name__ == "__main__":
    main()
