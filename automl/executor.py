"""Trials in parallel: a pool of worker processes, each running one limited trial at a time.

Locally, workers come from joblib's process executor (loky); the training data is written
once to a file and loaded once per worker, not sent with every trial. On a cluster -- when
joblib's dask backend is active (``with joblib.parallel_config(backend="dask"):`` around
``fit``, with a ``dask.distributed.Client`` connected) -- trials run on the cluster's workers
and the data is scattered to them once. Either way each worker forks a fresh child per trial
(``automl.limits``), so a trial over its limits is killed without losing the worker.
"""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
import time
from concurrent.futures import Future
from typing import Any, Callable

import joblib
from joblib.externals.loky import get_reusable_executor

from automl.limits import Outcome, run_limited
from automl.space import preload_modules

# Preloaded in each worker so a forked trial does not pay for the imports every time.
_PRELOAD = (*preload_modules(), "automl.worker")
# No OMP_WAIT_POLICY=PASSIVE here: measured on letter (20,000 rows), a 2-thread LightGBM fit
# took 42.7 s with it and 4.7 s without. Oversubscription is avoided instead by giving every
# trial an explicit thread count, so the threads of all running trials sum to the cores.

_cache: dict[str, Any] = {}  # per worker process: data file path -> loaded data


def _preload() -> None:
    import importlib

    for module in _PRELOAD:
        importlib.import_module(module)


def _load(path: str) -> Any:
    if path not in _cache:
        _cache.clear()
        _cache[path] = joblib.load(path)
    return _cache[path]


def _warm(path: str) -> None:
    _load(path)


def _run_task(
    data: Any,
    function: Callable[..., Any],
    kwargs: dict[str, Any],
    deadline: float | None,
    time_limit: float | None,
    memory_limit_mb: float | None,
    n_threads: int,
) -> Outcome:
    """Worker side: get the shared data, then run ``function`` in a limited child.

    ``data`` is the path of the data file (local workers load it once and cache it) or, on
    dask, the data itself (scattered to the worker once).
    """
    if isinstance(data, str):
        data = _load(data)
    limit = time_limit
    if deadline is not None:  # wall-clock deadline, so time spent waiting for a worker counts
        remaining = deadline - time.time()
        limit = remaining if limit is None else min(limit, remaining)
    return run_limited(
        _with_threads,
        function,
        data,
        kwargs,
        n_threads,
        time_limit=limit,
        memory_limit_mb=memory_limit_mb,
    )


def _with_threads(function: Callable, data: Any, kwargs: dict, n_threads: int) -> Any:
    import warnings

    from threadpoolctl import threadpool_limits

    warnings.simplefilter("ignore")  # model chatter from inside a trial helps nobody
    with threadpool_limits(limits=n_threads):
        result = function(data, n_threads=n_threads, **kwargs)
    if hasattr(result, "worker"):  # this is the trial's forked child; its parent is the worker
        result.worker = f"{socket.gethostname()}:{os.getppid()}"
    return result


def active_dask_client() -> Any | None:
    """The dask ``Client`` of joblib's active backend, if that backend is dask."""
    from joblib.parallel import get_active_backend

    backend, _ = get_active_backend()
    return getattr(backend, "client", None) if type(backend).__name__.startswith("Dask") else None


def dask_slots(client: Any) -> tuple[int, int]:
    """(trials the cluster can run at once, threads each trial may use)."""
    nthreads = client.nthreads()
    if not nthreads:
        raise RuntimeError(f"The dask cluster at {client.scheduler.address} has no workers.")
    cpus = client.run(os.cpu_count)
    threads = min(max(1, (cpus.get(w) or 1) // n) for w, n in nthreads.items())
    return sum(nthreads.values()), threads


def make_executor(data: Any, n_workers: int, n_threads_per_trial: int) -> "TrialExecutor":
    """A dask executor when joblib's dask backend is active, else a local (loky) one."""
    client = active_dask_client()
    if client is not None:
        return DaskTrialExecutor(client, data, n_workers)
    return TrialExecutor(data, n_workers, n_threads_per_trial)


class TrialExecutor:
    """Runs ``function(data, **kwargs)`` calls on worker processes under limits.

    ``submit`` returns a future of an ``Outcome``; the caller decides what to submit and when,
    so the search stays asynchronous: a free worker gets the next proposal at once.
    """

    def __init__(self, data: Any, n_workers: int, n_threads_per_trial: int) -> None:
        self.n_workers = n_workers
        self.n_threads = n_threads_per_trial
        self._folder = tempfile.mkdtemp(prefix="automl-data-")
        self._data: Any = os.path.join(self._folder, "data.joblib")  # what _run_task receives
        joblib.dump(data, self._data)
        self._pool = get_reusable_executor(
            max_workers=n_workers, timeout=300, initializer=_preload
        )

    def warm_up(self) -> None:
        """Start the workers and load the data in them now, without waiting: the first trial
        then starts on a ready worker instead of paying for its start-up."""
        for _ in range(self.n_workers):
            self._pool.submit(_warm, self._data)

    def submit(
        self,
        function: Callable[..., Any],
        kwargs: dict[str, Any],
        *,
        deadline: float | None = None,
        time_limit: float | None = None,
        memory_limit_mb: float | None = None,
        n_threads: int | None = None,
    ) -> Future:
        return self._pool.submit(
            _run_task,
            self._data,
            function,
            kwargs,
            deadline,
            time_limit,
            memory_limit_mb,
            self._threads(n_threads),
        )

    def _threads(self, requested: int | None) -> int:
        return requested or self.n_threads

    def close(self, *, kill: bool = False) -> None:
        if kill:
            self._pool.shutdown(wait=False, kill_workers=True)
        shutil.rmtree(self._folder, ignore_errors=True)


class DaskTrialExecutor(TrialExecutor):
    """The same interface on a dask cluster: data scattered once, trials as cluster tasks.

    A trial is still a forked child of the dask worker process, under the same limits.
    Closing with ``kill`` cancels queued trials; running ones end at their time limit or the
    search deadline, whichever comes first (a dask worker cannot be killed from here).
    """

    def __init__(self, client: Any, data: Any, n_workers: int) -> None:
        slots, threads = dask_slots(client)
        self.n_workers = min(n_workers, slots)
        self.n_threads = threads
        self._client = client
        self._data = client.scatter(data, broadcast=True)
        self._pool = client.get_executor(pure=False)

    def _threads(self, requested: int | None) -> int:
        return min(requested or self.n_threads, self.n_threads)  # a slot's share of its machine

    def warm_up(self) -> None:
        """Nothing to do: the cluster's workers are running and the data is scattered."""

    def close(self, *, kill: bool = False) -> None:
        self._pool.shutdown(wait=False)
        if kill:
            self._client.cancel(self._data)
