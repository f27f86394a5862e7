#!/usr/bin/env python3
"""Writes the reference fixtures of the Evaluation module's tests.

    python3 scripts/make_evaluation_fixtures.py

Needs numpy, scipy, scikit-learn (1.9) and `lifetimes` (0.11.3; `pip install lifetimes`, a
virtual environment with --system-site-packages keeps it away from the system packages).

Writes into Tests/EvaluationTests/Fixtures/:
  metrics.json   scores/labels with ties, scikit-learn's roc_auc_score, average_precision_score,
                 log_loss, brier_score_loss; reference ECE and top-decile lift; single-class cases.
  logistic.json  a small data set, its standardization, and scikit-learn LogisticRegression
                 coefficients and probabilities fitted on the standardized data.
  bgnbd.json     lifetimes' CDNOW summary (frequency, recency, T in weeks) with BetaGeoFitter
                 parameters, P(alive), conditional expected purchases, and P(no purchase within t)
                 from the closed form below, checked here by Monte Carlo.
"""
import json
import os
import warnings

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import (average_precision_score, brier_score_loss, log_loss,
                             roc_auc_score)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "Tests", "EvaluationTests", "Fixtures")


def ece_reference(p, y, bins=10):
    """Expected calibration error: 10 equal-width bins on [0, 1], weighted by bin count."""
    idx = np.minimum((p * bins).astype(int), bins - 1)
    total = 0.0
    for b in range(bins):
        m = idx == b
        if m.any():
            total += m.sum() / len(p) * abs(p[m].mean() - y[m].mean())
    return total


def lift_reference(s, y, fraction=0.1):
    """Top-decile lift; the tie group at the cut counts pro rata (expected value over tie orders)."""
    n = len(s)
    k = max(1, int(np.ceil(fraction * n)))
    order = np.sort(s)[::-1]
    cut = order[k - 1]
    above = s > cut
    tied = s == cut
    positives = y[above].sum() + (k - above.sum()) * y[tied].mean()
    return (positives / k) / y.mean()


def metric_case(name, scores, labels):
    scores = np.asarray(scores, dtype=np.float64)
    labels = np.asarray(labels, dtype=np.int64)
    single = len(np.unique(labels)) < 2
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        case = {
            "name": name,
            "scores": scores.tolist(),
            "labels": labels.tolist(),
            "roc_auc": None if single else roc_auc_score(labels, scores),
            "average_precision": None if single else average_precision_score(labels, scores),
            "log_loss": log_loss(labels, scores, labels=[0, 1]),
            "brier": brier_score_loss(labels, scores, labels=[0, 1]),
            "ece": ece_reference(scores, labels.astype(float)),
            "top_decile_lift": None if labels.sum() == 0 else lift_reference(scores, labels.astype(float)),
        }
    return case


def make_metrics(rng):
    cases = []
    # Scores rounded to 2 decimals: many ties, labels that depend on the score.
    n = 600
    s = np.round(rng.beta(2, 3, n), 2)
    y = (rng.random(n) < s).astype(int)
    cases.append(metric_case("ties_2_decimals", s, y))
    # Heavy ties: 1 decimal.
    n = 300
    s = np.round(rng.random(n), 1)
    y = (rng.random(n) < 0.3 + 0.4 * s).astype(int)
    cases.append(metric_case("ties_1_decimal", s, y))
    # Exact 0 and 1 probabilities, some of them wrong: log loss clipping at float64 eps.
    s = np.array([0.0, 1.0, 1.0, 0.0, 0.5, 0.25, 0.75, 1.0, 0.0, 0.9])
    y = np.array([0, 1, 0, 1, 1, 0, 1, 1, 0, 0])
    cases.append(metric_case("extreme_probabilities", s, y))
    # No ties, imbalanced.
    n = 1000
    s = rng.random(n)
    y = (rng.random(n) < 0.1 * (1 + s)).astype(int)
    cases.append(metric_case("imbalanced_no_ties", s, y))
    # All scores equal: AUC 0.5, AP = base rate.
    cases.append(metric_case("constant_scores", np.full(20, 0.3), np.array([1] * 6 + [0] * 14)))
    # Single class: AUCs undefined.
    cases.append(metric_case("single_class_positive", rng.random(15).round(2), np.ones(15, dtype=int)))
    cases.append(metric_case("single_class_negative", rng.random(15).round(2), np.zeros(15, dtype=int)))
    return {"cases": cases}


def make_logistic(rng):
    n, names = 400, ["recency_days", "frequency", "monetary", "tenure_days"]
    x = np.column_stack([
        rng.exponential(40.0, n),
        rng.poisson(5.0, n).astype(float),
        rng.lognormal(4.0, 1.0, n),
        rng.uniform(30, 900, n),
    ])
    z_true = -1.0 + 0.03 * x[:, 0] - 0.25 * x[:, 1] + 0.002 * x[:, 2] - 0.001 * x[:, 3]
    y = (rng.random(n) < 1 / (1 + np.exp(-z_true))).astype(int)
    w = rng.uniform(0.5, 2.0, n)
    mean = x.mean(axis=0)
    std = x.std(axis=0)  # population standard deviation (ddof 0)
    xs = (x - mean) / std
    fits = []
    for c, weighted in [(1.0, False), (0.05, False), (1.0, True)]:
        model = LogisticRegression(C=c, solver="newton-cholesky", tol=1e-12, max_iter=1000)
        model.fit(xs, y, sample_weight=w if weighted else None)
        fits.append({
            "C": c,
            "weighted": weighted,
            "coefficients": model.coef_[0].tolist(),
            "intercept": float(model.intercept_[0]),
            "probabilities": model.predict_proba(xs)[:, 1].tolist(),
        })
    return {"feature_names": names, "features": x.tolist(), "labels": y.tolist(),
            "sample_weights": w.tolist(), "means": mean.tolist(), "stds": std.tolist(), "fits": fits}


def p_no_purchase(r, alpha, a, b, x, tx, T, t):
    """P(no transaction in (T, T+t] | x, t_x, T) = 1 - P(alive)·(1 - ((α+T)/(α+T+t))^(r+x))."""
    log_div = (r + x) * np.log((alpha + T) / (alpha + tx)) + np.log(a / (b + np.maximum(x, 1) - 1))
    p_alive = np.where(x == 0, 1.0, 1 / (1 + np.exp(log_div)))
    return 1 - p_alive * (1 - ((alpha + T) / (alpha + T + t)) ** (r + x))


def monte_carlo_no_purchase(rng, r, alpha, a, b, x, tx, T, t, draws=400_000):
    """Posterior by importance sampling from the prior, then the future simulated explicitly."""
    lam = rng.gamma(r, 1 / alpha, draws)
    p = rng.beta(a, b, draws)
    # Likelihood of the history split into 'alive at T' and 'died right after the last purchase'.
    alive = (1 - p) ** x * lam ** x * np.exp(-lam * T)
    dead = (p * (1 - p) ** (x - 1) * lam ** x * np.exp(-lam * tx)) if x > 0 else np.zeros(draws)
    weight = alive + dead
    is_alive = rng.random(draws) < alive / np.maximum(weight, 1e-300)
    # A living customer's next purchase comes after an exponential wait; a dead one never buys.
    first_purchase = rng.exponential(1 / lam)
    no_purchase = ~is_alive | (first_purchase > t)
    return float(np.sum(weight * no_purchase) / np.sum(weight))


def make_bgnbd(rng):
    from lifetimes import BetaGeoFitter
    from lifetimes.datasets import load_cdnow_summary

    data = load_cdnow_summary(index_col=[0])
    f, rec, T = data["frequency"].values, data["recency"].values, data["T"].values
    fits = []
    for penalizer in [0.0, 0.01]:
        bgf = BetaGeoFitter(penalizer_coef=penalizer)
        bgf.fit(f, rec, T)
        fits.append({"penalizer": penalizer,
                     "r": bgf.params_["r"], "alpha": bgf.params_["alpha"],
                     "a": bgf.params_["a"], "b": bgf.params_["b"],
                     "mean_negative_log_likelihood": float(bgf._negative_log_likelihood_)})
    bgf = BetaGeoFitter().fit(f, rec, T)
    r, alpha, a, b = (bgf.params_[k] for k in ["r", "alpha", "a", "b"])
    horizon = 26.0  # weeks
    picks = list(range(12)) + [int(i) for i in np.argsort(-f)[:4]]
    checks = []
    for i in picks:
        x, tx, age = int(f[i]), float(rec[i]), float(T[i])
        p_alive = float(bgf.conditional_probability_alive(x, tx, age)[0])
        expected = float(np.atleast_1d(
            bgf.conditional_expected_number_of_purchases_up_to_time(horizon, x, tx, age))[0])
        closed = float(p_no_purchase(r, alpha, a, b, x, tx, age, horizon))
        checks.append({"frequency": x, "recency": tx, "T": age, "p_alive": p_alive,
                       "expected_purchases": expected, "p_no_purchase": closed})
    # Monte Carlo check of the closed form on a few histories.
    worst = 0.0
    for x, tx, age in [(0, 0.0, 38.86), (2, 30.43, 38.86), (1, 1.71, 38.86), (6, 20.0, 35.0)]:
        mc = monte_carlo_no_purchase(rng, r, alpha, a, b, x, tx, age, horizon)
        closed = float(p_no_purchase(r, alpha, a, b, x, tx, age, horizon))
        worst = max(worst, abs(mc - closed))
        print(f"  P(no purchase in {horizon} | x={x}, t_x={tx}, T={age}): closed {closed:.5f}  MC {mc:.5f}")
    assert worst < 5e-3, f"closed form disagrees with Monte Carlo by {worst}"
    print(f"  Monte Carlo max |difference| {worst:.2e}")
    return {"unit": "weeks", "horizon": horizon,
            "frequency": f.astype(int).tolist(), "recency": rec.tolist(), "T": T.tolist(),
            "fits": fits, "checks": checks}


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(20260601)
    outputs = {"metrics.json": make_metrics(rng), "logistic.json": make_logistic(rng),
               "bgnbd.json": make_bgnbd(rng)}
    for name, payload in outputs.items():
        path = os.path.join(OUT, name)
        with open(path, "w") as handle:
            json.dump(payload, handle, separators=(",", ":"))
        print(f"wrote {path} ({os.path.getsize(path)} bytes)")


if __name__ == "__main__":
    main()
