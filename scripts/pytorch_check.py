#!/usr/bin/env python3
"""Recomputes ChurnForecaster's whole forecast in plain PyTorch and Python XGBoost: the proof that
the model file is PyTorch (plus an XGBoost booster).

Loads the model file into torch.nn.Embedding + torch.nn.LSTM + torch.nn.Linear (by the PyTorch
tensor names in the safetensors file), feeds the features that `churn-predict --dump-features`
(or churn-evaluate) wrote, and compares the logits with churn-predict's. When the model holds a
booster (the U8 tensor `xgboost.model`, XGBoost's JSON model), it is loaded into
xgboost.Booster and its margins on the dump's `tabular` features (NaN = missing) are compared
with the dump's `xgboost_margins`. With --predictions the CSV's probabilities are compared with
the recomputed forecast of --scorer:

    ensemble  sigmoid(w_lstm * lstm_logit + w_xgboost * xgboost_margin + bias)  (config `ensemble`)
    lstm      sigmoid(a * lstm_logit + b)                                       (config `calibration`)
    xgboost   sigmoid(xgboost_margin)

With --events (and --customers, as given to churn-predict) the customer attributes are
recomputed from the raw files, independently of the Swift code: each attribute's value as of the
row's cutoff (the dump's `cutoffs`) — the latest non-empty value of the log column strictly
before the cutoff, or the customer table's value — encoded as the model's `attributes` say
(one-hot categories with <other> and <missing>; numbers, log1p of them under `logScale`, with
the training mean for a missing one and a missing flag), then standardized like the LSTM's cutoff-step inputs and compared with
the dumped `numeric` (and, raw with NaN for a missing number, with the dumped `tabular`).

Prints the largest difference of each part; exits 1 when any exceeds --tolerance (the CSV's
six decimals are allowed their rounding), 2 when the model has a booster but xgboost is not
installed.

    churn-predict --model m.safetensors --events e.csv --output p.csv --dump-features f.safetensors
    python3 scripts/pytorch_check.py --model m.safetensors --features f.safetensors --predictions p.csv --events e.csv

Needs torch, numpy and safetensors (pip), xgboost for a model with a booster, pandas for --events.
"""
import argparse
import csv
import json
import sys

import numpy as np
import torch
from safetensors import safe_open
from safetensors.numpy import load_file


def load_model(path):
    tensors = load_file(path)
    with safe_open(path, "np") as f:
        meta = f.metadata()
    if meta.get("format") != "churn-forecaster/1":
        sys.exit(f"{path}: not a churn-forecaster/1 model (format {meta.get('format')!r})")
    config = json.loads(meta["config"])
    net = config["network"]
    V, E, F, H, L = (net[k] for k in ("vocabularySize", "embeddingSize", "numericSize", "hiddenSize", "numLayers"))
    embedding = torch.nn.Embedding(V, E)
    lstm = torch.nn.LSTM(E + F, H, num_layers=L, batch_first=True)
    head = torch.nn.Linear(H, 1)
    with torch.no_grad():
        embedding.weight.copy_(torch.from_numpy(tensors["embedding.weight"]))
        for name, parameter in lstm.named_parameters():
            parameter.copy_(torch.from_numpy(tensors["lstm." + name]))
        head.weight.copy_(torch.from_numpy(tensors["head.weight"]))
        head.bias.copy_(torch.from_numpy(tensors["head.bias"]))
    booster = None
    if "xgboost.model" in tensors:
        try:
            import xgboost
        except ImportError:
            print(f"{path} holds an XGBoost booster but the Python package xgboost is not installed "
                  "(pip install xgboost)", file=sys.stderr)
            sys.exit(2)
        booster = xgboost.Booster()
        booster.load_model(bytearray(tensors["xgboost.model"].tobytes()))
    return embedding, lstm, head, config, booster


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def max_difference(x, y):
    return float(np.max(np.abs(np.asarray(x, np.float64) - np.asarray(y, np.float64)))) if len(x) else 0.0


def parse_times(texts):
    """Event times in microseconds since the epoch (UTC), for the formats of the project's logs."""
    import pandas as pd
    texts = texts.str.strip()
    if texts.str.fullmatch(r"\d{8}").all():
        parsed = pd.to_datetime(texts, format="%Y%m%d", utc=True)
    elif texts.str.fullmatch(r"-?\d+(\.\d+)?").all():
        return (texts.astype(np.float64) * 1e6).round().astype(np.int64).to_numpy()
    else:
        parsed = pd.to_datetime(texts, utc=True, format="mixed")
    return (parsed - pd.Timestamp("1970-01-01", tz="UTC")) // pd.Timedelta(microseconds=1)


def attribute_inputs(config, customers, cutoffs, events, table_path):
    """The raw attribute inputs [N, W] of the dumped rows, recomputed from the raw files, and
    the same with NaN for a missing number (XGBoost's)."""
    import pandas as pd
    spec = config["features"].get("attributes", {}).get("attributes", [])
    columns = config["labels"]["columns"]
    frames = [pd.read_csv(path, dtype=str, keep_default_na=False) for path in events]
    log = pd.concat(frames, ignore_index=True)
    log = log[log[columns["customer"]].str.strip() != ""]
    log["_t"] = np.asarray(parse_times(log[columns["time"]]), dtype=np.int64)
    log = log.sort_values([columns["customer"], "_t"], kind="mergesort")   # stable: ties keep file order
    by_customer = {c: g for c, g in log.groupby(columns["customer"], sort=False)}
    table = None
    if any(a["source"] == "customer_table" for a in spec):
        if table_path is None:
            sys.exit("the model reads customer-table attributes: give --customers FILE")
        table = pd.read_csv(table_path, dtype=str, keep_default_na=False)
        id_column = columns["customer"] if columns["customer"] in table.columns else "customer_id"
        table = table.drop_duplicates(id_column).set_index(id_column)

    def value(attribute, customer, cutoff):
        name = attribute["name"]
        if attribute["source"] == "customer_table":
            if customer not in table.index:
                return None
            text = table.at[customer, name].strip(" \t")
            return text or None
        g = by_customer.get(customer)
        if g is None:
            return None
        history = g[g["_t"].to_numpy() < cutoff][name].str.strip(" \t")
        present = history[history != ""]
        return present.iloc[-1] if len(present) else None

    rows, rows_nan = [], []
    for customer, cutoff in zip(customers, cutoffs):
        x, x_nan = [], []
        for a in spec:
            v = value(a, customer, int(cutoff))
            if a["kind"] == "categorical":
                one_hot = [0.0] * (len(a["categories"]) + 2)
                if v is None:
                    one_hot[-1] = 1.0
                else:
                    one_hot[a["categories"].index(v) if v in a["categories"] else len(a["categories"])] = 1.0
                x += one_hot
                x_nan += one_hot
            else:
                number = float(v) if v is not None else None
                scaled = None if number is None else (np.log1p(number) if a.get("logScale") else number)
                x += [scaled if scaled is not None else a["mean"], 0.0 if number is not None else 1.0]
                x_nan += [number if number is not None else np.nan, 0.0 if number is not None else 1.0]
        rows.append(x)
        rows_nan.append(x_nan)
    width = sum(len(a["categories"]) + 2 if a["kind"] == "categorical" else 2 for a in spec)
    return np.array(rows, np.float64).reshape(len(customers), width), np.array(rows_nan, np.float64).reshape(len(customers), width)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", required=True)
    p.add_argument("--features", required=True, help="a --dump-features file")
    p.add_argument("--predictions", help="churn-predict CSV to compare probabilities with")
    p.add_argument("--scorer", choices=("ensemble", "lstm", "xgboost"),
                   help="the forecast the CSV holds (default: ensemble when the model has a booster, else lstm)")
    p.add_argument("--events", action="append", help="the event log(s) churn-predict read: recompute the attribute inputs")
    p.add_argument("--customers", help="the customer table churn-predict read (--customers)")
    p.add_argument("--tolerance", type=float, default=1e-5)
    a = p.parse_args()
    torch.set_num_threads(1)
    embedding, lstm, head, config, booster = load_model(a.model)
    calibration = config["calibration"]
    scorer = a.scorer or ("ensemble" if booster is not None else "lstm")
    if scorer != "lstm" and booster is None:
        sys.exit(f"--scorer {scorer} needs a model with an XGBoost booster; {a.model} has none")
    dump = load_file(a.features)
    with safe_open(a.features, "np") as f:
        dump_meta = f.metadata()
    customers = json.loads(dump_meta["customers"])
    lengths = dump["lengths"].astype(np.int64)
    starts = np.concatenate([[0], np.cumsum(lengths)])
    logits = []
    with torch.no_grad():
        for lo in range(0, len(lengths), 256):
            hi = min(len(lengths), lo + 256)
            T = int(lengths[lo:hi].max())
            ids = torch.zeros(hi - lo, T, dtype=torch.long)
            numeric = torch.zeros(hi - lo, T, dump["numeric"].shape[1])
            for b in range(lo, hi):
                s, n = starts[b], lengths[b]
                ids[b - lo, :n] = torch.from_numpy(dump["event_ids"][s:s + n].astype(np.int64))
                numeric[b - lo, :n] = torch.from_numpy(dump["numeric"][s:s + n])
            x = torch.cat([embedding(ids), numeric], dim=2)
            packed = torch.nn.utils.rnn.pack_padded_sequence(x, torch.from_numpy(lengths[lo:hi]), batch_first=True,
                                                             enforce_sorted=False)
            _, (h_n, _) = lstm(packed)
            logits.append(head(h_n[-1]).squeeze(1))
    logits = torch.cat(logits).numpy().astype(np.float64)
    worst_logit = max_difference(logits, dump["logits"])
    print(f"customers: {len(lengths)}")
    print(f"max |logit difference|: {worst_logit:.3e}")
    failed = worst_logit > a.tolerance
    if booster is not None:
        import xgboost
        names = json.loads(dump_meta.get("tabular_features", "null"))
        expected = config["tabular"]["featureNames"]
        if names != expected:
            sys.exit(f"{a.features}: tabular_features differ from the model's tabular featureNames "
                     f"({len(names or [])} vs {len(expected)} names)")
        tabular = dump["tabular"]
        if tabular.shape != (len(lengths), len(expected)):
            sys.exit(f"{a.features}: tabular is {list(tabular.shape)}, expected [{len(lengths)}, {len(expected)}]")
        if len(lengths):
            margins = booster.predict(xgboost.DMatrix(tabular, missing=np.nan), output_margin=True).astype(np.float64)
        else:
            margins = np.zeros(0)
        worst_margin = max_difference(margins, dump["xgboost_margins"])
        print(f"max |xgboost margin difference|: {worst_margin:.3e}")
        failed = failed or worst_margin > a.tolerance
    attributes = config["features"].get("attributes", {}).get("attributes", [])
    if a.events and attributes:
        raw, raw_nan = attribute_inputs(config, customers, dump["cutoffs"], a.events, a.customers)
        width = raw.shape[1]
        features = config["features"]["numericFeatures"][-width:]
        if not all(f["name"].startswith("attribute_") and f["scope"] == "cutoff" for f in features):
            sys.exit("the model's last numeric features are not its attribute inputs")
        mean = np.array([f["mean"] for f in features]); std = np.array([f["std"] for f in features])
        cutoff_steps = dump["numeric"][starts[1:] - 1][:, -width:].astype(np.float64)
        worst_attribute = max_difference(((raw - mean) / std).ravel(), cutoff_steps.ravel()) if len(customers) else 0.0
        print(f"attributes: {', '.join(x['name'] for x in attributes)} ({width} inputs)")
        print(f"max |attribute input difference| (LSTM cutoff step): {worst_attribute:.3e}")
        failed = failed or worst_attribute > a.tolerance * max(1.0, float(np.abs(cutoff_steps).max(initial=0)))
        if booster is not None:
            dumped = dump["tabular"][:, -width:].astype(np.float64)
            same_nan = np.array_equal(np.isnan(dumped), np.isnan(raw_nan))
            worst_tabular = max_difference(np.nan_to_num(raw_nan).ravel(), np.nan_to_num(dumped).ravel()) if len(customers) else 0.0
            print(f"max |attribute input difference| (XGBoost table): {worst_tabular:.3e}"
                  f"{'' if same_nan else ' (missing values differ)'}")
            failed = failed or not same_nan or worst_tabular > a.tolerance * max(1.0, float(np.abs(np.nan_to_num(dumped)).max(initial=0)))
    elif attributes:
        print(f"note: the model reads attributes ({', '.join(x['name'] for x in attributes)}); "
              "give --events (and --customers) to recompute them")
    if scorer == "ensemble":
        ensemble = config["ensemble"]
        weights = ensemble["weights"]
        probabilities = sigmoid(weights["lstm"] * logits + weights["xgboost"] * margins + ensemble["bias"])
    elif scorer == "xgboost":
        probabilities = sigmoid(margins)
    else:
        probabilities = sigmoid(calibration["a"] * logits + calibration["b"])
    if a.predictions:
        with open(a.predictions, newline="") as f:
            predicted = {row["customer_id"]: float(row["churn_probability"]) for row in csv.DictReader(f)}
        missing = [c for c in customers if c not in predicted]
        if missing:
            sys.exit(f"{len(missing)} dumped customers are not in {a.predictions}, e.g. {missing[0]}")
        diff = np.abs(probabilities - np.array([predicted[c] for c in customers]))
        worst_p = float(diff.max()) if len(diff) else 0.0
        # The CSV carries six decimals: allow their rounding.
        label = f"{scorer} probability" if booster is not None else "probability"
        print(f"max |{label} difference| vs {a.predictions}: {worst_p:.3e} (CSV rounded to 1e-6)")
        failed = failed or worst_p > max(a.tolerance, 5e-7)
    if failed:
        print(f"FAILED: difference above {a.tolerance}")
        sys.exit(1)
    if booster is not None:
        print("OK: the model file is plain PyTorch plus an XGBoost booster")
    else:
        print("OK: the model file is plain PyTorch")


if __name__ == "__main__":
    main()
