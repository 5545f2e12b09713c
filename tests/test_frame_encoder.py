"""FrameEncoder: its fast transform gives exactly what scikit-learn's ColumnTransformer gives."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.compose import ColumnTransformer

from automl.data import BINARY, MULTICLASS, REGRESSION
from automl.space.frame_encoder import FrameEncoder
from automl.space.preprocessing import encoded_steps

PARAMS = dict(
    imputer="median",
    onehot_max_categories=10,
    high_cardinality_encoding="target",
    rare_category_fraction=0.0,
    feature_preprocessor="none",
)


def _frame(n: int, seed: int, *, unseen: bool = False) -> pd.DataFrame:
    """Numeric columns with missing values (one missing everywhere), a few-category and a
    many-category column with missing values; ``unseen`` adds codes the fit never saw."""
    rng = np.random.default_rng(seed)
    few = pd.CategoricalDtype(["x", "y", "z", "w"])
    many = pd.CategoricalDtype([f"c{i}" for i in range(40)])
    a = rng.normal(size=n)
    a[rng.random(n) < 0.2] = np.nan
    few_codes = rng.choice([0, 0, 0, 1, 1, 2, -1] + ([3] if unseen else []), size=n)
    many_codes = rng.integers(-1, 40 if unseen else 30, size=n)
    return pd.DataFrame(
        {
            "a": a,
            "b": rng.normal(size=n),
            "empty": np.full(n, np.nan),
            "few": pd.Categorical.from_codes(few_codes, dtype=few),
            "many": pd.Categorical.from_codes(many_codes, dtype=many),
        }
    )


def _target(task: str, X: pd.DataFrame, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    score = np.nan_to_num(X["a"].to_numpy()) + (X["few"] == "x") + rng.normal(size=len(X))
    if task == REGRESSION:
        return score
    return np.digitize(score, [0.0] if task == BINARY else [-0.5, 0.5])


def _fitted(task: str, **params) -> tuple[FrameEncoder, pd.DataFrame]:
    X = _frame(300, 0)
    steps = encoded_steps(
        {**PARAMS, **params},
        ["a", "b", "empty"],
        {"few": 4, "many": 40},
        task=task,
        scaled=False,
        n_rows=len(X),
    )
    encoder = steps[0][1]
    assert isinstance(encoder, FrameEncoder)
    return encoder.fit(X, _target(task, X, 0)), X


def _column_transformer(encoder: FrameEncoder, X: pd.DataFrame) -> np.ndarray:
    return ColumnTransformer.transform(encoder, X)


@pytest.mark.parametrize("task", [BINARY, MULTICLASS, REGRESSION])
@pytest.mark.parametrize(
    "params",
    [
        {},
        dict(imputer="mean", high_cardinality_encoding="ordinal"),
        dict(rare_category_fraction=0.05, high_cardinality_encoding="ordinal"),
        dict(rare_category_fraction=0.05, onehot_max_categories=64),
        dict(onehot_max_categories=2),
    ],
    ids=["default", "mean-ordinal", "rare-ordinal", "rare-onehot", "all-target"],
)
def test_the_fast_transform_equals_the_column_transformer(task, params):
    encoder, _ = _fitted(task, **params)
    new = _frame(200, 1, unseen=True)  # missing values, unseen categories, an empty column
    encoder.transform(new.iloc[:5])
    assert encoder._plan is None  # the first transform after a fit builds no tables
    fast = encoder.transform(new)
    assert encoder._plan, "the fast path was not taken"
    expected = _column_transformer(encoder, new)
    assert fast.dtype == expected.dtype == np.float64
    np.testing.assert_array_equal(fast, expected)
    np.testing.assert_array_equal(encoder.transform(new.iloc[:1]), expected[:1])


def test_other_inputs_go_through_the_column_transformer():
    encoder, X = _fitted(BINARY)
    encoder.transform(X)
    encoder.transform(X)
    assert encoder._plan
    expected = _column_transformer(encoder, X.iloc[:5])
    # another category list for a column: the fit's category names decide, as before
    reordered = X.iloc[:5].copy()
    reordered["few"] = reordered["few"].cat.reorder_categories(["w", "z", "y", "x"])
    np.testing.assert_array_equal(encoder.transform(reordered), expected)
    as_object = X.iloc[:5].astype({"few": object})
    np.testing.assert_array_equal(encoder.transform(as_object), expected)
    with pytest.raises(ValueError, match="columns are missing"):
        encoder.transform(X.drop(columns=["a"]))
    infinite = X.iloc[:5].copy()
    infinite.loc[infinite.index[0], "b"] = np.inf
    with pytest.raises(ValueError, match="infinity"):
        encoder.transform(infinite)


def test_a_refit_rebuilds_the_tables_and_a_pickle_leaves_them_out():
    encoder, X = _fitted(REGRESSION)
    encoder.transform(X)
    encoder.transform(X)
    before = encoder._plan
    assert before
    encoder.fit(X.iloc[::2], _target(REGRESSION, X, 1)[::2])
    assert getattr(encoder, "_plan", None) is None
    for _ in range(2):
        np.testing.assert_array_equal(encoder.transform(X), _column_transformer(encoder, X))
    assert encoder._plan and encoder._plan is not before
    loaded = pickle.loads(pickle.dumps(encoder))
    assert encoder._plan  # pickling leaves the original's tables alone
    assert getattr(loaded, "_plan", None) is None
    for _ in range(2):
        np.testing.assert_array_equal(loaded.transform(X), encoder.transform(X))
    assert loaded._plan
    assert isinstance(clone(encoder), FrameEncoder)


@pytest.mark.parametrize("numeric", [True, False], ids=["mixed", "categories-only"])
def test_hist_gradient_boosting_codes_categories_fast_with_the_same_predictions(numeric):
    from sklearn.ensemble import HistGradientBoostingClassifier

    from automl.space.families.hist_boosting import FastHistGradientBoostingClassifier

    X = _frame(300, 0).drop(columns=["empty"])
    if not numeric:
        X = X[["few", "many"]]
    y = _target(MULTICLASS, _frame(300, 0), 0)
    settings = dict(max_iter=20, categorical_features="from_dtype", random_state=0)
    fast = FastHistGradientBoostingClassifier(**settings).fit(X, y)
    plain = HistGradientBoostingClassifier(**settings).fit(X, y)
    new = _frame(200, 1, unseen=True)[list(X.columns)]
    for _ in range(2):
        np.testing.assert_array_equal(fast.predict_proba(new), plain.predict_proba(new))
    assert isinstance(fast._preprocessor, FrameEncoder) and fast._preprocessor._plan
    loaded = pickle.loads(pickle.dumps(fast))
    for _ in range(2):
        np.testing.assert_array_equal(loaded.predict_proba(new), plain.predict_proba(new))
    assert loaded._preprocessor._plan


@pytest.mark.slow
def test_a_fitted_estimator_predicts_fast_from_its_first_prediction():
    """The fit's own latency measurement predicts twice: the tables exist before the caller's
    first prediction, and that prediction equals the ColumnTransformer's encoding."""
    from automl import AutoMLClassifier
    from automl.data import to_model_frame

    X = _frame(200, 0)
    y = _target(BINARY, X, 0)
    model = AutoMLClassifier(
        time_budget=60,
        max_trials=2,
        n_jobs=1,
        include=["logistic_regression"],
        ensemble_size=1,
        random_state=0,
        history=None,
        warm_start=None,
        verbose=0,
    ).fit(X, y)
    encoder = model.model_.steps[0][1]
    assert isinstance(encoder, FrameEncoder) and encoder._plan
    frame = to_model_frame(model.schema_, X)
    np.testing.assert_array_equal(encoder.transform(frame), _column_transformer(encoder, frame))
