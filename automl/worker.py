"""The functions trial workers run, apart from the engine.

A worker process unpickles these by module name, so whatever this module imports is imported
in every worker before its first trial. Kept to the runner, the metrics and the space -- not the
engine, the search, the history store or the estimators -- because a worker's start-up is dead
time at the start of every fit (the first result cannot arrive before it).
"""

from __future__ import annotations

from typing import Any

from automl.metrics import get_metric
from automl.runner import TrialResult, evaluate, fit_pipeline
from automl.space import register_family


def _known_families(data: dict[str, Any]) -> None:
    """Register user-added model families in this (worker) process too."""
    for family in data.get("families", ()):
        register_family(family)


def evaluate_trial(data: dict[str, Any], *, n_threads: int, **kwargs: Any) -> TrialResult:
    """One trial: the configuration in ``kwargs`` resampled on the worker's data."""
    _known_families(data)
    metric = get_metric(kwargs.pop("metric"), data["task"])
    return evaluate(
        X=data["X"],
        y=data["y"],
        task=data["task"],
        categorical=data["categorical"],
        n_classes=data["n_classes"],
        resampling=data["resampling"],
        metric=metric,
        n_threads=n_threads,
        **kwargs,
    )


def refit(data: dict[str, Any], *, n_threads: int, config: dict, random_state: int) -> Any:
    """A configuration fitted on all of the worker's rows (the final model or a member)."""
    _known_families(data)
    return fit_pipeline(
        config,
        data["X"],
        data["y"],
        task=data["task"],
        categorical=data["categorical"],
        n_threads=n_threads,
        random_state=random_state,
    )
