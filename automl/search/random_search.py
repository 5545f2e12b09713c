"""Random search: uniform samples from the space after the initial configurations."""

from __future__ import annotations

from typing import Any

from automl.search.base import SearchStrategy


class RandomSearch(SearchStrategy):
    """Samples independently of past results; the baseline every other strategy must beat."""

    def _propose(self) -> dict[str, Any]:
        return self.random_config()
