"""The head start: on small data the cheapest configuration runs in this process as trial 0,
while the workers start, and gives what a worker would have given."""

import os

import numpy as np
from sklearn.datasets import make_classification

import automl.trials.head_start as head_start
from automl import AutoMLClassifier
from automl.space import PipelineSpace

SETTINGS = dict(time_budget=8, n_jobs=1, random_state=0, verbose=0, history=None)


def ran_here(trial):
    return trial["worker"].rsplit(":", 1)[1] == str(os.getpid())


def test_the_cheapest_configuration_runs_here_first_and_scores_as_on_a_worker():
    X, y = make_classification(300, 6, random_state=0)
    model = AutoMLClassifier(**SETTINGS).fit(X, y)  # the metabase warm start, by default
    first = min(model.trials_, key=lambda t: t["trial_id"])
    cheapest = PipelineSpace("binary", 300).low_cost_config("lightgbm")
    assert first["config"] == cheapest and first["status"] == "ok"
    assert ran_here(first)
    assert [t for t in model.trials_ if ran_here(t)] == [first]  # the rest ran on workers
    # the same configuration on a worker (a one-item warm start runs exactly as given)
    on_worker = AutoMLClassifier(**SETTINGS, max_trials=1, warm_start=[cheapest]).fit(X, y)
    assert not ran_here(on_worker.trials_[0])
    np.testing.assert_allclose(on_worker.trials_[0]["loss"], first["loss"], rtol=1e-12)


def test_no_head_start_on_large_data_or_with_max_trials(monkeypatch):
    X, y = make_classification(300, 6, random_state=0)
    counted = AutoMLClassifier(**SETTINGS, max_trials=2).fit(X, y)
    assert not any(ran_here(t) for t in counted.trials_)
    monkeypatch.setattr(head_start, "MAX_CELLS", 300 * 6 - 1)  # one cell too many
    large = AutoMLClassifier(**SETTINGS).fit(X, y)
    assert not any(ran_here(t) for t in large.trials_)
