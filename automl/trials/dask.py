"""Trials on a dask cluster: the data scattered once, each trial a cluster task.

A trial is still a forked child of the dask worker process, under the same limits as locally.
"""

from __future__ import annotations

import os
from typing import Any

from automl.trials.executor import TrialExecutor
from automl.trials.request import TrialData


def dask_slots(client: Any) -> tuple[int, int]:
    """(trials the cluster can run at once, threads each trial may use)."""
    nthreads = client.nthreads()
    if not nthreads:
        raise RuntimeError(f"The dask cluster at {client.scheduler.address} has no workers.")
    cpus = client.run(os.cpu_count)
    threads = min(max(1, (cpus.get(w) or 1) // n) for w, n in nthreads.items())
    return sum(nthreads.values()), threads


class DaskExecutor(TrialExecutor):
    """Closing with ``kill`` cancels queued trials; running ones end at their time limit or
    the search deadline, whichever comes first (a dask worker cannot be killed from here)."""

    def __init__(self, client: Any, data: TrialData, n_workers: int) -> None:
        slots, threads = dask_slots(client)
        self.n_workers = min(n_workers, slots)
        self.n_threads = threads
        self._client = client
        self._data = client.scatter(data, broadcast=True)
        self._pool = client.get_executor(pure=False)

    def _threads(self, requested: int | None) -> int:
        return min(requested or self.n_threads, self.n_threads)  # a slot's share of its machine

    def close(self, *, kill: bool = False) -> None:
        self._pool.shutdown(wait=False)
        if kill:
            self._client.cancel(self._data)
