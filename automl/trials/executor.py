"""Where trials run: a pool of worker processes, each running one limited trial at a time.

Locally, workers come from joblib's process executor (loky); the training data is written
once to a file and loaded once per worker, not sent with every trial. On a cluster -- when
joblib's dask backend is active (``with joblib.parallel_config(backend="dask"):`` around
``fit``, with a ``dask.distributed.Client`` connected) -- trials run on the cluster's workers
(``automl.trials.dask``). Either way each worker forks a fresh child per trial
(``automl.trials.limits``), so a trial over its limits is killed without losing the worker.
The local pool outlives a fit unless asked otherwise (``automl.trials.pool``).
"""

from __future__ import annotations

import concurrent.futures
import logging
import os
import shutil
import socket
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

import joblib
from joblib.externals.loky.process_executor import BrokenProcessPool

from automl.scratch import make_scratch_folder
from automl.space import preload_modules
from automl.trials.compute import active_dask_client
from automl.trials.limits import Outcome, run_limited
from automl.trials.memory import FitMemoryCap, workers_that_fit
from automl.trials.pool import shutdown_workers, worker_pool
from automl.trials.request import RefitRequest, TrialData, TrialRequest
from automl.trials.result import TrialResult
from automl.trials.status import TrialStatus
from automl.trials.worker import rehearse, run_refit, run_trial

_WARM_UP_WAIT = 60.0  # seconds: workers that have not started by then are a broken pool

log = logging.getLogger("automl")

# Every worker imports the registered families' modules and the worker module up front, so
# a forked trial does not pay for the imports every time.
WORKER_MODULE = "automl.trials.worker"
# No OMP_WAIT_POLICY=PASSIVE here: a 2-thread LightGBM fit is many times slower with it (see
# the benchmarks). Oversubscription is avoided instead by giving every trial an explicit
# thread count, so the threads of all running trials sum to the cores.

_cache: dict[str, Any] = {}  # per worker process: data file path -> loaded data


def make_executor(
    data: TrialData,
    n_workers: int,
    n_threads_per_trial: int,
    *,
    keep_workers: bool = True,
    fit_memory_limit_mb: float | None = None,
) -> TrialExecutor:
    """A dask executor when joblib's dask backend is active, else a local (loky) one.

    ``keep_workers=False``: closing the local executor also shuts its worker pool down (a dask
    cluster's workers belong to its client and are never shut down here).
    ``fit_memory_limit_mb`` caps this machine's processes; a dask cluster's workers have
    memory limits of their own, so it is refused there.
    """
    client = active_dask_client()
    if client is not None:
        if fit_memory_limit_mb is not None:
            raise ValueError(
                "fit_memory_limit caps the processes of this machine; with joblib's dask "
                "backend the trials run on the cluster: set its workers' memory_limit instead."
            )
        from automl.trials.dask import DaskExecutor

        return DaskExecutor(client, data, n_workers)
    n_workers = workers_that_fit(data.size_mb(), n_workers, fit_memory_limit_mb)
    return LocalExecutor(
        data,
        n_workers,
        n_threads_per_trial,
        keep_workers=keep_workers,
        fit_memory_limit_mb=fit_memory_limit_mb,
    )


class TrialExecutor(ABC):
    """Runs trials and refits on worker processes under limits.

    ``evaluate`` and ``refit`` return futures of an ``Outcome``; the caller decides what to
    submit and when, so the search stays asynchronous: a free worker gets the next proposal
    at once.
    """

    n_workers: int
    n_threads: int  # threads a trial uses by default
    shares_disk: bool = False  # whether a trial can write files this process reads

    def evaluate(
        self,
        request: TrialRequest,
        *,
        deadline: float | None = None,
        time_limit: float | None = None,
        memory_limit_mb: float | None = None,
    ) -> Future:
        """Evaluate a trial; past ``deadline`` (wall clock) or ``time_limit`` it is killed."""
        return self._submit(
            run_trial, request, deadline, time_limit, memory_limit_mb, self._threads(None)
        )

    def refit(
        self,
        request: RefitRequest,
        *,
        time_limit: float | None = None,
        memory_limit_mb: float | None = None,
        n_threads: int | None = None,
    ) -> Future:
        """Fit a configuration on all rows; the future's ``Outcome`` holds the fitted model."""
        return self._submit(
            run_refit, request, None, time_limit, memory_limit_mb, self._threads(n_threads)
        )

    _pool: Any  # a concurrent.futures-style executor
    _data: Any  # what a worker gets as its data: a file path, or a cluster future

    def _submit(
        self,
        function: Callable[..., Any],
        request: Any,
        deadline: float | None,
        time_limit: float | None,
        memory_limit_mb: float | None,
        n_threads: int,
    ) -> Future:
        return self._send(
            run_task,
            self._data,
            function,
            request,
            deadline,
            time_limit,
            memory_limit_mb,
            n_threads,
            self._own_memory_limit_mb(),
            self._results_folder(),
        )

    def _own_memory_limit_mb(self) -> float | None:
        """What a task submitted now may use of its own (its share of the fit's cap)."""
        return None

    def _results_folder(self) -> str | None:
        """Where a task's returned value can stay on disk for this process to read (None: it
        comes back pickled in the outcome)."""
        return None

    def _send(self, task: Callable[..., Any], *args: Any) -> Future:
        return self._pool.submit(task, *args)

    def _threads(self, requested: int | None) -> int:
        return requested or self.n_threads

    def warm_up(self) -> None:  # noqa: B027 - an optional hook: only some back ends need it
        """Start the workers now, so that the first trial does not pay for their start-up."""

    @abstractmethod
    def close(self, *, kill: bool = False) -> None:
        """Release the workers' resources; ``kill`` also stops what is still running."""


class LocalExecutor(TrialExecutor):
    """Worker processes on this machine: the shared pool of ``automl.trials.pool``, kept for
    the next fit unless ``keep_workers`` is False."""

    def __init__(
        self,
        data: TrialData,
        n_workers: int,
        n_threads_per_trial: int,
        *,
        keep_workers: bool = True,
        fit_memory_limit_mb: float | None = None,
    ) -> None:
        self.n_workers = n_workers
        self.shares_disk = True
        self._warming: list[Future] = []
        self._memory_cap = (
            None if fit_memory_limit_mb is None else FitMemoryCap(fit_memory_limit_mb, n_workers)
        )
        self.n_threads = n_threads_per_trial
        self.keep_workers = keep_workers
        self._folder = make_scratch_folder("data")
        self._data = os.path.join(self._folder, "data.joblib")  # what run_task receives
        joblib.dump(data, self._data)
        # computed here, in the parent, so that families the user registered are included
        self._modules = (*preload_modules(data.opt_in), WORKER_MODULE)
        self._pool = worker_pool(n_workers, preload, (self._modules,))

    def _send(self, task: Callable[..., Any], *args: Any) -> Future:
        try:
            return self._pool.submit(task, *args)
        except BrokenProcessPool:
            # A worker was killed since the pool was last used (between fits by a harness,
            # say, or by the system out of memory): what ran on it is recorded as lost,
            # and the next tasks go to a fresh pool.
            log.warning("a worker process died; starting new workers")
            self._pool = worker_pool(self.n_workers, preload, (self._modules,))
            return self._pool.submit(task, *args)

    def _own_memory_limit_mb(self) -> float | None:
        if self._memory_cap is None:
            return None
        # Workers that are still starting would be missed by the measure, and their trials
        # get too large a share; the first trials wait for the workers anyway.
        concurrent.futures.wait(self._warming, timeout=_WARM_UP_WAIT)
        self._warming = []
        return self._memory_cap.trial_share_mb()

    def _results_folder(self) -> str | None:
        return self._folder  # removed with the data at close, with any value never taken

    def warm_up(self) -> None:
        """Start the workers and load the data in them now, without waiting: the first trial
        then starts on a ready worker instead of paying for its start-up."""
        self._warming = [self._send(_load, self._data) for _ in range(self.n_workers)]

    def close(self, *, kill: bool = False) -> None:
        if kill:
            self._pool.shutdown(wait=False, kill_workers=True)
        if not self.keep_workers:
            shutdown_workers()
        shutil.rmtree(self._folder, ignore_errors=True)


def collect_trial(future: Future, request: TrialRequest, began: float) -> TrialResult:
    """Turn a finished trial's future (whatever happened to it) into a recorded trial."""
    try:
        outcome = future.result()
    except Exception as error:  # the worker itself failed: still a recorded trial
        lost = worker_died(error)
        return TrialResult(
            request.trial_id,
            request.config,
            TrialStatus.LOST if lost else TrialStatus.CRASHED,
            error=f"{LOST_MESSAGE if lost else 'worker failed'}: {error!r}",
            started=began,
            fidelity=request.fidelity,
        )
    if outcome.status == TrialStatus.OK:
        result: TrialResult = outcome.value()
    else:
        result = TrialResult(
            request.trial_id,
            request.config,
            outcome.status,
            error=outcome.error,
            fidelity=request.fidelity,
        )
    result.duration = outcome.elapsed
    result.peak_memory_mb = outcome.peak_memory_mb
    result.worker = outcome.worker  # also for a trial that failed or was killed
    result.started = began
    return result


LOST_MESSAGE = "its worker died or the cluster dropped it"


def worker_died(error: BaseException) -> bool:
    """Whether a task failed because its worker process died (a broken local pool, dask's
    ``KilledWorker``), or the cluster cancelled it, rather than by an error of its own.

    The search never collects the trials it cancels itself (Ctrl-C), so a cancellation here
    is the cluster's: the worker holding the task's data died, or the scheduler restarted.
    Through dask's executor interface it arrives as a plain ``CancelledError`` (dask's own
    ``FutureCancelledError`` is one too)."""
    return isinstance(error, (BrokenProcessPool, concurrent.futures.CancelledError)) or (
        type(error).__name__ == "KilledWorker"
    )


@dataclass
class RefitOutcome:
    """A refit's fitted model, or how it failed."""

    model: Any
    status: TrialStatus  # CRASHED also when the worker process itself died
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == TrialStatus.OK


def collect_refit(future: Future) -> RefitOutcome:
    """Wait for a refit and take its outcome, whatever happened to it."""
    try:
        outcome = future.result()
    except Exception as error:  # the worker process itself died
        return RefitOutcome(None, TrialStatus.CRASHED, f"lost its worker: {error!r}")
    if outcome.status == TrialStatus.OK:
        return RefitOutcome(outcome.value(), TrialStatus.OK)
    return RefitOutcome(None, outcome.status, outcome.error)


# ---------------------------------------------------------------- worker side


def preload(modules: tuple[str, ...]) -> None:
    import importlib

    for module in modules:
        importlib.import_module(module)
    rehearse()
    _freeze()


def _freeze() -> None:
    """Leave what the worker holds for good (the libraries, the data) out of garbage
    collection: a forked trial's collector would otherwise write to every one of those
    objects, and each page it writes to becomes the trial's own copy."""
    import gc

    gc.freeze()


def _load(path: str) -> TrialData:
    if path not in _cache:
        import gc

        gc.unfreeze()  # the last fit's data may hold reference cycles: collect them
        _cache.clear()
        gc.collect()
        _cache[path] = joblib.load(path)
        _freeze()
    return _cache[path]


def run_task(
    data: TrialData | str,
    function: Callable[..., Any],
    request: Any,
    deadline: float | None,
    time_limit: float | None,
    memory_limit_mb: float | None,
    n_threads: int,
    own_memory_limit_mb: float | None = None,
    results_folder: str | None = None,
) -> Outcome:
    """Worker side: get the shared data, then run ``function`` in a limited child.

    ``data`` is the path of the data file (local workers load it once and cache it) or, on
    dask, the data itself (scattered to the worker once). ``results_folder``: see
    ``run_limited``.
    """
    if isinstance(data, str):
        data = _load(data)
    limit, name = time_limit, "time limit"
    if deadline is not None:  # wall-clock deadline, so time spent waiting for a worker counts
        remaining = deadline - time.time()
        if limit is None or remaining < limit:
            limit, name = remaining, "the end of the search"
    outcome = run_limited(
        _with_threads,
        function,
        data,
        request,
        n_threads,
        time_limit=limit,
        memory_limit_mb=memory_limit_mb,
        time_limit_name=name,
        own_memory_limit_mb=own_memory_limit_mb,
        results_folder=results_folder,
    )
    outcome.worker = f"{socket.gethostname()}:{os.getpid()}"
    return outcome


def _with_threads(function: Callable, data: TrialData, request: Any, n_threads: int) -> Any:
    import warnings

    from threadpoolctl import threadpool_limits

    warnings.simplefilter("ignore")  # model chatter from inside a trial helps nobody
    with threadpool_limits(limits=n_threads):
        return function(data, request, n_threads=n_threads)
