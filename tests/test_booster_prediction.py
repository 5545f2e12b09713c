"""LightGBM and XGBoost predicting from the matrix this library builds: the same numbers as
the libraries' own frame conversion, and their own way for anything else."""

from __future__ import annotations

import pickle

import lightgbm
import numpy as np
import pandas as pd
import pytest
import xgboost
from sklearn.base import clone

from automl.space.families import booster_prediction
from automl.space.families.lightgbm_prediction import FastLGBMClassifier, FastLGBMRegressor
from automl.space.families.xgboost_prediction import FastXGBClassifier, FastXGBRegressor

COLOURS = pd.CategoricalDtype(["red", "green", "blue", "grey"])
SIZES = pd.CategoricalDtype([f"s{i}" for i in range(12)])


def _frame(n: int, seed: int) -> pd.DataFrame:
    """Numeric columns with missing values and two categorical ones with missing values (a
    held-out frame's unseen values are missing too: the model frame codes them -1)."""
    rng = np.random.default_rng(seed)
    a = rng.normal(size=n)
    a[rng.random(n) < 0.15] = np.nan
    return pd.DataFrame(
        {
            "a": a,
            "colour": pd.Categorical.from_codes(rng.integers(-1, 4, n), dtype=COLOURS),
            "b": rng.normal(size=n),
            "size": pd.Categorical.from_codes(rng.integers(-1, 12, n), dtype=SIZES),
        }
    )


def _target(X: pd.DataFrame, kind: str) -> np.ndarray:
    score = np.nan_to_num(X["a"].to_numpy()) + (X["colour"] == "red") + X["size"].cat.codes / 6
    if kind == "regression":
        return score.to_numpy()
    return np.digitize(score, [1.0] if kind == "binary" else [0.5, 1.5])


CASES = [
    (FastLGBMClassifier, lightgbm.LGBMClassifier, "binary"),
    (FastLGBMClassifier, lightgbm.LGBMClassifier, "multiclass"),
    (FastLGBMRegressor, lightgbm.LGBMRegressor, "regression"),
    (FastXGBClassifier, xgboost.XGBClassifier, "binary"),
    (FastXGBClassifier, xgboost.XGBClassifier, "multiclass"),
    (FastXGBRegressor, xgboost.XGBRegressor, "regression"),
]


def _settings(plain: type) -> dict:
    if issubclass(plain, xgboost.XGBModel):
        return dict(n_estimators=30, max_depth=3, n_jobs=1, enable_categorical=True)
    return dict(n_estimators=30, num_leaves=7, min_child_samples=5, n_jobs=1, verbose=-1)


@pytest.mark.parametrize("fast, plain, kind", CASES, ids=[f"{c[1].__name__}-{c[2]}" for c in CASES])
def test_the_matrix_path_predicts_what_the_library_predicts(fast, plain, kind, monkeypatch):
    X = _frame(400, 0)
    y = _target(X, kind)
    ours = fast(**_settings(plain)).fit(X, y)
    theirs = plain(**_settings(plain)).fit(X, y)
    new = _frame(300, 1)
    built = []
    original = booster_prediction.frame_matrix

    def counting(*args):
        matrix = original(*args)
        built.append(matrix is not None)
        return matrix

    for module in ("lightgbm_prediction", "xgboost_prediction"):
        monkeypatch.setattr(f"automl.space.families.{module}.frame_matrix", counting)
    predict = "predict" if kind == "regression" else "predict_proba"
    expected = getattr(theirs, predict)(new)
    np.testing.assert_array_equal(getattr(ours, predict)(new), expected)
    assert built == [True]  # the matrix path was taken
    np.testing.assert_array_equal(ours.predict(new), theirs.predict(new))
    # categories in another order: the library's own conversion, the same numbers
    reordered = new.copy()
    reordered["colour"] = reordered["colour"].cat.reorder_categories(
        ["grey", "blue", "green", "red"]
    )
    np.testing.assert_array_equal(getattr(ours, predict)(reordered), expected)
    assert built[-1] is False
    loaded = pickle.loads(pickle.dumps(ours))
    np.testing.assert_array_equal(getattr(loaded, predict)(new), expected)
    assert type(clone(ours)) is fast and clone(ours).get_params() == ours.get_params()


def test_a_refit_checks_the_new_training_categories():
    X = _frame(400, 0)
    y = _target(X, "binary")
    model = FastXGBClassifier(**_settings(xgboost.XGBClassifier)).fit(X, y)
    model.predict_proba(X)
    fewer = X.copy()
    fewer["colour"] = fewer["colour"].cat.remove_categories(["grey"])
    model.fit(fewer, y)  # a new booster: its categories are read again
    theirs = xgboost.XGBClassifier(**_settings(xgboost.XGBClassifier)).fit(fewer, y)
    np.testing.assert_array_equal(model.predict_proba(X), theirs.predict_proba(X))
