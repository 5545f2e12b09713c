"""The validated, immutable settings of one fit.

The estimators store their parameters untouched (scikit-learn's rule); ``fit`` turns them into
``Settings`` here, where every value is checked and every "auto" resolved, with an error that
says what is wrong. After that nothing changes them.
"""

from __future__ import annotations

import dataclasses
import numbers
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import psutil

from automl.presets import AUTO, get_preset
from automl.search import STRATEGIES
from automl.tracking import check_tracking, redact_uri
from automl.trials.compute import parallel_slots
from automl.trials.resampling import is_splitter
from automl.warm_start import check_warm_start


@dataclass(frozen=True)
class Settings:
    """Everything the engine needs to know about a fit, validated."""

    metric: Any  # a scorer name, a scorer callable, or None for the task's default
    time_budget: float
    n_jobs: int
    max_trials: int | None
    per_trial_time_limit: float | None
    memory_limit_mb: float | None
    resampling: Any
    strategy: str
    include: Any
    exclude: Any
    random_state: int
    successive_halving: bool | str = "auto"
    early_stopping: bool = False  # boosting trials stop on watched rows (trials.early_stopping)
    reshuffle_splits: bool = False  # each trial's k folds get their own shuffle
    ensemble_size: int = 1
    ensemble_max_members: int | None = None
    ensemble_max_latency: float | None = None  # ms per 1,000 rows, summed over members
    ensemble_refit: bool | str = True  # False: fold models; "auto": bagged under k-fold CV
    preset: str = "fast_predict"  # automl.presets: fills in the ensemble settings left "auto"
    stacking: bool = False  # a meta-model where it beats greedy selection on held-out folds
    second_layer: bool = False  # a second stacking layer (automl.second_layer)
    warm_start: Any = None  # "auto", "metabase", "history", a source, a list of configs, None
    history_strict: bool = False  # a failing store stops the fit instead of a warning
    history_warm_start: bool = True  # False: the history only records (reproducible mode)
    keep_workers: bool = True  # False: the local worker pool is shut down when the fit ends
    fit_memory_limit_mb: float | None = None  # the whole fit's processes (automl.trials.memory)
    dataset_name: str | None = None  # recorded in the history
    mlflow_tracking: bool | str | None = None  # automl.tracking: None defers to the environment

    def recorded(self) -> dict[str, Any]:
        """The settings as plain JSON values (a callable metric or a splitter by its repr,
        a warm-start source by its type)."""
        plain = {}
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if field.name == "warm_start":
                value = value if value is None or isinstance(value, str) else type(value).__name__
            elif field.name == "mlflow_tracking":
                value = redact_uri(value)
            elif not (value is None or isinstance(value, (str, int, float, bool, list))):
                value = repr(value)
            plain[field.name] = value
        return plain


def make_settings(params: Mapping[str, Any], *, dataset_name: str | None = None) -> Settings:
    """Validate an estimator's parameters (``get_params()``) into ``Settings``."""
    budget = params["time_budget"]
    if not isinstance(budget, numbers.Real) or isinstance(budget, bool) or not budget > 0:
        raise ValueError(f"time_budget must be a positive number of seconds, got {budget!r}.")
    n_jobs = _n_jobs(params["n_jobs"])
    max_trials = params["max_trials"]
    if max_trials is not None and (
        not isinstance(max_trials, numbers.Integral)
        or isinstance(max_trials, bool)
        or max_trials < 1
    ):
        raise ValueError(f"max_trials must be a positive integer or None, got {max_trials!r}.")
    if params["strategy"] not in STRATEGIES:
        raise ValueError(f"strategy must be one of {list(STRATEGIES)}, got {params['strategy']!r}.")
    if params["successive_halving"] not in ("auto", True, False):
        raise ValueError(
            "successive_halving must be 'auto', True or False, got "
            f"{params['successive_halving']!r}."
        )
    warm_start = check_warm_start(params["warm_start"])
    history = params["history"]
    if not (history is None or isinstance(history, (str, os.PathLike))):
        raise ValueError(
            f"history must be 'auto', a path, a database URL or None, got {history!r}."
        )
    for name in ("history_strict", "keep_workers", "early_stopping", "reshuffle_splits"):
        if not isinstance(params.get(name, False), bool):
            raise ValueError(f"{name} must be True or False, got {params[name]!r}.")
    resampling = params["resampling"]
    if params.get("reshuffle_splits", False) and (
        is_splitter(resampling) or (isinstance(resampling, str) and resampling == "holdout")
    ):
        raise ValueError(
            "reshuffle_splits=True shuffles each trial's k-fold cross-validation anew; it cannot "
            f"apply to resampling={resampling!r}. Use resampling='auto' or 'cv', or "
            "reshuffle_splits=False."
        )
    preset = get_preset(params.get("preset", "default"))
    chosen = {  # the preset fills in what the user left "auto"
        name: getattr(preset, name) if params.get(name, AUTO) == AUTO else params[name]
        for name in (
            "ensemble_size",
            "ensemble_max_members",
            "ensemble_max_latency",
            "ensemble_refit",
            "second_layer",
        )
    }
    if not isinstance(chosen["second_layer"], bool):
        raise ValueError(
            f"second_layer must be 'auto', True or False, got {params['second_layer']!r}."
        )
    if not (isinstance(chosen["ensemble_refit"], bool) or chosen["ensemble_refit"] == AUTO):
        raise ValueError(
            f"ensemble_refit must be 'auto', True or False, got {params['ensemble_refit']!r}."
        )
    ensemble_size = chosen["ensemble_size"]
    if not isinstance(ensemble_size, numbers.Integral) or ensemble_size < 1:
        raise ValueError(
            f"ensemble_size must be 'auto' or a positive integer, got {ensemble_size!r}."
        )
    members = chosen["ensemble_max_members"]
    if members is not None and (not isinstance(members, numbers.Integral) or members < 1):
        raise ValueError(
            f"ensemble_max_members must be 'auto', a positive integer or None, got {members!r}."
        )
    latency = chosen["ensemble_max_latency"]
    if latency is not None and (not isinstance(latency, numbers.Real) or not latency > 0):
        raise ValueError(
            "ensemble_max_latency must be 'auto', a positive number of milliseconds per 1,000 "
            f"rows or None, got {latency!r}."
        )
    mlflow_tracking = check_tracking(params.get("mlflow_tracking"))
    if not isinstance(params["verbose"], numbers.Integral):
        raise ValueError(f"verbose must be an integer, got {params['verbose']!r}.")
    seed = params["random_state"]
    if seed is None:
        seed = int(np.random.default_rng().integers(2**31 - 1))
    elif not isinstance(seed, numbers.Integral) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"random_state must be a non-negative integer or None, got {seed!r}.")
    # Reproducible mode: earlier runs on these data would change the trials, so the history
    # only records; warm_start="history" resumes anyway. The preset's latency cap is left out
    # too: it compares measured prediction times, which vary from run to run, so two runs
    # could keep different members; a cap the user set applies anyway.
    reproducible = max_trials is not None and params["random_state"] is not None
    if reproducible and params.get("ensemble_max_latency", AUTO) == AUTO:
        latency = None
    return Settings(
        metric=params["metric"],
        time_budget=float(budget),
        n_jobs=n_jobs,
        max_trials=max_trials,
        per_trial_time_limit=_time_limit(params["per_trial_time_limit"], float(budget)),
        memory_limit_mb=_memory_limit(params["memory_limit"], n_jobs),
        resampling=params["resampling"],
        strategy=params["strategy"],
        successive_halving=params["successive_halving"],
        early_stopping=params.get("early_stopping", False),
        reshuffle_splits=params.get("reshuffle_splits", False),
        ensemble_size=int(ensemble_size),
        ensemble_max_members=members,
        ensemble_max_latency=latency,
        ensemble_refit=chosen["ensemble_refit"],
        preset=preset.name,
        stacking=preset.stacking,
        second_layer=chosen["second_layer"],
        warm_start=warm_start,
        history_strict=params["history_strict"],
        history_warm_start=not (warm_start == "auto" and reproducible),
        keep_workers=params["keep_workers"],
        fit_memory_limit_mb=_fit_memory_limit(params.get("fit_memory_limit")),
        include=params["include"],
        exclude=params["exclude"],
        random_state=int(seed),
        dataset_name=dataset_name,
        mlflow_tracking=mlflow_tracking,
    )


def _n_jobs(value: Any) -> int:
    if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value == 0:
        raise ValueError(f"n_jobs must be a positive integer or -1 (all cores), got {value!r}.")
    if value > 0:
        return int(value)
    cores = parallel_slots()
    n_jobs = cores + 1 + value
    if n_jobs < 1:
        raise ValueError(f"n_jobs={value} leaves no worker on {cores} cores.")
    return n_jobs


def _time_limit(value: Any, budget: float) -> float | None:
    """Default per-trial limit: a quarter of the budget, at least 10 s, at most the budget.

    One slow configuration then costs at most a quarter of the search.
    """
    if value is None:
        return None
    if value == "auto":
        return min(budget, max(10.0, budget / 4))
    if isinstance(value, numbers.Real) and not isinstance(value, bool) and value > 0:
        return float(value)
    raise ValueError(
        f"per_trial_time_limit must be 'auto', a positive number or None, got {value!r}."
    )


def _fit_memory_limit(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, numbers.Real) and not isinstance(value, bool) and value > 0:
        return float(value)
    raise ValueError(f"fit_memory_limit must be a positive number of MB or None, got {value!r}.")


def _memory_limit(value: Any, n_workers: int) -> float | None:
    """Default per-trial memory cap: 80 % of the machine's memory shared by the workers."""
    if value is None:
        return None
    if value == "auto":
        return 0.8 * psutil.virtual_memory().total / 2**20 / n_workers
    if isinstance(value, numbers.Real) and not isinstance(value, bool) and value > 0:
        return float(value)
    raise ValueError(
        f"memory_limit must be 'auto', a positive number of MB or None, got {value!r}."
    )
