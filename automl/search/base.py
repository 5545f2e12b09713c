"""The ask/tell interface every search strategy implements.

A strategy sees configurations (plain dicts) and their losses, nothing else: no scikit-learn,
no data, no budget. That keeps strategies testable on synthetic objectives and interchangeable.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
from ConfigSpace import ConfigurationSpace

from automl.search.encoding import VectorSpace


def config_key(config: dict[str, Any]) -> str:
    """A canonical string for a configuration, to spot duplicates."""
    return json.dumps(config, sort_keys=True, default=str)


@dataclass(frozen=True)
class Budget:
    """Where the search stands in time; cost-aware strategies use it, others ignore it."""

    elapsed_fraction: float  # share of the search time already used, 0..1
    seconds_left: float


class SearchStrategy(ABC):
    """Proposes configurations (``ask``) and learns from their results (``tell``).

    ``initial_configs`` are proposed first, in order (defaults, meta-learned or historical
    configurations); configurations asked but not yet told are "pending", so a strategy used
    by parallel workers can avoid proposing the same thing twice.
    """

    def __init__(
        self,
        space: ConfigurationSpace,
        *,
        initial_configs: Iterable[dict[str, Any]] = (),
        seed: int = 0,
    ) -> None:
        self.space = space
        self.seed = seed
        self.vectors = VectorSpace(space)
        self.rng = np.random.default_rng(seed)
        self._queue = list(initial_configs)
        self.pending: dict[str, dict[str, Any]] = {}
        self.observations: list[tuple[dict[str, Any], float]] = []
        self.costs: list[float | None] = []  # seconds each observation took, when known
        self.budget: Budget | None = None
        self._seen: set[str] = set()

    def ask(self, budget: Budget | None = None) -> dict[str, Any]:
        """The next configuration to evaluate: queued initial ones first, then the strategy's."""
        self.budget = budget
        while self._queue:
            config = self._queue.pop(0)
            if config_key(config) not in self._seen:
                return self._mark(config)
        return self._mark(self._propose())

    def tell(self, config: dict[str, Any], loss: float, cost: float | None = None) -> None:
        """Record a result; failed trials come as ``inf`` and each strategy decides how to use it.

        ``cost`` is the trial's run time in seconds (for a failed trial, the time until it
        failed or was stopped).
        """
        self.pending.pop(config_key(config), None)
        self.observations.append((config, loss))
        self.costs.append(cost)

    def observe(self, config: dict[str, Any], loss: float, cost: float | None = None) -> None:
        """A result from an earlier run on the same data (a resumed search): learned from like
        any result, and never proposed again."""
        self._seen.add(config_key(config))
        self.tell(config, loss, cost)

    @abstractmethod
    def _propose(self) -> dict[str, Any]:
        """A new configuration, not yet seen if at all possible."""

    def _mark(self, config: dict[str, Any]) -> dict[str, Any]:
        key = config_key(config)
        self._seen.add(key)
        self.pending[key] = config
        return config

    def random_config(self) -> dict[str, Any]:
        """A uniformly random configuration not proposed before (if at all possible)."""
        return self.vectors.random_config(self.rng, self.is_new)

    def is_new(self, config: dict[str, Any]) -> bool:
        return config_key(config) not in self._seen
