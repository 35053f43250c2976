#!/usr/bin/env python3
"""Fits scikit-learn's LogisticRegression(C) on the same features as a churn model file and compares.

Usage: sklearn_compare.py MODEL.json TRAIN.csv TEST.csv
Prints one JSON object: the largest coefficient difference, intercept difference, scaler
differences, and ROC AUC on TEST of scikit-learn and of the churn model's own coefficients.
"""
import json
import sys

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score


def design(frame, model, medians=None, means=None, stds=None):
    columns = []
    stats = {}
    for f in model["numeric"]:
        x = pd.to_numeric(frame[f["column"]], errors="coerce")
        median = medians[f["column"]] if medians else float(np.nanmedian(x))
        x = x.fillna(median).to_numpy(dtype=float)
        mean = means[f["column"]] if means else float(x.mean())
        std = stds[f["column"]] if stds else float(x.std(ddof=0)) or 1.0
        stats[f["column"]] = (median, mean, std)
        columns.append((x - mean) / std)
    for f in model["categorical"]:
        values = frame[f["column"]].astype(str).str.strip()
        for c in f["categories"]:
            columns.append((values == c["value"]).to_numpy(dtype=float))
    return np.column_stack(columns), stats


def main():
    model_path, train_path, test_path = sys.argv[1:4]
    model = json.load(open(model_path))
    train = pd.read_csv(train_path, dtype=str, keep_default_na=False)
    test = pd.read_csv(test_path, dtype=str, keep_default_na=False)
    label = model["label"]
    x, stats = design(train, model)
    y = (train[label["column"]].str.strip() == label["positive"]).to_numpy(dtype=int)
    C = model["regularization"]["C"]
    clf = LogisticRegression(C=C, tol=1e-12, max_iter=100000).fit(x, y)

    ours = [f["coefficient"] for f in model["numeric"]]
    for f in model["categorical"]:
        ours += [c["coefficient"] for c in f["categories"]]
    ours = np.array(ours)

    medians = {k: v[0] for k, v in stats.items()}
    means = {k: v[1] for k, v in stats.items()}
    stds = {k: v[2] for k, v in stats.items()}
    xt, _ = design(test, model, medians, means, stds)
    yt = (test[label["column"]].str.strip() == label["positive"]).to_numpy(dtype=int)
    sk_auc = roc_auc_score(yt, clf.predict_proba(xt)[:, 1])
    our_logit = model["intercept"] + xt @ ours
    our_auc = roc_auc_score(yt, 1 / (1 + np.exp(-our_logit)))

    print(json.dumps({
        "max_coef_diff": float(np.max(np.abs(clf.coef_[0] - ours))),
        "intercept_diff": float(abs(clf.intercept_[0] - model["intercept"])),
        "max_mean_diff": max(abs(means[f["column"]] - f["mean"]) for f in model["numeric"]),
        "max_std_diff": max(abs(stds[f["column"]] - f["std"]) for f in model["numeric"]),
        "sklearn_auc": float(sk_auc),
        "churn_auc": float(our_auc),
        "sklearn_coef": clf.coef_[0].tolist(),
        "churn_coef": ours.tolist(),
    }))


if __name__ == "__main__":
    main()
