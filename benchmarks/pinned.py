"""Benchmarks whose runs are child processes pinned to one core each (``taskset``).

A script has a hidden ``--one SPEC`` mode that runs one spec and prints its result as a JSON
line; ``run_pinned`` starts it once per spec not yet done, ``parallel`` at a time, and appends
one CSV row per finished child, so an interrupted benchmark resumes.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from threading import Lock
from typing import Any

from benchmarks.common import (
    REPO,
    append_row,
    child_env,
    comma_list,
    done_keys,
    git_rev,
    log,
    prepare_csv,
    row_key,
)


def run_pinned(
    module: str,
    specs: Iterable[dict[str, Any]],
    *,
    out: Path,
    columns: list[str],
    key: Sequence[str],
    parallel: int,
    timeout: float,
    on_result: Callable[[dict[str, Any], dict[str, Any]], None] | None = None,
) -> None:
    """Run ``python -m module --one SPEC`` for every spec whose ``key`` has no ``ok`` row in
    ``out`` yet, ``parallel`` at a time, each on its own core; append a row per finished run.

    The child prints its result as a JSON line (``print_child_result``)."""
    done = done_keys(out, key)
    specs = [s for s in specs if row_key(s, key) not in done]
    log(f"{len(specs)} runs to do")
    prepare_csv(out, columns)
    lock, free, rev = Lock(), list(range(parallel)), git_rev()

    def work(spec: dict[str, Any]) -> None:
        with lock:
            core = free.pop()
        started = time.time()
        command = [
            "taskset",
            "-c",
            str(core),
            sys.executable,
            "-m",
            module,
            "--one",
            json.dumps(spec),
        ]
        try:
            proc = subprocess.run(
                command, capture_output=True, text=True, env=child_env(), cwd=REPO, timeout=timeout
            )
            lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
            result = (
                json.loads(lines[-1])
                if lines
                else {"status": "crashed", "error": proc.stderr[-500:]}
            )
        except subprocess.TimeoutExpired:
            result = {"status": "timeout", "error": "hard timeout"}
        finally:
            with lock:
                free.append(core)
        with lock:
            if on_result is not None:
                on_result(spec, result)
            row = {
                **spec,
                **result,
                "git_rev": rev,
                "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S"),
            }
            append_row(out, columns, row)
            summary = {
                k: row.get(k)
                for k in ("status", "score", "ensemble_score", "single_score", "n_trials")
                if k in row
            }
            log(f"{spec} -> {summary} ({time.time() - started:.0f}s)")

    with ThreadPoolExecutor(parallel) as pool:
        list(pool.map(work, specs))


def hard_timeout(budget: float) -> float:
    """Seconds after which a child fitting with ``budget`` is killed: three budgets and five
    minutes (start-up, the final model and the checkpoint refits come on top of the search)."""
    return budget * 3 + 300


def run_grid(
    module: str,
    args: argparse.Namespace,
    variants: Sequence[str],
    *,
    out: Path,
    columns: list[str],
    key: Sequence[str],
) -> None:
    """``run_pinned`` over every seed (``--seeds``), dataset (``--datasets``) and variant,
    killing a child after ``hard_timeout``."""
    specs = [
        {"dataset": name, "variant": variant, "seed": seed, "budget": args.budget}
        for seed in [int(s) for s in comma_list(args.seeds)]
        for name in comma_list(args.datasets)
        for variant in variants
    ]
    run_pinned(
        module,
        specs,
        out=out,
        columns=columns,
        key=key,
        parallel=args.parallel,
        timeout=hard_timeout(args.budget),
    )


def print_child_result(run_one: Callable[[dict[str, Any]], dict[str, Any]], spec: str) -> None:
    """The hidden ``--one SPEC`` mode: run one spec, print its result as a JSON line."""
    try:
        print(json.dumps(run_one(json.loads(spec)), default=float))
    except Exception as error:  # noqa: BLE001 - recorded as a crashed run
        print(json.dumps({"status": "crashed", "error": f"{type(error).__name__}: {error}"}))


def pinned_parser(module: str, doc: str, *, budget: float) -> argparse.ArgumentParser:
    """The command line of a ``run_pinned`` benchmark: its own options are added to this."""
    parser = argparse.ArgumentParser(prog=f"python -m {module}", description=doc.splitlines()[0])
    parser.add_argument("--budget", type=float, default=budget)
    parser.add_argument("--parallel", type=int, default=2)
    parser.add_argument("--table-only", action="store_true")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    return parser


def add_selection_arguments(
    parser: argparse.ArgumentParser, *, max_rows: int | None = 20_000
) -> None:
    """``--datasets`` (``all`` or names), ``--max-rows`` and ``--seeds``."""
    parser.add_argument("--datasets", default="all")
    parser.add_argument("--max-rows", type=int, default=max_rows)
    parser.add_argument("--seeds", default="0")


def pinned_main(
    parser: argparse.ArgumentParser,
    *,
    run_one: Callable[[dict[str, Any]], dict[str, Any]],
    run_all: Callable[[argparse.Namespace], None],
    write_tables: Callable[[argparse.Namespace], None],
) -> None:
    """The hidden ``--one`` mode; else run what is missing (unless ``--table-only``) and write
    the tables."""
    args = parser.parse_args()
    if args.one:
        print_child_result(run_one, args.one)
        return
    if not args.table_only:
        run_all(args)
    write_tables(args)
