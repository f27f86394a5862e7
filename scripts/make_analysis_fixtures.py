#!/usr/bin/env python3
"""Fixtures for churn-analyze's tests: a small event log full of edge cases and the figures an
independent computation (pandas, lifelines) gives for it under every option the tests run.

    python3 scripts/make_analysis_fixtures.py Tests/AnalysisTests/Fixtures

Writes `edge_log.csv` and `expected.json` ({case: {"periods": [...], "cohorts": [...],
"survival": {...}}}). Needs pandas, numpy and lifelines. The definitions (docs/FORMATS.md):
- periods in UTC (weeks from Monday, quarters from Jan/Apr/Jul/Oct); reported: every period after
  the one holding the earliest event up to the one holding the latest;
- activity: customers_start(p) = active in p-1; churned(p) = active in p-1 and not in p;
- event NAME: customers_start(p) = first event before p's start and no NAME before it;
  churned(p) = those with their first NAME in p;
- revenue from the value column per customer and period (start, churned, contraction, expansion,
  GRR, NRR); involuntary: an involuntary event in [t - within, t] before the churn time t (the
  NAME event; for activity churn the last event before the inactive period);
- Kaplan-Meier of days from the first event to the first churn, censored at the log's last event.
"""
import json
import os
import sys

import numpy as np
import pandas as pd

ROWS = """customer_id,timestamp,event,amount,tier
a,2024-01-03T10:00:00Z,login,0,gold
a,2024-01-20,payment,10,gold
a,2024-02-05,payment,10,gold
a,2024-03-07,payment,15,gold
a,2024-05-02,payment,15,gold
b,2024-01-31T23:30:00-02:00,payment,20,silver
b,2024-02-15,refund,-20,silver
b,2024-03-01T00:30:00+01:00,login,0,gold
c,2024-01-15,login,0,
d,2024-02-10,payment,30,gold
d,2024-03-12,payment_failed,30,gold
d,2024-03-20,cancel,0,gold
d,2024-05-10,login,0,gold
e,2024-03-31T23:59:59Z,payment,5,silver
e,2024-04-01T00:00:00Z,payment,5,silver
e,2024-06-03,payment,8,silver
f,2024-02-26,login,0,
f,2024-03-03,payment,12,
f,2024-03-04,payment_failed,12,
f,2024-03-05,cancel,0,
g,2024-06-30,login,0,gold
h,2024-01-01,payment,7,silver
h,2024-04-15,payment,7,silver
h,2024-06-10,payment,0,
"""


def periods(times, kind):
    t = times.dt.tz_convert("UTC").dt.tz_localize(None)
    if kind == "month":
        return t.dt.year * 12 + t.dt.month - 1
    if kind == "quarter":
        return t.dt.year * 4 + (t.dt.month - 1) // 3
    monday = (t.dt.normalize() - pd.to_timedelta(t.dt.weekday, unit="D"))
    return ((monday - pd.Timestamp("1970-01-05")) // pd.Timedelta(days=7)).astype(int)


def start_of(index, kind):
    if kind == "month":
        return f"{index // 12:04d}-{index % 12 + 1:02d}-01"
    if kind == "quarter":
        return f"{index // 4:04d}-{(index % 4) * 3 + 1:02d}-01"
    return (pd.Timestamp("1970-01-05") + pd.Timedelta(days=7 * int(index))).strftime("%Y-%m-%d")


def start_instant(index, kind):
    return pd.Timestamp(start_of(index, kind), tz="UTC")


def analyse(log, kind, churn_event=None, involuntary=None, within_days=30):
    log = log.copy()
    log["p"] = periods(log["t"], kind)
    first, last = int(log["p"].min()), int(log["p"].max())
    rows, cohorts, durations = [], {}, []
    customers = sorted(log["customer_id"].unique())
    by = {c: g.sort_values("t", kind="mergesort") for c, g in log.groupby("customer_id")}
    window = pd.Timedelta(days=within_days)
    latest = log["t"].max()

    def involuntary_at(g, t):
        if involuntary is None:
            return False
        ev = g[(g["event"] == involuntary) & (g["t"] <= t) & (g["t"] >= t - window)]
        return len(ev) > 0

    start_count = {p: 0 for p in range(first + 1, last + 1)}
    churned = {p: 0 for p in range(first + 1, last + 1)}
    invol = {p: 0 for p in range(first + 1, last + 1)}
    for c in customers:
        g = by[c]
        active = sorted(set(g["p"]))
        f = int(g["p"].iloc[0])
        churn_time = None
        if churn_event is None:
            for p in range(first + 1, last + 1):
                if (p - 1) in active:
                    start_count[p] += 1
                    if p not in active:
                        churned[p] += 1
                        t = g[g["p"] == p - 1]["t"].max()
                        if involuntary_at(g, t):
                            invol[p] += 1
                        if churn_time is None:
                            churn_time = t
        else:
            named = g[g["event"] == churn_event]
            q = int(named["p"].iloc[0]) if len(named) else None
            qt = named["t"].iloc[0] if len(named) else None
            for p in range(first + 1, last + 1):
                if f < p and (q is None or q >= p):
                    start_count[p] += 1
                    if q == p:
                        churned[p] += 1
                        if involuntary_at(g, qt):
                            invol[p] += 1
            churn_time = qt
        # Cohorts.
        size_row = cohorts.setdefault(f, [0, [0] * (last - f + 1)])
        size_row[0] += 1
        churn_period = None if churn_time is None else int(periods(pd.Series([churn_time]), kind).iloc[0])
        for k in range(last - f + 1):
            if churn_event is None:
                kept = (f + k) in active
            else:
                kept = churn_period is None or f + k < churn_period
            size_row[1][k] += int(kept)
        end = churn_time if churn_time is not None else latest
        durations.append(((end - g["t"].iloc[0]) / pd.Timedelta(days=1), churn_time is not None))
    # Revenue.
    rev = log.groupby(["customer_id", "p"])["amount"].sum()
    for p in range(first + 1, last + 1):
        n = start_count[p]
        rate = churned[p] / n if n else None
        days = (start_instant(p + 1, kind) - start_instant(p, kind)) / pd.Timedelta(days=1)
        row = {"start": start_of(p, kind), "customers_start": n, "churned": churned[p], "churn_rate": rate,
               "churn_rate_30d": None if rate is None else 1 - (1 - rate) ** (30 / days)}
        if involuntary is not None:
            row["involuntary"] = invol[p]
            row["voluntary"] = churned[p] - invol[p]
        s = ch = con = exp = 0.0
        for c in customers:
            prev = float(rev.get((c, p - 1), 0.0))
            cur = float(rev.get((c, p), 0.0))
            s += prev
            if prev > 0 and cur == 0:
                ch += prev
            if 0 < cur < prev:
                con += prev - cur
            if cur > prev > 0:
                exp += cur - prev
        row.update({"revenue_start": s, "revenue_churned": ch, "revenue_contraction": con, "revenue_expansion": exp,
                    "grr": (s - ch - con) / s if s > 0 else None, "nrr": (s - ch - con + exp) / s if s > 0 else None})
        rows.append(row)
    cohort_list = [{"start": start_of(f, kind), "customers": v[0], "retention": [x / v[0] for x in v[1]]}
                   for f, v in sorted(cohorts.items())]
    survival = kaplan_meier(durations)
    # Per segment: the customer's latest non-empty tier.
    segments = {}
    for (c, (d, e)) in zip(customers, durations):
        tiers = [t for t in by[c]["tier"] if t]
        segments.setdefault(tiers[-1] if tiers else "<missing>", []).append((d, e))
    by_segment = {name: kaplan_meier(obs) for name, obs in sorted(segments.items())}
    return {"periods": rows, "cohorts": cohort_list, "survival": survival, "segment_survival": by_segment}


def kaplan_meier(durations):
    from lifelines import KaplanMeierFitter
    kmf = KaplanMeierFitter().fit([d for d, _ in durations], [e for _, e in durations])
    table = kmf.event_table
    times = [float(t) for t in table.index if table.loc[t, "observed"] > 0]
    ci = kmf.confidence_interval_survival_function_
    return {"customers": len(durations), "churned": int(sum(e for _, e in durations)), "days": times,
            "survival": [float(kmf.survival_function_.loc[t].iloc[0]) for t in times],
            "lower_95": [float(ci.loc[t].iloc[0]) for t in times], "upper_95": [float(ci.loc[t].iloc[1]) for t in times]}


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "Tests/AnalysisTests/Fixtures"
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "edge_log.csv"), "w") as f:
        f.write(ROWS)
    log = pd.read_csv(os.path.join(out, "edge_log.csv"), dtype={"customer_id": str, "tier": str}, keep_default_na=False)
    log["t"] = pd.to_datetime(log["timestamp"], utc=True, format="mixed")
    cases = {
        "month_activity": analyse(log, "month", involuntary="payment_failed", within_days=30),
        "month_event": analyse(log, "month", churn_event="cancel", involuntary="payment_failed", within_days=10),
        "week_activity": analyse(log, "week"),
        "quarter_event": analyse(log, "quarter", churn_event="cancel"),
    }
    with open(os.path.join(out, "expected.json"), "w") as f:
        json.dump(cases, f, indent=1, sort_keys=True)
    print(f"wrote {out}/edge_log.csv and {out}/expected.json ({', '.join(cases)})")


if __name__ == "__main__":
    main()
