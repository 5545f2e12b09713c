"""Choose the first configurations of a search from the metabase.

Two sources, because each fails where the other works:

- **nearest datasets**: the configuration that did best on each of the ``n_neighbors`` prior
  datasets closest in scaled meta-features. Strong when a close neighbour exists.
- **portfolio**: configurations chosen greedily from the performance matrix so that the set
  minimizes the average (over all prior datasets of the task group) of the best normalized loss
  among its members. Robust when no neighbour is close: it covers many kinds of data.

Ordering rule: alternate the two lists (nearest neighbour 1, portfolio 1, neighbour 2,
portfolio 2, ...), drop duplicates and configurations the current space cannot run (a family
excluded by the user or unavailable at this data size), and stop at ``limit``. The search's
own starting configurations (a low-cost LightGBM, then each family's default) follow.
"""

from __future__ import annotations

import logging
import math
import warnings
from typing import Any

import numpy as np
import pandas as pd

from automl.space import PipelineSpace
from metalearning.metabase import Metabase, MetabaseWarning, task_group

log = logging.getLogger("automl")

N_NEIGHBORS = 5
PORTFOLIO_SIZE = 5
LIMIT = 10


def dataset_distances(metabase: Metabase, metafeatures: dict[str, float], task: str) -> pd.Series:
    """Distance from the new dataset to each prior dataset of the same task group: the mean
    absolute difference of meta-features min-max scaled over the prior datasets (features
    missing on either side are ignored), nearest first."""
    table = metabase.metafeatures
    group = table[table["task"].map(task_group) == task_group(task)]
    if group.empty:
        return pd.Series(dtype=float)
    names = [c for c in group.columns if c != "task" and c in metafeatures]
    values = group[names].astype(float)
    low, high = values.min(), values.max()
    span = (high - low).where(high > low, 1.0)
    scaled = (values - low) / span
    target = (pd.Series({n: metafeatures[n] for n in names}, dtype=float) - low) / span
    differences = (scaled - target).abs()
    distances = differences.mean(axis=1, skipna=True).fillna(math.inf)
    return distances.sort_values(kind="stable")


def normalized_losses(metabase: Metabase, datasets: list[str]) -> pd.DataFrame:
    """Dataset x configuration losses scaled to [0, 1] per dataset (0 = best configuration
    seen on it, 1 = worst); failed or missing evaluations count as 1."""
    perf = metabase.performance[metabase.performance["dataset"].isin(datasets)]
    matrix = perf.pivot_table(index="dataset", columns="config_id", values="loss", aggfunc="min")
    low, high = matrix.min(axis=1), matrix.max(axis=1)
    span = (high - low).where(high > low, 1.0)
    return matrix.sub(low, axis=0).div(span, axis=0).fillna(1.0)


def greedy_portfolio(losses: pd.DataFrame, size: int, allowed: set[str]) -> list[str]:
    """Configuration ids, added one at a time, each minimizing the mean over datasets of the
    portfolio's best normalized loss (ties go to the lower id, so the result is stable)."""
    columns = sorted(c for c in losses.columns if c in allowed)
    chosen: list[str] = []
    best = np.ones(len(losses))
    for _ in range(min(size, len(columns))):
        scores = {c: float(np.minimum(best, losses[c].to_numpy()).mean())
                  for c in columns if c not in chosen}
        if not scores:
            break
        pick = min(scores, key=lambda c: (scores[c], c))
        chosen.append(pick)
        best = np.minimum(best, losses[pick].to_numpy())
    return chosen


def warm_start_configs(
    metabase: Metabase,
    metafeatures: dict[str, float],
    task: str,
    space: PipelineSpace,
    *,
    n_neighbors: int = N_NEIGHBORS,
    portfolio_size: int = PORTFOLIO_SIZE,
    limit: int = LIMIT,
) -> list[dict[str, Any]]:
    """The configurations a search on this dataset should try first, best bets first."""
    group = task_group(task)
    usable = {cid: usable_config(entry["config"], space)
              for cid, entry in metabase.configurations.items() if entry["task_group"] == group}
    unfit = [cid for cid, config in usable.items() if config is _UNFIT]
    if unfit:
        warnings.warn(
            f"{len(unfit)} metabase configuration(s) no longer fit the pipeline space (renamed "
            "or out-of-range hyperparameters); they are skipped.", MetabaseWarning, stacklevel=2)
    allowed = {cid for cid, config in usable.items() if isinstance(config, dict)}
    distances = dataset_distances(metabase, metafeatures, task)
    neighbours = list(distances.index)
    perf = metabase.performance
    perf = perf[perf["config_id"].isin(allowed) & perf["loss"].notna()]
    nearest_best = []
    for dataset in neighbours:
        rows = perf[perf["dataset"] == dataset]
        if len(rows):
            nearest_best.append(rows.sort_values(["loss", "config_id"]).iloc[0]["config_id"])
        if len(nearest_best) == n_neighbors:
            break
    portfolio = greedy_portfolio(normalized_losses(metabase, neighbours), portfolio_size, allowed)
    order: list[str] = []
    for pair in _zip_longest(nearest_best, portfolio):
        order.extend(c for c in pair if c is not None and c not in order)
    configs = [usable[cid] for cid in order[:limit]]
    log.info("warm start: %d configuration(s) from the metabase (nearest datasets: %s)",
             len(configs), ", ".join(neighbours[:n_neighbors]))
    return configs


_UNFIT = object()


def usable_config(config: dict[str, Any], space: PipelineSpace) -> Any:
    """The configuration completed for this space; None when its model family is not offered
    here (a user choice or the data size: not a problem), ``_UNFIT`` when it no longer fits."""
    if config.get("model") not in space.family_names:
        return None
    unknown = [name for name in config if name not in space.configspace]
    if unknown:
        return _UNFIT
    try:
        return space.complete(config)
    except (ValueError, TypeError, KeyError):
        return _UNFIT


def _zip_longest(a: list, b: list) -> list[tuple]:
    return [(a[i] if i < len(a) else None, b[i] if i < len(b) else None)
            for i in range(max(len(a), len(b)))]
