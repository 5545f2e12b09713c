"""Greedy ensemble selection (Caruana et al., 2004) and the fitted ensemble.

Selection works on stored out-of-fold (or holdout) predictions only, so it costs no model fits:
each round adds -- with replacement -- the trial whose addition gives the best score of the
averaged prediction. Weights are the number of times a trial was picked. The rounds are
scored as they go and the best prefix is kept, so the ensemble's validation score is never
worse than the best single member's (the first round picks exactly that member).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from automl.data import REGRESSION


@dataclass
class Selection:
    """The outcome of ensemble selection over candidate prediction arrays."""

    weights: dict[int, int]  # candidate index -> times picked
    loss: float  # validation loss of the weighted average
    history: list[float]  # loss after each round

    @property
    def size(self) -> int:
        return sum(self.weights.values())


def select_ensemble(
    predictions: Sequence[np.ndarray],
    y: np.ndarray,
    loss_of: Any,
    *,
    rounds: int,
    random_state: int | None = None,
    max_members: int | None = None,
    costs: Sequence[float] | None = None,
    max_cost: float | None = None,
    deadline: float | None = None,
) -> Selection:
    """Greedy selection with replacement over ``predictions`` (validation rows only).

    ``loss_of(y, prediction)`` scores an averaged prediction (lower is better). Ties go to the
    earlier candidate -- or, with ``random_state``, the earlier in an order drawn from it -- so the
    same inputs always give the same ensemble. The engine passes candidates best first and no
    ``random_state``: round one then picks exactly the trial it refits as the single best, whose
    fitted model the ensemble reuses. With ``max_members``, once that many distinct members are in,
    only they can be picked again. With ``costs`` (each candidate's prediction latency) and
    ``max_cost``, a new member is only added while the members' summed cost stays within
    ``max_cost`` (picking a member again costs nothing: its predictions are computed once).
    Past ``deadline`` (a ``time.time()`` value) no further round starts; the best rounds so far
    are kept, so selection costs bounded time (it scores rounds x candidates averages).
    """
    if not len(predictions):
        raise ValueError("ensemble selection needs at least one candidate")
    stacked = np.stack([np.asarray(p, dtype=np.float64) for p in predictions])
    if stacked.ndim == 3:  # probabilities, stored as float32: make each row sum to 1 again
        stacked /= stacked.sum(axis=2, keepdims=True)
    order = (
        np.arange(len(stacked))
        if random_state is None
        else np.random.default_rng(random_state).permutation(len(stacked))
    )
    total = np.zeros_like(stacked[0])
    counts: dict[int, int] = {}
    history: list[float] = []
    best_round, best_loss, best_counts = 0, np.inf, {}
    cost = np.zeros(len(stacked)) if costs is None else np.asarray(costs, dtype=float)
    for round_ in range(1, rounds + 1):
        if round_ > 1 and deadline is not None and time.time() > deadline:
            break
        spent = sum(cost[i] for i in counts)
        full = max_members is not None and len(counts) >= max_members
        allowed = np.array(
            [
                i
                for i in order
                if i in counts or (not full and (max_cost is None or spent + cost[i] <= max_cost))
            ],
            dtype=int,
        )
        if not len(allowed):
            raise ValueError(
                f"no candidate fits within the cost cap {max_cost} (cheapest: {cost.min():.3g})"
            )
        losses = [loss_of(y, (total + stacked[i]) / round_) for i in allowed]
        pick = int(allowed[int(np.argmin(losses))])  # first minimum in the fixed order
        total += stacked[pick]
        counts[pick] = counts.get(pick, 0) + 1
        history.append(float(min(losses)))
        if history[-1] < best_loss - 1e-12:
            best_round, best_loss, best_counts = round_, history[-1], dict(counts)
    return Selection(weights=best_counts, loss=best_loss, history=history[:best_round] or history)


class Ensemble:
    """A weighted average of fitted pipelines' predictions (probabilities for classifiers)."""

    def __init__(self, members: list[tuple[float, Any]], task: str) -> None:
        total = sum(weight for weight, _ in members)
        self.members = [(weight / total, model) for weight, model in members]
        self.task = task

    def predict_proba(self, X: Any) -> np.ndarray:
        return sum(
            weight * np.asarray(model.predict_proba(X), dtype=np.float64)
            for weight, model in self.members
        )

    def predict(self, X: Any) -> np.ndarray:
        if self.task == REGRESSION:
            return sum(
                weight * np.asarray(model.predict(X), dtype=np.float64).ravel()
                for weight, model in self.members
            )
        return np.argmax(self.predict_proba(X), axis=1)
