"""Random search: uniform samples from the space after the initial configurations."""

from __future__ import annotations

from typing import Any

import numpy as np

from automl.search.base import SearchStrategy

_MAX_REDRAWS = 50


class RandomSearch(SearchStrategy):
    """Samples independently of past results; the baseline every other strategy must beat."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._rng = np.random.default_rng(self.seed)

    def _propose(self) -> dict[str, Any]:
        config: dict[str, Any] = {}
        for _ in range(_MAX_REDRAWS):
            self.space.seed(int(self._rng.integers(2**31 - 1)))
            config = {k: _plain(v) for k, v in dict(self.space.sample_configuration()).items()}
            if self.is_new(config):
                break
        return config


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value
