"""Free-text columns: told apart from categories, made TF-IDF + SVD features, fit end to end."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from automl import AutoMLClassifier
from automl.data import prepare_training_data, to_model_frame
from automl.space import PipelineSpace, build_pipeline
from automl.text import COMPONENTS, TextFeatures, looks_like_text, text_feature_names
from automl.trials.evaluation import describe_data

GOOD = ["great product works well", "excellent value and fast", "love it highly recommend"]
BAD = ["broke after a week", "terrible quality do not buy", "stopped working so returned it"]
FILLER = ["indeed", "really", "to be honest", "overall", "in short", "so"]


def reviews(n: int, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    """Only the review's words tell the class; a numeric and a category column are noise."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    text = [
        f"{rng.choice(FILLER)} {(GOOD if label else BAD)[rng.integers(0, 3)]} {rng.choice(FILLER)}"
        for label in y
    ]
    X = pd.DataFrame(
        {"review": text, "noise": rng.normal(size=n), "colour": rng.choice(["red", "blue"], n)}
    )
    X.loc[::17, "review"] = None  # some missing
    return X, y


def job_titles(n: int = 2000, seed: int = 0) -> pd.Series:
    rng = np.random.default_rng(seed)
    first = ["senior", "junior", "lead", "chief", "assistant", "head", "staff", "principal"]
    second = [f"role{i}" for i in range(60)]
    return pd.Series([f"{rng.choice(first)} {rng.choice(second)}" for _ in range(n)])


@pytest.mark.parametrize(
    "values, text",
    [
        (reviews(300, 0)[0]["review"], True),  # several words a value
        (job_titles(), True),  # many distinct values of two words
        (pd.Series(["new york", "los angeles", "san diego"] * 200), False),  # few labels
        (pd.Series([f"id{i}" for i in range(2000)]), False),  # many one-word labels
        (pd.Series(["a b c d"] * 300), False),  # one distinct value
        (pd.Series([None] * 10, dtype=object), False),
    ],
)
def test_text_is_told_apart_from_categories(values, text):
    assert looks_like_text(values) is text


def test_the_dtype_settles_a_column():
    X, y = reviews(300, 0)
    X["short"] = np.where(y == 1, "yes", "no")
    X["as_string"] = X["short"].astype("string")  # asked for: text, though two labels
    X["as_category"] = X["review"].astype("category")  # asked for: a category, though prose
    schema = prepare_training_data(X, y, classification=True).schema
    assert schema.text == ("review", "as_string")
    assert set(schema.categorical) == {"colour", "short", "as_category"}


def test_text_features_have_fixed_names_and_take_missing_and_unseen_values():
    X, _ = reviews(200, 0)
    features = TextFeatures(["review"]).fit(X)
    out = features.transform(
        pd.DataFrame({"review": ["never seen words", None], "noise": [1.0, 2.0], "colour": "red"})
    )
    assert list(out.columns) == ["noise", "colour", *text_feature_names("review")]
    assert out.shape == (2, 2 + COMPONENTS) and np.isfinite(out.iloc[:, 2:].to_numpy()).all()
    tiny = TextFeatures(["t"], components=8).fit(pd.DataFrame({"t": ["a b", "b c", "c a"]}))
    padded = tiny.transform(pd.DataFrame({"t": ["a b"]}))
    assert padded.shape == (1, 8) and (padded.iloc[0, 2:] == 0).all()  # 2 components at most


@pytest.mark.parametrize("family", ["lightgbm", "logistic_regression"])
def test_the_model_frame_holds_the_text_features_for_every_pipeline(family):
    X, y = reviews(200, 0)
    prepared = prepare_training_data(X, y, classification=True)
    assert list(prepared.X.columns) == ["noise", "colour", *text_feature_names("review")]
    again = to_model_frame(prepared.schema, X)  # predict's frame: the same features
    np.testing.assert_allclose(again.iloc[:, 2:].to_numpy(), prepared.X.iloc[:, 2:].to_numpy())
    data = describe_data(prepared.X, "binary", prepared.schema.categorical_columns)
    config = PipelineSpace("binary", 200).default_config(family)
    pipeline = build_pipeline(config, data).fit(prepared.X, prepared.y)
    assert pipeline.predict_proba(prepared.X).shape == (200, 2)


@pytest.mark.slow
def test_a_fit_learns_from_the_words():
    X, y = reviews(600, 0)
    X_new, y_new = reviews(300, 1)
    model = AutoMLClassifier(
        time_budget=60,
        max_trials=4,
        n_jobs=1,
        random_state=0,
        history=None,
        warm_start=None,
        verbose=0,
    ).fit(X, y)
    assert model.schema_.text == ("review",)
    assert roc_auc_score(y_new, model.predict_proba(X_new)[:, 1]) > 0.9  # noise alone: 0.5
    loaded = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(loaded.predict_proba(X_new), model.predict_proba(X_new))
    importance = model.feature_importance(X_new, y_new, n_repeats=1)
    assert importance.iloc[0]["feature"] == "review"  # the column, not its 32 features
    assert model.run_card_.data.column_kinds["review"] == "text"


def test_text_columns_have_no_onnx_export():
    pytest.importorskip("onnx")
    from automl.onnx_export.graph import _Builder
    from automl.onnx_export.members import OnnxExportError

    X, y = reviews(100, 0)
    schema = prepare_training_data(X, y, classification=True).schema
    with pytest.raises(OnnxExportError, match="column 'review' is free text"):
        _Builder(schema)
