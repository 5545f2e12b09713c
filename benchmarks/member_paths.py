"""The default model's batch prediction with this library's member prediction paths, and with
scikit-learn's own for the members that have one here (the same fitted model, the same process).

Usage (from the repo root; a quiet machine)::

    AUTOML_DATASETS=/path/to/datasets python -m benchmarks.member_paths --max-rows 5000
    # MEMBER_PATHS.md, results/member_paths.csv (resumable)

Per dataset, one fresh process with ``OMP_WAIT_POLICY=PASSIVE`` (as ``benchmarks.run
--omp-wait-policy PASSIVE``) on all cores fits the default model on ``benchmarks.run``'s
training split (seed 0, ``max_trials``, ``n_jobs=2``, no warm start, no history), then times
the prediction of the test split: the fastest of 5 calls each way, the two ways alternating.
``library`` is scikit-learn's path for kernel SVMs (libsvm) and HistGradientBoosting (its
thread count); ``automl`` is this checkout's (``automl.space.families.svm_prediction``,
``hist_boosting``). Members without such a path predict the same way in both.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from typing import Any

from benchmarks import common

OUT = common.RESULTS / "member_paths.csv"
TABLE = common.BENCHMARKS / "MEMBER_PATHS.md"
COLUMNS = [
    "dataset",
    "task",
    "n_test",
    "max_trials",
    "library_s",
    "automl_s",
    "members",
    "max_difference",
    "git_rev",
    "timestamp",
]
KEY = ["dataset", "max_trials"]
REPEATS = 5


def child(dataset: str, max_trials: int) -> dict[str, Any]:
    import inspect
    import warnings

    import numpy as np
    from sklearn.svm import SVC, SVR

    from automl import AutoMLClassifier, AutoMLRegressor
    from automl.space.families import hist_boosting, svm_prediction

    warnings.simplefilter("ignore", FutureWarning)  # SVC(probability=True) on scikit-learn 1.9
    data = common.split(dataset, 0)
    classification = data.task != "regression"
    cls = AutoMLClassifier if classification else AutoMLRegressor
    model = cls(
        time_budget=600,
        max_trials=max_trials,
        n_jobs=2,
        random_state=0,
        history=None,
        warm_start=None,
        verbose=0,
    ).fit(data.X_train, data.y_train)
    predict = model.predict_proba if classification else model.predict
    fast = (
        inspect.getattr_static(svm_prediction.FastSVC, "predict_proba"),
        svm_prediction.FastSVR.predict,
    )
    threshold = hist_boosting.PASSIVE_THREADED_FROM_ROWS

    def library_paths(on: bool) -> None:
        if on:
            svm_prediction.FastSVC.predict_proba = inspect.getattr_static(SVC, "predict_proba")
            svm_prediction.FastSVR.predict = SVR.predict
            hist_boosting.PASSIVE_THREADED_FROM_ROWS = 0
        else:
            svm_prediction.FastSVC.predict_proba, svm_prediction.FastSVR.predict = fast
            hist_boosting.PASSIVE_THREADED_FROM_ROWS = threshold

    best = {"library": float("inf"), "automl": float("inf")}
    outputs = {}
    for round_ in range(REPEATS + 1):  # the first round untimed
        for way in ("automl", "library"):
            library_paths(way == "library")
            started = time.perf_counter()
            outputs[way] = np.asarray(predict(data.X_test), dtype=float)
            if round_:
                best[way] = min(best[way], time.perf_counter() - started)
        library_paths(False)
    return {
        "task": data.task,
        "n_test": len(data.X_test),
        "library_s": best["library"],
        "automl_s": best["automl"],
        "members": ", ".join(f"{m['model']} {m['weight']:.2f}" for m in model.ensemble_),
        "max_difference": float(np.abs(outputs["library"] - outputs["automl"]).max()),
    }


def run_all(args: Any) -> None:
    common.prepare_csv(OUT, COLUMNS)
    done = common.done_keys(OUT, KEY)
    names = list(common.select_datasets(args.datasets, max_rows=args.max_rows)["name"])
    for name in names:
        row = {"dataset": name, "max_trials": args.max_trials}
        if common.row_key(row, KEY) in done:
            continue
        out = subprocess.run(
            [sys.executable, "-m", "benchmarks.member_paths", "--child", name]
            + ["--max-trials", str(args.max_trials)],
            env=common.child_env("PASSIVE"),
            capture_output=True,
            text=True,
            cwd=common.REPO,
            timeout=1800,
        )
        if out.returncode != 0:
            common.log(f"{name}: failed: {out.stderr.strip().splitlines()[-1:]}")
            continue
        row.update(json.loads(out.stdout.strip().splitlines()[-1]))
        row.update(git_rev=common.git_rev(), timestamp=time.strftime("%Y-%m-%dT%H:%M:%S"))
        common.log(f"{name}: {row}")
        common.append_row(OUT, COLUMNS, row)


def write_table(args: Any) -> None:
    import pandas as pd

    frame = pd.read_csv(OUT)
    frame = frame[frame["max_trials"] == args.max_trials]
    rows = []
    for r in frame.itertuples():
        rows.append(
            [
                r.dataset,
                f"{r.n_test:,}",
                f"{r.library_s * 1000:.1f}",
                f"{r.automl_s * 1000:.1f}",
                f"{r.automl_s / r.library_s:.2f}",
                f"{r.max_difference:.0e}",
                r.members,
            ]
        )
    ratio = frame["automl_s"] / frame["library_s"]
    library_rps = (frame["n_test"] / frame["library_s"]).median()
    automl_rps = (frame["n_test"] / frame["automl_s"]).median()
    header = ["dataset", "test rows", "library (ms)", "automl (ms)", "ratio", "max |diff|"]
    lines = [
        "# The default model's prediction: scikit-learn's member paths against this library's",
        "",
        f"Generated by `python -m benchmarks.member_paths {' '.join(sys.argv[1:])}` at git "
        f"{', '.join(sorted(set(frame['git_rev'])))}; {platform.processor() or platform.machine()}"
        f", {os.cpu_count()} cores, `OMP_WAIT_POLICY=PASSIVE`. The default model "
        f"(`max_trials={args.max_trials}`, `n_jobs=2`, seed 0, no warm start) fit once per "
        "dataset; its test split predicted both ways in the same process, fastest of "
        f"{REPEATS} calls each. `library`: libsvm for kernel SVMs and scikit-learn's thread "
        "count for HistGradientBoosting; `automl`: this library's paths. Ratio < 1: faster.",
        "",
        f"- {len(frame)} datasets; median ratio {ratio.median():.2f} "
        f"({(ratio < 0.95).sum()} under 0.95, {(ratio > 1.05).sum()} over 1.05); median "
        f"throughput {library_rps:,.0f} rows/s the library's way, {automl_rps:,.0f} this "
        "library's way.",
        "",
        *common.markdown_table(header + ["members"], rows, right=range(1, len(header))),
        "",
    ]
    TABLE.write_text("\n".join(lines))
    common.log(f"wrote {TABLE}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.member_paths")
    parser.add_argument("--datasets", default="all")
    parser.add_argument("--max-rows", type=int, default=5000)
    parser.add_argument("--max-trials", type=int, default=40)
    parser.add_argument("--table-only", action="store_true")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child, args.max_trials)))
        return 0
    if not args.table_only:
        run_all(args)
    write_table(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
