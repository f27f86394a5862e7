#!/usr/bin/env python3
"""Writes a synthetic event log for data-layer benchmarks (not the churn simulator).

usage: make_event_log.py OUT.csv [EVENTS] [SEED]

Columns: customer_id,timestamp,event,amount,channel — ISO timestamps with a space, rows
shuffled in blocks (not sorted per customer), ~20 event types, amount empty on non-purchases.
"""
import sys
import numpy as np

out = sys.argv[1]
events = int(sys.argv[2]) if len(sys.argv) > 2 else 10_000_000
seed = int(sys.argv[3]) if len(sys.argv) > 3 else 1
rng = np.random.default_rng(seed)
customers = max(1, events // 40)
names = np.array(["view", "search", "add_to_cart", "purchase", "login", "logout", "wishlist", "review",
                  "support", "refund", "share", "promo_click", "email_open", "email_click", "page_scroll",
                  "checkout", "payment_error", "app_open", "notification", "cancel"])
p = np.array([30, 12, 8, 4, 10, 6, 3, 2, 1, 0.5, 1, 3, 5, 2, 6, 2, 0.3, 3, 1.5, 0.2])
p = p / p.sum()
start = np.datetime64("2022-01-01T00:00:00").astype("datetime64[s]").astype(np.int64)
span = 2 * 365 * 86400
chunk = 1_000_000
with open(out, "w") as f:
    f.write("customer_id,timestamp,event,amount,channel\n")
    written = 0
    while written < events:
        n = min(chunk, events - written)
        cust = rng.integers(0, customers, n)
        t = start + rng.integers(0, span, n)
        ev = rng.choice(len(names), n, p=p)
        ts = np.datetime_as_string(t.astype("datetime64[s]"), unit="s")
        ts = np.char.replace(ts, "T", " ")
        amount = np.where(ev == 3, np.char.mod("%.2f", rng.gamma(2.0, 30.0, n)), "")
        ids = np.char.add("cust_", np.char.zfill(cust.astype(str), 7))
        channel = np.where(cust % 3 == 0, "web", np.where(cust % 3 == 1, "app", "\"store, mall\""))
        lines = np.char.add(np.char.add(np.char.add(np.char.add(np.char.add(np.char.add(np.char.add(np.char.add(
            ids, ","), ts), ","), names[ev]), ","), amount), ","), channel)
        f.write("\n".join(lines.tolist()))
        f.write("\n")
        written += n
print(f"wrote {events} events of {customers} customers to {out}")
