"""Trials on a dask cluster: the data scattered once, each trial a cluster task.

A trial is still a forked child of the dask worker process, under the same limits as locally,
and the worker imports the model libraries once (as a local worker does), so that a forked
trial does not import them again.

Threads: a machine's cores are shared by every worker thread on it, whichever worker process
it belongs to. A ``LocalCluster`` runs all its workers on one machine, so a trial there gets
``cores / all worker threads`` threads, not ``cores / its own worker's threads``: the latter
runs twice as many threads as cores with two workers, and trials of OpenMP models (whose
threads spin while they wait) then crawl into their time limit.

A worker that dies mid-trial: the scheduler sends its running tasks to another worker. A trial
is not run again (it may be what killed the worker, and would cost its full time once more):
the task marks itself started in a scheduler-side ``distributed.Event``, and a task that finds
its mark already set reports the trial as ``lost`` at once.

The data is scattered to every worker, but dask's active memory manager soon keeps a single
replica of data that no queued task waits for, whatever ``broadcast`` asked; when the worker
holding it dies, the trials running on it are lost and the data is scattered again for the next.
"""

from __future__ import annotations

import logging
import socket
import uuid
from collections import Counter
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

from automl.space import preload_modules
from automl.trials.compute import available_cores
from automl.trials.executor import WORKER_MODULE, TrialExecutor, preload
from automl.trials.limits import Outcome
from automl.trials.request import TrialData
from automl.trials.status import TrialStatus

_CLAIM_PREFIX = "automl-trial-"
log = logging.getLogger("automl")


@dataclass(frozen=True)
class ClusterShare:
    """What the cluster's machines give the search."""

    trials: int  # trials it can run at once: its worker threads
    threads: int  # threads a trial may use: the smallest share of a machine's cores
    machine_cores: int  # cores of its smallest machine: what a refit running alone may use


def dask_slots(client: Any) -> ClusterShare:
    """The cluster's trial slots and threads. Each machine's cores are divided among all the
    worker threads on that machine; a trial gets the smallest such share in the cluster."""
    nthreads = client.nthreads()
    if not nthreads:
        raise RuntimeError(f"The dask cluster at {client.scheduler.address} has no workers.")
    machines = client.run(_machine)  # worker address -> (host name, cores)
    slots_on: Counter[str] = Counter()
    cores_on: dict[str, int] = {}
    for address, n in nthreads.items():
        host, cores = machines.get(address, (address, 1))  # a worker that joined meanwhile
        slots_on[host] += n
        cores_on[host] = cores
    return ClusterShare(
        trials=sum(nthreads.values()),
        threads=min(max(1, cores_on[host] // slots) for host, slots in slots_on.items()),
        machine_cores=min(cores_on.values()),
    )


def _machine() -> tuple[str, int]:
    return socket.gethostname(), available_cores()


class DaskExecutor(TrialExecutor):
    """Closing with ``kill`` cancels queued trials; running ones end at their time limit or
    the search deadline, whichever comes first (a dask worker cannot be killed from here)."""

    def __init__(self, client: Any, data: TrialData, n_workers: int) -> None:
        share = dask_slots(client)
        self.n_workers = min(n_workers, share.trials)
        self.n_threads = share.threads
        self._machine_cores = share.machine_cores
        self._client = client
        # computed here, in the client, so that families the user registered are included
        self._modules = (*preload_modules(data.opt_in), WORKER_MODULE)
        self._trial_data = data
        self._data = client.scatter(data, broadcast=True)
        self._pool = client.get_executor(pure=False)

    def _submit(self, *args: Any) -> Future:
        if self._data.status in ("lost", "cancelled", "error"):  # its last holder died
            log.warning("the workers holding the data died; scattering it again")
            self._data = self._client.scatter(self._trial_data, broadcast=True)
        return super()._submit(*args)

    def _threads(self, requested: int | None) -> int:
        # a trial: its slot's share of its machine; a refit (the search is over): what the
        # caller asks, up to a machine's cores
        if requested is None:
            return self.n_threads
        return max(1, min(requested, self._machine_cores))

    def _send(self, task: Callable[..., Any], *args: Any) -> Future:
        claim = f"{_CLAIM_PREFIX}{uuid.uuid4().hex}"
        return self._pool.submit(run_once, claim, self._modules, task, *args)

    def warm_up(self) -> None:
        """Import the model libraries on every worker now, while the search is prepared."""
        from distributed import fire_and_forget

        for address in self._client.nthreads():
            fire_and_forget(
                self._client.submit(
                    _warm_up, self._modules, workers=[address], allow_other_workers=True, pure=False
                )
            )

    def close(self, *, kill: bool = False) -> None:
        self._pool.shutdown(wait=False)
        if kill:
            self._client.cancel(self._data)
        else:  # the workers drop the data once the trials still using it are done
            self._data.release()


# ---------------------------------------------------------------- worker side


def _warm_up(modules: tuple[str, ...]) -> None:
    from distributed import get_client

    preload(modules)
    get_client()  # the worker's own client, which run_once needs: started now, not mid-trial


def run_once(
    claim: str, modules: tuple[str, ...], task: Callable[..., Outcome], *args: Any
) -> Outcome:
    """Worker side: run ``task`` unless this trial already started on a worker that died.

    ``claim`` names the trial's scheduler-side mark: set while it runs, cleared when it ends.
    """
    from distributed import Event

    started = Event(claim)
    if started.is_set():  # sent here again after its worker died while running it
        started.clear()
        return Outcome(
            TrialStatus.LOST,
            error="the worker running it died; the trial was not run again",
        )
    started.set()
    try:
        preload(modules)  # once per worker: later calls find the modules imported
        return task(*args)
    finally:
        started.clear()
