"""The first trial of a fit, run in this process while the workers start.

In a fresh interpreter the worker processes take a second or more to start (imports, loading
the data), and the first trial used to wait for them. When that trial is a family's low-cost
configuration (the cold start's first: LightGBM with 10 trees of 4 leaves) and the data are
small, it is evaluated here instead, at once, with the function and thread count a worker
would use, so its result is the one a worker would give. It has no time or memory limit here
(a worker's trial has both), which is why only a low-cost configuration on small data runs
here; everything else goes to the workers as before. Running a model library here is no
risk for the workers: they are started by fork and exec, never forked from this process.
"""

from __future__ import annotations

import os
import pickle
import socket
import time
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from automl.trials.limits import Outcome
from automl.trials.request import TrialData, TrialRequest
from automl.trials.status import TrialStatus
from automl.trials.worker import run_trial

MAX_ROWS = 10_000
MAX_CELLS = 1_000_000  # rows x columns of the model frame


class HeadStart:
    """Decides whether trial 0 runs in this process, and runs it."""

    def __init__(
        self,
        data: TrialData,
        n_threads: int,
        is_low_cost: Callable[[dict[str, Any]], bool],
    ) -> None:
        self.data, self.n_threads, self.is_low_cost = data, n_threads, is_low_cost

    @staticmethod
    def suits(data: TrialData) -> bool:
        n_rows, n_columns = data.X.shape
        return n_rows <= MAX_ROWS and n_rows * n_columns <= MAX_CELLS

    def takes(self, request: TrialRequest) -> bool:
        return request.trial_id == 0 and self.is_low_cost(request.config)

    def evaluate(self, request: TrialRequest) -> Future:
        """The trial, finished: a future that is already done, as a worker's would be."""
        started = time.monotonic()
        try:
            result = run_trial(self.data, request, n_threads=self.n_threads)
            outcome = Outcome(TrialStatus.OK, pickle.dumps(result, pickle.HIGHEST_PROTOCOL))
        except Exception as error:  # recorded like a crash in a worker's trial
            outcome = Outcome(TrialStatus.CRASHED, error=f"{type(error).__name__}: {error}")
        outcome.elapsed = time.monotonic() - started
        outcome.worker = f"{socket.gethostname()}:{os.getpid()}"
        future: Future = Future()
        future.set_result(outcome)
        return future
