"""Models saved by main before the reshaping (efa1fdf), for tests/test_saved_models.py."""

import sys

import joblib
import numpy as np
import pandas as pd

from automl import AutoMLClassifier, AutoMLRegressor

out = sys.argv[1]
rng = np.random.default_rng(0)
n = 120
X = pd.DataFrame(
    {
        "a": rng.normal(size=n),
        "b": rng.normal(size=n),
        "c": pd.Categorical(rng.choice(["x", "y", "z"], size=n)),
    }
)
y_cls = np.where(X["a"] + (X["c"] == "x") + 0.3 * rng.normal(size=n) > 0.5, "yes", "no")
y_reg = 2 * X["a"] - X["b"] + 0.1 * rng.normal(size=n)
common = dict(
    time_budget=60,
    max_trials=6,
    random_state=0,
    n_jobs=1,
    history=None,
    verbose=0,
    warm_start=None,
    include=["lightgbm", "logistic_regression", "ridge", "knn"],
)
clf = AutoMLClassifier(ensemble_size=5, ensemble_refit=False, **common).fit(X, y_cls)
reg = AutoMLRegressor(**{**common, "include": ["hist_gradient_boosting"]}).fit(X, y_reg)
rows = X.iloc[:15]
joblib.dump(
    {
        "classifier": clf,
        "regressor": reg,
        "X": rows,
        "proba": clf.predict_proba(rows),
        "labels": clf.predict(rows),
        "regression": reg.predict(rows),
        "saved_by": "efa1fdf",
    },
    out,
    compress=3,
)
print(type(clf.model_), clf.refit_, reg.refit_)
