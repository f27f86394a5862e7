#!/usr/bin/env python3
"""Writes a CDNOW-like purchase log: one event type (`purchase`) with amounts, few events per customer.

Customers follow the BG/NBD story (Fader, Hardie & Lee 2005): while alive, a customer buys at a
Poisson rate λ ~ Gamma(r, α); after each purchase they drop out with probability p ~ Beta(a, b).
First purchases are spread over the first quarter; amounts are log-normal per customer. Used to
check that churn-train works with its defaults on sparse purchase data (issue 5).

    python3 scripts/make_purchase_log.py --customers 10000 --seed 1 --output purchases.csv
"""
import argparse
import datetime as dt

import numpy as np


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--customers", type=int, default=10000)
    p.add_argument("--days", type=int, default=546)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--output", required=True)
    a = p.parse_args()
    rng = np.random.default_rng(a.seed)
    start = dt.datetime(1997, 1, 1)
    rows = []
    for c in range(a.customers):
        rate = rng.gamma(0.25, 1 / 4.0)        # purchases per day (r = 0.25, α = 4 days)
        drop = rng.beta(0.8, 2.5)
        mean_amount = rng.lognormal(3.3, 0.6)
        t = rng.uniform(0, a.days / 4)
        while t < a.days:
            rows.append((f"{c:05d}", start + dt.timedelta(days=float(t)), round(float(rng.lognormal(np.log(mean_amount), 0.4)), 2)))
            if rng.random() < drop:
                break
            t += rng.exponential(1 / max(rate, 1e-6))
    rows.sort(key=lambda r: r[1])
    with open(a.output, "w") as f:
        f.write("customer_id,timestamp,event,amount\n")
        for cid, when, amount in rows:
            f.write(f"{cid},{when:%Y-%m-%d},purchase,{amount}\n")
    print(f"{len(rows)} purchases by {a.customers} customers -> {a.output}")


if __name__ == "__main__":
    main()
