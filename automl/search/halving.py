"""Asynchronous successive halving (ASHA) on row subsamples, with any strategy as proposer.

On large data a full trial is expensive, so most configurations are first fit on a small
share of the training rows ("rung" 0) and scored on the full validation rows; the best
``1/ETA`` of each rung are promoted to the next, larger share, up to all rows. Asynchronous
(Li et al., 2020): whenever a worker is free, the best not-yet-promoted result of the highest
rung that has one in its top ``1/ETA`` is promoted; otherwise the proposer gets to suggest a
new configuration for rung 0. No worker ever waits for a rung to fill.

The proposer (BO, evolution or random) learns from rung-0 results only: every configuration
has one, so its model compares like with like. Larger rungs decide which configurations get
the budget and which one becomes the final model.

When it switches on (``successive_halving="auto"``): when the training split has at least
``AUTO_MIN_ROWS`` rows. Rungs are ``1, 1/3, 1/9`` of the training rows, keeping only those
with at least ``MIN_RUNG_ROWS`` rows; with a single rung it is plain full-data search.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from automl.search.base import Budget, SearchStrategy, config_key

ETA = 3
MAX_RUNGS = 3
MIN_RUNG_ROWS = 2_000
AUTO_MIN_ROWS = 20_000


@dataclass(frozen=True)
class Request:
    """What to evaluate next: a configuration and the share of training rows to fit it on."""

    config: dict[str, Any]
    fidelity: float


def halving_fidelities(n_train_rows: int, setting: bool | str = "auto") -> tuple[float, ...]:
    """The rungs' fidelities, smallest first; ``(1.0,)`` means successive halving is off."""
    if setting is False or (setting == "auto" and n_train_rows < AUTO_MIN_ROWS):
        return (1.0,)
    rungs = [ETA**-k for k in range(MAX_RUNGS) if n_train_rows * ETA**-k >= MIN_RUNG_ROWS]
    return tuple(sorted(rungs or [1.0]))


class SuccessiveHalving:
    """Schedules a strategy's proposals over fidelity rungs."""

    def __init__(self, proposer: SearchStrategy, fidelities: tuple[float, ...] = (1.0,)) -> None:
        if list(fidelities) != sorted(fidelities) or fidelities[-1] != 1.0:
            raise ValueError("fidelities must be increasing and end with 1.0")
        self.proposer = proposer
        self.fidelities = tuple(fidelities)
        self._results: list[dict[str, tuple[dict[str, Any], float]]] = [{} for _ in fidelities]
        self._promoted: list[set[str]] = [set() for _ in fidelities]

    @property
    def enabled(self) -> bool:
        return len(self.fidelities) > 1

    def ask(self, budget: Budget | None = None) -> Request:
        for rung in reversed(range(len(self.fidelities) - 1)):
            config = self._promotable(rung)
            if config is not None:
                self._promoted[rung].add(config_key(config))
                return Request(config, self.fidelities[rung + 1])
        return Request(self.proposer.ask(budget), self.fidelities[0])

    def tell(self, request: Request, loss: float, cost: float | None = None) -> None:
        rung = self.fidelities.index(request.fidelity)
        self._results[rung][config_key(request.config)] = (request.config, loss)
        if rung == 0:
            self.proposer.tell(request.config, loss, cost)

    def _promotable(self, rung: int) -> dict[str, Any] | None:
        results = self._results[rung]
        top = len(results) // ETA
        ranked = sorted(results.items(), key=lambda item: (item[1][1], item[0]))[:top]
        for key, (config, loss) in ranked:
            if key not in self._promoted[rung] and math.isfinite(loss):
                return config
        return None
