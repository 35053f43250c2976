print("churn")
