"""Decision thresholds: binary metrics on labels score (and predict) at a tuned threshold."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as skm

from automl import AutoMLClassifier
from automl.metrics import get_metric
from automl.thresholds import CONFUSION, labels_at, sweep

SKLEARN = {
    "accuracy": skm.accuracy_score,
    "balanced_accuracy": skm.balanced_accuracy_score,
    "f1": skm.f1_score,
    "f1_macro": lambda y, p, sample_weight=None: skm.f1_score(
        y, p, average="macro", sample_weight=sample_weight
    ),
    "jaccard": skm.jaccard_score,
    "matthews_corrcoef": skm.matthews_corrcoef,
}


def _rare_positives(n: int = 600, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A rare positive class (about 10 %) whose probabilities sit mostly below 0.5."""
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.1).astype(int)
    positive = np.clip(0.1 + 0.3 * y + rng.normal(0, 0.15, n), 0, 1).round(3)  # with ties
    return y, np.c_[1 - positive, positive]


@pytest.mark.parametrize("name", sorted(CONFUSION))
@pytest.mark.parametrize("weighted", [False, True])
def test_the_sweep_finds_the_best_threshold_that_scikit_learn_would(name, weighted):
    y, proba = _rare_positives()
    weights = np.random.default_rng(1).uniform(0, 3, len(y)) if weighted else None
    score = SKLEARN[name]
    choice = sweep(CONFUSION[name], y, proba[:, 1], weights)
    at = score(y, labels_at(proba, choice.threshold), sample_weight=weights)
    assert choice.score == pytest.approx(at, abs=1e-9)
    every = [  # brute force: positive from each distinct probability up
        score(y, (proba[:, 1] >= t).astype(int), sample_weight=weights)
        for t in np.unique(proba[:, 1])
    ]
    assert choice.score == pytest.approx(max(every), abs=1e-9)


def test_rows_of_weight_zero_do_not_count():
    y, proba = _rare_positives()
    weights = np.where(np.arange(len(y)) % 3 == 0, 0.0, 1.0)
    kept = weights > 0
    weighted = sweep(CONFUSION["f1"], y, proba[:, 1], weights)
    dropped = sweep(CONFUSION["f1"], y[kept], proba[kept, 1])
    assert weighted.score == pytest.approx(dropped.score)


def test_label_metrics_score_binary_probabilities_at_their_best_threshold():
    y, proba = _rare_positives()
    f1 = get_metric("f1", "binary")
    threshold = f1.threshold(y, proba)
    assert f1.tunes_threshold and threshold < 0.5
    at_half = skm.f1_score(y, np.argmax(proba, axis=1))
    assert f1.score(y, proba) == pytest.approx(skm.f1_score(y, labels_at(proba, threshold)))
    assert f1.score(y, proba) > at_half + 0.1


@pytest.mark.parametrize("metric", ["roc_auc", "log_loss", "precision", "recall", "brier_score"])
def test_metrics_that_tune_no_threshold(metric):
    metric = "neg_brier_score" if metric == "brier_score" else metric
    y, proba = _rare_positives()
    chosen = get_metric(metric, "binary")
    assert not chosen.tunes_threshold and chosen.threshold(y, proba) is None


def test_multiclass_label_metrics_keep_the_most_probable_class():
    assert not get_metric("f1_macro", "multiclass").tunes_threshold
    assert not get_metric("accuracy", "multiclass").tunes_threshold


def test_a_users_scorer_of_labels_is_tuned_one_of_probabilities_is_not():
    y, proba = _rare_positives()

    def on_labels(estimator, X, y):
        return skm.f1_score(y, estimator.predict(X))

    def on_probabilities(estimator, X, y):
        return skm.roc_auc_score(y, estimator.predict_proba(X)[:, 1])

    labels = get_metric(on_labels, "binary")
    threshold = labels.threshold(y, proba)
    assert threshold is not None and threshold < 0.5
    assert labels.score(y, proba) > skm.f1_score(y, np.argmax(proba, axis=1)) + 0.1
    probabilities = get_metric(on_probabilities, "binary")
    assert probabilities.threshold(y, proba) is None
    assert probabilities.score(y, proba) == pytest.approx(skm.roc_auc_score(y, proba[:, 1]))


def _imbalanced_table(n: int = 400, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(rng.normal(size=(n, 4)), columns=list("abcd"))
    logit = 2.0 * X["a"] + X["b"] - 3.0
    y = np.where(rng.random(n) < 1 / (1 + np.exp(-logit)), "yes", "no")  # "yes" is rare
    return X, y


def _fit(metric: str) -> AutoMLClassifier:
    X, y = _imbalanced_table()
    return AutoMLClassifier(
        metric=metric,
        time_budget=60,
        max_trials=3,
        include=["logistic_regression", "lightgbm"],
        n_jobs=1,
        random_state=0,
        history=None,
        warm_start=None,
        verbose=0,
    ).fit(X, y)


@pytest.mark.slow
def test_predict_uses_the_threshold_tuned_on_out_of_fold_predictions():
    model = _fit("f1")
    X, _ = _imbalanced_table(seed=1)
    threshold = model.decision_threshold_
    assert 0 < threshold < 1
    proba = model.predict_proba(X)
    assert list(model.classes_) == ["no", "yes"]  # F1 is the second class's: "yes"
    expected = np.where(proba[:, 1] >= threshold, "yes", "no")
    np.testing.assert_array_equal(model.predict(X), expected)
    board = model.leaderboard()
    assert board.loc[board["status"] == "ok", "threshold"].notna().all()
    assert f"decision threshold {threshold:.4g}" in str(model.refit_)


@pytest.mark.slow
def test_a_metric_of_probabilities_keeps_the_most_probable_class():
    model = _fit("roc_auc")
    X, _ = _imbalanced_table(seed=1)
    assert model.decision_threshold_ is None
    assert "threshold" not in model.leaderboard()
    proba = model.predict_proba(X)
    np.testing.assert_array_equal(model.predict(X), model.classes_[np.argmax(proba, axis=1)])
