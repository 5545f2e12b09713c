"""Refits for the final model: a trial's configuration fit again on all rows, in a worker.

Several run at once (the single model's candidates, or an ensemble's members), the cores
shared among them; one that fails, is cut off or is predicted too long gives way to the
trial's own fold models, and ``fold_reason`` says which of these it was.
"""

from __future__ import annotations

from typing import Any

from automl.final_model_report import FoldReason
from automl.settings import Settings
from automl.trials.early_stopping import refit_config
from automl.trials.executor import RefitOutcome, TrialExecutor
from automl.trials.request import RefitRequest
from automl.trials.result import TrialResult
from automl.trials.status import TrialStatus


class Refits:
    """Submits refits to the trial executor with the cores shared among those at once."""

    def __init__(self, executor: TrialExecutor, settings: Settings, cores: int) -> None:
        self.executor, self.settings, self.cores = executor, settings, cores

    def threads(self, n_refits: int) -> int:
        """Threads per refit when ``n_refits`` run at once, one per worker."""
        return max(1, self.cores // max(1, min(self.executor.n_workers, n_refits)))

    def submit(self, trial: TrialResult, limit: float, threads: int) -> Any:
        """A future of the refit's ``RefitOutcome`` (``collect_refit``), within ``limit`` s."""
        request = RefitRequest(
            config=refit_config(trial.config, trial.rounds), random_state=self.settings.random_state
        )
        return self.executor.refit(
            request,
            time_limit=limit,
            memory_limit_mb=self.settings.memory_limit_mb,
            n_threads=threads,
        )


def fold_reason(outcome: RefitOutcome | None) -> FoldReason:
    """Why fold models stand in for a refit: none was tried (predicted too long), it was cut
    off, or it failed."""
    if outcome is None:
        return FoldReason.WOULD_OVERRUN
    if outcome.status == TrialStatus.TIMEOUT:
        return FoldReason.REFIT_CUT_OFF
    return FoldReason.REFIT_FAILED
