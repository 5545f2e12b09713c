"""The compute a fit has: this machine's cores, or the dask cluster joblib's backend points at;
and joblib's default backend for the computing a fit does in its own process."""

from __future__ import annotations

import contextlib
import os
from typing import Any


def available_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def active_dask_client() -> Any | None:
    """The dask ``Client`` of joblib's active backend, if that backend is dask: the one place
    that decides whether trials go to a cluster."""
    from joblib.parallel import get_active_backend

    backend, _ = get_active_backend()
    return getattr(backend, "client", None) if type(backend).__name__.startswith("Dask") else None


def joblib_here() -> contextlib.AbstractContextManager:
    """For the computing a fit does in this process (the strategy's surrogate forests, the
    meta-features, the final model's choice): joblib's default backend, whatever the caller
    set. Under the dask backend joblib sends even a one-job ``Parallel`` (every scikit-learn
    forest fit) to the cluster as tasks; they queue behind the trials there, and the next
    trial waits for its proposal while a worker idles. The trials reach the cluster through
    the executor, which does not ask joblib.

    joblib's default is no configured backend at all, so that a ``Parallel`` that prefers
    threads (a k-nearest-neighbours query) gets them; ``parallel_config(backend="loky")``
    would send it to processes, and its latency would be measured wrong. No public call
    clears the configuration, hence its private thread-local."""
    return _default_joblib_config()


@contextlib.contextmanager
def _default_joblib_config():
    from joblib import parallel

    local = parallel._backend
    saved = getattr(local, "config", None)
    local.config = parallel.default_parallel_config
    try:
        yield
    finally:
        if saved is None:
            del local.config
        else:
            local.config = saved


def parallel_slots() -> int:
    """How many trials can run at once: the dask cluster's worker threads when joblib's dask
    backend is active, else this machine's cores (what ``n_jobs=-1`` means)."""
    client = active_dask_client()
    if client is None:
        return available_cores()
    from automl.trials.dask import dask_slots

    return dask_slots(client).trials
