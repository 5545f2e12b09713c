"""Early stopping inside boosting trials (automl.trials.early_stopping)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_classification, make_regression

from automl import AutoMLClassifier, AutoMLRegressor
from automl.final_model_report import FinalKind, FitOn
from automl.metrics import get_metric
from automl.space import PipelineSpace
from automl.trials.early_stopping import (
    MIN_WATCHED_ROWS,
    VALIDATION_SHARE,
    refit_config,
    watch_for,
    watched_rows,
)
from automl.trials.evaluation import evaluate
from automl.trials.resampling import make_resampling

# a fast learning rate and a high round limit: every boosting family stops well before it
GREEDY = {
    "lightgbm": {"lightgbm:n_estimators": 500, "lightgbm:learning_rate": 0.3},
    "xgboost": {"xgboost:n_estimators": 500, "xgboost:learning_rate": 0.3},
    "hist_gradient_boosting": {
        "hist_gradient_boosting:max_iter": 500,
        "hist_gradient_boosting:learning_rate": 0.3,
    },
}


def frame(X: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame(X, columns=[f"x{i}" for i in range(X.shape[1])])


def trial(config, X, y, task, *, early_stopping=True, sample_weight=None, metric=None):
    n_classes = 0 if task == "regression" else len(np.unique(y))
    metric = get_metric(metric, task)
    return evaluate(
        0,
        config,
        X,
        y,
        task=task,
        categorical=[],
        n_classes=n_classes,
        resampling=make_resampling(3, task=task, y=y, random_state=0),
        metric=metric,
        early_stopping=early_stopping,
        sample_weight=sample_weight,
    )


@pytest.mark.parametrize(
    "family, task",
    [("lightgbm", "regression"), ("xgboost", "multiclass"), ("hist_gradient_boosting", "binary")],
)
def test_boosting_trials_stop_early_and_say_where(family, task):
    if task == "regression":
        X, y = make_regression(900, 6, noise=20.0, random_state=0)
    else:
        X, y = make_classification(
            900, 6, n_informative=4, n_classes=3 if task == "multiclass" else 2, random_state=0
        )
    config = PipelineSpace(task, 900).complete({"model": family, **GREEDY[family]})
    stopped = trial(config, frame(X), y, task)
    limit = watch_for(config, seed=0).max_rounds
    assert stopped.ok and stopped.rounds is not None and 1 <= stopped.rounds < limit / 2
    assert refit_config(config, stopped.rounds)[
        f"{family}:{watch_for(config, seed=0).stopping.rounds}"
    ] == (stopped.rounds)
    assert np.isfinite(stopped.loss)


def test_a_model_stopped_in_time_beats_one_grown_to_its_limit():
    X, y = make_classification(900, 6, n_informative=4, flip_y=0.1, random_state=0)
    config = PipelineSpace("binary", 900).complete({"model": "lightgbm", **GREEDY["lightgbm"]})
    stopped = trial(config, frame(X), y, "binary", metric="log_loss")
    grown = trial(config, frame(X), y, "binary", early_stopping=False, metric="log_loss")
    assert grown.rounds is None and refit_config(config, grown.rounds) == config
    # the watched rows are the folds' own training rows, so both losses are out-of-fold;
    # 500 rounds at learning rate 0.3 over-fit this noisy target: over-confident probabilities
    assert stopped.loss < 0.9 * grown.loss


def test_families_without_early_stopping_are_fit_as_before():
    X, y = make_classification(600, 5, random_state=0)
    config = PipelineSpace("binary", 600).complete({"model": "random_forest"})
    assert watch_for(config, seed=0) is None
    with_flag = trial(config, frame(X), y, "binary")
    without = trial(config, frame(X), y, "binary", early_stopping=False)
    assert with_flag.rounds is None and with_flag.loss == without.loss


def test_watched_rows_are_stratified_and_need_enough_rows():
    y = np.repeat([0, 1, 2], [500, 400, 100])
    trained, watched = watched_rows(y, "multiclass", seed=0)
    assert len(watched) == round(len(y) * VALIDATION_SHARE)
    assert not set(trained) & set(watched) and len(trained) + len(watched) == len(y)
    assert np.bincount(y[watched]).tolist() == [50, 40, 10]
    too_few = int(MIN_WATCHED_ROWS / VALIDATION_SHARE) - 10
    assert watched_rows(np.zeros(too_few), "regression", seed=0) is None
    lonely = np.r_[np.zeros(600, dtype=int), 1]  # a class of one row cannot be on both sides
    assert watched_rows(lonely, "binary", seed=0) is None


def test_small_folds_are_fit_with_the_searched_rounds():
    X, y = make_classification(120, 4, random_state=0)  # folds of 80 rows: 8 would be watched
    config = PipelineSpace("binary", 120).complete({"model": "lightgbm", **GREEDY["lightgbm"]})
    result = trial(config, frame(X), y, "binary")
    assert result.rounds == 500  # every fold grew its limit, and the refit will too


def test_weighted_trials_stop_early_with_their_weights():
    X, y = make_regression(900, 5, noise=10.0, random_state=1)
    config = PipelineSpace("regression", 900).complete({"model": "xgboost", **GREEDY["xgboost"]})
    weights = np.where(np.arange(900) % 3 == 0, 0.0, 1.0)  # weight 0: rows left out
    result = trial(config, frame(X), y, "regression", sample_weight=weights)
    assert result.ok and result.rounds is not None and result.rounds < 500


def test_the_final_model_is_refit_with_the_rounds_its_trial_kept():
    X, y = make_classification(900, 6, random_state=0)
    model = AutoMLClassifier(
        time_budget=120,  # generous: a loaded machine must not cut these two trials off
        per_trial_time_limit=100,
        max_trials=2,
        n_jobs=1,
        include=["lightgbm"],
        warm_start=[{"model": "lightgbm", **GREEDY["lightgbm"]}],
        preset="fast_predict",
        early_stopping=True,
        history=None,
        random_state=0,
        verbose=0,
    ).fit(frame(X), y)
    board = model.leaderboard()
    assert (board["status"] == "ok").all(), model.trials_
    assert "rounds" in board and board["rounds"].notna().all()
    best = next(t for t in model.trials_ if t["config"] == model.best_config_)
    assert model.refit_.kind == FinalKind.SINGLE
    assert model.refit_.members[0].fitted_on == FitOn.ALL_ROWS
    assert model.model_.steps[-1][1].n_estimators == best["rounds"] < 500


def test_early_stopping_is_off_by_default_and_checked():
    X, y = make_regression(300, 4, random_state=0)
    model = AutoMLRegressor(
        time_budget=30, max_trials=1, n_jobs=1, warm_start=None, history=None, verbose=0
    ).fit(frame(X), y)
    assert all(t["rounds"] is None for t in model.trials_)
    assert "rounds" not in model.leaderboard()
    with pytest.raises(ValueError, match="early_stopping must be True or False, got 'yes'"):
        AutoMLRegressor(early_stopping="yes", max_trials=1, history=None).fit(frame(X), y)
