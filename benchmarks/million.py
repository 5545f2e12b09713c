"""A million rows: one fit on synthetic data with a known signal, under a time budget and a
whole-fit memory cap, watched from outside.

    python -m benchmarks.million --rows 1000000 --budget 600 --n-jobs 2 --memory-limit 8000

The data: ``--rows`` rows x 50 columns (30 numeric, some with missing values or skewed; 15
categorical, five of them with 1,000-10,000 levels, two of those as plain strings the way a CSV
reader gives them; 5 counts and flags), and a binary target drawn from a logistic model of a
dozen of them (main effects, an interaction, a sine, per-level effects of two high-cardinality
columns). The test AUC of the true logit is the ceiling any model can expect; a constant scores
0.5. The fit runs in a child process with default settings (a history store of its own) and
``fit_memory_limit`` set to the cap; the parent
samples the child's process tree (summed RSS and PSS) every half second and kills it past
``budget * 1.5 + 300`` s. One row per run goes to ``benchmarks/results/million.csv`` and the
table to ``benchmarks/MILLION.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.common import REPO, append_row, child_env, git_rev, log, markdown, prepare_csv

COLUMNS = [
    "rows",
    "columns",
    "budget",
    "n_jobs",
    "memory_limit_mb",
    "status",
    "fit_time",
    "wall_time",
    "n_trials",
    "n_ok",
    "fidelities",
    "final_kind",
    "auc",
    "oracle_auc",
    "constant_auc",
    "peak_rss_mb",
    "peak_pss_mb",
    "generate_s",
    "predict_s",
    "error",
    "git_rev",
    "timestamp",
]
OUT = REPO / "benchmarks" / "results" / "million.csv"
TABLE = REPO / "benchmarks" / "MILLION.md"
POLL_SECONDS = 0.5


def make_data(n_rows: int, seed: int = 0) -> tuple[Any, Any, Any]:
    """(X, y, true logit): the frame described in the module docstring."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    columns: dict[str, Any] = {}
    numeric = rng.normal(size=(n_rows, 30)).astype(np.float32)
    numeric[:, 20:25] = np.exp(numeric[:, 20:25])  # skewed
    for j in range(30):
        values = numeric[:, j].copy()
        if j % 3 == 0:  # every third numeric column misses 5 % of its values
            values[rng.random(n_rows) < 0.05] = np.nan
        columns[f"num_{j}"] = values
    levels = [1_000, 2_000, 3_000, 5_000, 10_000] + [3, 5, 8, 12, 20, 30, 40, 50, 7, 4]
    codes = []
    for j, n_levels in enumerate(levels):
        weights = 1.0 / np.arange(1, n_levels + 1) ** 0.8  # a long tail, as real ids have
        code = rng.choice(n_levels, size=n_rows, p=weights / weights.sum())
        codes.append(code)
        names = np.array([f"c{j}_{k}" for k in range(n_levels)], dtype=object)
        if j in (1, 3):  # plain strings, as read from a CSV file
            values = names[code]
            values[rng.random(n_rows) < 0.02] = None
            columns[f"cat_{j}"] = values
        else:
            columns[f"cat_{j}"] = pd.Categorical.from_codes(code, categories=list(names))
    for j in range(3):
        columns[f"count_{j}"] = rng.poisson(2 + j, size=n_rows)
    columns["flag_0"] = rng.random(n_rows) < 0.3
    columns["flag_1"] = rng.random(n_rows) < 0.6
    X = pd.DataFrame(columns)

    effect_a = rng.normal(scale=0.8, size=levels[0])
    effect_b = rng.normal(scale=0.6, size=levels[3])
    effect_c = rng.normal(scale=0.5, size=levels[7])
    filled = np.nan_to_num(numeric[:, :6])
    logit = (
        0.9 * filled[:, 0]
        - 0.7 * filled[:, 1]
        + 0.6 * filled[:, 2] * filled[:, 3]
        + 0.8 * np.sin(2 * filled[:, 4])
        + 0.4 * np.log(numeric[:, 20])
        + effect_a[codes[0]]
        + effect_b[codes[3]]
        + effect_c[codes[7]]
        + 0.3 * (columns["count_0"] - 2)
        + 0.5 * columns["flag_0"]
        - 0.5
    )
    y = (rng.random(n_rows) < 1 / (1 + np.exp(-logit))).astype(int)
    return X, y, logit


# ------------------------------------------------------------------ child side


def run_one(spec: dict[str, Any]) -> dict[str, Any]:
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import train_test_split

    from automl import AutoMLClassifier

    started = time.monotonic()
    X, y, logit = make_data(spec["rows"])
    X_train, X_test, y_train, y_test, _, logit_test = train_test_split(
        X, y, logit, test_size=0.2, random_state=0, stratify=y
    )
    del X
    res: dict[str, Any] = {"generate_s": time.monotonic() - started, "columns": X_train.shape[1]}
    Path(spec["flag"]).touch()  # the parent's memory samples count from here
    model = AutoMLClassifier(
        time_budget=spec["budget"],
        n_jobs=spec["n_jobs"],
        fit_memory_limit=spec["memory_limit_mb"],
        random_state=0,
        history=str(Path(spec["flag"]).with_suffix(".sqlite")),  # a real store, its own
        verbose=1,
    )
    began = time.monotonic()
    model.fit(X_train, y_train)
    res["fit_time"] = time.monotonic() - began
    began = time.monotonic()
    proba = model.predict_proba(X_test)[:, 1]
    res["predict_s"] = time.monotonic() - began
    trials = model.trials_
    res.update(
        status="ok",
        n_trials=len(trials),
        n_ok=sum(t["status"] == "ok" for t in trials),
        fidelities=_fidelities(model),
        final_kind=getattr(model.refit_.kind, "value", str(model.refit_.kind)),
        auc=roc_auc_score(y_test, proba),
        oracle_auc=roc_auc_score(y_test, logit_test),
        constant_auc=0.5,
    )
    return res


def _fidelities(model: Any) -> str:
    """The shares of each split's training rows the trials were fit on (successive halving;
    the holdout split trains on 80 % of the rows)."""
    return ", ".join(f"{f:.3g}" for f in sorted({float(t["fidelity"]) for t in model.trials_}))


# ------------------------------------------------------------------ parent side


def run(spec: dict[str, Any]) -> dict[str, Any]:
    """Run one spec in a child process; sample its tree's memory; enforce a hard timeout."""
    import psutil

    from automl.trials.limits import process_tree_pss_mb, process_tree_rss_mb
    from benchmarks.isolation import kill_tree

    scratch = tempfile.mkdtemp(prefix="automl-million-")
    flag = os.path.join(scratch, "fitting")  # the child creates it when the fit starts
    spec = {**spec, "flag": flag}
    command = [sys.executable, "-m", "benchmarks.million", "--one", json.dumps(spec)]
    timeout = spec["budget"] * 1.5 + 300
    started = time.monotonic()
    log_path = OUT.parent / "logs" / "million.log"  # ignored by git, as other runs' logs
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "w") as log_file:
        proc = subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=log_file,
            text=True,
            env=child_env(),
            cwd=REPO,
            start_new_session=True,
        )
    root = psutil.Process(proc.pid)
    known: dict[int, Any] = {proc.pid: root}
    peak_rss = peak_pss = 0.0
    status = None
    while proc.poll() is None:
        if Path(flag).exists():
            try:
                for child in root.children(recursive=True):
                    known.setdefault(child.pid, child)
            except psutil.Error:
                pass
            peak_rss = max(peak_rss, process_tree_rss_mb(root))
            peak_pss = max(peak_pss, process_tree_pss_mb(root))
        if time.monotonic() - started > timeout:
            kill_tree(proc.pid, known)
            status = "timeout"
            break
        time.sleep(POLL_SECONDS)
    out = proc.communicate()[0] if status is None else ""
    kill_tree(proc.pid, known)
    shutil.rmtree(scratch, ignore_errors=True)
    lines = [line for line in out.splitlines() if line.startswith("{")]
    result = json.loads(lines[-1]) if lines else {"status": status or "crashed"}
    if "error" not in result and result.get("status") != "ok":
        result["error"] = f"exit code {proc.returncode}; see {log_path.name}"
    result.update(
        wall_time=time.monotonic() - started,
        peak_rss_mb=peak_rss or None,
        peak_pss_mb=peak_pss or None,
    )
    return result


def write_table() -> None:
    import pandas as pd

    frame = pd.read_csv(OUT)
    shown = frame[
        [
            "rows",
            "budget",
            "memory_limit_mb",
            "status",
            "fit_time",
            "n_trials",
            "fidelities",
            "final_kind",
            "auc",
            "oracle_auc",
            "peak_rss_mb",
            "peak_pss_mb",
            "git_rev",
        ]
    ].copy()
    for column in ("budget", "memory_limit_mb", "peak_rss_mb", "peak_pss_mb", "fit_time"):
        shown[column] = shown[column].round().astype("Int64")
    lines = [
        "# A million rows",
        "",
        "`python -m benchmarks.million` (see its docstring for the data). One fit on 2 cores, "
        "`n_jobs=2`, `fit_memory_limit` = the memory limit; AUC on a 20 % test split; the true "
        "logit's AUC is the ceiling, a constant scores 0.5. Peak memory is the child's process "
        "tree, sampled every 0.5 s from data generation's end to the end of prediction: summed "
        "RSS, and PSS (each page once).",
        "",
        markdown(shown, digits=4),
        "",
    ]
    TABLE.write_text("\n".join(lines))
    log(f"table written to {TABLE}")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.million", description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--budget", type=float, default=600)
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument("--memory-limit", type=float, default=8000, help="MB for the whole fit")
    parser.add_argument("--table-only", action="store_true")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        try:
            print(json.dumps(run_one(json.loads(args.one)), default=float), flush=True)
        except Exception as error:  # noqa: BLE001 - recorded as a crashed run
            print(json.dumps({"status": "crashed", "error": f"{type(error).__name__}: {error}"}))
        return
    if not args.table_only:
        spec = {
            "rows": args.rows,
            "budget": args.budget,
            "n_jobs": args.n_jobs,
            "memory_limit_mb": args.memory_limit,
        }
        log(f"million: {spec}")
        result = run(spec)
        prepare_csv(OUT, COLUMNS)
        row = {**spec, **result, "git_rev": git_rev(), "timestamp": time.strftime("%FT%T")}
        append_row(OUT, COLUMNS, row)
        log(f"-> {result}")
    write_table()


if __name__ == "__main__":
    main()
