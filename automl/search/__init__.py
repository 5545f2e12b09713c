"""Search strategies behind one ask/tell interface, and successive halving on top of them."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ConfigSpace import ConfigurationSpace

from automl.search.base import Budget, SearchStrategy, config_key
from automl.search.bo import BayesianOptimization
from automl.search.evolution import RegularizedEvolution
from automl.search.halving import Request, SuccessiveHalving, halving_fidelities
from automl.search.random_search import RandomSearch

STRATEGIES: dict[str, type[SearchStrategy]] = {
    "bo": BayesianOptimization,
    "random": RandomSearch,
    "evolution": RegularizedEvolution,
}


def make_strategy(
    name: str,
    space: ConfigurationSpace,
    *,
    initial_configs: Iterable[dict[str, Any]] = (),
    seed: int = 0,
) -> SearchStrategy:
    """The strategy called ``name``; unknown names get an error listing the choices."""
    if name not in STRATEGIES:
        raise ValueError(f"Unknown strategy {name!r}; choose one of {list(STRATEGIES)}.")
    return STRATEGIES[name](space, initial_configs=initial_configs, seed=seed)


__all__ = [
    "STRATEGIES",
    "BayesianOptimization",
    "Budget",
    "RandomSearch",
    "RegularizedEvolution",
    "Request",
    "SearchStrategy",
    "SuccessiveHalving",
    "config_key",
    "halving_fidelities",
    "make_strategy",
]
