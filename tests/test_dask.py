"""Trials on a real dask cluster (a LocalCluster with 2 worker processes) via joblib's dask
backend. Skipped when the ``distributed`` extra is not installed."""

from __future__ import annotations

import joblib
import pytest
from fault_models import FAULTS
from sklearn.datasets import make_classification

from automl import AutoMLClassifier
from automl.space import register_family, unregister_family

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    )
    client = distributed.Client(cluster)
    yield client
    client.close()
    cluster.close()


@pytest.mark.slow
def test_trials_run_on_the_cluster_workers(client):
    X, y = make_classification(n_samples=300, n_features=6, random_state=0)
    register_family(FAULTS["segfault"])
    try:
        with joblib.parallel_config(backend="dask"):
            model = AutoMLClassifier(
                time_budget=60,
                max_trials=8,
                per_trial_time_limit=20,
                include=["logistic_regression", "fault_segfault"],
                random_state=0,
                verbose=0,
            )
            model.fit(X, y)
    finally:
        unregister_family("fault_segfault")
    worker_pids = {str(pid) for pid in client.run(lambda: __import__("os").getpid()).values()}
    workers = {t["worker"].rsplit(":", 1)[1] for t in model.trials_ if t["worker"]}
    assert workers and workers <= worker_pids
    statuses = {t["model"]: t["status"] for t in model.trials_}
    assert statuses["fault_segfault"] == "crashed"
    assert statuses["logistic_regression"] == "ok"
    assert len(model.trials_) == 8
    assert model.score(X, y) > 0.8
