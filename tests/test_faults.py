"""Fault injection through the estimator: misbehaving trials are recorded, the run goes on,
and the deadline holds even when every trial would take a minute."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from fault_models import FAULTS
from sklearn.datasets import make_classification

from automl import AutoMLClassifier
from automl.space import register_family, unregister_family

pytestmark = pytest.mark.slow  # every test here is a fit
BUDGET = 10  # for the deadline tests; each of their slow trials would take a minute


@pytest.fixture
def faults():
    for family in FAULTS.values():
        register_family(family)
    yield
    for family in FAULTS.values():
        unregister_family(family.name)


@pytest.fixture(scope="module")
def data():
    return make_classification(n_samples=300, n_features=6, random_state=0)


def _ended_by_the_deadline(trial: dict) -> bool:
    """A trial that was stopped when the search's time ran out: the time it was handed out
    plus its run time, both as recorded, within the budget and its 10 % overrun allowance."""
    return trial["status"] == "timeout" and trial["started"] + trial["duration"] <= BUDGET * 1.1


def _statuses(model: AutoMLClassifier) -> dict[str, list[dict]]:
    by_family: dict[str, list[dict]] = {}
    for trial in model.trials_:
        by_family.setdefault(trial["model"], []).append(trial)
    return by_family


def test_each_kind_of_failure_is_recorded_and_the_model_is_usable(faults, data):
    X, y = data
    limit = 5
    failing = [f.name for f in FAULTS.values() if f.name != "fault_slow"]
    model = AutoMLClassifier(
        time_budget=60,
        max_trials=8,
        n_jobs=2,
        per_trial_time_limit=limit,
        memory_limit=500,
        include=["logistic_regression"] + failing,
        strategy="random",
        random_state=0,
        verbose=0,
        warm_start=None,
    )
    model.fit(X, y)
    trials = _statuses(model)
    hang = trials["fault_hang"][0]
    # stopped by its own limit (not the search's deadline, 60 s away), soon after reaching it
    assert hang["status"] == "timeout" and f"stopped after {limit:.1f} s" in hang["error"]
    assert limit <= hang["duration"] < 2 * limit
    memory = trials["fault_memory"][0]
    assert memory["status"] == "memout"
    assert memory["peak_memory_mb"] >= 500
    segfault = trials["fault_segfault"][0]
    assert segfault["status"] == "crashed" and "SIGSEGV" in segfault["error"]
    exited = trials["fault_exit"][0]
    assert exited["status"] == "crashed" and "3" in exited["error"]
    raised = trials["fault_raise"][0]
    assert raised["status"] == "crashed" and "injected failure" in raised["error"]
    assert all(t["status"] == "ok" for t in trials["logistic_regression"])
    assert model.best_config_["model"] == "logistic_regression"
    assert model.score(X, y) > 0.8
    assert len(model.leaderboard()) == len(model.trials_) == 8


def test_deadline_holds_when_every_trial_would_take_a_minute(faults, data):
    X, y = data
    model = AutoMLClassifier(
        time_budget=BUDGET,
        n_jobs=2,
        per_trial_time_limit=None,
        include=["fault_slow"],
        random_state=0,
        verbose=0,
    )
    with pytest.warns(RuntimeWarning, match="constant baseline"):
        model.fit(X, y)
    assert model.trials_ and all(_ended_by_the_deadline(t) for t in model.trials_)
    assert model.fit_time_ <= BUDGET * 1.1 + 5
    assert model.predict(X).shape == (len(X),)


def test_deadline_keeps_the_work_that_finished(faults, data):
    X, y = data
    model = AutoMLClassifier(
        time_budget=BUDGET,
        n_jobs=2,
        per_trial_time_limit=None,
        include=["fault_slow", "logistic_regression"],
        random_state=0,
        verbose=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # no fallback to a constant model
        model.fit(X, y)
    assert model.fit_time_ <= BUDGET * 1.1 + 5
    trials = _statuses(model)
    assert trials["fault_slow"] and all(_ended_by_the_deadline(t) for t in trials["fault_slow"])
    fast = trials["logistic_regression"]
    # a fast trial still running when the time ran out is stopped like the slow ones
    assert any(t["status"] == "ok" for t in fast)
    assert all(t["status"] == "ok" or _ended_by_the_deadline(t) for t in fast)
    assert model.best_config_["model"] == "logistic_regression"
    assert np.mean(model.predict(X) == y) > 0.8
