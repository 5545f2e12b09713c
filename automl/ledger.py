"""The trial ledger: the one owner of every trial of a run, and the one rule that ranks them.

Everything that needs to know "which trials are best" asks the ledger: the budget reserve, the
fold-model store, the final refit, ensemble selection, the progress bar and the leaderboard.
Whatever must react to a new trial (the search strategy, the history recorder, the fold store,
the reserve) subscribes to it, and is told in the order it subscribed. A resumed run preloads
the trials that earlier runs recorded on the same data: the strategy learns from them, but
they are not this run's trials and never become its final model.

Ranking rule: finished trials only; the largest fidelity first (a successive-halving trial fit
on a third of the rows is not comparable with one fit on all of them), then the lowest loss,
then the lowest trial id (so ties have one answer, whatever order trials finished in).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from automl.trials.result import TrialResult
from automl.trials.status import TrialStatus

Listener = Callable[[TrialResult], None]


def rank_key(fidelity: float, loss: float, trial_id: int) -> tuple[float, float, int]:
    """The ranking rule as a sort key (lower sorts first), for trials and leaderboard rows."""
    return (-fidelity, loss, trial_id)


class TrialLedger:
    """Every trial of one run, in the order results arrived."""

    def __init__(self, earlier: list[TrialResult] | None = None) -> None:
        self._trials: list[TrialResult] = []
        self._by_id: dict[int, TrialResult] = {}
        self._listeners: list[Listener] = []
        self.earlier: list[TrialResult] = list(earlier or [])  # preloaded from the history

    def subscribe(self, listener: Listener) -> None:
        """Call ``listener(trial)`` for every trial added from now on."""
        self._listeners.append(listener)

    def add(self, trial: TrialResult) -> None:
        if trial.trial_id in self._by_id:
            raise ValueError(f"trial {trial.trial_id} is already in the ledger")
        self._trials.append(trial)
        self._by_id[trial.trial_id] = trial
        for listener in self._listeners:
            listener(trial)

    def __len__(self) -> int:
        return len(self._trials)

    def __iter__(self) -> Iterator[TrialResult]:
        return iter(self._trials)

    def __contains__(self, trial_id: object) -> bool:
        return trial_id in self._by_id

    def __getitem__(self, trial_id: int) -> TrialResult:
        return self._by_id[trial_id]

    def by_id(self) -> list[TrialResult]:
        """Every trial, in trial-id order (the order they were proposed)."""
        return sorted(self._trials, key=lambda t: t.trial_id)

    def ranked(self, *, full_fidelity: bool = False, limit: int | None = None) -> list[TrialResult]:
        """Finished trials, best first by the ranking rule; ``full_fidelity`` keeps only
        trials fit on all of each split's training rows."""
        return rank(self._trials, full_fidelity=full_fidelity)[:limit]

    def best(self) -> TrialResult | None:
        ranked = self.ranked(limit=1)
        return ranked[0] if ranked else None

    @property
    def n_failed(self) -> int:
        return sum(t.status != TrialStatus.OK for t in self._trials)


def rank(trials: list[TrialResult], *, full_fidelity: bool = False) -> list[TrialResult]:
    """``trials`` that finished, best first by the ranking rule."""
    kept = [
        t for t in trials if t.status == TrialStatus.OK and (not full_fidelity or t.fidelity == 1.0)
    ]
    return sorted(kept, key=lambda t: rank_key(t.fidelity, t.loss, t.trial_id))
