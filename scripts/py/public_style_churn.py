#!/usr/bin/env python3
"""Writes churn tables shaped like two well-known public data sets, for judging churn's advice.

    public_style_churn.py telecom OUT.csv [--rows N] [--seed S]   # ~26% churn
    public_style_churn.py bank OUT.csv [--rows N] [--seed S]      # ~20% churn

telecom: customerID, gender, SeniorCitizen, Partner, Dependents, tenure, PhoneService,
InternetService, OnlineSecurity, TechSupport, Contract, PaperlessBilling, PaymentMethod,
MonthlyCharges, TotalCharges (blank for brand-new customers), Churn (Yes/No). Cheap plans and
month-to-month contracts churn more, as in the public set.

bank: RowNumber, CustomerId, Surname, CreditScore, Geography, Gender, Age, Tenure, Balance,
NumOfProducts, HasCrCard, IsActiveMember, EstimatedSalary, Exited (1/0).

The numbers are synthetic (no real customer is in them); the shapes, label texts, blanks and
identifier columns follow the public files, which is what trips a product up.
"""
import argparse

import numpy as np
import pandas as pd


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def telecom(n, rng):
    tenure = np.clip(rng.exponential(28, n).astype(int), 0, 72)
    contract = rng.choice(["Month-to-month", "One year", "Two year"], n, p=[0.55, 0.21, 0.24])
    internet = rng.choice(["DSL", "Fiber optic", "No"], n, p=[0.34, 0.44, 0.22])
    base = np.where(internet == "Fiber optic", 85, np.where(internet == "DSL", 55, 22))
    monthly = np.round(np.clip(base + rng.normal(0, 12, n), 18.25, 118.75), 2)
    security = np.where(internet == "No", "No internet service", rng.choice(["Yes", "No"], n, p=[0.35, 0.65]))
    support = np.where(internet == "No", "No internet service", rng.choice(["Yes", "No"], n, p=[0.35, 0.65]))
    payment = rng.choice(["Electronic check", "Mailed check", "Bank transfer (automatic)", "Credit card (automatic)"], n,
                         p=[0.34, 0.23, 0.22, 0.21])
    z = -2.45 - 0.045 * (tenure - 24)
    z += np.where(contract == "Month-to-month", 1.2, np.where(contract == "One year", -0.4, -1.4))
    z += np.where(internet == "Fiber optic", 0.7, np.where(internet == "No", -0.6, 0))
    z += np.where(payment == "Electronic check", 0.45, 0)
    z += np.where(security == "No", 0.35, 0) + np.where(support == "No", 0.3, 0)
    z += -0.012 * (monthly - 65)  # given the service, cheaper plans churn more (no commitment)
    churn = rng.random(n) < sigmoid(z)
    total = np.round(monthly * tenure * rng.uniform(0.95, 1.05, n), 2)
    total_text = np.where(tenure == 0, " ", total.astype(str))
    ids = [f"{rng.integers(1000, 9999)}-{''.join(rng.choice(list('ABCDEFGHIJKLMNOPQRSTUVWXYZ'), 5))}{i}" for i in range(n)]
    return pd.DataFrame({
        "customerID": ids,
        "gender": rng.choice(["Female", "Male"], n),
        "SeniorCitizen": (rng.random(n) < 0.16).astype(int),
        "Partner": rng.choice(["Yes", "No"], n),
        "Dependents": rng.choice(["Yes", "No"], n, p=[0.3, 0.7]),
        "tenure": tenure,
        "PhoneService": rng.choice(["Yes", "No"], n, p=[0.9, 0.1]),
        "InternetService": internet,
        "OnlineSecurity": security,
        "TechSupport": support,
        "Contract": contract,
        "PaperlessBilling": rng.choice(["Yes", "No"], n, p=[0.6, 0.4]),
        "PaymentMethod": payment,
        "MonthlyCharges": monthly,
        "TotalCharges": total_text,
        "Churn": np.where(churn, "Yes", "No"),
    })


def bank(n, rng):
    geography = rng.choice(["France", "Germany", "Spain"], n, p=[0.5, 0.25, 0.25])
    gender = rng.choice(["Female", "Male"], n, p=[0.45, 0.55])
    age = np.clip(rng.normal(39, 10, n), 18, 92).astype(int)
    products = rng.choice([1, 2, 3, 4], n, p=[0.5, 0.46, 0.03, 0.01])
    active = (rng.random(n) < 0.52).astype(int)
    balance = np.where(rng.random(n) < 0.36, 0.0, np.round(rng.normal(119000, 30000, n), 2))
    z = -2.2 + 0.07 * (age - 39) - 0.9 * active + np.where(geography == "Germany", 0.75, 0)
    z += np.where(gender == "Female", 0.5, 0) + np.where(products >= 3, 2.2, np.where(products == 2, -1.0, 0)) + 0.75
    z += 0.000002 * balance
    exited = (rng.random(n) < sigmoid(z)).astype(int)
    # About 3,000 distinct surnames in 10,000 rows, as in the public file: too many for a category.
    syllables = np.array(["har", "grave", "hill", "on", "io", "bo", "ni", "mit", "chell", "chu", "bart", "lett", "obi",
                          "nna", "he", "bear", "ce", "an", "drews", "kay", "chin", "scott", "go", "forth", "ro", "meo"])
    pool = np.unique(["".join(rng.choice(syllables, rng.integers(2, 4))).capitalize() for _ in range(4000)])
    surnames = pool[: max(1, int(len(pool) * 0.9))]
    return pd.DataFrame({
        "RowNumber": np.arange(1, n + 1),
        "CustomerId": rng.choice(np.arange(15565701, 15815690), n, replace=False),
        "Surname": rng.choice(surnames, n),
        "CreditScore": np.clip(rng.normal(650, 96, n), 350, 850).astype(int),
        "Geography": geography,
        "Gender": gender,
        "Age": age,
        "Tenure": rng.integers(0, 11, n),
        "Balance": balance,
        "NumOfProducts": products,
        "HasCrCard": (rng.random(n) < 0.7).astype(int),
        "IsActiveMember": active,
        "EstimatedSalary": np.round(rng.uniform(11.58, 199992.48, n), 2),
        "Exited": exited,
    })


def main():
    p = argparse.ArgumentParser()
    p.add_argument("kind", choices=["telecom", "bank"])
    p.add_argument("out")
    p.add_argument("--rows", type=int, default=None)
    p.add_argument("--seed", type=int, default=11)
    a = p.parse_args()
    rng = np.random.default_rng(a.seed)
    df = telecom(a.rows or 7043, rng) if a.kind == "telecom" else bank(a.rows or 10000, rng)
    df.to_csv(a.out, index=False)


if __name__ == "__main__":
    main()
