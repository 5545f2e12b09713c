"""Resolve the ``warm_start`` setting into the first configurations of a search.

The engine only needs a list of configurations; where they come from (a user's own list, the
team history, a pluggable :class:`WarmStartSource` such as the shipped metabase) is decided
here, so each source plugs in at one spot. The metabase lives in the ``metalearning`` package,
which builds on automl: automl never imports it, it finds it as the installed warm-start source
named ``metabase`` (see :mod:`automl.plugins`). A warm start is a head start, never a reason to
fail: when no source is installed or it cannot be read, the search starts cold with a warning.
Configurations the user passes explicitly are checked, and a bad one is an error, because the
user asked for exactly those.
"""

from __future__ import annotations

import logging
import math
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import numpy as np

from automl import plugins
from automl.metafeatures import compute_metafeatures
from automl.space import PipelineSpace
from automl.sparse import dense_sample
from automl.training_data import PreparedData

if TYPE_CHECKING:
    from automl.history import HistoryStore

log = logging.getLogger("automl")
# the dense block of a sparse matrix its meta-features are computed on
SPARSE_SAMPLE_ROWS, SPARSE_SAMPLE_COLUMNS = 2000, 200

WARM_START_MODES = ("auto", "metabase", "history", None)
SHIPPED_SOURCE = "metabase"  # the installed source "auto" and "metabase" read


@runtime_checkable
class WarmStartSource(Protocol):
    """Proposes a search's first configurations from what its data look like.

    The shipped metabase (``metalearning.metabase.Metabase``) is one; a ``warm_start=`` value
    may be any object with this method. A source may also say ``replaces_cold_start = True``:
    its list is then a whole start, and the search's own list of family defaults does not
    follow it (the default is False: it does).
    """

    def warm_start_configs(
        self,
        metafeatures: Mapping[str, float],
        task: str,
        space: PipelineSpace,
        *,
        time_budget: float | None = None,
    ) -> list[dict[str, Any]]:
        """Configurations complete for ``space`` (as :func:`complete_config` returns them),
        best bets first; ``time_budget`` is the search's, in seconds, when known."""
        ...


class ConfigMismatch(ValueError):
    """A configuration the pipeline space cannot run as given: hyperparameters it does not
    have (renamed since the configuration was written) or values out of range."""


@dataclass
class WarmStart:
    configs: list[dict[str, Any]] = field(default_factory=list)
    metafeatures: dict[str, float] | None = None
    exact: bool = False  # the user's own list: tried first, exactly in its order
    rerun: list[dict[str, Any]] = field(default_factory=list)  # a resumed run's best, first
    previous: list[dict[str, Any]] = field(default_factory=list)  # earlier trials, same data
    sources: dict[str, int] = field(default_factory=dict)  # where configs came from -> count
    # the source's list is a whole start (a portfolio chosen among every family's default
    # too), so the search's own default list does not follow it
    replaces_cold_start: bool = False


RERUN_BEST = 3  # a resumed run re-evaluates this many of its best earlier configurations
HISTORY_NEIGHBOURS, HISTORY_PER_DATASET = 5, 2


def check_warm_start(value: Any) -> Any:
    """Validate the estimator's ``warm_start`` parameter (before any work starts)."""
    value = {False: None, True: "auto"}.get(value, value) if isinstance(value, bool) else value
    if isinstance(value, WarmStartSource) or value in WARM_START_MODES:
        return value
    if isinstance(value, (list, tuple)) and all(isinstance(c, dict) for c in value):
        return list(value)
    raise ValueError(
        f"warm_start must be one of {list(WARM_START_MODES)}, a warm-start source (such as a "
        f"Metabase), or a list of configuration dicts, got {value!r}."
    )


def describe(prepared: PreparedData, random_state: int) -> dict[str, float]:
    """The data's meta-features (for the warm start and the history). Of a sparse matrix they
    describe a dense sample (its most often filled columns), with the true shape."""
    if not prepared.schema.sparse:
        return compute_metafeatures(
            prepared.X,
            prepared.y,
            prepared.task,
            categorical=prepared.schema.categorical_columns,
            random_state=random_state,
        )
    sample, rows = dense_sample(
        prepared.X,
        max_rows=SPARSE_SAMPLE_ROWS,
        max_columns=SPARSE_SAMPLE_COLUMNS,
        seed=random_state,
    )
    values = compute_metafeatures(
        sample, prepared.y[rows], prepared.task, random_state=random_state
    )
    n_rows, n_features = prepared.X.shape
    values.update(
        n_rows=float(n_rows),
        n_features=float(n_features),
        n_numeric=float(n_features),
        log_n_rows=math.log(n_rows),
        log_n_features=math.log(n_features),
        log_features_per_row=math.log(n_features / n_rows),
    )
    return values


def warm_start(
    setting: Any,
    prepared: PreparedData,
    space: PipelineSpace,
    *,
    metafeatures: dict[str, float] | None,
    time_budget: float | None = None,
    history: HistoryStore | None = None,
    fingerprint: str | None = None,
    metric: str | None = None,
    row_hashes: np.ndarray | None = None,
) -> WarmStart:
    """The warm-start configurations for this dataset and space (possibly none).

    From the team history (``"auto"``, ``"history"``, when a store is open): the earlier
    trials on these very data (same fingerprint, task and metric) are loaded, their best
    few re-run first and the rest told to the search without running them again; then the
    best configurations of the nearest recorded datasets, leaving out runs that trained on
    some of these rows and on others (``row_hashes``: the others may be rows this fit holds
    out, as in another fold of a cross-validation over the estimator). From a warm-start
    source: the
    installed ``metabase`` (``"auto"``, ``"metabase"``) or the one given. History first.
    """
    if setting is None:
        return WarmStart(metafeatures=metafeatures)
    if isinstance(setting, list):
        configs = [_user_config(c, i, space) for i, c in enumerate(setting)]
        return WarmStart(configs, metafeatures, exact=True, sources={"user list": len(configs)})
    if metafeatures is None:
        metafeatures = describe(prepared, 0)
    warm = WarmStart(metafeatures=metafeatures)
    if setting in ("auto", "history") and history is not None:
        previous, nearest = _from_history(
            history, prepared.task, metafeatures, fingerprint, metric, row_hashes
        )
        for trial in previous:
            config = usable_config(trial["config"], space)
            if config is not None:
                warm.previous.append({**trial, "config": config})
        ranked = sorted(
            (t for t in warm.previous if t["status"] == "ok" and t.get("fidelity", 1.0) == 1.0),
            key=lambda t: t["loss"],
        )
        for trial in ranked:
            if trial["config"] not in warm.rerun:
                warm.rerun.append(trial["config"])
            if len(warm.rerun) == RERUN_BEST:
                break
        for entry in nearest:
            config = usable_config(entry["config"], space)
            if config is not None and config not in warm.configs:
                warm.configs.append(config)
        _count(warm, "history: earlier trials on these data", len(warm.previous))
        _count(warm, "history: runs on similar data", len(warm.configs))
        if warm.previous:
            log.info(
                "resumed: %d earlier trial(s) on the same data loaded from the history",
                len(warm.previous),
            )
    source = (
        setting
        if isinstance(setting, WarmStartSource)
        else installed_source(SHIPPED_SOURCE)
        if setting in ("auto", "metabase")
        else None
    )
    if source is not None:
        before = len(warm.configs)
        for config in source.warm_start_configs(
            metafeatures, prepared.task, space, time_budget=time_budget
        ):
            if config not in warm.configs:
                warm.configs.append(config)
        name = SHIPPED_SOURCE if isinstance(setting, str) else type(source).__name__
        _count(warm, name, len(warm.configs) - before)
        warm.replaces_cold_start = (
            bool(getattr(source, "replaces_cold_start", False)) and len(warm.configs) > before
        )
    return warm


def _count(warm: WarmStart, source: str, n: int) -> None:
    if n > 0:
        warm.sources[source] = n


def _from_history(
    history: HistoryStore | None,
    task: str,
    metafeatures: dict[str, float],
    fingerprint: str | None,
    metric: str | None,
    row_hashes: np.ndarray | None = None,
) -> tuple[list, list]:
    """Earlier trials on the same data, and the nearest recorded datasets' best configs;
    a store that fails here only costs the warm start (with a warning)."""
    from automl.recorder import HistoryWarning

    try:
        previous = (
            history.trials_for_fingerprint(fingerprint, task, metric, include_failed=True)
            if fingerprint
            else []
        )
        nearest = history.nearest_runs_best_configs(
            metafeatures,
            task,
            HISTORY_NEIGHBOURS,
            HISTORY_PER_DATASET,
            exclude_fingerprint=fingerprint,
            metric=metric,
            row_hashes=row_hashes,
        )
        return previous, nearest
    except Exception as error:
        warnings.warn(
            f"Could not read the history store for a warm start ({error}); starting without it.",
            HistoryWarning,
            stacklevel=3,
        )
        return [], []


def complete_config(config: Mapping[str, Any], space: PipelineSpace) -> dict[str, Any]:
    """The configuration with this space's defaults filled in; :class:`ConfigMismatch`, its
    message saying why, when the space cannot run it."""
    unknown = [name for name in config if name not in space.configspace]
    if unknown:
        raise ConfigMismatch(
            f"names hyperparameters this space does not have: {', '.join(map(repr, unknown))}."
        )
    try:
        return space.complete(dict(config))
    except (ValueError, TypeError, KeyError) as error:
        raise ConfigMismatch(f"cannot be used: {error}") from None


def offers_family(config: Mapping[str, Any], space: PipelineSpace) -> bool:
    """Whether the space offers the configuration's model family (the user may have excluded
    it, or the data be too large for it: no fault of the configuration)."""
    return config.get("model") in space.family_names


def usable_config(config: Mapping[str, Any], space: PipelineSpace) -> dict[str, Any] | None:
    """The configuration completed for this space, or None when it cannot run here (its family
    not offered, or a :class:`ConfigMismatch`): for configurations carried over from other
    searches, which are a hint, not an order."""
    if not offers_family(config, space):
        return None
    try:
        return complete_config(config, space)
    except ConfigMismatch:
        return None


def _user_config(config: dict[str, Any], index: int, space: PipelineSpace) -> dict[str, Any]:
    try:
        return complete_config(config, space)
    except ConfigMismatch as error:
        raise ValueError(f"warm_start configuration {index} {error}") from None


@cache
def installed_source(name: str) -> WarmStartSource | None:
    """The warm-start source installed under ``name`` (entry-point group
    ``automl.warm_start``), loaded once; None, with a warning, when there is none or it cannot
    be read."""
    entry = plugins.installed(plugins.WARM_START_SOURCES).get(name)
    if entry is None:
        warnings.warn(
            f"No warm-start source {name!r} is installed (entry-point group "
            f"{plugins.WARM_START_SOURCES!r}; the metalearning package provides "
            "'metabase'); the search starts without a warm start.",
            RuntimeWarning,
            stacklevel=5,
        )
        return None
    try:
        source = entry.load()()
    except (ImportError, OSError, ValueError, KeyError) as error:
        warnings.warn(
            f"The warm-start source {name!r} ({entry.value}) cannot be read "
            f"({error}); the search starts without a warm start.",
            RuntimeWarning,
            stacklevel=5,
        )
        return None
    if not isinstance(source, WarmStartSource):
        warnings.warn(
            f"The warm-start source {name!r} ({entry.value}) gave a "
            f"{type(source).__name__}, which has no warm_start_configs method; the "
            "search starts without a warm start.",
            RuntimeWarning,
            stacklevel=5,
        )
        return None
    log.info("warm start: source %r from %s", name, entry.value)
    return source
