"""Shared plumbing of the benchmarks that run many fits two at a time, one core each.

``split`` gives the fixed 75/25 split of ``benchmarks/run.py`` for a (dataset, seed);
``run_pinned`` runs a script's hidden ``--one SPEC`` mode once per spec, each child pinned to
its own core (``taskset``), and appends one CSV row per finished child, so an interrupted
benchmark resumes where it stopped.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from threading import Lock
from typing import Any, Callable

REPO = Path(__file__).resolve().parent.parent


def split(dataset: str, seed: int) -> dict[str, Any]:
    import numpy as np
    from sklearn.model_selection import train_test_split

    from automl.datasets import load

    ds = load(dataset)
    classif = ds.task != "regression"
    try:
        X_tr, X_te, y_tr, y_te = train_test_split(
            ds.X, ds.y, test_size=0.25, random_state=seed, stratify=ds.y if classif else None)
    except ValueError:  # a class too small to stratify
        X_tr, X_te, y_tr, y_te = train_test_split(ds.X, ds.y, test_size=0.25, random_state=seed)
    return {"X_tr": X_tr, "X_te": X_te, "y_tr": y_tr, "y_te": y_te, "task": ds.task,
            "classif": classif, "n_rows": len(ds.X),
            "all_classes": np.unique(np.asarray(ds.y)) if classif else None}


def done_specs(path: Path, keys: list[str]) -> set[tuple[str, ...]]:
    """The key values of every ``ok`` row already in the CSV."""
    if not path.exists():
        return set()
    with path.open() as f:
        return {tuple(str(row[k]) for k in keys) for row in csv.DictReader(f)
                if row["status"] == "ok"}


def git_rev() -> str:
    result = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, text=True,
                            capture_output=True)
    return result.stdout.strip() or "unknown"


def run_pinned(
    script: Path,
    specs: list[dict[str, Any]],
    *,
    out: Path,
    columns: list[str],
    parallel: int,
    timeout: float,
    on_result: Callable[[dict[str, Any], dict[str, Any]], None] | None = None,
) -> None:
    """Run ``script --one SPEC`` for every spec, ``parallel`` at a time, each on its own core."""
    print(f"{len(specs)} runs to do", file=sys.stderr, flush=True)
    lock, free, rev = Lock(), list(range(parallel)), git_rev()

    def work(spec: dict[str, Any]) -> None:
        with lock:
            core = free.pop()
        started = time.time()
        try:
            proc = subprocess.run(
                ["taskset", "-c", str(core), sys.executable, str(script), "--one", json.dumps(spec)],
                capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(REPO)},
                timeout=timeout)
            lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
            result = json.loads(lines[-1]) if lines else {"status": "crashed",
                                                          "error": proc.stderr[-500:]}
        except subprocess.TimeoutExpired:
            result = {"status": "timeout", "error": "hard timeout"}
        finally:
            with lock:
                free.append(core)
        with lock:
            if on_result is not None:
                on_result(spec, result)
            row = {**spec, **result, "git_rev": rev,
                   "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S")}
            new = not out.exists()
            out.parent.mkdir(parents=True, exist_ok=True)
            with out.open("a", newline="") as f:
                writer = csv.DictWriter(f, columns, extrasaction="ignore")
                if new:
                    writer.writeheader()
                writer.writerow(row)
            summary = {k: row.get(k) for k in ("status", "score", "ensemble_score",
                                                "single_score", "n_trials") if k in row}
            print(f"{spec} -> {summary} ({time.time() - started:.0f}s)", file=sys.stderr,
                  flush=True)

    with ThreadPoolExecutor(parallel) as pool:
        list(pool.map(work, specs))
