#!/usr/bin/env python
"""Compare the search strategies (``bo``, ``random``, ``evolution``) at the same time budget.

Usage (from the repo root)::

    AUTOML_DATASETS=/path/to/datasets python benchmarks/strategies.py --max-rows 20000 \\
        --budget 60 --seeds 0,1,2 --parallel 2
    python benchmarks/strategies.py --table-only

Every (dataset, seed, strategy) is one ``AutoMLClassifier``/``AutoMLRegressor`` fit in its own
child process on the same fixed 75/25 split as ``benchmarks/run.py``, scored on the 25 % test
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
"""

from __future__ import annotations

import argparse
import importlib.util
import json
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
_spec.loader.exec_module(bench)  # the scoring and dataset helpers of run.py
_spec = importlib.util.spec_from_file_location("benchmark_pinned", HERE / "pinned.py")
pinned = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(pinned)

STRATEGIES = ("bo", "random", "evolution")
OUT = REPO / "benchmarks" / "results" / "strategies.csv"
CURVES = REPO / "benchmarks" / "results" / "strategies_curves.jsonl"
TABLE = REPO / "benchmarks" / "STRATEGIES.md"
COLUMNS = ["dataset", "task", "n_rows", "seed", "strategy", "budget", "metric", "score",
           "status", "fit_time", "n_trials", "best_val_loss", "error", "git_rev", "timestamp"]


# ------------------------------------------------------------------ child: one fit


def run_one(spec: dict[str, Any]) -> dict[str, Any]:
    from automl import AutoMLClassifier, AutoMLRegressor

    data = pinned.split(spec["dataset"], int(spec["seed"]))
    task, classif, seed = data["task"], data["classif"], int(spec["seed"])
    X_tr, X_te, y_tr, y_te = data["X_tr"], data["X_te"], data["y_tr"], data["y_te"]
    cls = AutoMLClassifier if classif else AutoMLRegressor
    model = cls(time_budget=spec["budget"], n_jobs=1, strategy=spec["strategy"], history=None,
                warm_start=bench.unseen_metabase(spec["dataset"]),
                ensemble_size=1, random_state=seed, verbose=0)  # the search alone
    started = time.perf_counter()
    model.fit(X_tr, y_tr)
    fit_time = time.perf_counter() - started
    if classif:
        output, classes = model.predict_proba(X_te), model.classes_
    else:
        output, classes = model.predict(X_te), None
    score = bench._score(task, y_te, classes, output, data["all_classes"])
    trials = [
        {"end": t["started"] + t["duration"], "loss": t["loss"], "status": t["status"],
         "fidelity": t["fidelity"], "model": t["model"]}
        for t in model.trials_
    ]
    finite = [t["loss"] for t in trials if t["status"] == "ok" and t["fidelity"] == 1.0]
    return {
        "task": task, "n_rows": data["n_rows"], "metric": bench.METRIC_FOR_TASK[task], "score": score,
        "status": "ok", "fit_time": fit_time, "n_trials": len(trials),
        "best_val_loss": min(finite) if finite else None, "trials": trials,
    }


# ------------------------------------------------------------------ parent


def run_all(args: argparse.Namespace) -> None:
    selection = argparse.Namespace(datasets=args.datasets, max_rows=args.max_rows, tasks=None,
                                   exclude_smoke=False)
    datasets = list(bench.select_datasets(selection)["name"])
    done = pinned.done_specs(OUT, ["dataset", "seed", "strategy", "budget"])
    specs = [{"dataset": d, "seed": int(s), "strategy": st, "budget": args.budget}
             for s in args.seeds.split(",") for d in datasets for st in args.strategies.split(",")
             if (d, s, st, str(float(args.budget))) not in done]

    def save_curve(spec: dict[str, Any], result: dict[str, Any]) -> None:
        trials = result.pop("trials", None)
        if trials is not None:
            with CURVES.open("a") as f:
                f.write(json.dumps({**spec, "trials": trials}) + "\n")

    pinned.run_pinned(Path(__file__), specs, out=OUT, columns=COLUMNS, parallel=args.parallel,
                      timeout=args.budget * 3 + 60, on_result=save_curve)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", default="all")
    parser.add_argument("--max-rows", type=int, default=20_000)
    parser.add_argument("--budget", type=float, default=60)
    parser.add_argument("--seeds", default="0")
    parser.add_argument("--strategies", default=",".join(STRATEGIES))
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
    spec = importlib.util.spec_from_file_location("strategy_tables", HERE / "strategy_tables.py")
    tables = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tables)
    tables.write_outputs(OUT, CURVES, TABLE, HERE, budget=args.budget)


if __name__ == "__main__":
    main()
