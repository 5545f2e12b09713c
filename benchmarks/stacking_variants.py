"""What ``meta_model`` and ``stack_members`` share: variants of the stacking meta-model tried on
one captured run (``benchmarks.captured_run``), each against greedy selection alone.

A run's row holds greedy selection's test score and, as JSON, every variant's results; each
variant has at least ``auto`` (its meta-model where it wins the held-out comparison, else
greedy selection) and ``wins`` (whether it did). The report ranks, per run, the variants'
``auto`` scores and greedy selection's.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from benchmarks import common

COLUMNS = [
    "dataset",
    "task",
    "n_rows",
    "seed",
    "budget",
    "n_trials",
    "candidates",
    "greedy_score",
    "variants",
    "fit_time",
    "status",
    "error",
    "git_rev",
    "timestamp",
]
KEY = ["dataset", "seed", "budget"]
STACKED = 10  # the meta-model combines at most this many candidates
ROUNDS = 25  # of greedy selection, the baseline and the comparison's other side


def greedy_baseline(run: Any) -> tuple[Any, float]:
    """Greedy selection on the run's out-of-fold predictions, and its test score."""
    from automl.ensemble import select_ensemble

    greedy = select_ensemble(run.oof, run.y_val, run.loss_of, rounds=ROUNDS)
    return greedy, run.score(run.weighted(greedy.weights))


def result_row(run: Any, greedy_score: float, variants: dict[str, dict[str, Any]]) -> dict:
    return {
        "status": "ok",
        "task": run.data.task,
        "n_rows": run.data.n_rows,
        "n_trials": len(run.model.trials_),
        "candidates": len(run.candidates),
        "greedy_score": greedy_score,
        "variants": json.dumps(variants),
        "fit_time": run.fit_time,
    }


def ranked_runs(part: Any, baseline: str) -> Iterator[tuple[Any, dict[str, Any], Any]]:
    """Per run: its row, its variants, and the ranks of ``baseline`` (greedy selection) and
    every variant's ``auto`` score (1 is best; ties share the mean rank)."""
    import pandas as pd

    for _, row in part.iterrows():
        variants = json.loads(row["variants"])
        sign = -1 if row["task"] == "binary" else 1  # rank on a loss
        scores = {baseline: row["greedy_score"], **{k: v["auto"] for k, v in variants.items()}}
        yield row, variants, pd.Series({k: sign * v for k, v in scores.items()}).round(10).rank()


def auto_cell(variant: dict[str, Any]) -> str:
    """A variant's ``auto`` test score, starred where the meta-model was used."""
    return f"{variant['auto']:.4f}{' *' if variant['wins'] else ''}"


def write_report(
    out: Path,
    table: Path,
    *,
    header: list[str],
    summary: Callable[[Any], list[str]],
    per_dataset: Callable[[Any], list[str]],
    per_dataset_title: str,
) -> None:
    """The report of a stacking-variant benchmark: per budget, ``summary`` then
    ``per_dataset`` of its finished runs."""
    import pandas as pd

    if not out.exists():
        return
    frame = pd.read_csv(out)
    frame = frame[frame["status"] == "ok"]
    lines = list(header)
    for budget, part in frame.groupby("budget"):
        lines += [f"## {budget:g} s, {len(part)} runs", ""]
        lines += summary(part)
        lines += ["", per_dataset_title, ""]
        lines += per_dataset(part)
        lines.append("")
    table.write_text("\n".join(lines) + "\n")
    common.log(f"wrote {table}")
