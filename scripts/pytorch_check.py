#!/usr/bin/env python3
"""Recomputes ChurnForecaster's scores in plain PyTorch: the proof that the model file is PyTorch.

Loads the model file into torch.nn.Embedding + torch.nn.LSTM + torch.nn.Linear (by the PyTorch
tensor names in the safetensors file), feeds the features that `churn-predict --dump-features`
(or churn-evaluate) wrote, and compares the logits, and with --predictions the calibrated
probabilities of the CSV, with churn-predict's. Prints the largest differences; exits 1 when
they exceed --tolerance.

    churn-predict --model m.safetensors --events e.csv --output p.csv --dump-features f.safetensors
    python3 scripts/pytorch_check.py --model m.safetensors --features f.safetensors --predictions p.csv

Needs torch, numpy and safetensors (pip).
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
    return embedding, lstm, head, config["calibration"]


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", required=True)
    p.add_argument("--features", required=True, help="a --dump-features file")
    p.add_argument("--predictions", help="churn-predict CSV to compare probabilities with")
    p.add_argument("--tolerance", type=float, default=1e-5)
    a = p.parse_args()
    torch.set_num_threads(1)
    embedding, lstm, head, calibration = load_model(a.model)
    dump = load_file(a.features)
    with safe_open(a.features, "np") as f:
        customers = json.loads(f.metadata()["customers"])
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
    worst_logit = float(np.max(np.abs(logits - dump["logits"]))) if len(logits) else 0.0
    probabilities = 1 / (1 + np.exp(-(calibration["a"] * logits + calibration["b"])))
    print(f"customers: {len(lengths)}")
    print(f"max |logit difference|: {worst_logit:.3e}")
    worst = worst_logit
    if a.predictions:
        with open(a.predictions, newline="") as f:
            predicted = {row["customer_id"]: float(row["churn_probability"]) for row in csv.DictReader(f)}
        missing = [c for c in customers if c not in predicted]
        if missing:
            sys.exit(f"{len(missing)} dumped customers are not in {a.predictions}, e.g. {missing[0]}")
        diff = np.abs(probabilities - np.array([predicted[c] for c in customers]))
        worst_p = float(diff.max()) if len(diff) else 0.0
        # The CSV carries six decimals: allow their rounding.
        print(f"max |probability difference| vs {a.predictions}: {worst_p:.3e} (CSV rounded to 1e-6)")
        worst = max(worst, worst_p - 5e-7)
    if worst > a.tolerance:
        print(f"FAILED: difference above {a.tolerance}")
        sys.exit(1)
    print("OK: the model file is plain PyTorch")


if __name__ == "__main__":
    main()
