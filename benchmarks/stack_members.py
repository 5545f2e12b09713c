"""Which candidates the stacking meta-model combines: the best 10, or a diverse set.

Usage (from the repo root)::

    python -m benchmarks.stack_members --priors 40 --budget 60 --parallel 2
    python -m benchmarks.stack_members --table-only

One fit per task (``n_jobs=1``, pinned to a core) keeps its 50 best trials' fold models, as in
``benchmarks.ensemble_choice``. The library's meta-model (``automl.stacking``) is then fitted
on the out-of-fold predictions of each candidate set of that one run and scored on the test
rows; ``auto`` is what the library does with it: the meta-model where it beats greedy
selection on held-out validation folds (``compare_on_folds``), else greedy selection (25
rounds). Candidate sets (each in rank order, at most 10):

* ``top10``: the 10 best trials (often ten variants of one family);
* ``families``: the best trial of each model family;
* ``greedy``: the trials greedy selection picked (25 rounds; with one pick, no stacking).

Outputs (resumable): ``benchmarks/results/stack_members.csv`` and
``benchmarks/STACK_MEMBERS.md``.
"""

from __future__ import annotations

import json
import time
from typing import Any

from benchmarks import common, pinned
from benchmarks.ensemble_choice import _capture

OUT = common.RESULTS / "stack_members.csv"
TABLE = common.BENCHMARKS / "STACK_MEMBERS.md"
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
STACKED = 10
SETS = ["top10", "families", "greedy"]
BASELINE = "no stacking"  # greedy selection alone


def candidate_sets(families: list[str], greedy_picks: list[int]) -> dict[str, list[int]]:
    """Candidate indices (rank order) of each set, from the candidates' families (best first)
    and greedy selection's picks."""
    first: dict[str, int] = {}
    for index, family in enumerate(families):
        first.setdefault(family, index)
    return {
        "top10": list(range(min(STACKED, len(families)))),
        "families": sorted(first.values())[:STACKED],
        "greedy": sorted(greedy_picks)[:STACKED],
    }


def run_one(spec: dict[str, Any]) -> dict[str, Any]:
    import warnings

    import numpy as np

    import automl.engine as engine
    from automl import AutoMLClassifier, AutoMLRegressor
    from automl.ensemble import select_ensemble
    from automl.stacking import compare_on_folds, fit_meta_model, meta_predict

    warnings.filterwarnings("ignore")
    seed = int(spec["seed"])
    data = common.split(spec["dataset"], seed)
    captured: dict[str, Any] = {}
    engine.FinalModelBuilder = _capture(data.X_test, captured)
    cls = AutoMLClassifier if data.classification else AutoMLRegressor
    model = cls(
        time_budget=spec["budget"],
        n_jobs=1,
        ensemble_size=25,  # keeps the 50 best trials' fold models
        history=None,
        warm_start=common.unseen_metabase(spec["dataset"]),
        random_state=seed,
        verbose=0,
    )
    started = time.time()
    model.fit(data.X_train, data.y_train)
    fit_time = time.time() - started
    members = captured.get("members") or []
    if len(members) < 2:
        return {"status": "crashed", "error": "fewer than 2 candidates with fold models"}
    task = captured["prepared"].task
    classes = model.classes_ if data.classification else None
    width = 1 if task == "regression" else len(classes)
    y_val, loss_of = captured["y_val"], captured["metric"].loss
    oof = [m[1].astype(np.float64) for m in members]
    tests = [np.asarray(m[2], dtype=np.float64) for m in members]

    def score(prediction: Any) -> float:
        return common.test_score(data.task, data.y_test, classes, prediction, data.all_classes)

    greedy = select_ensemble(oof, y_val, loss_of, rounds=25)
    total = sum(greedy.weights.values())
    greedy_score = score(sum(w / total * tests[i] for i, w in greedy.weights.items()))
    families = [str(m[0].config["model"]) for m in members]
    variants: dict[str, dict[str, Any]] = {}
    for name, chosen in candidate_sets(families, list(greedy.weights)).items():
        if len(chosen) < 2:  # nothing to stack: greedy selection stands
            variants[name] = {"stacked": None, "auto": greedy_score, "wins": False, "n": 1}
            continue
        part_oof, part_test = [oof[i] for i in chosen], [tests[i] for i in chosen]
        meta = fit_meta_model(part_oof, y_val, task)
        stacked = score(meta_predict(meta, part_test, task, width))
        comparison = compare_on_folds(part_oof, y_val, task, loss_of, rounds=25, random_state=seed)
        wins = comparison is not None and comparison.stacking_wins
        variants[name] = {
            "stacked": stacked,
            "auto": stacked if wins else greedy_score,
            "wins": bool(wins),
            "n": len(chosen),
            "families": len({families[i] for i in chosen}),
        }
    return {
        "status": "ok",
        "task": data.task,
        "n_rows": data.n_rows,
        "n_trials": len(model.trials_),
        "candidates": len(members),
        "greedy_score": greedy_score,
        "variants": json.dumps(variants),
        "fit_time": fit_time,
    }


def run_all(args: Any) -> None:
    datasets = (
        common.select_priors(args.priors, seed=0, max_rows=args.max_rows or None)
        if args.priors
        else list(common.select_datasets(args.datasets, max_rows=args.max_rows)["name"])
    )
    specs = [
        {"dataset": name, "seed": seed, "budget": args.budget}
        for seed in [int(s) for s in common.comma_list(args.seeds)]
        for name in datasets
    ]
    pinned.run_pinned(
        "benchmarks.stack_members",
        specs,
        out=OUT,
        columns=COLUMNS,
        key=KEY,
        parallel=args.parallel,
        timeout=args.budget * 3 + 300,
    )


def write_tables(args: Any) -> None:
    import pandas as pd

    if not OUT.exists():
        return
    frame = pd.read_csv(OUT)
    frame = frame[frame["status"] == "ok"]
    lines = ["# Which candidates the stacking meta-model combines", ""]
    lines += [
        "Generated by `python -m benchmarks.stack_members` (see its docstring). Test scores: "
        "AUC for binary tasks (higher is better), log loss for multiclass and RMSE for "
        "regression (lower is better). `auto` is the meta-model where it wins the held-out "
        "comparison, else greedy selection. Rank 1 is best among the sets' `auto` results and "
        f"greedy selection alone (`{BASELINE}`; ties share the mean rank).",
        "",
    ]
    for budget, part in frame.groupby("budget"):
        lines += [f"## {budget:g} s, {len(part)} runs", ""]
        lines += _summary(part)
        lines += ["", "Per dataset (`auto` test score; * the meta-model was used):", ""]
        lines += _per_dataset(part)
        lines.append("")
    TABLE.write_text("\n".join(lines) + "\n")
    common.log(f"wrote {TABLE}")


def _summary(part: Any) -> list[str]:
    import pandas as pd

    records = []
    for _, row in part.iterrows():
        variants = json.loads(row["variants"])
        sign = -1 if row["task"] == "binary" else 1  # rank on a loss
        scores = {BASELINE: row["greedy_score"], **{k: v["auto"] for k, v in variants.items()}}
        ranks = pd.Series({k: sign * v for k, v in scores.items()}).round(10).rank()
        for name in scores:
            value = variants.get(name, {})
            records.append(
                {
                    "set": name,
                    "task": row["task"],
                    "rank": ranks[name],
                    "wins": value.get("wins", False),
                    "n": value.get("n", float("nan")),
                }
            )
    table = pd.DataFrame(records)
    out = []
    for name, rows in table.groupby("set", sort=False):
        by_task = rows.groupby("task")["rank"].mean()
        out.append(
            (
                name,
                f"{rows['rank'].mean():.2f}",
                *(f"{by_task.get(task, float('nan')):.2f}" for task in common.TASKS),
                "" if name == BASELINE else f"{int(rows['wins'].sum())}/{len(rows)}",
                "" if name == BASELINE else f"{rows['n'].median():g}",
            )
        )
    out.sort(key=lambda r: float(r[1]))
    return common.markdown_table(
        ["set", "mean rank", *common.TASKS, "meta-model used", "median members"],
        out,
        right=range(1, 4 + len(common.TASKS)),
    )


def _per_dataset(part: Any) -> list[str]:
    rows = []
    for _, row in part.sort_values(["task", "dataset"]).iterrows():
        variants = json.loads(row["variants"])
        cells = [
            f"{variants[name]['auto']:.4f}{' *' if variants[name]['wins'] else ''}" for name in SETS
        ]
        rows.append((row["dataset"], row["task"], f"{row['greedy_score']:.4f}", *cells))
    return common.markdown_table(
        ["dataset", "task", BASELINE, *SETS], rows, right=range(2, 3 + len(SETS))
    )


def main() -> None:
    parser = pinned.pinned_parser("benchmarks.stack_members", __doc__, budget=60)
    pinned.add_selection_arguments(parser)
    parser.add_argument("--priors", type=int, default=0, help="a sample of N prior tasks")
    pinned.pinned_main(parser, run_one=run_one, run_all=run_all, write_tables=write_tables)


if __name__ == "__main__":
    main()
