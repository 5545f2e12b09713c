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

from dataclasses import dataclass

import psutil


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
