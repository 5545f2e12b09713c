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


def warm_start(setting: Any, prepared: PreparedData, space: PipelineSpace,
               random_state: int, time_budget: float | None = None) -> WarmStart:
    """The warm-start configurations for this dataset and space (possibly none)."""
    from metalearning.metabase import Metabase
    from metalearning.metafeatures import compute_metafeatures
    from metalearning.warmstart import warm_start_configs

    if setting is None:
        return WarmStart()
    if isinstance(setting, list):
        return WarmStart([_user_config(c, i, space) for i, c in enumerate(setting)], exact=True)
    metafeatures = compute_metafeatures(
        prepared.X, prepared.y, prepared.task,
        categorical=prepared.schema.categorical_columns, random_state=random_state,
    )
    if setting == "history":  # the team-history source plugs in here
        return WarmStart([], metafeatures)
    metabase = setting if isinstance(setting, Metabase) else _shipped_metabase()
    if metabase is None:
        return WarmStart([], metafeatures)
    configs = warm_start_configs(metabase, metafeatures, prepared.task, space,
                                 time_budget=time_budget)
    return WarmStart(configs, metafeatures)


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
