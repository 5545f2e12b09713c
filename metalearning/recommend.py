"""Choose the first configurations of a search from the metabase: a zero-shot portfolio.

The **portfolio** is chosen greedily from the performance matrix so that the set minimizes the
average (over all prior datasets of the task group) of the best normalized loss among its
members; it covers many kinds of data and does not look at the new dataset's meta-features.
Matching the nearest prior datasets by meta-features was measured against it, leave one
dataset out on the priors, and added nothing (``benchmarks/PORTFOLIO_REPLAY.md``; that replay
keeps the matching as a comparison, ``benchmarks/nearest.py``), so it is not part of the library.

To the portfolio the search's own low-cost LightGBM and LightGBM default are added (the build
measures them on every dataset too); configurations the current space cannot run (a family
excluded by the user or unavailable at this data size) are dropped. That picks *which*
configurations; when the time budget is known they are then *ordered* for the best model
early. First, filling the first 3 % of the budget: the best bet (lowest mean normalized loss
over the priors), then whatever lowers that mean most, among those predicted to still finish
in that window -- meta-learned configurations only, unless none fits: the search runs its own
starting configurations right after the warm start anyway, so running them first would only
repeat the cold start. Then, greedily, the configuration with the largest expected gain per
second, the gain being how much it lowers the best normalized loss so far, averaged over the
priors, and the seconds its predicted run time here (fitted to its measured run times against
the rows trained on, the features and the classes, over every prior dataset: see
``metalearning.runtimes``). Without that, a strong but slow configuration (an MLP needing a
third of the budget) would come first and the search would have nothing to show early on. The
engine puts each family's default after them.
"""

from __future__ import annotations

import logging
import math
import warnings
from typing import Any

import numpy as np
import pandas as pd

from automl.space import PipelineSpace
from automl.warm_start import ConfigMismatch, complete_config, offers_family
from metalearning.metabase import Metabase, MetabaseWarning, config_id, task_group
from metalearning.runtimes import MIN_SECONDS, fit_run_times

log = logging.getLogger("automl")

# Eight, not more: in live fits a longer portfolio left the search's own proposals too little
# of a short budget, and the final model was worse for it (benchmarks/WARMSTART.md).
PORTFOLIO_SIZE = 8
LIMIT = 8
EARLY_SHARE = 0.03  # the best bets that finish within this share of the budget go first


def group_datasets(metabase: Metabase, task: str) -> list[str]:
    """The prior datasets of ``task``'s group (classification or regression)."""
    table = metabase.metafeatures
    return list(table.index[table["task"].map(task_group) == task_group(task)])


def normalized_losses(metabase: Metabase, datasets: list[str]) -> pd.DataFrame:
    """Dataset x configuration losses scaled to [0, 1] per dataset (0 = best configuration
    seen on it, 1 = worst); failed or missing evaluations count as 1."""
    return loss_matrix(metabase.performance[metabase.performance["dataset"].isin(datasets)])


def loss_matrix(performance: pd.DataFrame) -> pd.DataFrame:
    """:func:`normalized_losses` of evaluations (dataset, config_id, loss) given directly."""
    matrix = performance.pivot_table(
        index="dataset", columns="config_id", values="loss", aggfunc="min"
    )
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
        scores = {
            c: float(np.minimum(best, losses[c].to_numpy()).mean())
            for c in columns
            if c not in chosen
        }
        if not scores:
            break
        pick = min(scores, key=lambda c: (scores[c], c))
        chosen.append(pick)
        best = np.minimum(best, losses[pick].to_numpy())
    return chosen


def usable_configs(metabase: Metabase, task: str, space: PipelineSpace) -> dict[str, dict]:
    """The metabase's configurations of ``task``'s group that ``space`` can run, completed to
    it, by id; a warning counts those that no longer fit it."""
    group = task_group(task)
    usable, unfit = {}, []
    for cid, entry in metabase.configurations.items():
        if entry["task_group"] != group or not offers_family(entry["config"], space):
            continue  # another task's, or a family the user or the data size ruled out
        try:
            usable[cid] = complete_config(entry["config"], space)
        except ConfigMismatch:
            unfit.append(cid)
    if unfit:
        warnings.warn(
            f"{len(unfit)} metabase configuration(s) no longer fit the pipeline space (renamed "
            "or out-of-range hyperparameters); they are skipped.",
            MetabaseWarning,
            stacklevel=3,
        )
    return usable


def with_starters(
    order: list[str], space: PipelineSpace, task: str, allowed: set[str]
) -> tuple[list[str], frozenset[str]]:
    """``order`` followed by the search's own starting configurations not in it (measured in
    the metabase too, so they are ordered with the others), and the starters' ids."""
    order, starters = list(order), []
    for config in starting_configs(space):
        cid = config_id(config, task_group(task))
        if cid in allowed:
            starters.append(cid)
            if cid not in order:
                order.append(cid)
    return order, frozenset(starters)


def warm_start_configs(
    metabase: Metabase,
    metafeatures: dict[str, float],
    task: str,
    space: PipelineSpace,
    *,
    portfolio_size: int = PORTFOLIO_SIZE,
    limit: int = LIMIT,
    time_budget: float | None = None,
) -> list[dict[str, Any]]:
    """The configurations a search on this dataset should try first, best bets first; the
    meta-features serve only to predict their run times here."""
    usable = usable_configs(metabase, task, space)
    losses = normalized_losses(metabase, group_datasets(metabase, task))
    portfolio = greedy_portfolio(losses, portfolio_size, set(usable))[:limit]
    order, starters = with_starters(portfolio, space, task, set(usable))
    if time_budget is not None:
        order = order_for_budget(metabase, order, losses, metafeatures, time_budget, starters)
    configs = [usable[cid] for cid in order]
    log.info(
        "warm start: %d configuration(s) from the metabase (portfolio over %d prior datasets)",
        len(configs),
        len(losses),
    )
    return configs


def order_for_budget(
    metabase: Metabase,
    order: list[str],
    losses: pd.DataFrame,
    metafeatures: dict[str, float],
    time_budget: float,
    starters: frozenset[str],
) -> list[str]:
    """``order`` rearranged for the best model early within ``time_budget``: run times predicted
    here from the metabase, gains measured on the datasets of ``losses``."""
    run_times = fit_run_times(metabase, order)
    seconds = {cid: run_times.seconds(cid, metafeatures) for cid in order}
    return order_by_gain_per_second(
        order, losses, seconds, early_seconds=EARLY_SHARE * time_budget, fallbacks=starters
    )


def starting_configs(space: PipelineSpace) -> list[dict[str, Any]]:
    """The search's own cheapest strong starts, ordered with the meta-learned ones: the
    low-cost LightGBM and the strongest family's default."""
    first = space.family_names[0]
    return [space.low_cost_config(first), space.default_config(first)]


def order_by_gain_per_second(
    order: list[str],
    losses: pd.DataFrame,
    seconds: dict[str, float],
    *,
    early_seconds: float | None = None,
    fallbacks: frozenset[str] = frozenset(),
) -> list[str]:
    """Greedy anytime order: next, the configuration that lowers the mean (over the datasets in
    ``losses``) best normalized loss so far the most per predicted second; configurations with
    no expected gain keep their order at the end.

    With ``early_seconds``, the first configurations are instead those with the largest gain
    outright among those predicted to still finish within that many seconds in all (the first
    is then the best bet: the lowest mean normalized loss). Per second alone, a tiny probe (10
    trees) always goes first, since its gain over nothing is large and its cost near zero; but
    the first results are the model a user gets when the budget turns out short, so they should
    be the best ones that arrive in time, not merely the cheapest. ``fallbacks`` (the search's
    own starting configurations, which it runs anyway right after) fill that window only when
    nothing else fits in it.
    """
    best = np.ones(len(losses))
    remaining, ordered = list(order), []

    def gain(cid: str) -> float:
        column = losses[cid].to_numpy() if cid in losses.columns else np.ones(len(losses))
        return float(np.maximum(best - column, 0.0).mean()) if len(losses) else 0.0

    def take(cid: str) -> None:
        nonlocal best
        ordered.append(cid)
        remaining.remove(cid)
        if cid in losses.columns:
            best = np.minimum(best, losses[cid].to_numpy())

    left = early_seconds if early_seconds is not None and len(losses) else 0.0
    while left > 0:
        fit = [cid for cid in remaining if seconds.get(cid, math.inf) <= left and gain(cid) > 0]
        if any(cid not in fallbacks for cid in fit):
            fit = [cid for cid in fit if cid not in fallbacks]
        if not fit:
            break
        pick = max(fit, key=lambda cid: (gain(cid), -remaining.index(cid)))
        left -= seconds[pick]
        take(pick)
    while remaining:
        rates = [gain(cid) / max(seconds.get(cid, math.inf), MIN_SECONDS) for cid in remaining]
        if max(rates, default=0.0) <= 0.0:
            return ordered + remaining
        take(remaining[int(np.argmax(rates))])  # first of equals: the selection order
    return ordered
