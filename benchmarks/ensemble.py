#!/usr/bin/env python
"""Ensemble vs the single best trial: test metric, prediction latency and model size.

Usage (from the repo root)::

    AUTOML_DATASETS=/path/to/datasets python benchmarks/ensemble.py --max-rows 20000 \\
        --budget 60 --seeds 0 --parallel 2
    python benchmarks/ensemble.py --table-only

One fit per (dataset, seed) with ``ensemble_size=--ensemble-size`` on the fixed 75/25 split of
``benchmarks/run.py``. The single best trial is always the ensemble's first pick (round one
of the selection is the best single member), and its refit model is one of the ensemble's
members, so both are scored from the same fit: the ensemble (``model.predict_proba``) and
the best trial's refit pipeline alone. Latency is measured on the test rows (ms per 1,000
rows, best of 3), size is the pickled size. ``--parallel 2`` runs two fits at once, each
pinned to its own core with ``n_jobs=1``.

Outputs (resumable): ``benchmarks/results/ensemble.csv`` and ``benchmarks/ENSEMBLE.md``.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import pickle
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

_spec = importlib.util.spec_from_file_location("benchmark_run", HERE / "run.py")
bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench)
_spec = importlib.util.spec_from_file_location("benchmark_pinned", HERE / "pinned.py")
pinned = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(pinned)

OUT = REPO / "benchmarks" / "results" / "ensemble.csv"
TABLE = REPO / "benchmarks" / "ENSEMBLE.md"
COLUMNS = ["dataset", "task", "n_rows", "seed", "budget", "ensemble_size", "metric",
           "ensemble_score", "single_score", "members", "ensemble_latency_ms",
           "single_latency_ms", "ensemble_bytes", "single_bytes", "fit_time", "n_trials",
           "refit", "status", "error", "git_rev", "timestamp"]


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

    data = pinned.split(spec["dataset"], int(spec["seed"]))
    task, classif, seed = data["task"], data["classif"], int(spec["seed"])
    X_tr, X_te, y_tr, y_te = data["X_tr"], data["X_te"], data["y_tr"], data["y_te"]
    cls = AutoMLClassifier if classif else AutoMLRegressor
    model = cls(time_budget=spec["budget"], n_jobs=1, ensemble_size=spec["ensemble_size"], history=None,
                warm_start=bench.unseen_metabase(spec["dataset"]), random_state=seed, verbose=0)
    started = time.perf_counter()
    model.fit(X_tr, y_tr)
    fit_time = time.perf_counter() - started
    frame = model._model_input(X_te)
    best_id = min((t for t in model.trials_ if t["status"] == "ok" and t["fidelity"] == 1.0),
                  key=lambda t: (t["loss"], t["trial_id"]))["trial_id"]
    if isinstance(model.model_, Ensemble):
        ids = [m["trial_id"] for m in model.ensemble_]
        single = model.model_.members[ids.index(best_id)][1] if best_id in ids else None
    else:
        single = model.model_  # no ensemble was built: both are the single best
    all_classes = data["all_classes"]

    def score(fitted: Any) -> float:
        if classif:
            output = np.asarray(fitted.predict_proba(frame), dtype=float)
            return bench._score(task, y_te, model.classes_, output, all_classes)
        return bench._score(task, y_te, None, np.asarray(fitted.predict(frame)).ravel(), None)

    predict = (lambda m: m.predict_proba) if classif else (lambda m: m.predict)
    result = {
        "task": task, "n_rows": data["n_rows"], "metric": bench.METRIC_FOR_TASK[task],
        "ensemble_score": score(model.model_), "members": len(model.ensemble_),
        "ensemble_latency_ms": _latency_ms(predict(model.model_), frame),
        "ensemble_bytes": len(pickle.dumps(model.model_)), "fit_time": fit_time,
        "n_trials": len(model.trials_), "refit": model.refit_, "status": "ok",
    }
    if single is not None:
        result.update(single_score=score(single),
                      single_latency_ms=_latency_ms(predict(single), frame),
                      single_bytes=len(pickle.dumps(single)))
    return result


def run_all(args: argparse.Namespace) -> None:
    selection = argparse.Namespace(datasets=args.datasets, max_rows=args.max_rows, tasks=None,
                                   exclude_smoke=False)
    datasets = list(bench.select_datasets(selection)["name"])
    done = pinned.done_specs(OUT, ["dataset", "seed", "budget"])
    specs = [{"dataset": d, "seed": int(s), "budget": args.budget,
              "ensemble_size": args.ensemble_size}
             for s in args.seeds.split(",") for d in datasets
             if (d, s, str(float(args.budget))) not in done]
    pinned.run_pinned(Path(__file__), specs, out=OUT, columns=COLUMNS, parallel=args.parallel,
                      timeout=args.budget * 3 + 60)


def write_table(budget: float) -> None:
    import numpy as np
    import pandas as pd

    runs = pd.read_csv(OUT)
    runs = runs[(runs["status"] == "ok") & (runs["budget"] == budget)].copy()
    if runs.empty:
        print("no results yet")
        return
    lower = runs["metric"].isin(["log_loss", "rmse"])
    diff = np.where(lower, runs["single_score"] - runs["ensemble_score"],
                    runs["ensemble_score"] - runs["single_score"])
    runs["better"] = np.where(diff > 1e-12, "yes", np.where(diff < -1e-12, "no", "tie"))
    wins, ties, losses = (int((runs["better"] == v).sum()) for v in ("yes", "tie", "no"))
    lines = [
        f"# Ensemble vs single best trial at time_budget={budget:g} s",
        "",
        f"Generated by `benchmarks/ensemble.py` (ensemble_size={int(runs['ensemble_size'].iloc[0])}, "
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
            f"{r.ensemble_bytes / 1024:.0f} / {r.single_bytes / 1024:.0f} |")
    TABLE.write_text("\n".join(lines) + "\n")
    print(f"wrote {TABLE}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", default="all")
    parser.add_argument("--max-rows", type=int, default=20_000)
    parser.add_argument("--budget", type=float, default=60)
    parser.add_argument("--seeds", default="0")
    parser.add_argument("--ensemble-size", type=int, default=25)
    parser.add_argument("--parallel", type=int, default=2)
    parser.add_argument("--table-only", action="store_true")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        try:
            print(json.dumps(run_one(json.loads(args.one)), default=float))
        except Exception as error:  # noqa: BLE001 - recorded as a crashed run
            print(json.dumps({"status": "crashed", "error": f"{type(error).__name__}: {error}"}))
        return
    if not args.table_only:
        run_all(args)
    write_table(args.budget)


if __name__ == "__main__":
    main()
