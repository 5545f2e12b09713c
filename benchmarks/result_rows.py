"""The rows of a product-benchmark results CSV: read, selected, ranked and compared.

When a (dataset, seed, system) was run more than once, its latest ``ok`` row wins (else its
latest row).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks.common import LOWER_IS_BETTER

TIE_TOLERANCE = 1e-9  # "at least as good" allows this much floating-point noise


def read_results(csv_path: Path) -> pd.DataFrame:
    df = pd.read_csv(csv_path, keep_default_na=True)
    df["_order"] = np.arange(len(df))
    for col in (
        "score",
        "fit_time",
        "overrun",
        "predict_time",
        "peak_rss_mb",
        "peak_pss_mb",
        "n_trials",
        "budget",
        "wall_time",
    ):
        if col in df:
            df[col] = pd.to_numeric(df[col], errors="coerce")
    df["over_limit"] = df["over_limit"].astype(str).str.lower().isin(["true", "1"])
    df["status"] = df["status"].fillna("crashed").astype(str)
    return df


def select_rows(
    df: pd.DataFrame,
    datasets: Iterable[str],
    seeds: Iterable[int],
    systems: Iterable[str],
    budget: float,
    n_jobs: int,
) -> pd.DataFrame:
    sel = df[
        df["dataset"].isin(list(datasets))
        & df["seed"].isin(list(seeds))
        & df["system"].isin(list(systems))
        & np.isclose(df["budget"], float(budget))
        & (df["n_jobs"] == int(n_jobs))
    ].copy()
    # One row per (dataset, seed, system): the latest ok one, else the latest one.
    sel["_ok"] = sel["status"] == "ok"
    sel = sel.sort_values(["_ok", "_order"])
    return sel.groupby(["dataset", "seed", "system"], as_index=False).tail(1)


def mean_ranks(sel: pd.DataFrame, systems: list[str]) -> pd.Series:
    """Each system's rank on each dataset (scores averaged over seeds; ties share a rank; a
    system without an ok run ranks last), averaged over the datasets; best first."""
    ok = sel[sel["status"] == "ok"]
    scores = ok.groupby(["dataset", "system"])["score"].mean().unstack()
    scores = scores.reindex(index=sorted(set(sel["dataset"])), columns=systems)
    metrics = sel.groupby("dataset")["metric"].first().reindex(scores.index)
    sign = np.where([higher_is_better(m) for m in metrics], 1.0, -1.0)
    ranks = scores.mul(sign, axis=0).rank(axis=1, ascending=False, na_option="bottom")
    return ranks.mean().sort_values()


def higher_is_better(metric: str) -> bool:
    return metric not in LOWER_IS_BETTER


def better_or_equal(a: float, b: float, metric: str) -> bool:
    return a >= b - TIE_TOLERANCE if higher_is_better(metric) else a <= b + TIE_TOLERANCE


def compare(runs: pd.DataFrame, system: str, baseline: str, metric: str) -> str | None:
    """'yes'/'no' if `system` is at least as good as `baseline` on this dataset, else None (no
    comparison possible). A seed on which the system failed but the baseline succeeded is a 'no'
    (failures are never skipped in the system's favour); means are over the seeds where both ran."""
    a = runs[runs["system"] == system].set_index("seed")
    b = runs[runs["system"] == baseline].set_index("seed")
    b_ok = b[b["status"] == "ok"]
    if a.empty or b_ok.empty:
        return None
    failed = [s for s in b_ok.index if s in a.index and a.loc[s, "status"] != "ok"]
    if failed:
        return f"no ({a.loc[failed[0], 'status']})"
    paired = [s for s in b_ok.index if s in a.index]
    if not paired:
        return None
    ok = better_or_equal(a.loc[paired, "score"].mean(), b_ok.loc[paired, "score"].mean(), metric)
    return "yes" if ok else "no"


def format_score(value: float, metric: str) -> str:
    if value is None or not math.isfinite(value):
        return "—"
    return f"{value:.4f}" if metric in ("roc_auc", "log_loss") else f"{value:.5g}"
