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
import csv
import importlib.util
import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from threading import Lock
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

_spec = importlib.util.spec_from_file_location("benchmark_run", HERE / "run.py")
bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench)  # the split, scoring and dataset helpers of run.py

STRATEGIES = ("bo", "random", "evolution")
OUT = REPO / "benchmarks" / "results" / "strategies.csv"
CURVES = REPO / "benchmarks" / "results" / "strategies_curves.jsonl"
TABLE = REPO / "benchmarks" / "STRATEGIES.md"
COLUMNS = ["dataset", "task", "n_rows", "seed", "strategy", "budget", "metric", "score",
           "status", "fit_time", "n_trials", "best_val_loss", "error", "git_rev", "timestamp"]


# ------------------------------------------------------------------ child: one fit


def run_one(spec: dict[str, Any]) -> dict[str, Any]:
    import numpy as np
    from sklearn.model_selection import train_test_split

    from automl import AutoMLClassifier, AutoMLRegressor
    from automl.datasets import load

    ds = load(spec["dataset"])
    X, y, task = ds.X, ds.y, ds.task
    seed = int(spec["seed"])
    classif = task != "regression"
    try:
        X_tr, X_te, y_tr, y_te = train_test_split(
            X, y, test_size=0.25, random_state=seed, stratify=y if classif else None)
    except ValueError:
        X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.25, random_state=seed)
    cls = AutoMLClassifier if classif else AutoMLRegressor
    model = cls(time_budget=spec["budget"], n_jobs=1, strategy=spec["strategy"],
                random_state=seed, verbose=0)
    started = time.perf_counter()
    model.fit(X_tr, y_tr)
    fit_time = time.perf_counter() - started
    if classif:
        output, classes = model.predict_proba(X_te), model.classes_
    else:
        output, classes = model.predict(X_te), None
    all_classes = np.unique(np.asarray(y)) if classif else None
    score = bench._score(task, y_te, classes, output, all_classes)
    trials = [
        {"end": t["started"] + t["duration"], "loss": t["loss"], "status": t["status"],
         "fidelity": t["fidelity"], "model": t["model"]}
        for t in model.trials_
    ]
    finite = [t["loss"] for t in trials if t["status"] == "ok" and t["fidelity"] == 1.0]
    return {
        "task": task, "n_rows": len(X), "metric": bench.METRIC_FOR_TASK[task], "score": score,
        "status": "ok", "fit_time": fit_time, "n_trials": len(trials),
        "best_val_loss": min(finite) if finite else None, "trials": trials,
    }


# ------------------------------------------------------------------ parent


def _done(path: Path) -> set[tuple[str, int, str, float]]:
    if not path.exists():
        return set()
    with path.open() as f:
        return {(r["dataset"], int(r["seed"]), r["strategy"], float(r["budget"]))
                for r in csv.DictReader(f) if r["status"] == "ok"}


def _git_rev() -> str:
    try:
        return subprocess.check_output(["git", "rev-parse", "--short", "HEAD"], cwd=REPO,
                                       text=True).strip()
    except Exception:  # noqa: BLE001
        return "unknown"


def run_all(args: argparse.Namespace) -> None:
    selection = argparse.Namespace(datasets=args.datasets, max_rows=args.max_rows, tasks=None,
                                   exclude_smoke=False)
    datasets = list(bench.select_datasets(selection)["name"])
    seeds = [int(s) for s in args.seeds.split(",")]
    strategies = args.strategies.split(",")
    done = _done(OUT)
    jobs = [(d, s, st) for s in seeds for d in datasets for st in strategies
            if (d, s, st, float(args.budget)) not in done]
    bench.log(f"{len(jobs)} runs to do ({len(done)} done already)")
    lock, rev = Lock(), _git_rev()
    free_cores = list(range(args.parallel))

    def work(job: tuple[str, int, str]) -> None:
        dataset, seed, strategy = job
        with lock:
            core = free_cores.pop()
        try:
            spec = {"dataset": dataset, "seed": seed, "strategy": strategy, "budget": args.budget}
            env = {**os.environ, "PYTHONPATH": str(REPO)}
            started = time.time()
            proc = subprocess.run(
                ["taskset", "-c", str(core), sys.executable, __file__, "--one", json.dumps(spec)],
                capture_output=True, text=True, env=env, timeout=args.budget * 3 + 60,
            )
            lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
            if proc.returncode == 0 and lines:
                result = json.loads(lines[-1])
            else:
                result = {"status": "crashed", "error": proc.stderr[-500:]}
        except subprocess.TimeoutExpired:
            result = {"status": "timeout", "error": "hard timeout"}
        finally:
            with lock:
                free_cores.append(core)
        trials = result.pop("trials", None)
        row = {**spec, **result, "git_rev": rev,
               "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S")}
        with lock:
            new = not OUT.exists()
            OUT.parent.mkdir(parents=True, exist_ok=True)
            with OUT.open("a", newline="") as f:
                writer = csv.DictWriter(f, COLUMNS, extrasaction="ignore")
                if new:
                    writer.writeheader()
                writer.writerow(row)
            if trials is not None:
                with CURVES.open("a") as f:
                    f.write(json.dumps({"dataset": dataset, "seed": seed, "strategy": strategy,
                                        "budget": args.budget, "trials": trials}) + "\n")
            bench.log(f"{dataset} seed {seed} {strategy}: {row.get('status')} "
                      f"score={row.get('score')} trials={row.get('n_trials')} "
                      f"({time.time() - started:.0f}s)")

    with ThreadPoolExecutor(args.parallel) as pool:
        list(pool.map(work, jobs))


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
