"""The product benchmark: automl against default LightGBM, HistGradientBoosting and FLAML.

Usage (from the repo root; see benchmarks/README.md for details)::

    AUTOML_DATASETS=/path/to/datasets python -m benchmarks.run --datasets all --budget 60
    python -m benchmarks.run --table-only      # rebuild the markdown table from the CSV

For every (dataset, seed) there is one fixed 75/25 split (stratified for classification). Every
(dataset, seed, system) is fitted and scored in a fresh child process (``benchmarks.isolation``:
peak memory measured from outside; a crash or a hang, killed at ``budget*3+60`` s, loses only
that run). The systems are defined in ``benchmarks.systems``.

Rows are appended to the CSV one at a time; a rerun skips every (dataset, seed, system, budget,
n_jobs) that already has an ``ok`` row, so an interrupted benchmark resumes where it stopped and
failed runs are retried. The markdown table is written by ``benchmarks.results_tables``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import os
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

from benchmarks import common
from benchmarks.isolation import RunSpec, run_child, run_one
from benchmarks.results_tables import over_limit_threshold, write_table
from benchmarks.systems import SYSTEMS

DEFAULT_OUT = common.RESULTS / "results.csv"
DEFAULT_TABLE = common.BENCHMARKS / "RESULTS.md"
# a run; an ok row means it is done
KEY = ("dataset", "seed", "system", "budget", "n_jobs", "omp_wait_policy")
COLUMNS = [
    "dataset",
    "task",
    "n_rows",
    "n_features",
    "n_train",
    "n_test",
    "seed",
    "system",
    "budget",
    "n_jobs",
    "omp_wait_policy",
    "metric",
    "score",
    "status",
    "fit_time",
    "overrun",
    "over_limit",
    "predict_time",
    "peak_rss_mb",
    "base_rss_mb",
    "wall_time",
    "n_trials",
    "best_score",
    "best_config",
    "notes",
    "error",
    "git_rev",
    "timestamp",
    "peak_pss_mb",
    "final_model",
]
log = common.log


def hard_timeout(budget: float) -> float:
    """Wall-clock limit of one child process; past it the process tree is killed."""
    return budget * 3 + 60


def _csv_value(v: Any) -> Any:
    """Floats rounded to 6 decimals; None and NaN as empty cells."""
    if v is None:
        return ""
    if isinstance(v, float):
        return "" if math.isnan(v) else repr(round(v, 6)) if abs(v) < 1e15 else repr(v)
    return v


def resolve_systems(names: list[str]) -> tuple[list[str], list[str]]:
    """The systems to run, and notes on those skipped (an optional package is missing)."""
    bad = [s for s in names if s not in SYSTEMS]
    if bad:
        raise SystemExit(f"error: unknown system(s) {bad}; choose from {', '.join(SYSTEMS)}")
    systems, notes = [], []
    for name in names:
        system = SYSTEMS[name]
        if system.requires is not None:
            python = common.interpreter(system.peer)
            check = subprocess.run(
                [python, "-c", f"import {system.requires}"], capture_output=True, text=True
            )
            if check.returncode != 0:
                error = (check.stderr.strip().splitlines() or ["?"])[-1]
                notes.append(
                    f"{name} skipped: {system.requires} not importable by {python} ({error}); "
                    "build its peer environment with ../shared/peers/setup_peers.sh or "
                    '`pip install ".[benchmark]"`'
                )
                continue
        systems.append(name)
    if "automl" in systems:
        try:
            from automl import AutoMLClassifier, AutoMLRegressor  # noqa: F401
        except Exception as exc:  # noqa: BLE001
            raise SystemExit(
                f"error: cannot import AutoMLClassifier/AutoMLRegressor from "
                f"automl ({type(exc).__name__}: {exc})"
            ) from None
    for n in notes:
        log(f"note: {n}")
    return systems, notes


def resolve_data_dir(data_dir: str | None) -> None:
    """The loader reads $AUTOML_DATASETS; children inherit it."""
    if data_dir:
        os.environ["AUTOML_DATASETS"] = str(Path(data_dir).resolve())
    elif not os.environ.get("AUTOML_DATASETS"):
        guess = common.REPO.parent / "shared" / "datasets"
        if guess.is_dir():
            os.environ["AUTOML_DATASETS"] = str(guess)
            log(f"note: AUTOML_DATASETS not set; using {guess}")
        else:
            raise SystemExit(
                "error: set AUTOML_DATASETS (or pass --data-dir) to the folder "
                "holding <name>.csv.gz and <name>.json"
            )


def run_benchmark(
    args: argparse.Namespace, datasets: Any, systems: list[str], seeds: list[int]
) -> None:
    out = Path(args.out)
    common.prepare_csv(out, COLUMNS)
    done = common.done_keys(out, KEY)
    rev = common.git_rev()
    logs_dir = out.parent / "logs"
    plan = [
        RunSpec(d.name, seed, system, args.budget, args.n_jobs, args.omp_wait_policy)
        for d in datasets.itertuples()
        for seed in seeds
        for system in systems
    ]
    todo = [spec for spec in plan if common.row_key(vars(spec), KEY) not in done]
    log(
        f"benchmark: {len(datasets)} datasets x {len(seeds)} seeds x {len(systems)} systems = "
        f"{len(plan)} runs; {len(plan) - len(todo)} already done in {out}; {len(todo)} to run "
        f"(budget {args.budget:g} s, n_jobs {args.n_jobs})"
    )
    by_name = datasets.set_index("name", drop=False)
    for i, spec in enumerate(todo, 1):
        d = by_name.loc[spec.dataset]
        log_path = logs_dir / (
            f"{spec.dataset}__seed{spec.seed}__{spec.system}__b{args.budget:g}__j{args.n_jobs}"
            f"{'__omp' + args.omp_wait_policy if args.omp_wait_policy else ''}.log"
        )
        log(
            f"[{i}/{len(todo)}] {spec.dataset} ({d.task}, {d.n_rows} rows) seed={spec.seed} "
            f"{spec.system} ..."
        )
        res = run_child(spec, log_path, hard_timeout(args.budget))
        now = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
        row: dict[str, Any] = {
            "dataset": spec.dataset,
            "task": d.task,
            "n_rows": int(d.n_rows),
            "seed": spec.seed,
            "system": spec.system,
            "budget": float(args.budget),
            "n_jobs": args.n_jobs,
            "omp_wait_policy": args.omp_wait_policy,
            "metric": common.METRIC_FOR_TASK[d.task],
            "git_rev": rev,
            "timestamp": now,
        }
        row.update({k: v for k, v in res.items() if k in COLUMNS and v is not None})
        if "n_features" not in row and "n_features" in d:
            row["n_features"] = int(d.n_features)
        fit_time = row.get("fit_time")
        if row["status"] == "timeout":
            row["over_limit"] = True
        elif fit_time is not None:
            row["overrun"] = fit_time - args.budget
            row["over_limit"] = bool(fit_time > over_limit_threshold(args.budget))
        common.append_row(out, COLUMNS, {k: _csv_value(row.get(k)) for k in COLUMNS})
        if row["status"] == "ok":
            extra = f" trials={row['n_trials']}" if row.get("n_trials") is not None else ""
            over = row.get("over_limit") and SYSTEMS[spec.system].budgeted
            log(
                f"    ok {row['metric']}={row['score']:.5g} fit={fit_time:.1f}s "
                f"predict={row.get('predict_time', float('nan')):.2f}s "
                f"peak={row.get('peak_rss_mb') or float('nan'):.0f}MB{extra}"
                f"{'  OVER LIMIT' if over else ''}"
            )
        else:
            log(f"    {row['status'].upper()}: {row.get('error', '')[:300]}  (log: {log_path})")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m benchmarks.run",
        description="Benchmark automl against default LightGBM, HistGradientBoosting and FLAML.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument("--datasets", default="all", help="'all' or comma-separated names")
    p.add_argument(
        "--max-rows",
        type=int,
        default=20000,
        help="with --datasets all: skip datasets with more rows (0 = no limit)",
    )
    p.add_argument(
        "--tasks", default=",".join(common.TASKS), help="with --datasets all: tasks to keep"
    )
    p.add_argument(
        "--exclude-smoke",
        action="store_true",
        help="with --datasets all: drop the trivially solved smoke-test datasets",
    )
    p.add_argument("--budget", type=float, default=60.0, help="time budget (s) of automl/flaml")
    p.add_argument("--n-jobs", type=int, default=2)
    p.add_argument(
        "--omp-wait-policy",
        default="",
        choices=["", "PASSIVE", "ACTIVE"],
        help="OMP_WAIT_POLICY for every system's process (default: the environment's)",
    )
    p.add_argument("--seeds", default="0", help="comma-separated split/model seeds")
    p.add_argument("--systems", default=",".join(SYSTEMS))
    p.add_argument("--out", default=str(DEFAULT_OUT), help="results CSV (appended to)")
    p.add_argument("--table", default=str(DEFAULT_TABLE), help="markdown table to write")
    p.add_argument("--table-only", action="store_true", help="only rebuild the table from --out")
    p.add_argument("--data-dir", default=None, help="datasets folder (default: $AUTOML_DATASETS)")
    p.add_argument("--list", action="store_true", help="print the selected datasets and exit")
    p.add_argument("--one", default=None, help=argparse.SUPPRESS)
    p.add_argument("--result-file", default=None, help=argparse.SUPPRESS)
    args = p.parse_args(argv)

    if args.one is not None:
        return run_one(RunSpec.from_json(args.one), args.result_file)

    if args.budget <= 0 or args.n_jobs == 0:
        raise SystemExit("error: --budget must be > 0 and --n-jobs non-zero")
    try:
        seeds = [int(s) for s in common.comma_list(args.seeds)]
    except ValueError:
        raise SystemExit(
            f"error: --seeds must be comma-separated integers, got {args.seeds!r}"
        ) from None
    if not seeds:
        raise SystemExit("error: no seeds given")
    resolve_data_dir(args.data_dir)
    datasets = common.select_datasets(
        args.datasets,
        max_rows=args.max_rows,
        tasks=common.comma_list(args.tasks),
        exclude_smoke=args.exclude_smoke,
    )
    if datasets.empty:
        raise SystemExit("error: no dataset selected")
    if args.list:
        print(datasets[["name", "task", "n_rows", "n_features"]].to_string(index=False))
        return 0

    if args.table_only:
        systems, notes = common.comma_list(args.systems), []
    else:
        systems, notes = resolve_systems(common.comma_list(args.systems))
        if not systems:
            raise SystemExit("error: no system left to run")
        try:
            run_benchmark(args, datasets, systems, seeds)
        except KeyboardInterrupt:
            log("interrupted: rows written so far are kept; rerun the same command to resume")
            return 130

    if not args.table_only:  # a system not runnable here still shows the rows it has
        requested = common.comma_list(args.systems)
        recorded = {system for (system,) in common.done_keys(Path(args.out), ["system"])}
        systems = [s for s in requested if s in systems or s in recorded]
    command = "python -m benchmarks.run " + " ".join(
        shlex.quote(a) for a in (sys.argv[1:] if argv is None else argv)
    )
    summary = write_table(
        csv_path=Path(args.out),
        table_path=Path(args.table),
        datasets=datasets,
        seeds=seeds,
        systems=systems,
        budget=args.budget,
        n_jobs=args.n_jobs,
        command=command.rstrip(),
        notes=notes,
        git_rev=common.git_rev(),
    )
    log(summary)
    log(f"table written to {args.table}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
