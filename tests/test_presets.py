"""Presets, bagged members and stacking."""

import pickle
import time
from concurrent.futures import Future

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_classification

from automl import AutoMLClassifier, AutoMLRegressor
from automl.final_model import FinalModelBuilder, bags_fold_models
from automl.final_model_report import FinalKind, FitOn, FoldReason
from automl.fold_store import FoldStore
from automl.ledger import TrialLedger
from automl.metrics import get_metric
from automl.presets import PRESETS
from automl.settings import make_settings
from automl.stacking import StackedEnsemble, compare_on_folds, fit_meta_model, meta_predict
from automl.training_data import prepare_training_data
from automl.trials.evaluation import FoldModels
from automl.trials.limits import Outcome
from automl.trials.resampling import make_resampling
from automl.trials.result import TrialResult
from automl.trials.status import TrialStatus


def _settings(**params):
    return make_settings({**AutoMLRegressor(**params).get_params()})


def test_a_preset_fills_in_what_is_left_auto_and_an_explicit_value_wins():
    fast = _settings(preset="fast_predict")
    assert fast.ensemble_size == 1 and not fast.stacking
    best = _settings(preset="best_quality")
    assert best.ensemble_size == PRESETS["best_quality"].ensemble_size > 1
    assert best.stacking and best.ensemble_refit == "auto"
    assert _settings(preset="best_quality", ensemble_size=7).ensemble_size == 7
    assert _settings(preset="fast_predict", ensemble_refit=False).ensemble_refit is False
    default = _settings()
    assert default.preset == "default"
    assert default.ensemble_size == PRESETS["default"].ensemble_size
    # the default's members predict within its throughput target, unless the user lifts it
    assert default.ensemble_max_latency == PRESETS["default"].ensemble_max_latency == 50.0
    assert _settings(ensemble_max_latency=None).ensemble_max_latency is None
    assert _settings(preset="best_quality").ensemble_max_latency is None
    # it compares measured times: with random_state and max_trials set, only a cap asked for
    reproducible = {"random_state": 0, "max_trials": 5}
    assert _settings(**reproducible).ensemble_max_latency is None
    assert _settings(**reproducible, ensemble_max_latency=20.0).ensemble_max_latency == 20.0
    assert _settings(random_state=0).ensemble_max_latency == 50.0


@pytest.mark.parametrize(
    "params, message",
    [
        ({"preset": "fastest"}, "preset must be one of"),
        ({"ensemble_refit": "sometimes"}, "ensemble_refit must be 'auto', True or False"),
        ({"ensemble_size": 0}, "ensemble_size must be 'auto' or a positive integer"),
    ],
)
def test_bad_presets_and_ensemble_values_are_clear_errors(params, message):
    with pytest.raises(ValueError, match=message):
        _settings(**params)


def test_auto_bags_fold_models_under_cross_validation_only():
    y = np.arange(100, dtype=float)
    cv = make_resampling("cv", task="regression", y=y)
    holdout = make_resampling("holdout", task="regression", y=y)
    assert bags_fold_models("auto", cv) and not bags_fold_models("auto", holdout)
    assert bags_fold_models(False, holdout) and not bags_fold_models(True, cv)


def test_stacking_wins_where_a_weighted_average_cannot_combine_the_members():
    # Each member predicts half of the target: any average of them is off by a factor of two,
    # a non-negative linear meta-model adds them up.
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=400), rng.normal(size=400)
    y = a + b
    loss = get_metric(None, "regression").loss
    comparison = compare_on_folds([a, b], y, "regression", loss, rounds=10)
    assert comparison.stacking_wins
    assert comparison.stacking_loss < 1e-6 < comparison.greedy_loss
    meta = fit_meta_model([a, b], y, "regression")
    assert np.allclose(meta_predict(meta, [a, b], "regression", 1), y)


def test_stacked_ensemble_places_probabilities_in_every_class_column():
    class Fixed:
        def __init__(self, proba):
            self.proba = proba

        def predict_proba(self, X):
            return self.proba[: len(X)]

    rng = np.random.default_rng(2)
    y = rng.integers(0, 3, 90)
    members = [rng.dirichlet([1, 1, 1], size=90) for _ in range(2)]
    meta = fit_meta_model(members, y, "multiclass")
    stacked = StackedEnsemble([Fixed(p) for p in members], meta, "multiclass", 3)
    proba = stacked.predict_proba(np.zeros((90, 1)))
    assert proba.shape == (90, 3) and np.allclose(proba.sum(axis=1), 1)
    assert stacked.predict(np.zeros((5, 1))).shape == (5,)


@pytest.mark.parametrize("preset", ["fast_predict", "best_quality"])
def test_presets_build_the_final_model_they_describe(preset):
    X, y = make_classification(n_samples=300, n_features=8, random_state=0)
    model = AutoMLClassifier(
        time_budget=30,
        preset=preset,
        max_trials=8,
        random_state=0,
        history=None,
        warm_start=None,
        n_jobs=2,
        verbose=0,
    ).fit(X, y)
    report = model.refit_
    if preset == "fast_predict":
        assert report.kind == FinalKind.SINGLE and len(model.ensemble_) == 1
    else:
        assert report.kind in (FinalKind.ENSEMBLE, FinalKind.STACKED)
        assert len(report.members) >= 2
        # every member is bagged: its fold models, not a refit
        assert all(m.fitted_on == FitOn.FOLD_MODELS for m in report.members)
        assert all(m.fold_reason == FoldReason.NO_REFIT for m in report.members)
    loaded = pickle.loads(pickle.dumps(model))
    assert np.array_equal(loaded.predict_proba(X[:20]), model.predict_proba(X[:20]))
    assert model.score(X, y) > 0.8


class ColumnModel:
    """A fitted stand-in that predicts one input column."""

    def __init__(self, column):
        self.column = column

    def predict(self, X):
        return np.asarray(X[self.column], dtype=float)


class ColumnExecutor:
    """Refits a configuration into the column model it names."""

    n_workers = 2

    def refit(self, request, *, time_limit=None, memory_limit_mb=None, n_threads=None):
        future = Future()
        model = ColumnModel(request.config["column"])
        future.set_result(Outcome(TrialStatus.OK, payload=pickle.dumps(model)))
        return future


def _column_trial(trial_id, column, X, y, resampling, metric):
    predictions = X[column].to_numpy(dtype=float)
    rows = resampling.validation_rows
    folds = [(ColumnModel(column), None) for _ in resampling.splits]
    loss = metric.loss(y[rows], predictions[rows])
    return TrialResult(
        trial_id,
        {"model": "ridge", "column": column},
        TrialStatus.OK,
        loss=loss,
        score=metric.to_score(loss),
        fit_time=0.01,
        predict_time=0.001,
        predictions=predictions.astype(np.float32),
        fold_models=pickle.dumps(FoldModels(folds, "regression", 1)),
    )


def _build_on_two_columns(y_of, params, executor=None, seed=0):
    """The final model of two trials that each predict y from one column ('a' or 'b')."""
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({"a": rng.normal(size=200), "b": rng.normal(size=200)})
    prepared = prepare_training_data(X, y_of(X), classification=False)
    resampling = make_resampling("cv", task="regression", y=prepared.y)
    metric = get_metric(None, "regression")
    ledger = TrialLedger()
    store = FoldStore(ledger, 5)
    for trial_id, column in enumerate(["a", "b"]):
        ledger.add(_column_trial(trial_id, column, prepared.X, prepared.y, resampling, metric))
    settings = make_settings(AutoMLRegressor(**params).get_params())
    try:
        return FinalModelBuilder(
            executor or ColumnExecutor(),
            ledger,
            prepared,
            settings,
            resampling,
            metric,
            deadline=time.time() + 30,
            cores=2,
            folds=store,
        ).build()
    finally:
        store.close()


@pytest.mark.parametrize("preset, stacked", [("best_quality", True), ("default", False)])
def test_the_final_model_stacks_only_where_the_preset_allows_and_stacking_wins(preset, stacked):
    # each trial predicts one half: only a meta-model can add them up
    final = _build_on_two_columns(lambda X: X["a"] + X["b"], {"preset": preset})
    X_new = pd.DataFrame({"a": [1.0, 2.0], "b": [3.0, -1.0]})
    if stacked:
        assert final.report.kind == FinalKind.STACKED and len(final.members) == 2
        assert np.allclose(final.model.predict(X_new), [4.0, 1.0], atol=1e-6)
        assert final.report.validation_score < 1e-6  # rmse on held-out validation folds
        bagged = [m for m in final.members if m.fitted_on == FitOn.FOLD_MODELS]
        assert len(bagged) == 2  # both members are bagged fold models
    else:
        assert final.report.kind == FinalKind.ENSEMBLE
        assert not np.allclose(final.model.predict(X_new), [4.0, 1.0], atol=0.5)


def test_a_comparison_that_cannot_end_before_its_deadline_is_abandoned():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=400), rng.normal(size=400)
    loss = get_metric(None, "regression").loss
    late = compare_on_folds([a, b], a + b, "regression", loss, rounds=10, deadline=time.time())
    assert late is None
    soon = time.time() + 60
    assert compare_on_folds([a, b], a + b, "regression", loss, rounds=10, deadline=soon)


class CountingExecutor(ColumnExecutor):
    def __init__(self):
        self.refits = 0

    def refit(self, request, **limits):
        self.refits += 1
        return super().refit(request, **limits)


@pytest.mark.parametrize("ensemble_refit", [False, True])
def test_a_bagged_single_model_is_the_best_trials_fold_models_without_a_refit(ensemble_refit):
    executor = CountingExecutor()
    params = {"ensemble_size": 1, "ensemble_refit": ensemble_refit}
    final = _build_on_two_columns(lambda X: X["a"] + 0.1 * X["b"], params, executor, seed=1)
    assert final.report.kind == FinalKind.SINGLE and final.best.trial_id == 0
    (member,) = final.members
    if ensemble_refit:
        assert executor.refits == 1 and member.fitted_on == FitOn.ALL_ROWS
    else:
        assert executor.refits == 0
        assert member.fitted_on == FitOn.FOLD_MODELS
        assert member.fold_reason == FoldReason.NO_REFIT
    X_new = pd.DataFrame({"a": [1.0, -2.0], "b": [3.0, 0.0]})
    assert np.allclose(final.model.predict(X_new), [1.0, -2.0])
