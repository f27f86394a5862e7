#!/usr/bin/env python3
"""Writes the XGBoost interoperability fixture of Tests/GradientBoostingTests.

A small binary:logistic model trained by Python's xgboost (the version Debian's libxgboost-dev
ships, 1.7.4: `pip install xgboost==1.7.4 numpy`), its JSON model bytes exactly as Python saves
them, and its inputs (NaN as null: missing values) with Python's margins, so the Swift test checks
that the model loads in Swift and predicts the same margins.

    python3 scripts/make_xgboost_fixture.py
"""
import json
import os

import numpy as np
import xgboost

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "Tests", "GradientBoostingTests", "Fixtures")


def main():
    rng = np.random.default_rng(7)
    rows, features = 400, 4
    x = rng.normal(size=(rows, features)).astype(np.float32)
    x[rng.random(size=x.shape) < 0.1] = np.nan  # missing values take each split's default direction
    logit = 2.0 * np.nan_to_num(x[:, 0]) * np.nan_to_num(x[:, 1]) + np.nan_to_num(x[:, 2]) - 0.5
    y = (rng.random(rows) < 1 / (1 + np.exp(-logit))).astype(np.float32)
    train = xgboost.DMatrix(x, label=y, missing=np.nan)
    params = {"objective": "binary:logistic", "eval_metric": "logloss", "tree_method": "hist", "max_depth": 3,
              "eta": 0.3, "subsample": 0.9, "colsample_bytree": 0.9, "seed": 1, "nthread": 1, "verbosity": 0}
    booster = xgboost.train(params, train, num_boost_round=15)
    model = bytes(booster.save_raw("json"))
    margins = booster.predict(train, output_margin=True).astype(np.float32)

    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, "xgboost_python_model.json"), "wb") as f:
        f.write(model)
    case = {
        "xgboost_version": xgboost.__version__,
        "rows": rows,
        "feature_count": features,
        "features": [None if np.isnan(v) else float(v) for v in x.reshape(-1)],
        "margins": [float(v) for v in margins],
    }
    with open(os.path.join(OUT, "xgboost_python_case.json"), "w") as f:
        json.dump(case, f)
    print(f"wrote {rows} rows, {len(model)} model bytes (xgboost {xgboost.__version__}) to {os.path.normpath(OUT)}")


if __name__ == "__main__":
    main()
