"""Seconds kept at the end of the search for building the final model.

Refitting the best trial on all rows (unless the final model is bagged: its fold models as
they are). With ``ensemble_size`` > 1 also ensemble selection (rounds x candidates x one
metric evaluation, timed on the first result) and refitting the next ``RESERVED_MEMBERS``
best trials, spread over the workers (unless bagged). Selection and the stacking comparison
also stop at the final model's deadline, so an estimate that is short costs ensemble rounds,
not the budget. With a second stacking layer, its trials too: the first
layer's trial durations, spread over the workers (``automl.second_layer``).

The reserve is capped at ``RESERVE_CAP`` of the time budget. On large data one slow trial
(a forest that took two minutes on a ninth of a million rows) predicts a refit longer than
the whole budget; uncapped, its reserve ended the search within the first minute. Capped, the
search goes on, and the final model skips a refit predicted not to fit in the time left
(the best trial then answers with its own fitted models).
"""

from __future__ import annotations

import time

import numpy as np

from automl.ledger import TrialLedger
from automl.metrics import Metric
from automl.second_layer import layer_seconds, pick_first_layer
from automl.stacking import META_FOLDS
from automl.trials.resampling import Resampling
from automl.trials.result import TrialResult

REFIT_SAFETY = 1.5  # refit estimate = measured per-split fit time x rows ratio x this
REFIT_OVERHEAD = 1.0  # seconds: process start, pickling the fitted model back
ENSEMBLE_CANDIDATES = 50  # the best trials ensemble selection may choose from
RESERVED_MEMBERS = 5  # ensemble members besides the best whose refit time is reserved
RESERVE_CAP = 0.25  # of the time budget: the most the search leaves to the final model


def refit_estimate(trial: TrialResult, resampling: Resampling) -> float:
    """Seconds to refit a trial's configuration on all rows (from its measured fit time)."""
    per_split = trial.fit_time / max(1, len(resampling.splits))
    rows_share = max(resampling.train_fraction * trial.fidelity, 0.01)
    return per_split / rows_share * REFIT_SAFETY


def refit_grace(time_budget: float) -> float:
    """Seconds a refit may run past the search's deadline: part of the 10 % overrun allowed."""
    return 0.05 * time_budget + 1.0


class Reserve:
    """Subscribes to the ledger; ``seconds()`` is what the search must leave at its end."""

    def __init__(
        self,
        ledger: TrialLedger,
        resampling: Resampling,
        *,
        n_workers: int,
        ensemble_size: int,
        metric: Metric,
        y: np.ndarray,
        refit_members: bool = True,
        time_budget: float = float("inf"),
        second_layer: bool = False,
        stacking: bool = False,
    ) -> None:
        self.ledger, self.resampling, self.n_workers = ledger, resampling, n_workers
        self.ensemble_size, self.refit_members = ensemble_size, refit_members
        self.second_layer, self.stacking = second_layer, stacking
        self.metric, self.y = metric, y
        self.cap = RESERVE_CAP * time_budget
        self.metric_seconds = 0.0
        self._timed = False
        ledger.subscribe(self._time_metric)

    def _time_metric(self, result: TrialResult) -> None:
        """Time one evaluation of the metric on the first finished trial's predictions."""
        if self._timed or not result.ok:
            return
        self._timed = True
        if self.ensemble_size > 1 and result.predictions is not None:
            rows = self.resampling.validation_rows
            started = time.perf_counter()
            self.metric.loss(self.y[rows], result.predictions[rows])
            self.metric_seconds = time.perf_counter() - started

    def selection_seconds(self, candidates: int) -> float:
        """Greedy selection's time over ``candidates``; with stacking, also its comparison
        with the meta-model, which selects again on each of ``META_FOLDS`` folds."""
        once = self.ensemble_size * candidates * self.metric_seconds
        return once * (1 + META_FOLDS) if self.stacking else once

    def seconds(self) -> float:
        ranked = self.ledger.ranked()  # asked before every submission: rank once
        if not ranked:
            return REFIT_OVERHEAD
        top = ranked[: RESERVED_MEMBERS + 1]
        reserve = REFIT_OVERHEAD
        if self.refit_members:  # bagging: the best trial's fold models need no refit either
            reserve += refit_estimate(top[0], self.resampling)
        if self.ensemble_size > 1:
            reserve += self.selection_seconds(min(len(ranked), ENSEMBLE_CANDIDATES))
            if self.refit_members:  # bagged members are their fold models: nothing to refit
                others = sum(refit_estimate(t, self.resampling) for t in top[1:])
                reserve += others / self.n_workers
            if self.second_layer:
                first = pick_first_layer(ranked, lambda trial_id: True)
                reserve += layer_seconds(first, self.n_workers)
        return min(reserve, self.cap)
