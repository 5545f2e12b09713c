"""The functions a worker process runs for a trial or a refit.

A worker unpickles these by module name, so whatever this module imports is imported in every
worker before its first trial. Kept to evaluation, the metrics and the space -- not the engine,
the search, the history store or the estimators -- because a worker's start-up is dead time at
the start of every fit (the first result cannot arrive before it).
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from automl.data import BINARY
from automl.metrics import get_metric
from automl.space import FAMILIES, MODEL, PipelineSpace, register_family
from automl.trials.evaluation import evaluate, fit_pipeline
from automl.trials.request import RefitRequest, TrialData, TrialRequest
from automl.trials.resampling import make_resampling
from automl.trials.result import TrialResult

log = logging.getLogger("automl")

_REHEARSAL_FAMILY = "logistic_regression"  # the encoded path: imputer, scaler, one-hot
_rehearsed = False


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


def rehearse() -> None:
    """Run one tiny trial in this worker, once, before any trial is forked from it.

    A trial's first pass through the preprocessing and scoring imports modules and fills
    caches (narwhals, for one, imports about twenty modules on first use); done here, every
    forked child finds them ready instead of paying for them again, two to three times the
    work of a small trial. A rehearsal that fails costs nothing but that time."""
    global _rehearsed
    if _rehearsed:
        return
    _rehearsed = True
    n_rows = 40
    rows = np.arange(n_rows)
    X = pd.DataFrame(
        {
            "number": np.where(rows % 7 == 0, np.nan, rows / n_rows),
            "category": pd.Categorical(np.array(["a", "b", "c", "d"])[rows % 4]),
        }
    )
    y = (rows % 3 == 0).astype(int)
    try:
        if _REHEARSAL_FAMILY not in FAMILIES:
            return
        config = PipelineSpace(BINARY, n_rows, include=[_REHEARSAL_FAMILY]).default_config(
            _REHEARSAL_FAMILY
        )
        evaluate(
            0,
            config,
            X,
            y,
            task=BINARY,
            categorical=["category"],
            n_classes=2,
            resampling=make_resampling(2, task=BINARY, y=y),
            metric=get_metric(None, BINARY),
        )
    except Exception as error:  # noqa: BLE001 - never a reason to lose the worker
        log.debug("the worker's rehearsal trial failed: %s", error)
