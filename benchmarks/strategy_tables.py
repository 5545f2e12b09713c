"""Tables and anytime plots for ``benchmarks/strategies.py``.

* Mean rank: per (dataset, seed), strategies ranked by test score (1 = best, ties share the
  average rank), then averaged.
* Mean normalized test score: per (dataset, seed), 1 = the best strategy's test score,
  0 = the worst's (all equal -> 1 for all), averaged. Direction follows the metric
  (ROC AUC higher is better; log loss and RMSE lower).
* Anytime curves: per run, the best validation loss found by each second; per
  (dataset, seed) normalized so 0 = the best final validation loss of any strategy and 1 = the
  worst first-trial loss; averaged over the task's datasets and seeds.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

LOWER_IS_BETTER = {"log_loss", "rmse"}


def markdown(frame: pd.DataFrame, digits: int = 3) -> str:
    """A DataFrame as a markdown table (no tabulate dependency)."""
    def cell(value: object) -> str:
        if isinstance(value, (float, np.floating)):
            return f"{value:.{digits}f}" if abs(value) < 1e4 else f"{value:.4g}"
        return str(value)

    header = [str(c) for c in frame.columns]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in frame.itertuples(index=False)]
    return "\n".join(lines)


def load_runs(path: Path, budget: float) -> pd.DataFrame:
    runs = pd.read_csv(path)
    runs = runs[(runs["status"] == "ok") & (runs["budget"] == budget)]
    # only (dataset, seed) pairs every strategy finished are compared
    n_strategies = runs["strategy"].nunique()
    complete = runs.groupby(["dataset", "seed"])["strategy"].transform("nunique") == n_strategies
    return runs[complete].copy()


def rank_table(runs: pd.DataFrame) -> pd.DataFrame:
    runs = runs.copy()
    sign = np.where(runs["metric"].isin(LOWER_IS_BETTER), 1.0, -1.0)
    runs["loss"] = sign * runs["score"]
    group = runs.groupby(["dataset", "seed"])["loss"]
    runs["rank"] = group.rank(method="average")
    best, worst = group.transform("min"), group.transform("max")
    spread = (worst - best).replace(0, np.nan)
    runs["normalized"] = ((worst - runs["loss"]) / spread).fillna(1.0)
    rows = []
    for task, part in [("all", runs)] + list(runs.groupby("task")):
        for strategy, mine in part.groupby("strategy"):
            rows.append({
                "task": task, "strategy": strategy, "runs": len(mine),
                "mean rank": mine["rank"].mean(), "mean normalized score": mine["normalized"].mean(),
                "wins": int((mine["rank"] == 1).sum()), "mean trials": mine["n_trials"].mean(),
            })
    return pd.DataFrame(rows)


def head_to_head(runs: pd.DataFrame, a: str, b: str) -> tuple[int, int, int]:
    """(a better, tie, b better) over (dataset, seed) pairs, by test score."""
    sign = np.where(runs["metric"].isin(LOWER_IS_BETTER), 1.0, -1.0)
    table = runs.assign(loss=sign * runs["score"]).pivot_table(
        index=["dataset", "seed"], columns="strategy", values="loss")
    diff = table[a] - table[b]
    return int((diff < 0).sum()), int((diff == 0).sum()), int((diff > 0).sum())


def anytime_curves(curves_path: Path, runs: pd.DataFrame, budget: float,
                   grid: np.ndarray) -> dict[str, dict[str, np.ndarray]]:
    """task -> strategy -> mean normalized best-so-far validation loss on ``grid``."""
    keep = set(zip(runs["dataset"], runs["seed"], runs["strategy"]))
    task_of = dict(zip(runs["dataset"], runs["task"]))
    raw: dict[tuple[str, int], dict[str, np.ndarray]] = {}
    firsts: dict[tuple[str, int], list[float]] = {}
    for line in curves_path.read_text().splitlines():
        record = json.loads(line)
        key = (record["dataset"], int(record["seed"]), record["strategy"])
        if record["budget"] != budget or key not in keep:
            continue
        trials = sorted((t for t in record["trials"]
                         if t["status"] == "ok" and t["fidelity"] == 1.0), key=lambda t: t["end"])
        if not trials:
            continue
        best_so_far = np.full(len(grid), np.nan)
        running = np.inf
        index = 0
        for g, t in enumerate(grid):
            while index < len(trials) and trials[index]["end"] <= t:
                running = min(running, trials[index]["loss"])
                index += 1
            best_so_far[g] = running
        raw.setdefault(key[:2], {})[key[2]] = best_so_far
        firsts.setdefault(key[:2], []).append(trials[0]["loss"])
    sums: dict[str, dict[str, list[np.ndarray]]] = {}
    for pair, by_strategy in raw.items():
        finals = [c[np.isfinite(c)][-1] for c in by_strategy.values() if np.isfinite(c).any()]
        low, high = min(finals), max(firsts[pair])
        if not high > low:
            continue
        for strategy, curve in by_strategy.items():
            normalized = np.clip((curve - low) / (high - low), 0, 1)
            normalized[~np.isfinite(curve)] = 1.0  # nothing finished yet
            for task in ("all", task_of[pair[0]]):
                sums.setdefault(task, {}).setdefault(strategy, []).append(normalized)
    return {task: {s: np.mean(c, axis=0) for s, c in by_s.items()} for task, by_s in sums.items()}


def write_outputs(runs_path: Path, curves_path: Path, table_path: Path, plot_dir: Path,
                  *, budget: float) -> None:
    runs = load_runs(runs_path, budget)
    if runs.empty:
        print("no complete (dataset, seed) yet")
        return
    table = rank_table(runs)
    grid = np.linspace(0, budget, 121)
    curves = anytime_curves(curves_path, runs, budget, grid)
    lines = [
        f"# Search strategies at time_budget={budget:g} s",
        "",
        f"{runs['dataset'].nunique()} datasets, seeds {sorted(runs['seed'].unique().tolist())}, "
        f"{len(runs) // runs['strategy'].nunique()} (dataset, seed) pairs; one core per run "
        "(`n_jobs=1`), generated by `benchmarks/strategies.py`.",
        "",
        "Mean rank by test score (1 = best of the three; lower is better) and mean normalized "
        "test score (1 = best of the three on that dataset and seed, 0 = worst).",
        "",
        markdown(table),
        "",
    ]
    strategies = sorted(runs["strategy"].unique())
    if "bo" in strategies:
        for other in strategies:
            if other != "bo":
                a, tie, b = head_to_head(runs, "bo", other)
                lines.append(f"- bo vs {other}: bo better on {a}, tie {tie}, {other} better on "
                             f"{b} (dataset, seed) pairs.")
        lines.append("")
    if curves:
        lines += ["Anytime: mean normalized best validation loss (0 = best final of any "
                  "strategy, 1 = worst first trial) at 10 %, 25 %, 50 % and 100 % of the budget.", ""]
        rows = []
        for task, by_strategy in curves.items():
            for strategy, curve in sorted(by_strategy.items()):
                row = {"task": task, "strategy": strategy}
                for share in (0.1, 0.25, 0.5, 1.0):
                    row[f"{share:.0%}"] = curve[int(round(share * (len(grid) - 1)))]
                rows.append(row)
        lines += [markdown(pd.DataFrame(rows)), ""]
        lines += [f"![{task}](strategies_{task}.png)" for task in curves] + [""]
        _plot(curves, grid, plot_dir)
    per_dataset = runs.pivot_table(index=["task", "dataset", "metric"], columns="strategy",
                                   values="score", aggfunc="mean")
    lines += ["Test score per dataset (mean over seeds):", "",
              markdown(per_dataset.reset_index(), digits=4), ""]
    table_path.write_text("\n".join(lines))
    print(f"wrote {table_path}")


def _plot(curves: dict[str, dict[str, np.ndarray]], grid: np.ndarray, plot_dir: Path) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed: no plots (pip install '.[benchmark]')")
        return
    for task, by_strategy in curves.items():
        fig, ax = plt.subplots(figsize=(6, 4))
        for strategy, curve in sorted(by_strategy.items()):
            ax.plot(grid, curve, label=strategy)
        ax.set_xlabel("elapsed seconds")
        ax.set_ylabel("normalized best validation loss")
        ax.set_title(f"Anytime performance: {task} datasets")
        ax.set_ylim(0, 1)
        ax.legend()
        fig.tight_layout()
        fig.savefig(plot_dir / f"strategies_{task}.png", dpi=100)
        plt.close(fig)
