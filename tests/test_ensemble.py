"""Ensemble selection on stored predictions, and ensembles through the estimator."""

from __future__ import annotations

import pickle
import time

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer

from automl import AutoMLClassifier, AutoMLRegressor
from automl.ensemble import Ensemble, select_ensemble
from automl.final_model_report import FinalKind
from automl.metrics import get_metric


def _candidates(task: str, seed: int, n: int = 200, k: int = 12):
    rng = np.random.default_rng(seed)
    if task == "regression":
        y = rng.normal(size=n)
        return y, [y + rng.normal(scale=rng.uniform(0.3, 2), size=n) for _ in range(k)]
    classes = 2 if task == "binary" else 4
    y = rng.integers(classes, size=n)
    predictions = []
    for _ in range(k):
        logits = rng.normal(size=(n, classes)) + np.eye(classes)[y] * rng.uniform(0.2, 2)
        proba = np.exp(logits)
        predictions.append(proba / proba.sum(axis=1, keepdims=True))
    return y, predictions


@pytest.mark.parametrize(
    "task, metric",
    [
        ("binary", "roc_auc"),
        ("multiclass", "log_loss"),
        ("regression", "rmse"),
        ("binary", "accuracy"),
    ],
)
@pytest.mark.parametrize("seed", range(5))
def test_ensemble_is_never_worse_than_its_best_member(task, metric, seed):
    y, predictions = _candidates(task, seed)
    loss = get_metric(metric, task).loss
    selection = select_ensemble(predictions, y, loss, rounds=20, random_state=seed)
    best_single = min(loss(y, p) for p in predictions)
    assert selection.loss <= best_single + 1e-12
    weights = np.zeros(len(predictions))
    for index, count in selection.weights.items():
        weights[index] = count
    averaged = np.tensordot(weights / weights.sum(), np.stack(predictions), axes=1)
    assert loss(y, averaged) == pytest.approx(selection.loss)


def test_selection_is_deterministic_and_respects_the_member_cap():
    y, predictions = _candidates("multiclass", 0)
    loss = get_metric("log_loss", "multiclass").loss
    predictions = predictions + [predictions[3].copy()]  # an exact tie between two candidates
    first = select_ensemble(predictions, y, loss, rounds=30, random_state=7)
    again = select_ensemble(predictions, y, loss, rounds=30, random_state=7)
    assert first.weights == again.weights
    capped = select_ensemble(predictions, y, loss, rounds=30, random_state=7, max_members=2)
    assert len(capped.weights) <= 2
    assert capped.loss >= first.loss - 1e-12


@pytest.fixture(scope="module")
def ensembled():
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    X, y = X.iloc[:300, :8], y.iloc[:300]
    model = AutoMLClassifier(
        time_budget=60,
        max_trials=12,
        n_jobs=2,
        ensemble_size=20,
        ensemble_max_latency=None,  # the ensemble's mechanics, not the default's latency target
        random_state=0,
        verbose=0,
    ).fit(X, y)
    return model, X, y


@pytest.mark.slow
def test_estimator_builds_a_weighted_ensemble_of_refit_members(ensembled):
    model, X, y = ensembled
    assert isinstance(model.model_, Ensemble), model.refit_
    members = model.ensemble_
    assert len(members) >= 2 and sum(m["weight"] for m in members) == pytest.approx(1.0)
    assert {m["trial_id"] for m in members} <= {t["trial_id"] for t in model.trials_}
    board = model.leaderboard()
    assert board["ensemble_weight"].sum() == pytest.approx(1.0)
    frame = model._model_input(X)
    expected = sum(w * m.predict_proba(frame) for w, m in model.model_.members)
    assert np.allclose(model.predict_proba(X), expected)
    assert model.prediction_latency_ms_ > 0 and model.model_size_bytes_ > 1000
    assert model.score(X, y) > 0.9
    restored = pickle.loads(pickle.dumps(model))
    assert np.array_equal(restored.predict_proba(X), model.predict_proba(X))


@pytest.mark.slow
def test_regressor_ensemble_with_a_member_cap():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 4))
    y = X[:, 0] * 3 + np.sin(X[:, 1] * 2) + rng.normal(scale=0.3, size=300)
    model = AutoMLRegressor(
        time_budget=60,
        max_trials=10,
        n_jobs=2,
        ensemble_size=20,
        ensemble_max_members=2,
        random_state=0,
        verbose=0,
    ).fit(X, y)
    assert 1 <= len(model.ensemble_) <= 2
    assert model.predict(X).shape == (300,)
    assert np.sqrt(np.mean((model.predict(X) - y) ** 2)) < np.std(y) / 2


@pytest.mark.slow
def test_saved_model_records_versions_and_warns_when_they_differ(ensembled, tmp_path):
    import joblib

    from automl.versions import VersionWarning

    model, X, _ = ensembled
    assert model.versions_["scikit-learn"] and model.versions_["automl"]
    path = tmp_path / "model.joblib"
    joblib.dump(model, path)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error", VersionWarning)
        loaded = joblib.load(path)  # same versions: silent
    assert np.array_equal(loaded.predict_proba(X), model.predict_proba(X))
    model.versions_ = {**model.versions_, "lightgbm": "0.0.1"}
    try:
        joblib.dump(model, path)
    finally:
        model.versions_["lightgbm"] = loaded.versions_["lightgbm"]
    with pytest.warns(VersionWarning, match="lightgbm 0.0.1 -> "):
        joblib.load(path)


def test_selection_stays_within_a_latency_cap():
    y, predictions = _candidates("binary", 3)
    loss = get_metric("roc_auc", "binary").loss
    costs = np.linspace(1, 12, len(predictions))
    free = select_ensemble(predictions, y, loss, rounds=30, random_state=0)
    capped = select_ensemble(
        predictions, y, loss, rounds=30, random_state=0, costs=costs, max_cost=10
    )
    assert sum(costs[i] for i in capped.weights) <= 10
    assert capped.loss >= free.loss - 1e-12
    with pytest.raises(ValueError, match="cost cap"):
        select_ensemble(predictions, y, loss, rounds=5, costs=costs, max_cost=0.5)


@pytest.mark.slow
def test_latency_cap_through_the_estimator(ensembled):
    model, X, y = ensembled
    latencies = sorted(t["predict_time"] for t in model.trials_ if t["status"] == "ok")
    capped = AutoMLClassifier(
        time_budget=60,
        max_trials=12,
        n_jobs=2,
        ensemble_size=20,
        ensemble_max_latency=1e-6,
        random_state=0,
        verbose=0,
    ).fit(X, y)
    assert len(capped.ensemble_) == 1  # nothing fits a cap that small: the best single model
    assert capped.score(X, y) > 0.9
    assert latencies


@pytest.mark.slow
def test_members_can_be_their_fold_models():
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    X, y = X.iloc[:300, :8], y.iloc[:300]
    model = AutoMLClassifier(
        time_budget=60,
        max_trials=12,
        n_jobs=2,
        ensemble_size=20,
        ensemble_max_latency=None,  # the mechanism, not the default's latency target
        ensemble_refit=False,
        random_state=0,
        verbose=0,
    ).fit(X, y)
    assert len(model.ensemble_) >= 2, model.refit_
    assert all(m["fitted_on"] == "fold models" for m in model.ensemble_)
    assert all(m["fold_reason"] == "bagged: its fold models, no refit" for m in model.ensemble_)
    assert model.refit_.kind == FinalKind.ENSEMBLE
    assert model.refit_.on_fold_models == len(model.ensemble_)
    assert "fold models" in str(model.refit_)
    assert model.score(X, y) > 0.9
    restored = pickle.loads(pickle.dumps(model))
    assert np.array_equal(restored.predict_proba(X), model.predict_proba(X))


@pytest.mark.slow
def test_a_member_whose_refit_fails_falls_back_to_its_fold_models():
    from fault_models import FAILS_ON_ALL_ROWS

    from automl.space import register_family, unregister_family

    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    X, y = X.iloc[:300, :8], y.iloc[:300]
    register_family(FAILS_ON_ALL_ROWS)
    try:
        model = AutoMLClassifier(
            time_budget=60,
            max_trials=10,
            n_jobs=2,
            ensemble_size=20,
            ensemble_max_latency=None,  # the fallback, not the default's latency target
            include=["fails_on_all_rows", "naive_bayes", "knn"],
            random_state=0,
            verbose=0,
        ).fit(X, y)
    finally:
        unregister_family("fails_on_all_rows")
    failing = [m for m in model.ensemble_ if m["model"] == "fails_on_all_rows"]
    assert failing, [m["model"] for m in model.ensemble_]
    assert all(
        m["fitted_on"] == "fold models" and m["fold_reason"] == "its refit failed" for m in failing
    )
    assert model.score(X, y) > 0.85


def test_first_pick_is_the_first_of_equally_good_candidates():
    y, predictions = _candidates("binary", 1)
    loss = get_metric("roc_auc", "binary").loss
    best = int(np.argmin([loss(y, p) for p in predictions]))
    ranked = [predictions[best], predictions[best].copy()] + predictions  # a tie at the top
    selection = select_ensemble(ranked, y, loss, rounds=1)
    assert selection.weights == {0: 1}


def test_selection_past_its_deadline_stops_after_the_first_round():
    y, predictions = _candidates("multiclass", 3)
    loss = get_metric("log_loss", "multiclass").loss
    full = select_ensemble(predictions, y, loss, rounds=20)
    cut = select_ensemble(predictions, y, loss, rounds=20, deadline=time.time() - 1)
    assert full.size > 1 and len(full.history) > 1
    assert len(cut.history) == 1 and cut.size == 1
    assert cut.loss == pytest.approx(min(loss(y, p) for p in predictions))
    later = select_ensemble(predictions, y, loss, rounds=20, deadline=time.time() + 60)
    assert later.weights == full.weights
