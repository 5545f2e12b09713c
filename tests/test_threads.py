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
