#!/usr/bin/env python
"""Would a stronger pool of configurations let the warm start win early? An enlarged-pool replay.

Usage (from the repo root; resumable, about 15 minutes on 2 cores the first time)::

    AUTOML_DATASETS=/path/to/datasets python benchmarks/warmstart_pool.py --parallel 2

The shipped metabase's configurations come from 40 s searches, and most are near the LightGBM
default that the cold search runs second anyway. This script asks what a pool with more cheap,
strong alternatives would change. It copies the shipped metabase into ``--out``, adds
``PROBES`` (hand-written variants of the LightGBM, XGBoost and histogram-boosting defaults, each
well under a second on mid-sized data, for both task groups), measures them on every dataset
with the metabase build's own ``evaluate`` step (same rows, resampling and per-trial limit as
the shipped matrix; one pinned core per process), and replays the first trials with
``benchmarks/warmstart_replay.py`` on the shipped and on the enlarged metabase. The probes are
marked found on ``(probe)``, so leaving a dataset out never removes them.

Besides the replay (warm wins at 10 % of the budget for each chooser), a second table says how
often the best one-size-fits-all first pick of each pool finishes in time and beats the cold
start's result at 10 % of the budget: to do much better, a chooser must use the dataset.

Writes ``benchmarks/WARMSTART_POOL.md``; the working folder (``--out``, default
``benchmarks/results/probe_pool/``) is not versioned.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import sys
import warnings
from pathlib import Path
from typing import Any

import pandas as pd

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

TABLE = HERE / "WARMSTART_POOL.md"
PROBE_ORIGIN = "(probe)"
# Changes from each family's default. Chosen before any result: faster or more regularized
# versions of the boosting defaults (fewer or smaller trees, column subsampling, shrinkage with
# more rounds), the kind of cheap alternative a 40 s search rarely reaches.
PROBES: dict[str, list[dict[str, Any]]] = {
    "lightgbm": [
        {"n_estimators": 50, "learning_rate": 0.2},
        {"num_leaves": 15},
        {"num_leaves": 15, "min_child_samples": 5},
        {"n_estimators": 200, "num_leaves": 15, "colsample": 0.7},
        {"num_leaves": 63, "min_child_samples": 10},
        {"n_estimators": 150, "colsample": 0.5, "subsample": 0.8},
        {"n_estimators": 300, "learning_rate": 0.05, "num_leaves": 15, "colsample": 0.7},
        {"n_estimators": 30, "learning_rate": 0.3, "num_leaves": 15},
        {"num_leaves": 7, "learning_rate": 0.2},
        {"n_estimators": 200, "learning_rate": 0.05, "min_child_samples": 10, "colsample": 0.8},
        {"reg_lambda": 1.0, "min_child_samples": 10, "colsample": 0.7},
        {"n_estimators": 500, "learning_rate": 0.03, "num_leaves": 15, "colsample": 0.7},
        {"colsample": 0.5},
    ],
    "xgboost": [
        {"learning_rate": 0.1, "colsample": 0.8},
        {"n_estimators": 50, "max_depth": 4},
    ],
    "hist_gradient_boosting": [
        {"max_iter": 200, "max_leaf_nodes": 15},
    ],
}


def _module(name: str, file: str) -> Any:
    spec = importlib.util.spec_from_file_location(name, HERE / file)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def probe_candidates() -> dict[str, dict[str, Any]]:
    """The probes as metabase candidates, per task group, completed for the space."""
    from automl.space import PipelineSpace
    from metalearning.metabase import config_id

    out: dict[str, dict[str, Any]] = {}
    for task, group in (("binary", "classification"), ("regression", "regression")):
        space = PipelineSpace(task, 1000)  # a size at which every family is offered
        for family, changes in PROBES.items():
            for change in changes:
                config = space.default_config(family)
                config.update({f"{family}:{k}": v for k, v in change.items()})
                config = space.complete(config)
                out[config_id(config, group)] = {"config": config, "task_group": group,
                                                 "found_on": [PROBE_ORIGIN]}
    return out


def enlarged_metabase(args: argparse.Namespace) -> Any:
    """Copy the shipped metabase, add the probes, evaluate what is missing, assemble."""
    from metalearning import build
    from metalearning.metabase import default_metabase_path

    out = Path(args.out)
    if not (out / "candidates.json").is_file():
        shutil.copytree(default_metabase_path(), out, dirs_exist_ok=True)
    candidates = json.loads((out / "candidates.json").read_text())
    for cid, entry in probe_candidates().items():
        candidates.setdefault(cid, entry)
    (out / "candidates.json").write_text(json.dumps(candidates, indent=1, sort_keys=True))
    searches = {p.stem: json.loads(p.read_text())
                for p in sorted((out / "searches").glob("*.json"))}
    todo = [n for n, s in searches.items()
            if build._missing_evaluations(out, n, s["task"], candidates)]
    recorded = json.loads((out / "build.json").read_text())["parameters"]
    forwarded = argparse.Namespace(**{**recorded, "parallel": args.parallel})
    print(f"evaluating the probes on {len(todo)} dataset(s)", flush=True)
    build._run_all("evaluate", todo, forwarded, Path(args.datasets), out)
    return build._assemble(out, searches, candidates)


def best_fixed_share(metabase: Any, replay: Any, budget: float, startup: float,
                     warm_extra: float) -> float:
    """Share of datasets on which one fixed first pick (the configuration of the pool, the same
    for every dataset of a task group, that does this most often: chosen with hindsight) both
    finishes by 10 % of ``budget`` and beats the cold start's best loss by then: what the
    best one-size-fits-all first trial would do."""
    from metalearning.metabase import task_group

    checkpoint = replay.CHECKPOINT * budget
    wins: dict[str, dict[str, bool]] = {}
    for dataset in metabase.datasets:
        _, group, measured, cold = replay.cold_result(metabase, dataset, checkpoint, startup, 1.0)
        wins[dataset] = {}
        for cid, entry in metabase.configurations.items():
            if entry["task_group"] != group or cid not in measured.index:
                continue
            warm = replay.best_by(replay.timeline([entry["config"]], measured, group,
                                                  startup + warm_extra, 1.0), checkpoint)
            wins[dataset][cid] = bool(warm is not None and cold is not None
                                      and warm < cold - 1e-12)
    frame = pd.DataFrame(wins).T.fillna(False).astype(bool)  # dataset x configuration
    groups = metabase.metafeatures["task"].map(task_group)
    best = 0
    for group in groups.unique():
        rows = [d for d in frame.index if groups[d] == group]
        columns = [c for c in frame.columns if metabase.configurations[c]["task_group"] == group]
        best += int(frame.loc[rows, columns].sum().max())
    return best / len(frame)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default_datasets = str(REPO.parent / "shared" / "datasets")
    parser.add_argument("--datasets", default=os.environ.get("AUTOML_DATASETS", default_datasets))
    parser.add_argument("--out", default=str(HERE / "results" / "probe_pool"))
    parser.add_argument("--parallel", type=int, default=2)
    parser.add_argument("--budgets", default="30,60")
    parser.add_argument("--startup", type=float, default=2.4)
    parser.add_argument("--warm-extra", type=float, default=0.3)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    from metalearning.metabase import load_metabase

    replay = _module("warmstart_replay", "warmstart_replay.py")
    tables = replay._strategy_tables()
    pools = {"shipped": load_metabase(), "shipped + probes": enlarged_metabase(args)}
    options = argparse.Namespace(startup=args.startup, warm_extra=args.warm_extra,
                                 time_scale=1.0, datasets="")
    frames, fixed = [], []
    for name, metabase in pools.items():
        for budget in (float(b) for b in args.budgets.split(",")):
            table = replay.summary(replay.replay(metabase, budget, options))
            table.insert(0, "pool", f"{name} ({len(metabase.configurations)})")
            frames.append(table)
            fixed.append({"pool": name, "budget (s)": f"{budget:g}",
                          "one fixed first pick wins (share of datasets)":
                          best_fixed_share(metabase, replay, budget, args.startup,
                                           args.warm_extra)})
        print(f"replayed the {name} pool", flush=True)
    text = "\n".join([
        "# Warm start with an enlarged pool: offline replay, leave one dataset out",
        "",
        f"Generated by `python benchmarks/warmstart_pool.py --parallel {args.parallel}`. The "
        f"shipped metabase, then the same plus {len(probe_candidates())} probe configurations "
        "measured on every dataset by the build's `evaluate` step (see the script's docstring). "
        f"Outcome at 10 % of the budget by validation loss on the target; start-up "
        f"{args.startup:g} s, warm set-up {args.warm_extra:g} s more. The pool size (in "
        "brackets) counts configurations of both task groups. Choosers as in "
        "`benchmarks/warmstart_replay.py`.",
        "",
        tables.markdown(pd.concat(frames, ignore_index=True)),
        "",
        "How often one fixed first pick (per task group, the configuration of the pool that "
        "does this most often, chosen with hindsight) finishes by 10 % of the budget and beats "
        "the cold start's result there. The `portfolio` chooser can beat it by fitting more than "
        "one configuration in the window:",
        "",
        tables.markdown(pd.DataFrame(fixed)),
        "",
    ])
    TABLE.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
