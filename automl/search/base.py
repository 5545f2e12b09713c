"""The ask/tell interface every search strategy implements.

A strategy sees configurations (plain dicts) and their losses, nothing else: no scikit-learn,
no data, no budget. That keeps strategies testable on synthetic objectives and interchangeable.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from typing import Any, Iterable

from ConfigSpace import ConfigurationSpace


def config_key(config: dict[str, Any]) -> str:
    """A canonical string for a configuration, to spot duplicates."""
    return json.dumps(config, sort_keys=True, default=str)


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
        self._queue = list(initial_configs)
        self.pending: dict[str, dict[str, Any]] = {}
        self.observations: list[tuple[dict[str, Any], float]] = []
        self._seen: set[str] = set()

    def ask(self) -> dict[str, Any]:
        while self._queue:
            config = self._queue.pop(0)
            if config_key(config) not in self._seen:
                return self._mark(config)
        return self._mark(self._propose())

    def tell(self, config: dict[str, Any], loss: float) -> None:
        """Record a result; failed trials come as ``inf`` and each strategy decides how to use it."""
        self.pending.pop(config_key(config), None)
        self.observations.append((config, loss))

    @abstractmethod
    def _propose(self) -> dict[str, Any]:
        """A new configuration, not yet seen if at all possible."""

    def _mark(self, config: dict[str, Any]) -> dict[str, Any]:
        key = config_key(config)
        self._seen.add(key)
        self.pending[key] = config
        return config

    def is_new(self, config: dict[str, Any]) -> bool:
        return config_key(config) not in self._seen
