"""The functions a worker process runs for a trial or a refit.

A worker unpickles these by module name, so whatever this module imports is imported in every
worker before its first trial. Kept to evaluation, the metrics and the space -- not the engine,
the search, the history store or the estimators -- because a worker's start-up is dead time at
the start of every fit (the first result cannot arrive before it).
"""

from __future__ import annotations

from typing import Any

from threadpoolctl import threadpool_limits

from automl.metrics import get_metric
from automl.space import FAMILIES, MODEL, register_family
from automl.trials.evaluation import evaluate, fit_pipeline
from automl.trials.request import RefitRequest, TrialData, TrialRequest
from automl.trials.result import TrialResult


def _known_families(data: TrialData) -> None:
    """Register user-added model families in this (worker) process too."""
    for family in data.families:
        register_family(family)


def _threads(config: dict, allotted: int) -> int:
    """Threads for this configuration's model: fewer than allotted where more would be slower
    (OpenMP models under a passive wait policy, see ``ModelFamily.threads``)."""
    return FAMILIES[config[MODEL]].threads(allotted)


def run_trial(data: TrialData, request: TrialRequest, *, n_threads: int) -> TrialResult:
    """One trial: the requested configuration resampled on the worker's data."""
    _known_families(data)
    n_threads = _threads(request.config, n_threads)
    with threadpool_limits(limits=n_threads):
        return evaluate(
            request.trial_id,
            request.config,
            data.X,
            data.y,
            task=data.task,
            categorical=list(data.categorical),
            n_classes=data.n_classes,
            resampling=(
                data.resampling
                if request.split_seed is None
                else data.resampling.reshuffled(request.split_seed, data.y)
            ),
            metric=get_metric(request.metric, data.task),
            n_threads=n_threads,
            random_state=request.random_state,
            fidelity=request.fidelity,
            keep_models_below=request.keep_models_below,
            sample_weight=data.sample_weight,
            fold_models_file=request.fold_models_file,
            text=data.text,
            early_stopping=data.early_stopping,
        )


def run_refit(data: TrialData, request: RefitRequest, *, n_threads: int) -> Any:
    """A configuration fitted on all of the worker's rows (the final model or a member)."""
    _known_families(data)
    n_threads = _threads(request.config, n_threads)
    with threadpool_limits(limits=n_threads):
        return fit_pipeline(
            request.config,
            data.X,
            data.y,
            task=data.task,
            categorical=list(data.categorical),
            n_threads=n_threads,
            random_state=request.random_state,
            sample_weight=data.sample_weight,
            text=data.text,
        )
