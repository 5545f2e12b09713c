"""Free-text columns: told apart from categories, made TF-IDF + SVD features and cross-fitted
linear scores, chosen by the search, fit end to end."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from automl import AutoMLClassifier
from automl.data import to_model_frame
from automl.space import TEXT_FEATURES, PipelineSpace, TextFeatureNames, build_pipeline
from automl.text import (
    COMPONENTS,
    TextFeatures,
    looks_like_text,
    score_feature_names,
    text_feature_names,
)
from automl.training_data import prepare_training_data
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
    svd, scores = text_feature_names("review"), score_feature_names("review", 1)
    assert list(prepared.X.columns) == ["noise", "colour", *svd, *scores]
    again = to_model_frame(prepared.schema, X)  # predict's frame: the same SVD features
    np.testing.assert_allclose(again[svd].to_numpy(), prepared.X[svd].to_numpy())
    # the training rows' scores are cross-fitted, predict's from the model fitted on all rows
    assert np.corrcoef(again[scores[0]], prepared.X[scores[0]])[0, 1] > 0.9
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


def memorable(n: int, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    """A distinct made-up word per row and a random label: a linear model fitted on a row
    scores it perfectly, one that never saw it cannot."""
    rng = np.random.default_rng(seed)
    words = [f"w{i}x{rng.integers(10**6)}" for i in range(n)]
    text = [f"{w} {w}q {w}z" for w in words]
    return pd.DataFrame({"t": text, "v": rng.normal(size=n)}), rng.integers(0, 2, n)


def test_training_rows_are_scored_by_models_that_never_saw_them():
    X, y = memorable(400, 0)
    features = TextFeatures(["t"], task="binary", n_classes=2)
    scores = features.fit_transform(X, y)["t__score0"]
    in_sample = features.transform(X)["t__score0"]  # the model fitted on every row
    assert roc_auc_score(y, in_sample) > 0.95  # it memorised the rows
    assert abs(roc_auc_score(y, scores) - 0.5) < 0.1  # cross-fitted: nothing to memorise
    X, y = reviews(400, 0)
    scores = TextFeatures(["review"], task="binary", n_classes=2).fit_transform(X, y)
    assert roc_auc_score(y, scores["review__score0"]) > 0.9  # the words' real signal


def test_scores_keep_each_group_out_of_the_models_that_score_it():
    """Rows of a group share their words and label: scored by models that saw the group, the
    label leaks into the feature; with the groups, it cannot."""
    X, y = memorable(100, 1)
    X, y = pd.concat([X] * 4, ignore_index=True), np.tile(y, 4)
    groups = np.tile(np.arange(100), 4)
    leaky = TextFeatures(["t"], task="binary", n_classes=2).fit_transform(X, y)
    grouped = TextFeatures(["t"], task="binary", n_classes=2).fit_transform(X, y, groups=groups)
    assert roc_auc_score(y, leaky["t__score0"]) > 0.95
    assert abs(roc_auc_score(y, grouped["t__score0"]) - 0.5) < 0.15


def test_scores_have_one_column_per_class_past_two_and_one_for_regression():
    X, y = reviews(300, 0)
    y3 = (y + (X["noise"] > 1).to_numpy()) % 3
    out = TextFeatures(["review"], task="multiclass", n_classes=3).fit_transform(X, y3)
    assert [c for c in out.columns if "score" in c] == score_feature_names("review", 3)
    target = y + np.random.default_rng(0).normal(0, 0.1, len(y))
    out = TextFeatures(["review"], task="regression").fit_transform(X, target)
    assert np.corrcoef(out["review__score0"], target)[0, 1] > 0.9
    weights = np.where(np.arange(len(y)) % 2 == 0, 1.0, 0.0)  # weights reach the fits
    weighted = TextFeatures(["review"], task="regression").fit_transform(
        X, target, sample_weight=weights
    )
    assert not np.allclose(weighted["review__score0"], out["review__score0"])


def test_a_text_features_saved_before_scores_still_transforms():
    X, _ = reviews(100, 0)
    features = TextFeatures(["review"]).fit(X)
    for name in ("task", "n_classes", "scorers_"):  # what an older pickle lacks
        features.__dict__.pop(name, None)
    old = pickle.loads(pickle.dumps(features))
    assert list(old.transform(X).columns) == ["noise", "colour", *text_feature_names("review")]
    assert old.score_names == []


@pytest.mark.parametrize("choice, reads", [("svd", "svd"), ("scores", "scores"), ("both", "both")])
def test_the_search_chooses_which_text_features_a_pipeline_reads(choice, reads):
    X, y = reviews(200, 0)
    prepared = prepare_training_data(X, y, classification=True)
    svd, scores = text_feature_names("review"), score_feature_names("review", 1)
    names = TextFeatureNames(tuple(svd), tuple(scores))
    assert TEXT_FEATURES not in PipelineSpace("binary", 200).configspace  # no text: unchanged
    space = PipelineSpace("binary", 200, text=True)
    assert space.default_config("lightgbm")[TEXT_FEATURES] == "both"
    data = describe_data(prepared.X, "binary", prepared.schema.categorical_columns, names)
    for family in ("lightgbm", "logistic_regression"):
        config = {**space.default_config(family), TEXT_FEATURES: choice}
        pipeline = build_pipeline(config, data).fit(prepared.X, prepared.y)
        read = {"svd": svd, "scores": scores, "both": svd + scores}[reads]
        seen = pipeline[:-1].transform(prepared.X) if len(pipeline) > 1 else prepared.X
        width = seen.shape[1]
        if family == "lightgbm":  # the frame as the model gets it
            assert [c for c in seen.columns if "review" in c] == read
        else:  # noise (+ its missing indicator, none here) and two one-hot colours
            assert width == 1 + 2 + len(read)


def test_a_custom_splitter_gets_no_scores():
    """Scores cross-fitted on random folds could have seen a custom splitter's validation
    rows (a time series' future), so such a fit reads the SVD features only."""
    from sklearn.model_selection import KFold

    X, y = reviews(150, 0)
    common = dict(max_trials=1, n_jobs=1, history=None, warm_start=None, verbose=0)
    custom = AutoMLClassifier(resampling=KFold(3), **common).fit(X, y)
    assert custom.schema_.text_features.score_names == []
    assert TEXT_FEATURES not in custom.best_config_
    for resampling in ("auto", "holdout", 3):
        plain = AutoMLClassifier(resampling=resampling, **common).fit(X, y)
        assert plain.schema_.text_features.score_names == ["review__score0"]
        assert plain.best_config_[TEXT_FEATURES] == "both"
