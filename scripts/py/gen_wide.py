#!/usr/bin/env python3
"""A wider customer table than `churn generate` writes, for benchmarks on a schema churn was not
built around: 17 columns (an id, 5 categorical, 11 numeric), plus a 0/1 `churned` label with --label.

usage: gen_wide.py ROWS SEED OUTPUT.csv [--label]

The label follows a logistic model of a few of the columns plus noise, so a model trained on a
labelled file has something to find. Deterministic for a given ROWS and SEED. Needs numpy and polars.
"""
import sys

import numpy as np
import polars as pl

CATEGORIES = {
    "plan": ["basic", "standard", "premium", "enterprise"],
    "region": ["north", "south", "east", "west", "central", "overseas"],
    "channel": ["web", "partner", "sales", "retail"],
    "contract": ["monthly", "annual", "two-year"],
    "payment_method": ["card", "invoice", "debit", "paypal"],
}


def main():
    rows, seed, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    label = "--label" in sys.argv[4:]
    rng = np.random.default_rng(seed)
    n = rows
    ids = pl.DataFrame({"i": np.arange(1, n + 1)}).select(pl.format("W{}", pl.col("i").cast(pl.String).str.zfill(9)))
    cols = {"customer_id": ids.to_series()}
    codes = {}
    for name, values in CATEGORIES.items():
        codes[name] = rng.integers(0, len(values), n)
        cols[name] = pl.Series(name, np.array(values)[codes[name]])
    tenure = rng.integers(1, 121, n)
    monthly = np.round(rng.gamma(4.0, 20.0, n) + 10, 2)
    logins = rng.poisson(12, n)
    calls = rng.poisson(1.2, n)
    late = rng.poisson(0.4, n)
    usage = np.round(rng.lognormal(3.0, 0.8, n), 1)
    change = np.round(rng.normal(0, 18, n), 1)
    nps = rng.integers(0, 11, n)
    seats = rng.integers(1, 501, n)
    days = rng.geometric(0.15, n) - 1
    cols.update({
        "tenure_months": tenure, "monthly_charges": monthly, "total_charges": np.round(monthly * tenure, 2),
        "logins_30d": logins, "support_calls_90d": calls, "late_payments_12m": late, "usage_gb": usage,
        "usage_change_pct": change, "nps": nps, "seats": seats, "days_since_last_login": days,
    })
    if label:
        z = (-1.2 - 0.03 * tenure + 0.9 * late + 0.35 * calls - 0.04 * change + 0.08 * days - 0.15 * nps
             + 0.8 * (codes["contract"] == 0) - 0.5 * (codes["plan"] == 3) + rng.normal(0, 0.8, n))
        cols["churned"] = (rng.random(n) < 1 / (1 + np.exp(-z))).astype(np.int8)
    pl.DataFrame(cols).write_csv(out)


if __name__ == "__main__":
    main()
