"""A trial's future, whatever happened to it, becomes a recorded trial with an honest status."""

from concurrent.futures import CancelledError, Future

import pytest
from joblib.externals.loky.process_executor import BrokenProcessPool

from automl.trials.executor import collect_trial
from automl.trials.request import TrialRequest

REQUEST = TrialRequest(trial_id=3, config={"model": "lightgbm"}, metric="roc_auc", random_state=0)


def _failed(error: BaseException) -> Future:
    future: Future = Future()
    future.set_exception(error)
    return future


def test_a_trial_whose_local_worker_died_is_lost():
    trial = collect_trial(_failed(BrokenProcessPool("a worker was killed")), REQUEST, 1.5)
    assert trial.status == "lost" and "killed" in trial.error
    assert (trial.trial_id, trial.started, trial.config) == (3, 1.5, REQUEST.config)


def test_a_trial_whose_dask_worker_died_too_often_is_lost():
    scheduler = pytest.importorskip("distributed.scheduler")
    error = scheduler.KilledWorker("trial-key", None, 3)
    assert collect_trial(_failed(error), REQUEST, 0.0).status == "lost"


@pytest.mark.parametrize("reason", ["lost dependencies", None, "scheduler-restart"])
def test_a_dask_trial_the_cluster_cancelled_is_lost(reason):
    """Submitted after its data went with a dead worker ("lost dependencies"), already running
    then (no reason: "unknown"), or on a restarted scheduler: the search never collects the
    trials it cancels itself."""
    client = pytest.importorskip("distributed.client")
    trial = collect_trial(_failed(client.FutureCancelledError("key", reason)), REQUEST, 0.0)
    assert trial.status == "lost" and "worker died" in trial.error


def test_a_trial_cancelled_through_dasks_executor_interface_is_lost():
    # what the search sees: client.get_executor() hands back a plain CancelledError
    assert collect_trial(_failed(CancelledError()), REQUEST, 0.0).status == "lost"


def test_a_task_that_failed_on_a_live_worker_crashed():
    trial = collect_trial(_failed(RuntimeError("cannot unpickle")), REQUEST, 0.0)
    assert trial.status == "crashed" and "cannot unpickle" in trial.error
