"""Nested parallelism: each trial's model and its BLAS/OpenMP pools get the allotted threads."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from automl.space import PipelineSpace
from automl.space.pipeline_space import DataDescription, build_pipeline
from automl.trials.executor import LocalExecutor
from automl.trials.request import TrialData
from automl.trials.resampling import make_resampling


def report_threads(data, request, *, n_threads):
    """Runs inside a trial process: what the thread pools are limited to there."""
    from threadpoolctl import threadpool_info

    return {
        "allotted": n_threads,
        "pools": sorted({pool["num_threads"] for pool in threadpool_info()}),
    }


@pytest.mark.parametrize("family", ["lightgbm", "xgboost", "random_forest", "extra_trees", "knn"])
def test_models_get_the_allotted_thread_count(family):
    space = PipelineSpace("binary", 1000)
    data = DataDescription("binary", 1000, ("a", "b"), {})
    model = build_pipeline(space.default_config(family), data, n_threads=3)[-1]
    params = model.get_params()
    assert params.get("n_jobs") == 3 or params.get("nthread") == 3, params


def test_trial_thread_pools_are_limited_to_the_allotment():
    y = np.arange(10) % 2
    data = TrialData(
        X=pd.DataFrame({"a": np.arange(10.0)}),
        y=y,
        task="binary",
        categorical=(),
        n_classes=2,
        resampling=make_resampling(2, task="binary", y=y),
    )
    executor = LocalExecutor(data, n_workers=2, n_threads_per_trial=1)
    try:
        import numpy  # noqa: F401  (loads a BLAS pool, so there is one to limit)

        outcomes = [executor._submit(report_threads, None, None, None, None, n) for n in (1, 2)]
        reports = [future.result().value() for future in outcomes]
    finally:
        executor.close()
    for report in reports:
        assert report["pools"], "no thread pool found in the trial process"
        assert max(report["pools"]) <= report["allotted"], report


@pytest.mark.parametrize(
    "policy, expected", [("PASSIVE", 1), ("passive", 1), ("ACTIVE", 2), ("", 2)]
)
def test_openmp_models_get_one_thread_when_openmp_waits_passively(monkeypatch, policy, expected):
    """Measured (benchmarks/REFIT_THREADS.md): under OMP_WAIT_POLICY=PASSIVE a second thread
    makes LightGBM, XGBoost and HistGradientBoosting slower; random forests still scale."""
    from automl.space import FAMILIES
    from automl.trials.request import RefitRequest
    from automl.trials.worker import run_refit

    monkeypatch.setenv("OMP_WAIT_POLICY", policy)
    y = np.arange(40) % 2
    X = pd.DataFrame({"a": np.arange(40.0), "b": np.arange(40.0) % 3})
    data = TrialData(
        X=X,
        y=y,
        task="binary",
        categorical=(),
        n_classes=2,
        resampling=make_resampling(2, task="binary", y=y),
    )
    space = PipelineSpace("binary", 40)
    for family in ("lightgbm", "xgboost", "hist_gradient_boosting"):
        assert FAMILIES[family].threads(2) == expected
        model = run_refit(data, RefitRequest(space.default_config(family), 0), n_threads=2)
        params = model[-1].get_params()
        assert params.get("n_jobs", expected) == expected, (family, params)
    assert FAMILIES["random_forest"].threads(2) == 2  # joblib threads, not OpenMP
