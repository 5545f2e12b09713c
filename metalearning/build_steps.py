"""The metabase build's work on one dataset, run in a child process of ``metalearning.build``:
phase 1 searches it, phase 2 evaluates the candidate configurations on it. Each writes its
result file atomically, so an interrupted build resumes where it stopped.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from metalearning.metabase import config_id, default_metabase_path, task_group
from metalearning.tasks import read_task_list


def _load(args: argparse.Namespace) -> Any:
    from automl.datasets import read_dataset

    if args.tasks:
        listed = {t.name: t for t in read_task_list(args.tasks)}
        if args.name in listed:
            return listed[args.name].load()
    datasets, _ = folders(args)
    if datasets is None:
        raise SystemExit(f"{args.name} is not in {args.tasks} and no datasets folder is given")
    return read_dataset(datasets, args.name)


def _estimator(task: str, **params: Any) -> Any:
    from automl import AutoMLClassifier, AutoMLRegressor

    cls = AutoMLRegressor if task == "regression" else AutoMLClassifier
    settings = {
        "warm_start": None,
        "history": None,
        "n_jobs": 1,
        "strategy": "bo",
        "ensemble_size": 1,
        **params,
    }
    return cls(**settings)


def _write_atomic(path: Path, text: str) -> None:
    partial = path.with_suffix(path.suffix + ".partial")
    partial.write_text(text)
    partial.replace(path)


def search_one(args: argparse.Namespace, *, search: bool = True) -> int:
    """Phase 1 on one dataset: its meta-features, and (``search``) its best configurations."""
    from automl.metafeatures import compute_metafeatures

    _, out = folders(args)
    data = _load(args)
    started = time.time()
    model = None
    if search:
        model = _estimator(data.task, time_budget=args.search_budget, random_state=args.seed)
        model.fit(data.X, data.y)
    seconds = time.time() - started
    trials = [] if model is None else model.trials_
    trials = [t for t in trials if t["status"] == "ok" and t["fidelity"] == 1.0]
    trials.sort(key=lambda t: (t["loss"], t["trial_id"]))
    kept, seen = [], set()
    for trial in trials:
        cid = config_id(trial["config"])
        if cid not in seen:
            seen.add(cid)
            kept.append(
                {
                    "config": trial["config"],
                    "loss": trial["loss"],
                    "score": trial["score"],
                    "trial_id": trial["trial_id"],
                }
            )
        if len(kept) == args.top:
            break
    metafeatures = compute_metafeatures(
        data.X,
        data.y.to_numpy(),
        data.task,
        categorical=data.categorical_columns,
        random_state=args.seed,
    )
    record = {
        "dataset": args.name,
        "task": data.task,
        "searched": search,
        "metric": None if model is None else model.metric_,
        "rows": int(len(data.y)),
        "seconds": round(seconds, 1),
        "n_trials": 0 if model is None else len(model.trials_),
        "best_score": None if model is None else model.best_score_,
        "configs": kept,
        "metafeatures": {k: (None if np.isnan(v) else v) for k, v in metafeatures.items()},
    }
    _write_atomic(out / "searches" / f"{args.name}.json", json.dumps(record, indent=1) + "\n")
    if model is None:
        print(f"described ({len(data.y)} rows)")
        return 0
    best = "none finished" if model.best_score_ is None else f"{model.best_score_:.4g}"
    print(f"{len(model.trials_)} trials in {seconds:.0f}s, best {model.metric_} {best}")
    return 0


def evaluate_one(args: argparse.Namespace) -> int:
    from sklearn.model_selection import train_test_split

    _, out = folders(args)
    candidates = json.loads((out / "candidates.json").read_text())
    data = _load(args)
    missing = missing_evaluations(out, args.name, data.task, candidates)
    if not missing:
        print("nothing to do")
        return 0
    X, y = data.X, data.y
    resampling: Any = "auto"  # what a search on these rows would do
    if 0 < args.eval_rows < len(y):
        stratify = None if data.task == "regression" or y.value_counts().min() < 2 else y
        X, _, y, _ = train_test_split(
            X, y, train_size=args.eval_rows, stratify=stratify, random_state=args.seed
        )
        resampling = 3 if len(y) <= 1000 else "holdout"
    from automl.space import PipelineSpace
    from automl.warm_start import usable_config

    space = PipelineSpace(data.task, len(y))
    runnable = {cid: usable_config(candidates[cid]["config"], space) for cid in missing}
    configs = [c for c in runnable.values() if c is not None]
    by_config: dict[str, dict] = {}
    if configs:
        budget = len(configs) * args.eval_time_limit + 120  # never the binding limit
        model = _estimator(
            data.task,
            time_budget=budget,
            max_trials=len(configs),
            warm_start=configs,
            per_trial_time_limit=args.eval_time_limit,
            resampling=resampling,
            successive_halving=False,
            random_state=args.seed,
        )
        model.fit(X, y)
        by_config = {config_id(t["config"]): t for t in model.trials_}
    rows = []
    for cid, config in runnable.items():
        if config is None:  # this space cannot run it (e.g. a size-capped family)
            rows.append(
                {
                    "dataset": args.name,
                    "config_id": cid,
                    "loss": None,
                    "duration": 0.0,
                    "status": "unusable",
                }
            )
            continue
        trial = by_config.get(config_id(config))
        if trial is None:
            continue  # not run (interrupted): left missing, so a rerun evaluates it
        rows.append(
            {
                "dataset": args.name,
                "config_id": cid,
                "loss": trial["loss"] if trial["status"] == "ok" else None,
                "duration": round(trial["duration"], 3),
                "status": trial["status"],
            }
        )
    path = out / "evaluations" / f"{args.name}.csv"
    frame = pd.DataFrame(rows)
    if path.is_file():
        frame = pd.concat([pd.read_csv(path, dtype={"config_id": str}), frame], ignore_index=True)
    _write_atomic(path, frame.to_csv(index=False, float_format="%.6g"))
    failed = sum(r["status"] != "ok" for r in rows)
    print(f"{len(rows)} evaluations ({failed} failed) in {sum(r['duration'] for r in rows):.0f}s")
    return 0


def folders(args: argparse.Namespace) -> tuple[Path | None, Path]:
    """The datasets folder (None: the task list only) and the metabase folder."""
    out = Path(args.out) if args.out else default_metabase_path()
    if args.datasets == "":
        if not args.tasks:
            raise SystemExit("no datasets: give a datasets folder or --tasks FILE")
        return None, out
    datasets = Path(args.datasets or os.environ.get("AUTOML_DATASETS") or "../shared/datasets")
    if not datasets.is_dir():
        if args.tasks and args.datasets is None:  # the default folder, absent: the list only
            return None, out
        raise SystemExit(f"datasets folder {datasets} does not exist; pass --datasets DIR")
    return datasets, out


def missing_evaluations(
    out: Path, name: str, task: str, candidates: dict[str, dict[str, Any]]
) -> list[str]:
    wanted = [cid for cid, c in candidates.items() if c["task_group"] == task_group(task)]
    path = out / "evaluations" / f"{name}.csv"
    done = (
        set(pd.read_csv(path, dtype={"config_id": str})["config_id"]) if path.is_file() else set()
    )
    return [cid for cid in wanted if cid not in done]
