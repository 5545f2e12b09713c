"""How the final ensemble combines its candidates: greedy selection's weights, or a stacking
meta-model over the best of them where it wins on held-out validation folds.

Both stop at a deadline: selection keeps its best rounds so far, an unfinished stacking
comparison keeps greedy selection.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from automl.ensemble import select_ensemble
from automl.metrics import Metric
from automl.settings import Settings
from automl.stacking import compare_on_folds

log = logging.getLogger("automl")

STACK_MEMBERS = 10  # the best candidates a stacking meta-model combines


@dataclass(frozen=True)
class Combination:
    picked: list[tuple[int, float]]  # (candidate index, weight), heaviest first
    validation_loss: float
    stacked: bool  # a meta-model over the picked candidates (their weights are then 1)


def choose_combination(
    predictions: Sequence[np.ndarray],
    y: np.ndarray,
    loss_of: Callable[[np.ndarray, np.ndarray], float],
    metric: Metric,
    task: str,
    settings: Settings,
    *,
    costs: Sequence[float],
    deadline: float,
    stacking: bool,
) -> Combination | None:
    """Greedy selection over ``predictions`` (candidates best first), then -- with
    ``stacking`` -- the comparison with a meta-model over the ``STACK_MEMBERS`` best.
    None when no candidate fits the latency cap."""
    try:
        selection = select_ensemble(
            predictions,
            y,
            loss_of,
            rounds=settings.ensemble_size,
            random_state=None,  # candidates are ranked
            max_members=settings.ensemble_max_members,
            costs=costs,
            max_cost=settings.ensemble_max_latency,
            deadline=deadline,
        )
    except ValueError as error:  # no candidate fits the latency cap
        log.warning("ensemble: %s; keeping the best single model", error)
        return None
    picked = sorted(selection.weights.items(), key=lambda item: (-item[1], item[0]))
    greedy = Combination(picked, selection.loss, stacked=False)
    if not stacking or len(predictions) < 2:
        return greedy
    top = min(STACK_MEMBERS, len(predictions))
    comparison = compare_on_folds(
        predictions[:top],
        y,
        task,
        metric.loss,
        rounds=settings.ensemble_size,
        max_members=settings.ensemble_max_members,
        random_state=settings.random_state,
        deadline=deadline,
    )
    if comparison is None:
        log.info("stacking: no time left to compare it with greedy selection; greedy kept")
        return greedy
    scores = map(metric.to_score, (comparison.stacking_loss, comparison.greedy_loss))
    log.info("stacking: held-out %s %.6g vs greedy %.6g", metric.name, *scores)
    if not comparison.stacking_wins:
        return greedy
    return Combination([(index, 1) for index in range(top)], comparison.stacking_loss, True)
