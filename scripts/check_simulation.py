#!/usr/bin/env python3
"""Checks that churn-simulate's truth is clearly ahead of an aggregate-count baseline.

Simulates a log (release binary), with the true churn probabilities at a cutoff C and horizon H.
Builds per-customer aggregates -- counts per event type over the last 7/30/90 days and all
history, days since the last and the first event -- at the earlier cutoff C' = C - H, labels
them from the log (a `cancel` in [C', C' + H)), fits a logistic regression, scores the customers
active at C and prints the ROC AUC of the truth and of the regression against what happened in
[C, C + H). Acceptance (issue 3): truth AUC >= regression AUC + 0.04.

Usage: scripts/check_simulation.py [--customers 20000] [--seed 7] [--cutoff 2024-10-01]
                                   [--horizon 60] [--scenario standard] [--binary .build/release/churn-simulate]
"""
import argparse
import os
import subprocess
import sys
import tempfile

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

WINDOWS = (7, 30, 90, None)  # None = all history


def features(events, cutoff):
    """Aggregates per customer active at `cutoff` (history before it, no cancel in it)."""
    history = events[events.timestamp < cutoff]
    cancelled = set(history.loc[history.event == "cancel", "customer_id"])
    history = history[~history.customer_id.isin(cancelled)]
    columns = {}
    for window in WINDOWS:
        part = history if window is None else history[history.timestamp >= cutoff - pd.Timedelta(days=window)]
        counts = part.groupby(["customer_id", "event"]).size().unstack(fill_value=0)
        name = "all" if window is None else f"{window}d"
        for event in counts.columns:
            columns[f"{event}_{name}"] = counts[event]
    table = pd.DataFrame(columns).fillna(0)
    table = np.log1p(table)
    grouped = history.groupby("customer_id").timestamp
    table["days_since_last"] = (cutoff - grouped.max()).dt.total_seconds() / 86400
    table["days_since_first"] = (cutoff - grouped.min()).dt.total_seconds() / 86400
    return table.fillna(0)


def timing_features(events, cutoff, index):
    """Order and timing signals a sequence model can see but window counts blur: age of a ticket
    not followed by a resolution, a failed payment not followed by a payment, recent activity
    relative to the customer's own earlier activity, feature use relative to logins, time since a
    price increase."""
    history = events[events.timestamp < cutoff]
    def last(event):
        return history[history.event == event].groupby("customer_id").timestamp.max()
    days = lambda delta: delta.dt.total_seconds() / 86400
    out = pd.DataFrame(index=index)
    resolved = last("ticket_resolved").reindex(index)
    tickets = history[history.event == "support_ticket"]
    resolved_at = tickets.customer_id.map(resolved)
    tickets = tickets[resolved_at.isna() | (tickets.timestamp > resolved_at)]
    oldest_open = tickets.groupby("customer_id").timestamp.min().reindex(index)
    age = days(cutoff - oldest_open)
    out["open_ticket"] = (age.notna() & (age < 45)).astype(float)
    out["open_ticket_age"] = age.where(age < 45).fillna(0).clip(upper=45)
    failed, paid = last("payment_failed").reindex(index), last("payment").reindex(index)
    unpaid = failed.notna() & (paid.isna() | (failed > paid))
    out["unrecovered_payment"] = unpaid.astype(float)
    def count(event, start, end):
        part = history[(history.event == event) & (history.timestamp >= cutoff - pd.Timedelta(days=start))
                       & (history.timestamp < cutoff - pd.Timedelta(days=end))]
        return part.groupby("customer_id").size().reindex(index, fill_value=0)
    recent, before = count("login", 14, 0), count("login", 104, 14)
    out["activity_ratio"] = np.log((recent + 0.5) / (before * 14 / 90 + 0.5))
    features_30, logins_30 = count("feature_use", 30, 0), count("login", 30, 0)
    features_all, logins_all = count("feature_use", 100000, 0), count("login", 100000, 0)
    out["feature_drop"] = np.log((features_all + 1) / (logins_all + 1)) - np.log((features_30 + 1) / (logins_30 + 1))
    since_price = days(cutoff - last("price_increase").reindex(index))
    out["price_recent"] = np.exp(-since_price / 20).fillna(0)
    return out


def labels(events, customers, cutoff, horizon):
    """1 when the customer emits `cancel` in [cutoff, cutoff + horizon)."""
    window = events[(events.timestamp >= cutoff) & (events.timestamp < cutoff + horizon) & (events.event == "cancel")]
    return pd.Series(customers.isin(set(window.customer_id)).astype(int), index=customers)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=20000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--cutoff", default="2024-10-01")
    parser.add_argument("--horizon", type=int, default=60)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--scenario", default="standard", help="churn-simulate --scenario")
    parser.add_argument("--binary", default=os.path.join(here, "..", ".build", "release", "churn-simulate"))
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        log_path, truth_path = os.path.join(tmp, "events.csv.gz"), os.path.join(tmp, "truth.csv")
        subprocess.run([args.binary, "--customers", str(args.customers), "--seed", str(args.seed),
                        "--start", "2024-01-01", "--days", "365", "--output", log_path,
                        "--truth", truth_path, "--cutoff", args.cutoff, "--horizon", str(args.horizon),
                        "--truth-samples", str(args.samples), "--scenario", args.scenario, "--quiet"], check=True)
        events = pd.read_csv(log_path, dtype={"customer_id": str, "event": str, "amount": float})
        truth = pd.read_csv(truth_path, dtype={"customer_id": str}).set_index("customer_id")

    events["timestamp"] = pd.to_datetime(events.timestamp, format="%Y-%m-%dT%H:%M:%SZ")
    horizon = pd.Timedelta(days=args.horizon)
    cutoff = pd.Timestamp(args.cutoff)
    earlier = cutoff - horizon

    train = features(events, earlier)
    train_y = labels(events, train.index, earlier, horizon)
    test = features(events, cutoff).reindex(columns=train.columns, fill_value=0)
    missing = truth.index.difference(test.index)
    assert len(missing) == 0 and len(test) == len(truth), "truth and log disagree on who is active at the cutoff"
    test = test.loc[truth.index]
    test_y = labels(events, test.index, cutoff, horizon)
    assert (test_y.values == truth.churned.values).all(), "truth 'churned' column disagrees with the log"

    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=5000, C=1.0))
    model.fit(train.values, train_y.values)
    scores = model.predict_proba(test.values)[:, 1]

    # Informative: the same regression plus order/timing features, to show that the signal the
    # truth uses is visible in the sequence of events, not only in the latent state.
    timed = make_pipeline(StandardScaler(), LogisticRegression(max_iter=5000, C=1.0))
    train_t = pd.concat([train, timing_features(events, earlier, train.index)], axis=1)
    test_t = pd.concat([test, timing_features(events, cutoff, test.index)], axis=1)
    timed.fit(train_t.values, train_y.values)
    timed_auc = roc_auc_score(test_y.values, timed.predict_proba(test_t.values)[:, 1])

    truth_auc = roc_auc_score(test_y.values, truth.churn_probability.values)
    lr_auc = roc_auc_score(test_y.values, scores)
    print(f"events: {len(events)}  customers: {events.customer_id.nunique()}")
    print(f"train at {earlier.date()}: {len(train)} customers, churn rate {train_y.mean():.3f}, {train.shape[1]} features")
    print(f"test at {cutoff.date()} (horizon {args.horizon} days): {len(test)} customers, churn rate {test_y.mean():.3f}, "
          f"mean truth probability {truth.churn_probability.mean():.3f}")
    print(f"AUC truth: {truth_auc:.4f}")
    print(f"AUC aggregate logistic regression: {lr_auc:.4f}")
    print(f"AUC logistic regression + order/timing features (informative): {timed_auc:.4f}")
    print(f"difference: {truth_auc - lr_auc:+.4f} (acceptance: >= +0.04)")
    return 0 if truth_auc - lr_auc >= 0.04 else 1


if __name__ == "__main__":
    sys.exit(main())
