"""Compare the search strategies (``bo``, ``random``, ``evolution``) at the same time budget.

Usage (from the repo root)::

    AUTOML_DATASETS=/path/to/datasets python -m benchmarks.strategies --max-rows 20000 \\
        --budget 60 --seeds 0,1,2 --parallel 2
    python -m benchmarks.strategies --datasets "" --priors 40 --budget 30 --seeds 0,1 \\
        --strategies bo,bo+es --parallel 2
    python -m benchmarks.strategies --table-only

Every (dataset, seed, strategy) is one ``AutoMLClassifier``/``AutoMLRegressor`` fit in its own
child process on the same fixed 75/25 split as ``benchmarks.run``, scored on the 25 % test
rows. ``--parallel 2`` runs two children at once, each pinned to its own core with
``n_jobs=1``: every strategy gets the same single core for the same wall-clock budget, and the
benchmark takes half the time. (Strategies are compared with each other here, not with other
systems, so the one-core setting is fair to all of them.)

Outputs (resumable: a rerun skips finished runs):

* ``benchmarks/results/strategies.csv``: one row per run (test score, fit time, trials, ...);
* ``benchmarks/results/strategies_curves.jsonl``: each run's trials (end time, validation loss);
* ``benchmarks/STRATEGIES.md``: mean rank and mean normalized test score per strategy, per task;
* ``benchmarks/strategies_<task>.png``: anytime curves -- normalized best validation loss
  against elapsed time, averaged over the datasets of the task.

How the tables are computed:

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

import argparse
import json
import re
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from benchmarks import common, pinned
from benchmarks.common import LOWER_IS_BETTER, markdown

STRATEGIES = ("bo", "random", "evolution")
OUT = common.RESULTS / "strategies.csv"
CURVES = common.RESULTS / "strategies_curves.jsonl"
TABLE = common.BENCHMARKS / "STRATEGIES.md"


def paths(tag: str) -> tuple[Path, Path, Path]:
    """Results, curves and table files; a ``--tag`` keeps an experiment's apart."""
    if not tag:
        return OUT, CURVES, TABLE
    return (
        common.RESULTS / f"strategies_{tag}.csv",
        common.RESULTS / f"strategies_{tag}_curves.jsonl",
        common.BENCHMARKS / f"STRATEGIES_{tag.upper()}.md",
    )


COLUMNS = [
    "dataset",
    "task",
    "n_rows",
    "seed",
    "strategy",
    "budget",
    "metric",
    "score",
    "status",
    "fit_time",
    "n_trials",
    "best_val_loss",
    "error",
    "git_rev",
    "timestamp",
]


# ------------------------------------------------------------------ child: one fit


def run_one(spec: dict[str, Any]) -> dict[str, Any]:
    from automl import AutoMLClassifier, AutoMLRegressor

    seed = int(spec["seed"])
    data = common.split(spec["dataset"], seed)
    cls = AutoMLClassifier if data.classification else AutoMLRegressor
    model = cls(
        time_budget=spec["budget"],
        n_jobs=1,
        **search_settings(spec["strategy"]),
        history=None,
        warm_start=common.unseen_metabase(spec["dataset"]),
        random_state=seed,
        verbose=0,
    )  # the search alone, unless "+ens"
    started = time.perf_counter()
    model.fit(data.X_train, data.y_train)
    fit_time = time.perf_counter() - started
    if data.classification:
        output, classes = model.predict_proba(data.X_test), model.classes_
    else:
        output, classes = model.predict(data.X_test), None
    score = common.test_score(data.task, data.y_test, classes, output, data.all_classes)
    trials = [
        {
            "end": t["started"] + t["duration"],
            "loss": t["loss"],
            "status": t["status"],
            "fidelity": t["fidelity"],
            "model": t["model"],
        }
        for t in model.trials_
    ]
    finite = [t["loss"] for t in trials if t["status"] == "ok" and t["fidelity"] == 1.0]
    return {
        "task": data.task,
        "n_rows": data.n_rows,
        "metric": common.METRIC_FOR_TASK[data.task],
        "score": score,
        "status": "ok",
        "fit_time": fit_time,
        "n_trials": len(trials),
        "best_val_loss": min(finite) if finite else None,
        "trials": trials,
    }


def search_settings(name: str) -> dict[str, Any]:
    """The estimator settings a strategy name stands for: ``bo``, ``random`` or ``evolution``,
    then optional suffixes ``+es`` (early stopping in boosting trials), ``+sh`` / ``-sh``
    (successive halving forced on / off; without either it is "auto"), ``+cv``, ``+cvK``,
    ``+cvKxR`` or ``+holdout`` (the resampling; without one it is "auto"), ``+rs`` (each
    trial's folds reshuffled), ``+ens`` (the default preset's final ensemble instead of the
    single best pipeline), ``+best`` (the best_quality preset's final model), ``+l2`` /
    ``-l2`` (a second stacking layer forced on / off), ``+no-<family>`` (that model
    family, or group, left out) and ``+only-<family>`` (only that family or group searched)."""
    strategy, *options = name.replace("-sh", "+-sh").replace("-l2", "+-l2").split("+")
    if strategy not in STRATEGIES:
        raise ValueError(f"unknown strategy {strategy!r} in {name!r}: one of {STRATEGIES}")
    settings: dict[str, Any] = {"strategy": strategy, "ensemble_size": 1}
    for option in options:
        if option == "es":
            settings["early_stopping"] = True
        elif option in ("sh", "-sh"):
            settings["successive_halving"] = option == "sh"
        elif re.fullmatch(r"cv(\d+(x\d+)?)?|holdout", option):
            settings["resampling"] = option
        elif option == "ens":
            settings["ensemble_size"] = "auto"
        elif option == "rs":
            settings["reshuffle_splits"] = True
        elif option == "best":
            settings.update(preset="best_quality", ensemble_size="auto")
        elif option in ("l2", "-l2"):
            settings["second_layer"] = option == "l2"
        elif option.startswith("no-"):
            settings.setdefault("exclude", []).append(option[3:])
        elif option.startswith("only-"):
            settings.setdefault("include", []).append(option[5:])
        else:
            raise ValueError(
                f"unknown option {option!r} in {name!r}: es, sh, -sh, cv, cvK, cvKxR, holdout, "
                "rs, ens, best, l2, -l2, no-<family> or only-<family>"
            )
    return settings


# ------------------------------------------------------------------ parent


def run_all(args: argparse.Namespace) -> None:
    datasets = []
    if args.datasets:
        datasets = list(common.select_datasets(args.datasets, max_rows=args.max_rows)["name"])
    if args.priors:  # choose defaults on the priors, report them on the shared datasets
        datasets += common.select_priors(
            args.priors,
            seed=0,
            max_rows=args.max_rows or None,
            task_types=common.comma_list(args.prior_tasks),
        )
    for name in args.strategies.split(","):
        search_settings(name)  # a typo fails here, not in every child
    out, curves, _ = paths(args.tag)
    specs = [
        {"dataset": d, "seed": int(s), "strategy": st, "budget": args.budget}
        for s in args.seeds.split(",")
        for d in datasets
        for st in args.strategies.split(",")
    ]

    def save_curve(spec: dict[str, Any], result: dict[str, Any]) -> None:
        trials = result.pop("trials", None)
        if trials is not None:
            with curves.open("a") as f:
                f.write(json.dumps({**spec, "trials": trials}) + "\n")

    pinned.run_pinned(
        "benchmarks.strategies",
        specs,
        out=out,
        columns=COLUMNS,
        key=["dataset", "seed", "strategy", "budget"],
        parallel=args.parallel,
        timeout=args.budget * 3 + 60,
        on_result=save_curve,
    )


# ------------------------------------------------------------------ tables and plots


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
            rows.append(
                {
                    "task": task,
                    "strategy": strategy,
                    "runs": len(mine),
                    "mean rank": mine["rank"].mean(),
                    "mean normalized score": mine["normalized"].mean(),
                    "wins": int((mine["rank"] == 1).sum()),
                    "mean trials": mine["n_trials"].mean(),
                }
            )
    return pd.DataFrame(rows)


def head_to_head(runs: pd.DataFrame, a: str, b: str) -> tuple[int, int, int]:
    """(a better, tie, b better) over (dataset, seed) pairs, by test score."""
    sign = np.where(runs["metric"].isin(LOWER_IS_BETTER), 1.0, -1.0)
    table = runs.assign(loss=sign * runs["score"]).pivot_table(
        index=["dataset", "seed"], columns="strategy", values="loss"
    )
    diff = table[a] - table[b]
    return int((diff < 0).sum()), int((diff == 0).sum()), int((diff > 0).sum())


def anytime_curves(
    curves_path: Path, runs: pd.DataFrame, budget: float, grid: np.ndarray
) -> dict[str, dict[str, np.ndarray]]:
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
        trials = sorted(
            (t for t in record["trials"] if t["status"] == "ok" and t["fidelity"] == 1.0),
            key=lambda t: t["end"],
        )
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


def write_outputs(
    runs_path: Path,
    curves_path: Path,
    table_path: Path,
    plot_dir: Path,
    *,
    budget: float,
    tag: str = "",
) -> None:
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
        "Mean rank by test score (1 = best; lower is better) and mean normalized test score "
        "(1 = the best setting's on that dataset and seed, 0 = the worst's). Names: "
        "`+es` early stopping in boosting trials, `+sh` / `-sh` successive halving on / off, "
        "`+cvK` / `+cvKxR` K-fold cross-validation (repeated R times), `+ens` the default "
        "final ensemble (else the single best pipeline), `+best` the best_quality preset's final "
        "model, `+l2` / `-l2` a second stacking layer on / off, `+no-<family>` a family left "
        "out, `+only-<family>` only that family. "
        "Validation losses (the anytime table) compare across resamplings only roughly: "
        "each setting scores its trials on its own splits.",
        "",
        markdown(table),
        "",
    ]
    strategies = sorted(runs["strategy"].unique())
    if "bo" in strategies:
        for other in strategies:
            if other != "bo":
                a, tie, b = head_to_head(runs, "bo", other)
                lines.append(
                    f"- bo vs {other}: bo better on {a}, tie {tie}, {other} better on "
                    f"{b} (dataset, seed) pairs."
                )
        lines.append("")
    if curves:
        lines += [
            "Anytime: mean normalized best validation loss (0 = best final of any "
            "strategy, 1 = worst first trial) at 10 %, 25 %, 50 % and 100 % of the budget.",
            "",
        ]
        rows = []
        for task, by_strategy in curves.items():
            for strategy, curve in sorted(by_strategy.items()):
                row = {"task": task, "strategy": strategy}
                for share in (0.1, 0.25, 0.5, 1.0):
                    row[f"{share:.0%}"] = curve[int(round(share * (len(grid) - 1)))]
                rows.append(row)
        lines += [markdown(pd.DataFrame(rows)), ""]
        prefix = f"strategies_{tag}_" if tag else "strategies_"
        lines += [f"![{task}]({prefix}{task}.png)" for task in curves] + [""]
        _plot(curves, grid, plot_dir, prefix)
    per_dataset = runs.pivot_table(
        index=["task", "dataset", "metric"], columns="strategy", values="score", aggfunc="mean"
    )
    lines += [
        "Test score per dataset (mean over seeds):",
        "",
        markdown(per_dataset.reset_index(), digits=4),
        "",
    ]
    table_path.write_text("\n".join(lines))
    print(f"wrote {table_path}")


def _plot(
    curves: dict[str, dict[str, np.ndarray]], grid: np.ndarray, plot_dir: Path, prefix: str
) -> None:
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
        fig.savefig(plot_dir / f"{prefix}{task}.png", dpi=100)
        plt.close(fig)


def main() -> None:
    parser = pinned.pinned_parser("benchmarks.strategies", __doc__, budget=60)
    pinned.add_selection_arguments(parser)
    parser.add_argument(
        "--strategies",
        default=",".join(STRATEGIES),
        help="comma-separated: bo, random, evolution, each optionally with +es (early "
        "stopping), +sh or -sh (successive halving on or off), +cv, +cvK, +cvKxR or +holdout "
        "(resampling), +ens (the default final ensemble), +best (the best_quality final "
        "model), +l2 or -l2 (a second stacking layer on or off), +no-<family> (a family left "
        "out), +only-<family> (only that family searched)",
    )
    parser.add_argument(
        "--priors", type=int, default=0, help="also a stratified sample of N prior tasks"
    )
    parser.add_argument(
        "--prior-tasks",
        default="",
        help="comma-separated task types the priors are drawn from (binary, multiclass, "
        "regression); all by default",
    )
    parser.add_argument(
        "--tag",
        default="",
        help="an experiment's name: results/strategies_<tag>.csv, STRATEGIES_<TAG>.md",
    )
    pinned.pinned_main(
        parser,
        run_one=run_one,
        run_all=run_all,
        write_tables=lambda args: write_outputs(
            *paths(args.tag), common.BENCHMARKS, budget=args.budget, tag=args.tag
        ),
    )


if __name__ == "__main__":
    main()
