#!/usr/bin/env python3
"""The peers churn is measured against, scoring the same file with the same model.

usage: peer_score.py polars|pandas MODEL.json INPUT.csv OUTPUT.csv

polars: read_csv + the model's standardization and one-hot in numpy + one dot product + write_csv.
pandas: read_csv + the same design matrix + scikit-learn LogisticRegression.predict_proba + to_csv.
Both write id and churn probability.
"""
import json
import sys

import numpy as np


def design_numpy(columns, model):
    parts = []
    for f in model["numeric"]:
        x = columns[f["column"]].astype(np.float64)
        x = np.where(np.isnan(x), f["median"], x)
        parts.append((x - f["mean"]) / (f["std"] or 1.0))
    for f in model["categorical"]:
        v = columns[f["column"]]
        for c in f["categories"]:
            parts.append((v == c["value"]).astype(np.float64))
    return np.column_stack(parts)


def coefficients(model):
    w = [f["coefficient"] for f in model["numeric"]]
    for f in model["categorical"]:
        w += [c["coefficient"] for c in f["categories"]]
    return np.array(w)


def main():
    engine, model_path, input_path, output_path = sys.argv[1:5]
    model = json.load(open(model_path))
    id_column = model.get("idColumn") or "customer_id"
    if engine == "polars":
        import polars as pl
        df = pl.read_csv(input_path)
        # Numeric features standardized in polars, one matrix product in numpy; categories as a lookup.
        numeric = df.select([((pl.col(f["column"]).cast(pl.Float64).fill_null(f["median"]) - f["mean"]) / (f["std"] or 1.0))
                             for f in model["numeric"]]).to_numpy()
        logit = numeric @ np.array([f["coefficient"] for f in model["numeric"]]) + model["intercept"]
        for f in model["categorical"]:
            lookup = {c["value"]: c["coefficient"] for c in f["categories"]}
            logit += df[f["column"]].replace_strict(lookup, default=0.0, return_dtype=pl.Float64).to_numpy()
        p = 1 / (1 + np.exp(-logit))
        pl.DataFrame({id_column: df[id_column], "churn_probability": p}).write_csv(output_path)
    elif engine == "pandas":
        import pandas as pd
        from sklearn.linear_model import LogisticRegression
        df = pd.read_csv(input_path)
        cols = {f["column"]: df[f["column"]].to_numpy() for f in model["numeric"] + model["categorical"]}
        x = design_numpy(cols, model)
        clf = LogisticRegression()
        clf.classes_ = np.array([0, 1])
        clf.coef_ = coefficients(model).reshape(1, -1)
        clf.intercept_ = np.array([model["intercept"]])
        p = clf.predict_proba(x)[:, 1]
        pd.DataFrame({id_column: df[id_column], "churn_probability": p}).to_csv(output_path, index=False)
    else:
        raise SystemExit("engine must be polars or pandas")


if __name__ == "__main__":
    main()
