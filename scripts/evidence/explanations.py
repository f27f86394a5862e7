#!/usr/bin/env python3
"""Faithfulness of churn-predict's reason codes on a simulated log.

1. Deletion test: for the highest-risk decile of the scored customers whose largest positive
   reason is tied to an event type that occurs in their history, remove that type's events from the customer's history, and
   separately those of another reason's event type drawn at random among the customer's other
   event-type reasons; score both copies with churn-predict (same model, same --as-of). The test
   passes for a customer when removing the top reason's events lowers its forecast more.
2. Agreement with the simulated truth (churn-simulate --truth, column `mechanism`): among the
   customers whose churn is driven by one mechanism, the share whose top positive reason names an
   event type of that mechanism (or the attribute, or tenure for a new account), next to the share
   a constant answer (the most frequent top reason) would get and the share among all scored
   customers (what the answer would get if it ignored the customer).

    explanations.py --bin .build/release --model m.safetensors --events log.csv.gz --as-of 2024-12-01 \\
        --explained reasons.jsonl --truth truth.csv [--customers table.csv --attribute-column plan] [--out DIR]

`reasons.jsonl` is `churn-predict --explain 100 --format jsonl` at the same --as-of. Needs pandas.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import pandas as pd

MECHANISM_GROUPS = {
    "failed_payment": {"event:payment_failed", "event:payment"},
    "unresolved_ticket": {"event:support_ticket", "event:ticket_resolved", "event:error"},
    "price_increase": {"event:price_increase"},
    "engagement_decline": {"event:login", "event:view", "event:feature_use", "activity", "recency"},
    "abandoned_feature": {"event:feature_use"},
    "new_account": {"tenure"},
    "channel": {"attribute:channel"},
    "company_size": {"attribute:company_size"},
    "plan": {"attribute:plan", "event:upgrade", "event:downgrade"},
}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", default=".build/release")
    ap.add_argument("--model", required=True)
    ap.add_argument("--events", required=True)
    ap.add_argument("--as-of", required=True)
    ap.add_argument("--explained", required=True, help="churn-predict --explain N --format jsonl output")
    ap.add_argument("--truth", help="churn-simulate --truth file with the mechanism column")
    ap.add_argument("--customers", help="the --customers table the model reads")
    ap.add_argument("--attribute-column", action="append", default=[])
    ap.add_argument("--scorer")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", default=None)
    a = ap.parse_args()
    out = a.out or tempfile.mkdtemp(prefix="explain-")
    os.makedirs(out, exist_ok=True)
    rows = [json.loads(line) for line in open(a.explained)]
    scored = [r for r in rows if r["reasons"]]
    probability = {r["customer_id"]: r["churn_probability"] for r in scored}

    def top_positive(r):
        positive = [x for x in r["reasons"] if x["contribution"] > 0]
        return max(positive, key=lambda x: x["contribution"]) if positive else None

    # 1. Deletion test.
    log = pd.read_csv(a.events, dtype=str, keep_default_na=False)
    as_of = pd.Timestamp(a.as_of, tz="UTC")
    times = pd.to_datetime(log["timestamp"], utc=True, format="mixed")
    history = log[times < as_of]
    present = history.groupby("customer_id")["event"].agg(lambda s: set(s))
    ranked = sorted(scored, key=lambda r: -r["churn_probability"])
    decile = ranked[:max(1, len(ranked) // 10)]
    rng = np.random.default_rng(a.seed)
    cases = []
    for r in decile:
        top = top_positive(r)
        if top is None or top["event"] is None or top["event"] not in present.get(r["customer_id"], set()):
            continue
        others = [x["event"] for x in r["reasons"] if x["event"] and x["event"] != top["event"]
                  and x["event"] in present.get(r["customer_id"], set())]
        if not others:
            continue
        cases.append((r["customer_id"], top["event"], others[rng.integers(len(others))]))
    print(f"deletion test: {len(cases)} of the {len(decile)} highest-risk customers have a top positive reason tied to "
          f"events in their history and another such reason")
    ids = {c for c, _, _ in cases}
    mine = log[log["customer_id"].isin(ids)]
    parts = []
    for c, top, other in cases:
        own = mine[mine["customer_id"] == c]
        for tag, drop in (("top", top), ("other", other)):
            copy = own[own["event"] != drop].copy()
            copy["customer_id"] = f"{c}~{tag}"
            parts.append(copy)
    virtual = os.path.join(out, "deleted.csv")
    pd.concat(parts).to_csv(virtual, index=False)
    flags = [f for name in a.attribute_column for f in ("--attribute-column", name)]
    if a.customers:
        table = pd.read_csv(a.customers, dtype=str, keep_default_na=False)
        key = table.columns[0]
        copies = []
        for tag in ("top", "other"):
            t = table[table[key].isin(ids)].copy()
            t[key] = t[key] + "~" + tag
            copies.append(t)
        virtual_table = os.path.join(out, "deleted-customers.csv")
        pd.concat(copies).to_csv(virtual_table, index=False)
        flags += ["--customers", virtual_table]
    scores = os.path.join(out, "deleted-scores.csv")
    command = [os.path.join(a.bin, "churn-predict"), "--model", a.model, "--events", virtual, "--as-of", a.as_of,
               "--output", scores] + flags + (["--scorer", a.scorer] if a.scorer else [])
    subprocess.run(command, check=True, stderr=subprocess.DEVNULL)
    after = pd.read_csv(scores, dtype={"customer_id": str}).set_index("customer_id")["churn_probability"]
    wins = []
    for c, top, other in cases:
        drop_top = probability[c] - after[f"{c}~top"]
        drop_other = probability[c] - after[f"{c}~other"]
        wins.append(drop_top > drop_other)
    if wins:
        print(f"  removing the top reason's events lowers the forecast more than removing a random other reason's: "
              f"{np.mean(wins):.1%} ({sum(wins)}/{len(wins)})")

    # 2. Agreement with the simulated mechanism.
    if a.truth:
        truth = pd.read_csv(a.truth, dtype={"customer_id": str}).set_index("customer_id")["mechanism"]
        tops = {r["customer_id"]: (top_positive(r) or {}).get("group") for r in scored}
        counts = pd.Series([g for g in tops.values() if g]).value_counts()
        constant = counts.index[0] if len(counts) else None
        print(f"agreement with the simulated mechanism (top positive reason); for comparison the constant answer "
              f"'{constant}', and the share of all scored customers whose top reason names the mechanism's events:")
        print(f"  {'mechanism':20s} {'customers':>9s} {'agree':>7s} {'constant':>8s} {'everyone':>8s}")
        for mechanism, groups in MECHANISM_GROUPS.items():
            members = [c for c in tops if truth.get(c) == mechanism]
            if not members:
                continue
            agree = np.mean([tops[c] in groups for c in members])
            const = np.mean([constant in groups for _ in members])
            everyone = np.mean([g in groups for g in tops.values()])
            print(f"  {mechanism:20s} {len(members):9d} {agree:7.1%} {const:8.1%} {everyone:8.1%}")


if __name__ == "__main__":
    sys.exit(main())
