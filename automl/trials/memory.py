"""The whole fit's memory cap (``fit_memory_limit``): how much each trial may add.

The fit is this process, its worker processes and their resource trackers, plus one forked
child per running trial (or refit). It is measured in proportional set size (PSS): a page
shared by n processes counts 1/n in each, so the tree's sum counts each page once, which is
what the machine spends. Summed resident memory would count the libraries every worker
loads, and the pages a forked trial shares with its worker, once per process.

What is not a trial (this process, the idle workers, the trackers) is measured when a trial
is submitted; the rest of the cap is split evenly between the trials that can run at once,
and each trial is held to its share of memory of its own (its unique set size: what it
allocated or copied, not the pages it still shares with its worker). A trial over its share
is stopped and recorded as ``memout``, as under ``memory_limit``.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import psutil

# What a local worker adds per copy of the training data: its own copy, loaded once, and the
# training fold a trial slices from it (80 % under 5-fold CV or the holdout)
DATA_COPIES_PER_WORKER = 1.8


@dataclass(frozen=True)
class FitMemory:
    """The fit's memory now, in MB: the whole tree, and what its running trials hold."""

    total_mb: float
    trials_mb: float

    @property
    def fixed_mb(self) -> float:
        """What is not a trial: this process, the workers and the trackers."""
        return self.total_mb - self.trials_mb


def measure_fit_memory(root: psutil.Process | None = None) -> FitMemory:
    """The tree's PSS and its trials' USS. A trial is anything below one of our children (a
    worker's forked child and what it starts); the trackers and the workers themselves have
    no children of their own but trials."""
    root = root or psutil.Process()
    try:
        children = root.children()
        trial_pids = {p.pid for child in children for p in child.children(recursive=True)}
        everyone = [root, *root.children(recursive=True)]
    except psutil.Error:
        trial_pids, everyone = set(), [root]
    total = trials = 0
    for process in everyone:  # one read of smaps per process gives both measures
        try:
            memory = process.memory_full_info()
        except psutil.Error:
            continue
        total += memory.pss
        if process.pid in trial_pids:
            trials += memory.uss
    return FitMemory(total / 2**20, trials / 2**20)


class FitMemoryCap:
    """Splits what the cap leaves after the fixed part between ``n_slots`` trials."""

    def __init__(self, limit_mb: float, n_slots: int) -> None:
        self.limit_mb = float(limit_mb)
        self.n_slots = max(1, int(n_slots))

    def trial_share_mb(self) -> float:
        """The memory of its own a trial submitted now may use; at least 1 MB, so that a fit
        whose fixed part already fills the cap records memouts instead of hanging."""
        fixed = measure_fit_memory().fixed_mb
        return max(1.0, (self.limit_mb - fixed) / self.n_slots)


def available_mb() -> float:
    """Memory the machine can still give without swapping."""
    return psutil.virtual_memory().available / 2**20


def workers_that_fit(data_mb: float, n_workers: int, limit_mb: float | None) -> int:
    """How many of ``n_workers`` local workers the memory left can hold, each with its copy of
    the data and a trial's training fold: fewer with a warning, or a ``ValueError`` before
    the search when not even one fits (rather than swapping, or the main process being
    killed for memory in the middle of the fit). Left is what ``limit_mb`` leaves after this
    process tree, or without a cap what the machine has available."""
    if limit_mb is None:
        room, where = available_mb(), "this machine has available"
    else:
        room = limit_mb - measure_fit_memory().total_mb
        where = f"fit_memory_limit={limit_mb:.0f} MB leaves after this process"
    per_worker = data_mb * DATA_COPIES_PER_WORKER
    fitting = min(n_workers, int(room // per_worker)) if per_worker > 0 else n_workers
    if fitting < 1:
        raise ValueError(
            f"the training data take {data_mb:,.1f} MB in memory; a worker's copy and a "
            f"trial's fold of them need about {per_worker:,.1f} MB, more than the "
            f"{max(0.0, room):,.1f} MB {where}. Fit on a sample of the rows or fewer columns"
            + (", or raise fit_memory_limit." if limit_mb is not None else ".")
        )
    if fitting < n_workers:
        warnings.warn(
            f"the training data take {data_mb:,.1f} MB in memory: {fitting} worker(s) of the "
            f"{n_workers} asked for fit in the {room:,.0f} MB {where}; running {fitting}.",
            RuntimeWarning,
            stacklevel=2,
        )
    return fitting


def check_fit_memory_limit(limit_mb: float | None) -> None:
    """A cap that this process (with the workers a previous fit kept warm) already exceeds
    cannot be met: say so before searching."""
    if limit_mb is None:
        return
    used = measure_fit_memory().total_mb
    if used >= limit_mb:
        raise ValueError(
            f"fit_memory_limit={limit_mb:.0f} MB is below what this process already uses "
            f"({used:.0f} MB, with the data loaded and any workers kept from an earlier fit), "
            "before any trial starts. Raise it, or leave it at None."
        )
