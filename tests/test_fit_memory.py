"""The whole fit's memory cap: validated, refused where it cannot hold, and held."""

from __future__ import annotations

import threading
import time

import numpy as np
import psutil
import pytest
from sklearn.datasets import load_breast_cancer

from automl import AutoMLClassifier
from automl.settings import make_settings
from automl.trials.limits import process_tree_pss_mb, process_tree_rss_mb
from automl.trials.memory import measure_fit_memory


@pytest.mark.parametrize("bad", [0, -5, "1GB", True])
def test_fit_memory_limit_must_be_a_positive_number_of_mb(bad):
    with pytest.raises(ValueError, match="fit_memory_limit must be a positive number of MB"):
        make_settings(AutoMLClassifier(fit_memory_limit=bad).get_params())
    assert make_settings(AutoMLClassifier().get_params()).fit_memory_limit_mb is None


def test_a_cap_below_what_this_process_uses_is_refused_before_searching():
    X, y = load_breast_cancer(return_X_y=True)
    with pytest.raises(ValueError, match=r"fit_memory_limit=10 MB is below what this process"):
        AutoMLClassifier(time_budget=10, fit_memory_limit=10, verbose=0).fit(X, y)


def test_data_too_large_for_one_worker_is_refused_before_searching(monkeypatch):
    from automl.trials import memory

    X, y = load_breast_cancer(return_X_y=True)
    monkeypatch.setattr(memory, "available_mb", lambda: 0.1)  # the data take ~0.13 MB
    estimator = AutoMLClassifier(time_budget=10, n_jobs=2, history=None, verbose=0)
    with pytest.raises(
        ValueError,
        match=r"the training data take 0.1 MB in memory; .* need about 0.2 MB, more than the "
        r"0.1 MB this machine has available",
    ):
        estimator.fit(X, y)
    assert not hasattr(estimator, "trials_")


def test_fewer_workers_when_only_some_fit():
    from automl.trials.memory import workers_that_fit

    limit = measure_fit_memory().total_mb + 50  # room for 50 MB more
    with pytest.warns(RuntimeWarning, match=r"2 worker\(s\) of the 4 asked for fit"):
        assert workers_that_fit(12.0, 4, limit) == 2  # 21.6 MB a worker
    assert workers_that_fit(1.0, 4, limit) == 4
    with pytest.raises(ValueError, match=r"or raise fit_memory_limit\."):
        workers_that_fit(40.0, 4, limit)


def test_the_fit_is_measured_once_per_page():
    """PSS counts a shared page once across the tree; summed RSS counts it in every process
    (a warm worker pool from an earlier test shares the libraries' pages)."""
    me = psutil.Process()
    rss = process_tree_rss_mb(me)
    memory = measure_fit_memory(me)
    assert 0 < memory.total_mb <= rss * 1.01
    assert memory.trials_mb >= 0 and memory.fixed_mb <= memory.total_mb


@pytest.mark.slow
def test_a_trial_over_its_share_is_stopped_and_the_fit_stays_under_the_cap():
    from fault_models import HOARDING

    from automl.space import register_family, unregister_family

    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    me = psutil.Process()
    peaks: list[float] = []
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            peaks.append(process_tree_pss_mb(me))
            time.sleep(0.05)

    register_family(HOARDING)
    # room for the workers (each imports the model libraries) and a few hundred MB of trials
    cap = process_tree_pss_mb(me) + 700
    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        model = AutoMLClassifier(
            time_budget=40,
            max_trials=6,
            n_jobs=2,
            include=["hoarding", "naive_bayes"],
            fit_memory_limit=cap,
            random_state=0,
            verbose=0,
        ).fit(X, y)
    finally:
        done.set()
        sampler.join()
        unregister_family("hoarding")
    hoarders = [t for t in model.trials_ if t["model"] == "hoarding"]
    assert hoarders and all(t["status"] == "memout" for t in hoarders)
    assert all("share of the fit memory limit" in t["error"] for t in hoarders)
    assert any(t["status"] == "ok" for t in model.trials_)
    assert model.score(X, y) > 0.8
    # a hoarder grows 20 MB per 20 ms and is polled at least every 50 ms
    assert max(peaks) <= cap + 100, (max(peaks), cap)
    assert np.isfinite(max(peaks))
