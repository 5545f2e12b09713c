"""Regularized (aging) evolution, after Real et al. (2019).

A population of the ``POPULATION`` most recent results; each proposal mutates the winner of
a tournament among ``TOURNAMENT`` random members. Age, not fitness, decides who leaves the
population, so a lucky early result cannot dominate forever -- useful when trial losses are
noisy, as cross-validated losses on small data are. Mutation is one step of the same
one-exchange neighbourhood the Bayesian optimizer's local search uses.
"""

from __future__ import annotations

from collections import deque
from typing import Any

import numpy as np

from automl.search.base import SearchStrategy

POPULATION = 20
TOURNAMENT = 5


class RegularizedEvolution(SearchStrategy):
    """Tournament selection, one-exchange mutation, oldest member removed."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._population: deque[tuple[np.ndarray, float]] = deque(maxlen=POPULATION)

    def tell(self, config: dict[str, Any], loss: float, cost: float | None = None) -> None:
        super().tell(config, loss, cost)
        self._population.append((self.vectors.encode(config), loss))

    def _propose(self) -> dict[str, Any]:
        alive = [member for member in self._population if np.isfinite(member[1])]
        if len(self._population) < POPULATION or not alive:
            return self.random_config()  # still building the first population
        for _ in range(20):
            size = min(TOURNAMENT, len(self._population))
            picks = self.rng.choice(len(self._population), size=size, replace=False)
            parent = min((self._population[i] for i in picks), key=lambda m: m[1])[0]
            if not np.isfinite(min(self._population[i][1] for i in picks)):
                parent = alive[int(self.rng.integers(len(alive)))][0]
            config = self.vectors.decode(self.vectors.mutate(parent, self.rng))
            if self.is_new(config):
                return config
        return self.random_config()
