"""Ensemble vs the single best trial: test metric, prediction latency and model size.

Usage (from the repo root)::

    AUTOML_DATASETS=/path/to/datasets python -m benchmarks.ensemble --max-rows 20000 \\
        --budget 60 --seeds 0 --parallel 2
    python -m benchmarks.ensemble --table-only

One fit per (dataset, seed) with ``ensemble_size=--ensemble-size`` on the fixed 75/25 split of
``benchmarks.run``. The single best trial is always the ensemble's first pick (round one
of the selection is the best single member), and its refit model is one of the ensemble's
members, so both are scored from the same fit: the ensemble (``model.predict_proba``) and
the best trial's refit pipeline alone. Latency is measured on the test rows (ms per 1,000
rows, best of 3), size is the pickled size. ``--parallel 2`` runs two fits at once, each
pinned to its own core with ``n_jobs=1``.

Outputs (resumable): ``benchmarks/results/ensemble.csv`` and ``benchmarks/ENSEMBLE.md``.
"""

from __future__ import annotations

import argparse
import pickle
import time
from typing import Any

from benchmarks import common, pinned

OUT = common.RESULTS / "ensemble.csv"
TABLE = common.BENCHMARKS / "ENSEMBLE.md"
COLUMNS = [
    "dataset",
    "task",
    "n_rows",
    "seed",
    "budget",
    "ensemble_size",
    "metric",
    "ensemble_score",
    "single_score",
    "members",
    "ensemble_latency_ms",
    "single_latency_ms",
    "ensemble_bytes",
    "single_bytes",
    "fit_time",
    "n_trials",
    "refit",
    "status",
    "error",
    "git_rev",
    "timestamp",
]


def _latency_ms(predict: Any, X: Any) -> float:
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        predict(X)
        best = min(best, time.perf_counter() - started)
    return best * 1000 * 1000 / max(1, len(X))


def run_one(spec: dict[str, Any]) -> dict[str, Any]:
    import numpy as np

    from automl import AutoMLClassifier, AutoMLRegressor
    from automl.ensemble import Ensemble

    seed = int(spec["seed"])
    data = common.split(spec["dataset"], seed)
    task, classif, y_te = data.task, data.classification, data.y_test
    cls = AutoMLClassifier if classif else AutoMLRegressor
    model = cls(
        time_budget=spec["budget"],
        n_jobs=1,
        ensemble_size=spec["ensemble_size"],
        history=None,
        warm_start=common.unseen_metabase(spec["dataset"]),
        random_state=seed,
        verbose=0,
    )
    started = time.perf_counter()
    model.fit(data.X_train, data.y_train)
    fit_time = time.perf_counter() - started
    frame = model._model_input(data.X_test)
    best_id = min(
        (t for t in model.trials_ if t["status"] == "ok" and t["fidelity"] == 1.0),
        key=lambda t: (t["loss"], t["trial_id"]),
    )["trial_id"]
    if isinstance(model.model_, Ensemble):
        ids = [m["trial_id"] for m in model.ensemble_]
        single = model.model_.members[ids.index(best_id)][1] if best_id in ids else None
    else:
        single = model.model_  # no ensemble was built: both are the single best
    all_classes = data.all_classes

    def score(fitted: Any) -> float:
        if classif:
            output = np.asarray(fitted.predict_proba(frame), dtype=float)
            return common.test_score(task, y_te, model.classes_, output, all_classes)
        output = np.asarray(fitted.predict(frame)).ravel()
        return common.test_score(task, y_te, None, output, None)

    predict = (lambda m: m.predict_proba) if classif else (lambda m: m.predict)
    result = {
        "task": task,
        "n_rows": data.n_rows,
        "metric": common.METRIC_FOR_TASK[task],
        "ensemble_score": score(model.model_),
        "members": len(model.ensemble_),
        "ensemble_latency_ms": _latency_ms(predict(model.model_), frame),
        "ensemble_bytes": len(pickle.dumps(model.model_)),
        "fit_time": fit_time,
        "n_trials": len(model.trials_),
        "refit": model.refit_,
        "status": "ok",
    }
    if single is not None:
        result.update(
            single_score=score(single),
            single_latency_ms=_latency_ms(predict(single), frame),
            single_bytes=len(pickle.dumps(single)),
        )
    return result


def run_all(args: argparse.Namespace) -> None:
    datasets = list(common.select_datasets(args.datasets, max_rows=args.max_rows)["name"])
    specs = [
        {"dataset": d, "seed": int(s), "budget": args.budget, "ensemble_size": args.ensemble_size}
        for s in args.seeds.split(",")
        for d in datasets
    ]
    pinned.run_pinned(
        "benchmarks.ensemble",
        specs,
        out=OUT,
        columns=COLUMNS,
        key=["dataset", "seed", "budget"],
        parallel=args.parallel,
        timeout=args.budget * 3 + 60,
    )


def write_table(budget: float) -> None:
    import numpy as np
    import pandas as pd

    runs = pd.read_csv(OUT)
    runs = runs[(runs["status"] == "ok") & (runs["budget"] == budget)].copy()
    if runs.empty:
        print("no results yet")
        return
    lower = runs["metric"].isin(["log_loss", "rmse"])
    diff = np.where(
        lower,
        runs["single_score"] - runs["ensemble_score"],
        runs["ensemble_score"] - runs["single_score"],
    )
    runs["better"] = np.where(diff > 1e-12, "yes", np.where(diff < -1e-12, "no", "tie"))
    wins, ties, losses = (int((runs["better"] == v).sum()) for v in ("yes", "tie", "no"))
    lines = [
        f"# Ensemble vs single best trial at time_budget={budget:g} s",
        "",
        "Generated by `benchmarks/ensemble.py` "
        f"(ensemble_size={int(runs['ensemble_size'].iloc[0])}, "
        f"one core per run, `n_jobs=1`), {len(runs)} (dataset, seed) runs.",
        "",
        f"The ensemble's test metric is better on **{wins}**, equal on {ties}, worse on "
        f"{losses}. Median latency ratio ensemble / single "
        f"{np.median(runs['ensemble_latency_ms'] / runs['single_latency_ms']):.2f}, median size "
        f"ratio {np.median(runs['ensemble_bytes'] / runs['single_bytes']):.2f}; median members "
        f"{runs['members'].median():g}.",
        "",
        "| dataset | seed | metric | ensemble | single best | better | members | latency ms/1k "
        "(ens / single) | size KB (ens / single) |",
        "|---|---|---|---:|---:|---|---:|---:|---:|",
    ]
    for r in runs.sort_values(["task", "n_rows", "dataset", "seed"]).itertuples():
        lines.append(
            f"| {r.dataset} | {r.seed} | {r.metric} | {r.ensemble_score:.5g} | "
            f"{r.single_score:.5g} | {r.better} | {r.members} | "
            f"{r.ensemble_latency_ms:.1f} / {r.single_latency_ms:.1f} | "
            f"{r.ensemble_bytes / 1024:.0f} / {r.single_bytes / 1024:.0f} |"
        )
    TABLE.write_text("\n".join(lines) + "\n")
    print(f"wrote {TABLE}")


def main() -> None:
    parser = pinned.pinned_parser("benchmarks.ensemble", __doc__, budget=60)
    pinned.add_selection_arguments(parser)
    parser.add_argument("--ensemble-size", type=int, default=25)
    pinned.pinned_main(
        parser, run_one=run_one, run_all=run_all, write_tables=lambda args: write_table(args.budget)
    )


if __name__ == "__main__":
    main()
