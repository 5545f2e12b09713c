"""Search strategies behind one ask/tell interface."""

from __future__ import annotations

from typing import Any, Iterable

from ConfigSpace import ConfigurationSpace

from automl.search.base import SearchStrategy, config_key
from automl.search.random_search import RandomSearch

STRATEGIES = ("bo", "random", "evolution")


def make_strategy(
    name: str,
    space: ConfigurationSpace,
    *,
    initial_configs: Iterable[dict[str, Any]] = (),
    seed: int = 0,
) -> SearchStrategy:
    """The strategy called ``name``; unknown names get an error listing the choices."""
    if name == "random":
        return RandomSearch(space, initial_configs=initial_configs, seed=seed)
    if name in ("bo", "evolution"):
        raise NotImplementedError(
            f"strategy={name!r} is not implemented yet; use strategy='random' for now."
        )
    raise ValueError(f"Unknown strategy {name!r}; choose one of {list(STRATEGIES)}.")


__all__ = ["STRATEGIES", "RandomSearch", "SearchStrategy", "config_key", "make_strategy"]
