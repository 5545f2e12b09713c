"""The rescoped build's two choices: which datasets are searched, and which configurations
are evaluated on every dataset.

Searching every prior and cross-evaluating every configuration found on every prior grows
with the square of the priors (about 30 core-hours at 330 datasets). So the build can search a
stratified sample (``--search-sample``), cross-evaluate all candidates on those searched
datasets only (the probes), and then keep a pool of ``--pool-size`` configurations per task
group, chosen greedily on the probes the way the portfolio is (each added configuration lowers
the mean best normalized loss most), plus the cold start's configurations. Only the pool is
evaluated on the rest.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from metalearning.metabase import task_group


def search_sample(tasks: dict[str, str], count: int, seed: int) -> list[str]:
    """``count`` of the named datasets (name -> task type), stratified by task type in
    proportion (at least one of each type present), sorted by name."""
    if count <= 0 or count >= len(tasks):
        return sorted(tasks)
    frame = pd.DataFrame({"name": list(tasks), "task": list(tasks.values())})
    shares = frame["task"].value_counts(normalize=True)
    picked = []
    for task, share in shares.items():
        group = frame[frame["task"] == task].sort_values("name")
        n = min(len(group), max(1, round(count * share)))
        picked.extend(group.sample(n=n, random_state=seed)["name"])
    return sorted(picked)


def always_evaluated(task: str) -> list[dict[str, Any]]:
    """The configurations kept in the pool whatever the probes say: what a search without a
    warm start tries first (the low-cost start and every family's default). Measured on every
    dataset, they let a replay compare warm and cold starts, and the warm start's ordering
    place its picks around them."""
    from automl.space import PipelineSpace

    return PipelineSpace(task, 1000).cold_start_configs()  # a size offering every family


def choose_pool(
    performance: pd.DataFrame,
    candidates: dict[str, dict[str, Any]],
    probe_tasks: dict[str, str],
    size: int,
) -> dict[str, dict[str, Any]]:
    """The candidates to evaluate everywhere: per task group, ``size`` chosen greedily on the
    probe datasets' normalized losses, plus :func:`always_evaluated`. ``performance`` holds
    the probes' evaluations (dataset, config_id, loss)."""
    from metalearning.metabase import config_id
    from metalearning.recommend import greedy_portfolio, loss_matrix

    pool: dict[str, dict[str, Any]] = {}
    for group in sorted({c["task_group"] for c in candidates.values()}):
        ids = {cid for cid, c in candidates.items() if c["task_group"] == group}
        datasets = [d for d, t in probe_tasks.items() if task_group(t) == group]
        probes = performance[performance["dataset"].isin(datasets)]
        losses = loss_matrix(probes)
        chosen = greedy_portfolio(losses, size, ids) if len(losses) else []
        # binary and multiclass share one space: either gives the group's starting configs
        task = "regression" if group == "regression" else "binary"
        forced = [config_id(c, group) for c in always_evaluated(task)]
        for cid in [*forced, *chosen]:
            if cid in candidates:
                pool[cid] = candidates[cid]
    return pool
