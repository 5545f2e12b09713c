"""How a trial ended."""

from __future__ import annotations

from enum import Enum


class TrialStatus(str, Enum):
    """A trial's outcome. A ``str`` enum, so it compares equal to (and is stored as) its value:
    the history store and ``trials_`` keep plain strings."""

    OK = "ok"
    CRASHED = "crashed"  # an exception, a signal, or a process that died without a result
    TIMEOUT = "timeout"  # killed at its time limit or the search deadline
    MEMOUT = "memout"  # killed at its memory limit
    LOST = "lost"  # the worker process running it died; its result is gone and it is not rerun

    def __str__(self) -> str:
        return self.value
