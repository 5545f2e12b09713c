"""Nearest-dataset matching: the warm start the library dropped, kept to compare against.

The best configuration of each of the ``n_neighbors`` prior datasets closest in scaled
meta-features (``automl.similarity.metafeature_distances``, the distance the history's
nearest-run warm start uses), alternated with a portfolio of ``portfolio_size`` (nearest 1,
portfolio 1, nearest 2, ...), then the search's starting configurations, ordered as the
library orders its portfolio but with the expected gains averaged over the nearest datasets
only. Leave one dataset out on the priors it did worse than the portfolio alone
(``benchmarks/PORTFOLIO_REPLAY.md``), which is why ``metalearning.recommend`` no longer has it.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from automl.similarity import metafeature_distances
from automl.space import PipelineSpace
from metalearning import recommend
from metalearning.metabase import Metabase, task_group


def dataset_distances(metabase: Metabase, metafeatures: dict[str, float], task: str) -> pd.Series:
    """Distance from the new dataset to each prior dataset of the same task group, nearest
    first (features missing on either side ignored)."""
    table = metabase.metafeatures
    group = table[table["task"].map(task_group) == task_group(task)]
    return metafeature_distances(metafeatures, group.drop(columns="task"))


def nearest_start(
    metabase: Metabase,
    metafeatures: dict[str, float],
    task: str,
    space: PipelineSpace,
    *,
    n_neighbors: int = 5,
    portfolio_size: int = 0,
    limit: int = 10,
    time_budget: float | None = None,
) -> list[dict[str, Any]]:
    """The nearest datasets' winners, alternated with a portfolio (none by default)."""
    usable = recommend.usable_configs(metabase, task, space)
    neighbours = list(dataset_distances(metabase, metafeatures, task).index)
    losses = recommend.normalized_losses(metabase, neighbours)
    measured = metabase.performance
    measured = measured[measured["config_id"].isin(set(usable)) & measured["loss"].notna()]
    raw = measured.pivot_table(index="dataset", columns="config_id", values="loss", aggfunc="min")
    raw = raw[sorted(raw.columns)]  # ties go to the lower id
    nearest_best = [
        str(raw.loc[d].idxmin()) for d in neighbours if d in raw.index and raw.loc[d].notna().any()
    ][:n_neighbors]
    portfolio = recommend.greedy_portfolio(losses, portfolio_size, set(usable))
    order: list[str] = []
    for i in range(max(len(nearest_best), len(portfolio))):
        for source in (nearest_best, portfolio):
            if i < len(source) and source[i] not in order:
                order.append(source[i])
    order, starters = recommend.with_starters(order[:limit], space, task, set(usable))
    if time_budget is not None:
        near = losses.loc[[d for d in neighbours[:n_neighbors] if d in losses.index]]
        order = recommend.order_for_budget(
            metabase, order, near, metafeatures, time_budget, starters
        )
    return [usable[cid] for cid in order]
