"""Trials on a real dask cluster (a LocalCluster with 2 worker processes) via joblib's dask
backend. Skipped when the ``distributed`` extra is not installed."""

from __future__ import annotations

import os
import signal
import sys
import threading
import time

import joblib
import pandas as pd
import psutil
import pytest
from fault_models import FAULTS, NAPPING
from sklearn.datasets import make_classification

from automl import AutoMLClassifier
from automl.space import PipelineSpace, register_family, unregister_family
from automl.trials.compute import available_cores
from automl.trials.dask import DaskExecutor, dask_slots
from automl.trials.request import TrialData, TrialRequest
from automl.trials.resampling import make_resampling
from automl.trials.status import TrialStatus

distributed = pytest.importorskip("distributed")


def _cluster() -> tuple:
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    )
    return cluster, distributed.Client(cluster)


@pytest.fixture(scope="module")
def client():
    cluster, client = _cluster()
    yield client
    client.close()
    cluster.close()


def _worker_pid(trial: dict) -> int | None:
    return int(trial["worker"].rsplit(":", 1)[1]) if trial["worker"] else None


def _stopped_by_the_end(trial: dict) -> bool:
    return trial["status"] == "timeout" and "end of the search" in trial["error"]


def test_the_workers_on_one_machine_share_its_cores(client):
    # both workers run on this machine: two trials at once, each with half of its cores
    share = dask_slots(client)
    assert (share.trials, share.threads) == (2, max(1, available_cores() // 2))
    assert share.machine_cores == available_cores()


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
    worker_pids = set(client.run(os.getpid).values())
    # every trial names the worker that ran it, the crashed one too
    assert {_worker_pid(t) for t in model.trials_} <= worker_pids
    statuses = {t["model"]: t["status"] for t in model.trials_}
    assert statuses["fault_segfault"] == "crashed"
    assert statuses["logistic_regression"] == "ok"
    assert len(model.trials_) == 8
    assert model.score(X, y) > 0.8
    # the workers import the model libraries once, so a forked trial does not import them again
    assert all(client.run(lambda: "lightgbm" in sys.modules).values())


@pytest.mark.slow
def test_a_search_uses_every_worker_and_trials_end_by_themselves(client):
    X, y = make_classification(n_samples=500, n_features=20, random_state=0)
    with joblib.parallel_config(backend="dask"), distributed.get_task_stream(client) as tasks:
        model = AutoMLClassifier(
            time_budget=12,
            include=["lightgbm", "logistic_regression", "random_forest"],
            resampling="holdout",
            per_trial_time_limit=8,
            random_state=0,
            verbose=0,
        )
        model.fit(X, y)
    # only trials (and refits) reach the cluster: the fit's own scikit-learn work (the
    # strategy's surrogate forests) does not queue there as joblib batches behind them
    assert {task["key"].split("-")[0] for task in tasks.data} <= {"run_once", "_warm_up"}
    trials = model.trials_
    assert {_worker_pid(t) for t in trials if t["status"] == "ok"} == set(
        client.run(os.getpid).values()
    )
    # none crashed or hung into its own limit: only those still running at the end were stopped
    assert all(t["status"] == "ok" or _stopped_by_the_end(t) for t in trials)


@pytest.mark.slow
def test_data_left_on_one_worker_that_dies_is_scattered_again():
    """dask's active memory manager keeps one replica of the scattered data once no task waits
    for it; when that worker dies, the next trial scatters it again instead of failing."""
    X, y = make_classification(n_samples=60, n_features=4, random_state=0)
    data = TrialData(
        X=pd.DataFrame(X, columns=list("abcd")),
        y=y,
        task="binary",
        categorical=(),
        n_classes=2,
        resampling=make_resampling("holdout", task="binary", y=y),
    )
    config = PipelineSpace("binary", 60).default_config("logistic_regression")
    request = TrialRequest(trial_id=0, config=config, metric="roc_auc", random_state=0)
    cluster, client = _cluster()
    try:
        executor = DaskExecutor(client, data, n_workers=2)
        assert executor.evaluate(request).result(timeout=60).status == TrialStatus.OK
        client.amm.run_once()  # what the memory manager does every 2 s: one replica left
        deadline = time.time() + 30
        while len(client.who_has(executor._data)[executor._data.key]) > 1:
            assert time.time() < deadline, "the memory manager left every replica"
            time.sleep(0.1)
        holder = client.who_has(executor._data)[executor._data.key][0]
        os.kill(client.run(os.getpid, workers=[holder])[holder], signal.SIGKILL)
        while executor._data.status == "finished":
            assert time.time() < deadline, "the scheduler did not see the data go"
            time.sleep(0.1)
        outcome = executor.evaluate(request).result(timeout=60)
        assert outcome.status == TrialStatus.OK, outcome.error
        executor.close()
    finally:
        client.close()
        cluster.close()


@pytest.mark.slow
def test_a_worker_killed_mid_search_loses_its_trial_and_the_search_goes_on():
    X, y = make_classification(n_samples=200, n_features=6, random_state=0)
    cluster, client = _cluster()
    victim, survivor = (psutil.Process(pid) for pid in client.run(os.getpid).values())
    killed: dict[str, float | list[int]] = {}
    started = time.time()

    def kill_the_victim_mid_trial() -> None:
        while time.time() - started < 30:
            trials = [c.pid for c in victim.children() if c.status() != psutil.STATUS_ZOMBIE]
            if trials and time.time() - started > 3:  # after a few trials on both workers
                victim.send_signal(signal.SIGKILL)
                killed.update(at=time.time() - started, trials=trials)
                return
            time.sleep(0.05)

    register_family(NAPPING)
    killer = threading.Thread(target=kill_the_victim_mid_trial)
    try:
        killer.start()
        with joblib.parallel_config(backend="dask"):
            model = AutoMLClassifier(
                time_budget=15,
                include=["napping"],
                resampling="holdout",
                per_trial_time_limit=10,
                random_state=0,
                verbose=0,
            )
            model.fit(X, y)
        killer.join()
    finally:
        unregister_family("napping")
        client.close()
        cluster.close()
    assert killed, "no trial was seen running on the worker to kill"
    assert model.fit_time_ <= 15 * 1.1 + 5
    lost = [t for t in model.trials_ if t["status"] == "lost"]
    # the one it was running; when the data was left on that worker alone (dask's memory
    # manager), a trial sent before the search saw the data go is lost with it
    failed = [(t["trial_id"], t["status"], t["error"]) for t in model.trials_ if t["error"]]
    assert lost and all("died" in t["error"] for t in lost), failed
    assert min(t["started"] for t in lost) < killed["at"]
    later = [t for t in model.trials_ if t["started"] > killed["at"] + 0.5]
    assert later and all(t["status"] == "ok" or _stopped_by_the_end(t) for t in later)
    assert survivor.pid in {_worker_pid(t) for t in later if t["status"] == "ok"}
    assert victim.pid not in {_worker_pid(t) for t in later}
    # the killed worker's trial process did not run on without it
    assert not any(psutil.pid_exists(pid) for pid in killed["trials"])
