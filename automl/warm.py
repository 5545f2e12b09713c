"""Resolve the ``warm_start`` setting into the first configurations of a search.

The engine only needs a list of configurations; where they come from (the shipped metabase, a
user's own list, later the team history) is decided here, so each source plugs in at one spot.
A warm start is a head start, never a reason to fail: when the metabase cannot be read the
search starts cold with a warning. Configurations the user passes explicitly are checked,
and a bad one is an error, because the user asked for exactly those.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from automl.data import PreparedData
from automl.space import PipelineSpace

log = logging.getLogger("automl")

WARM_START_MODES = ("auto", "metabase", "history", None)


@dataclass
class WarmStart:
    configs: list[dict[str, Any]] = field(default_factory=list)
    metafeatures: dict[str, float] | None = None
    exact: bool = False  # the user's own list: tried first, exactly in its order
    rerun: list[dict[str, Any]] = field(default_factory=list)  # a resumed run's best, first
    previous: list[dict[str, Any]] = field(default_factory=list)  # earlier trials, same data


RERUN_BEST = 3  # a resumed run re-evaluates this many of its best earlier configurations
HISTORY_NEIGHBOURS, HISTORY_PER_DATASET = 5, 2


def check_warm_start(value: Any) -> Any:
    """Validate the estimator's ``warm_start`` parameter (before any work starts)."""
    from metalearning.metabase import Metabase

    value = {False: None, True: "auto"}.get(value, value) if isinstance(value, bool) else value
    if value in WARM_START_MODES or isinstance(value, Metabase):
        return value
    if isinstance(value, (list, tuple)) and all(isinstance(c, dict) for c in value):
        return list(value)
    raise ValueError(
        f"warm_start must be one of {list(WARM_START_MODES)}, a Metabase, or a list of "
        f"configuration dicts, got {value!r}."
    )


def describe(prepared: PreparedData, random_state: int) -> dict[str, float]:
    from metalearning.metafeatures import compute_metafeatures

    return compute_metafeatures(prepared.X, prepared.y, prepared.task,
                                categorical=prepared.schema.categorical_columns,
                                random_state=random_state)


def warm_start(setting: Any, prepared: PreparedData, space: PipelineSpace, *,
               metafeatures: dict[str, float] | None, time_budget: float | None = None,
               history: Any = None, fingerprint: str | None = None,
               metric: str | None = None) -> WarmStart:
    """The warm-start configurations for this dataset and space (possibly none).

    From the team history (``"auto"``, ``"history"``, when a store is open): the earlier
    trials on these very data (same fingerprint, task and metric) are loaded, their best
    few re-run first and the rest told to the search without running them again; then the
    best configurations of the nearest recorded datasets. From the metabase (``"auto"``,
    ``"metabase"``, or a ``Metabase``): see ``metalearning.warmstart``. History first.
    """
    from metalearning.metabase import Metabase
    from metalearning.warmstart import usable_config, warm_start_configs

    if setting is None:
        return WarmStart(metafeatures=metafeatures)
    if isinstance(setting, list):
        return WarmStart([_user_config(c, i, space) for i, c in enumerate(setting)],
                         metafeatures, exact=True)
    if metafeatures is None:
        metafeatures = describe(prepared, 0)
    warm = WarmStart(metafeatures=metafeatures)
    if setting in ("auto", "history") and history is not None:
        previous, nearest = _from_history(history, prepared.task, metafeatures, fingerprint,
                                          metric)
        for trial in previous:
            config = usable_config(trial["config"], space)
            if isinstance(config, dict):
                warm.previous.append({**trial, "config": config})
        ranked = sorted((t for t in warm.previous if t["status"] == "ok"
                         and t.get("fidelity", 1.0) == 1.0), key=lambda t: t["loss"])
        for trial in ranked:
            if trial["config"] not in warm.rerun:
                warm.rerun.append(trial["config"])
            if len(warm.rerun) == RERUN_BEST:
                break
        for entry in nearest:
            config = usable_config(entry["config"], space)
            if isinstance(config, dict) and config not in warm.configs:
                warm.configs.append(config)
        if warm.previous:
            log.info("resumed: %d earlier trial(s) on the same data loaded from the history",
                     len(warm.previous))
    if setting in ("auto", "metabase") or isinstance(setting, Metabase):
        metabase = setting if isinstance(setting, Metabase) else _shipped_metabase()
        if metabase is not None:
            for config in warm_start_configs(metabase, metafeatures, prepared.task, space,
                                             time_budget=time_budget):
                if config not in warm.configs:
                    warm.configs.append(config)
    return warm


def _from_history(history: Any, task: str, metafeatures: dict[str, float],
                  fingerprint: str | None, metric: str | None) -> tuple[list, list]:
    """Earlier trials on the same data, and the nearest recorded datasets' best configs;
    a store that fails here only costs the warm start (with a warning)."""
    from automl.recorder import HistoryWarning

    try:
        previous = (history.trials_for_fingerprint(fingerprint, task, metric, include_failed=True)
                    if fingerprint else [])
        nearest = history.nearest_runs_best_configs(
            metafeatures, task, HISTORY_NEIGHBOURS, HISTORY_PER_DATASET,
            exclude_fingerprint=fingerprint, metric=metric)
        return previous, nearest
    except Exception as error:
        warnings.warn(f"Could not read the history store for a warm start ({error}); "
                      "starting without it.", HistoryWarning, stacklevel=3)
        return [], []


def _user_config(config: dict[str, Any], index: int, space: PipelineSpace) -> dict[str, Any]:
    unknown = [name for name in config if name not in space.configspace]
    if unknown:
        raise ValueError(
            f"warm_start configuration {index} names hyperparameters this space does not have: "
            f"{', '.join(map(repr, unknown))}."
        )
    try:
        return space.complete(config)
    except (ValueError, TypeError, KeyError) as error:
        raise ValueError(f"warm_start configuration {index} cannot be used: {error}") from None


@lru_cache(maxsize=1)
def _shipped_metabase() -> Any:
    from metalearning.metabase import load_metabase

    try:
        return load_metabase()
    except (OSError, ValueError, KeyError) as error:
        warnings.warn(f"The shipped metabase cannot be read ({error}); the search starts "
                      "without a warm start.", RuntimeWarning, stacklevel=4)
        return None
