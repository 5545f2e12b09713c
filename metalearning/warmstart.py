"""Choose the first configurations of a search from the metabase.

Two sources, because each fails where the other works:

- **nearest datasets**: the configuration that did best on each of the ``n_neighbors`` prior
  datasets closest in scaled meta-features. Strong when a close neighbour exists.
- **portfolio**: configurations chosen greedily from the performance matrix so that the set
  minimizes the average (over all prior datasets of the task group) of the best normalized loss
  among its members. Robust when no neighbour is close: it covers many kinds of data.

Ordering rule: alternate the two lists (nearest neighbour 1, portfolio 1, neighbour 2,
portfolio 2, ...), drop duplicates and configurations the current space cannot run (a family
excluded by the user or unavailable at this data size), and stop at ``limit``; add the search's
own low-cost LightGBM and LightGBM default (the build measures them on every dataset too).
That picks *which* configurations; when the time budget is known they are then *ordered* for
the best model early. First, the best bet (lowest mean normalized loss on the nearest datasets)
among those predicted to finish within 3 % of the budget; then, greedily, the configuration
with the largest expected gain per second, the gain being how much it lowers the best
normalized loss so far, averaged over the nearest datasets, and the seconds its predicted run
time here (a 0.1 s per-trial overhead plus its measured time per trained row on those
datasets, median, times the rows this search trains on). Without that, a strong but slow
configuration (an MLP needing a third of the budget) would come first and the search would
have nothing to show early on. The engine puts each family's default after them.
"""

from __future__ import annotations

import logging
import math
import warnings
from typing import Any

import numpy as np
import pandas as pd

from automl.space import PipelineSpace
from metalearning.metabase import Metabase, MetabaseWarning, config_id, task_group

log = logging.getLogger("automl")

N_NEIGHBORS = 5
PORTFOLIO_SIZE = 5
LIMIT = 10
MIN_SECONDS = 0.05  # a predicted run time is never taken as less than this
TRIAL_OVERHEAD = 0.1  # seconds every trial costs beyond its model's fit (process, splits)
QUICK_SHARE = 0.03  # the first trial should finish within this share of the budget
CV_MAX_ROWS, CV_FOLDS, HOLDOUT_TRAIN = 10_000, 5, 0.8  # the runner's resampling="auto" rule


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
    time_budget: float | None = None,
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
    order = order[:limit]
    for config in starting_configs(space):  # measured in the metabase too: order them all
        cid = config_id(config, group)
        if cid in allowed and cid not in order:
            order.append(cid)
    if time_budget is not None:
        nearest = neighbours[:n_neighbors]
        n_rows = metafeatures.get("n_rows", math.nan)
        seconds = {cid: predicted_seconds(metabase, cid, nearest, n_rows) for cid in order}
        order = order_by_gain_per_second(order, normalized_losses(metabase, nearest), seconds,
                                         quick_seconds=QUICK_SHARE * time_budget)
    configs = [usable[cid] for cid in order]
    log.info("warm start: %d configuration(s) from the metabase (nearest datasets: %s)",
             len(configs), ", ".join(neighbours[:n_neighbors]))
    return configs


_UNFIT = object()


def starting_configs(space: PipelineSpace) -> list[dict[str, Any]]:
    """The search's own cheapest strong starts, ordered with the meta-learned ones: the
    low-cost LightGBM and the strongest family's default."""
    first = space.family_names[0]
    return [space.low_cost_config(first), space.default_config(first)]


def order_by_gain_per_second(order: list[str], losses: pd.DataFrame,
                             seconds: dict[str, float], *,
                             quick_seconds: float | None = None) -> list[str]:
    """Greedy anytime order: next, the configuration that lowers the mean (over the datasets in
    ``losses``) best normalized loss so far the most per predicted second; configurations with
    no expected gain keep their order at the end.

    With ``quick_seconds``, the first is instead the best bet (lowest mean normalized loss)
    among those predicted to finish within that time. Per second alone, a tiny probe (10 trees)
    always goes first, since its gain over nothing is large and its cost near zero; but the
    first result is the model a user gets when the budget turns out short, so it should be the
    best one that arrives in time, not merely the cheapest.
    """
    best = np.ones(len(losses))
    remaining, ordered = list(order), []
    if quick_seconds is not None and len(losses):
        quick = [cid for cid in remaining
                 if cid in losses.columns and seconds.get(cid, math.inf) <= quick_seconds]
        if quick:
            pick = min(quick, key=lambda cid: (float(losses[cid].mean()), remaining.index(cid)))
            ordered.append(pick)
            remaining.remove(pick)
            best = losses[pick].to_numpy().copy()
    while remaining:
        rates = []
        for cid in remaining:
            column = losses[cid].to_numpy() if cid in losses.columns else np.ones(len(losses))
            gain = float(np.maximum(best - column, 0.0).mean()) if len(losses) else 0.0
            rates.append(gain / max(seconds.get(cid, math.inf), MIN_SECONDS))
        if max(rates, default=0.0) <= 0.0:
            return ordered + remaining
        pick = remaining[int(np.argmax(rates))]  # first of equals: the selection order
        ordered.append(pick)
        remaining.remove(pick)
        if pick in losses.columns:
            best = np.minimum(best, losses[pick].to_numpy())
    return ordered


def trained_rows(n_rows: float, eval_rows: int | None = None) -> float:
    """Rows a trial trains on, summed over its splits: the runner's "auto" resampling (5-fold
    CV up to 10,000 rows, else an 80 % holdout), or the metabase build's evaluation protocol
    (at most ``eval_rows`` rows; 3-fold CV up to 1,000 rows, else the holdout)."""
    if eval_rows is None:
        return n_rows * (CV_FOLDS - 1) if n_rows <= CV_MAX_ROWS else n_rows * HOLDOUT_TRAIN
    rows = min(n_rows, eval_rows)
    return rows * 2 if rows <= 1000 else rows * HOLDOUT_TRAIN


def predicted_seconds(metabase: Metabase, cid: str, datasets: list[str], n_rows: float) -> float:
    """Seconds a trial of configuration ``cid`` should take on ``n_rows`` rows: a fixed
    per-trial overhead plus its measured time per trained row on ``datasets`` (median, after
    that overhead); unknown -> infinity.

    Linear in the rows, which overrates large-data times for models with large fixed costs
    (boosting's binning and threads): the metabase's evaluations (at most a few thousand rows)
    are dominated by those costs and cannot pin down a better exponent. Erring slow is the
    safe side here: it only delays a configuration, it never promises a quick model that is not.
    """
    perf = metabase.performance
    rows = perf[(perf["config_id"] == cid) & (perf["status"] == "ok")
                & perf["dataset"].isin(datasets)]
    if rows.empty or not n_rows == n_rows:  # no measurement, or n_rows is NaN
        return math.inf
    eval_rows = metabase.eval_rows
    per_row = [max(r.duration - TRIAL_OVERHEAD, 0.0)
               / max(1.0, trained_rows(metabase.metafeatures.at[r.dataset, "n_rows"], eval_rows))
               for r in rows.itertuples()]
    return TRIAL_OVERHEAD + float(np.median(per_row)) * trained_rows(n_rows)


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
