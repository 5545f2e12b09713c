"""Which stacking meta-model for classification: fit time and held-out quality.

Usage (from the repo root)::

    python -m benchmarks.meta_model --priors 40 --budget 60 --parallel 2
    python -m benchmarks.meta_model --table-only

One fit per classification task (``n_jobs=1``, pinned to a core) keeps its 50 best trials'
fold models, as in ``benchmarks.ensemble_choice``. Every meta-model variant is then fitted on
the 10 best candidates' out-of-fold predictions of that one run and scored on the test rows;
``auto`` is what the library does with it: the meta-model where it beats greedy selection on
held-out validation folds (``compare_on_folds``), else greedy selection (25 rounds). Timed per
variant: one meta-model fit on all validation rows, and the whole comparison (5 folds of both).

Variants: ``raw_c{C}`` a logistic regression on the members' log-probabilities as they are;
``scaled_c{C}`` the same after standardizing each column. Outputs (resumable):
``benchmarks/results/meta_model.csv`` and ``benchmarks/META_MODEL.md``.
"""

from __future__ import annotations

import json
import time
from typing import Any

from benchmarks import common, pinned
from benchmarks.ensemble_choice import _capture

OUT = common.RESULTS / "meta_model.csv"
TABLE = common.BENCHMARKS / "META_MODEL.md"
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
VARIANTS = {"raw_c1": (False, 1.0), "scaled_c1": (True, 1.0), "scaled_c0.1": (True, 0.1)}


def _make(scaled: bool, c: float) -> Any:
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    logistic = LogisticRegression(C=c, max_iter=1000)
    return make_pipeline(StandardScaler(), logistic) if scaled else logistic


def run_one(spec: dict[str, Any]) -> dict[str, Any]:
    import warnings

    import numpy as np

    import automl.engine as engine
    import automl.stacking as stacking
    from automl import AutoMLClassifier
    from automl.ensemble import select_ensemble

    warnings.filterwarnings("ignore")  # lbfgs convergence warnings of the unscaled variant
    seed = int(spec["seed"])
    data = common.split(spec["dataset"], seed)
    if not data.classification:
        return {"status": "skipped", "error": "regression: the meta-model is a linear regression"}
    captured: dict[str, Any] = {}
    engine.FinalModelBuilder = _capture(data.X_test, captured)
    model = AutoMLClassifier(
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
    task, classes = captured["prepared"].task, model.classes_
    y_val, loss_of = captured["y_val"], captured["metric"].loss
    oof = [m[1].astype(np.float64) for m in members]
    tests = [np.asarray(m[2], dtype=np.float64) for m in members]
    top = min(STACKED, len(oof))

    def score(prediction: Any) -> float:
        return common.test_score(data.task, data.y_test, classes, prediction, data.all_classes)

    greedy = select_ensemble(oof, y_val, loss_of, rounds=25)
    total = sum(greedy.weights.values())
    greedy_test = sum(w / total * tests[i] for i, w in greedy.weights.items())
    greedy_score = score(greedy_test)
    variants: dict[str, dict[str, Any]] = {}
    original = stacking.make_meta_model
    try:
        for name, (scaled, c) in VARIANTS.items():
            stacking.make_meta_model = lambda task, s=scaled, c=c: _make(s, c)
            started = time.perf_counter()
            meta = stacking.fit_meta_model(oof[:top], y_val, task)
            fit_seconds = time.perf_counter() - started
            stacked_score = score(stacking.meta_predict(meta, tests[:top], task, len(classes)))
            started = time.perf_counter()
            comparison = stacking.compare_on_folds(
                oof[:top], y_val, task, loss_of, rounds=25, random_state=seed
            )
            compare_seconds = time.perf_counter() - started
            variants[name] = {
                "stacked": stacked_score,
                "auto": stacked_score if comparison.stacking_wins else greedy_score,
                "wins": bool(comparison.stacking_wins),
                "fit_s": fit_seconds,
                "compare_s": compare_seconds,
            }
    finally:
        stacking.make_meta_model = original
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
    import pandas as pd

    if args.priors:
        tasks = pd.read_csv(common.priors_file(), keep_default_na=False)
        task_of = {f"{common.PRIOR}{r.package}/{r.item}": r.task for r in tasks.itertuples()}
        datasets = common.select_priors(args.priors, seed=0, max_rows=args.max_rows or None)
    else:
        catalog = common.select_datasets(args.datasets, max_rows=args.max_rows)
        task_of = dict(zip(catalog["name"], catalog["task"]))
        datasets = list(catalog["name"])
    specs = [
        {"dataset": name, "seed": seed, "budget": args.budget}
        for seed in [int(s) for s in common.comma_list(args.seeds)]
        for name in datasets
        if task_of[name] != "regression"
    ]
    pinned.run_pinned(
        "benchmarks.meta_model",
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
    lines = ["# Which stacking meta-model (classification)", ""]
    lines += [
        "Generated by `python -m benchmarks.meta_model` (see its docstring). Test scores: AUC "
        "for binary tasks (higher is better), log loss for multiclass (lower is better). "
        "`auto` is the meta-model where it wins the held-out comparison, else greedy selection. "
        "Rank 1 is best among the variants' `auto` results and greedy selection alone.",
        "",
    ]
    for budget, part in frame.groupby("budget"):
        lines += [f"## {budget:g} s, {len(part)} runs", ""]
        lines += _summary(part)
        lines += ["", "Per dataset (`auto` test score, meta-model used or not):", ""]
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
        scores = {"greedy": row["greedy_score"], **{k: v["auto"] for k, v in variants.items()}}
        ranks = pd.Series({k: sign * v for k, v in scores.items()}).round(10).rank()
        for name, value in variants.items():
            records.append({"variant": name, "rank": ranks[name], **value})
        records.append({"variant": "greedy", "rank": ranks["greedy"]})
    table = pd.DataFrame(records)
    out = []
    for name, rows in table.groupby("variant", sort=False):
        wins = rows["wins"].sum() if "wins" in rows and name != "greedy" else float("nan")
        out.append(
            (
                name,
                f"{rows['rank'].mean():.2f}",
                "" if name == "greedy" else f"{int(wins)}/{len(rows)}",
                "" if name == "greedy" else f"{rows['fit_s'].median():.2f}",
                "" if name == "greedy" else f"{rows['fit_s'].max():.2f}",
                "" if name == "greedy" else f"{rows['compare_s'].max():.2f}",
            )
        )
    out.sort(key=lambda r: float(r[1]))
    return common.markdown_table(
        [
            "variant",
            "mean rank of auto",
            "meta-model used",
            "median fit s",
            "max fit s",
            "max comparison s",
        ],
        out,
        right=(1, 2, 3, 4, 5),
    )


def _per_dataset(part: Any) -> list[str]:
    rows = []
    for _, row in part.sort_values(["task", "dataset"]).iterrows():
        variants = json.loads(row["variants"])
        cells = [f"{v['auto']:.4f}{' *' if v['wins'] else ''}" for v in variants.values()]
        rows.append((row["dataset"], row["task"], f"{row['greedy_score']:.4f}", *cells))
    return common.markdown_table(
        ["dataset", "task", "greedy", *VARIANTS], rows, right=tuple(range(2, 3 + len(VARIANTS)))
    )


def main() -> None:
    parser = pinned.pinned_parser("benchmarks.meta_model", __doc__, budget=60)
    pinned.add_selection_arguments(parser)
    parser.add_argument("--priors", type=int, default=0, help="a sample of N prior tasks")
    pinned.pinned_main(parser, run_one=run_one, run_all=run_all, write_tables=write_tables)


if __name__ == "__main__":
    main()
