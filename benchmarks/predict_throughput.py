"""Batch prediction time of the default final model, this checkout against an earlier commit.

Usage (from the repo root)::

    git worktree add --detach /tmp/base efa1fdf
    python -m benchmarks.predict_throughput --base /tmp/base --base-label efa1fdf
    python -m benchmarks.predict_throughput --table-only

Issue 21 asks that the input options it added (sample weights, tuned thresholds, text and
sparse columns, ...) cost nothing at prediction time when they are not used. A model fitted by
today's code differs from one fitted by older code (its search space and final model changed
too), so two comparisons, per shared dataset (seed 0 split, every dataset up to
``--max-rows``):

* ``same model``: a model fitted and pickled by the base commit, its test rows predicted by
  the base code and by this checkout's code (which loads older models): the prediction path
  alone;
* ``default``: the model each commit's own default fit gives (``max_trials=10``, seed 0, no
  warm start, no history, ``n_jobs=1``), predicted by its own code.

Every fit and every timing runs in a fresh interpreter pinned to one core (``--core``; two
processes can share the datasets out with ``--shares 2 --share 0|1``), the commit's code
first on ``PYTHONPATH``. A timing is the fastest of 5 batch predictions of the whole test
split (``predict_proba``, or ``predict`` for regression) after one untimed call. Outputs
(resumable): ``benchmarks/results/predict_throughput.csv`` and
``benchmarks/PREDICT_THROUGHPUT.md``.
"""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks import common

OUT = common.RESULTS / "predict_throughput.csv"
TABLE = common.BENCHMARKS / "PREDICT_THROUGHPUT.md"
COLUMNS = [
    "dataset",
    "task",
    "n_test",
    "fitted_by",
    "predicted_by",
    "predict_s",
    "model",
    "error",
    "git_rev",
    "timestamp",
]
KEY = ["dataset", "fitted_by", "predicted_by"]
MAX_TRIALS = 10
REPEATS = 5


def fit_and_pickle(dataset: str, path: str) -> None:
    """Child: fit the default model on the seed-0 training split and pickle it to ``path``."""
    from automl import AutoMLClassifier, AutoMLRegressor

    data = common.split(dataset, 0)
    cls = AutoMLClassifier if data.classification else AutoMLRegressor
    model = cls(
        time_budget=600,
        max_trials=MAX_TRIALS,
        n_jobs=1,
        random_state=0,
        history=None,
        warm_start=None,
        verbose=0,
    ).fit(data.X_train, data.y_train)
    with open(path, "wb") as handle:
        pickle.dump(model, handle)


def time_predict(dataset: str, path: str) -> dict[str, Any]:
    """Child: the fastest of ``REPEATS`` batch predictions of the test split by the pickled
    model at ``path`` (loaded by the code on ``PYTHONPATH``)."""
    data = common.split(dataset, 0)
    with open(path, "rb") as handle:
        model = pickle.load(handle)
    predict = model.predict_proba if data.classification else model.predict
    predict(data.X_test)  # untimed: imports, first-call set-up
    best = float("inf")
    for _ in range(REPEATS):
        started = time.perf_counter()
        predict(data.X_test)
        best = min(best, time.perf_counter() - started)
    kind = type(getattr(model, "model_", None)).__name__
    return {"predict_s": best, "n_test": len(data.X_test), "task": data.task, "model": kind}


def _child(tree: Path, core: int, *arguments: str) -> str:
    """Run this script's ``--child`` mode with ``tree``'s library code (and this checkout's
    benchmarks), pinned to ``core``."""
    # the library packages alone, first on the path: the tree's benchmarks must not shadow these
    links = Path("/tmp/predict_throughput_paths") / tree.name
    links.mkdir(parents=True, exist_ok=True)
    for package in ("automl", "metalearning"):
        if not (links / package).exists():
            (links / package).symlink_to(tree / package)
    env = {**os.environ, "PYTHONPATH": f"{links}{os.pathsep}{common.REPO}"}
    command = ["taskset", "-c", str(core), sys.executable, str(Path(__file__).resolve())]
    done = subprocess.run(
        [*command, "--child", *arguments],
        cwd="/tmp",  # not a checkout: its packages would come first
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    if done.returncode != 0:
        raise RuntimeError(done.stderr.strip().splitlines()[-1] if done.stderr else "failed")
    return done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""


def run_all(args: Any) -> None:
    base, label = Path(args.base).resolve(), args.base_label
    here, here_label = common.REPO, common.git_rev()
    models = Path(args.models)
    models.mkdir(parents=True, exist_ok=True)
    common.prepare_csv(OUT, COLUMNS)
    done = common.done_keys(OUT, KEY)
    plan = [(label, base, label), (label, base, here_label), (here_label, here, here_label)]
    names = list(common.select_datasets(args.datasets, max_rows=args.max_rows)["name"])
    for name in names[args.share :: args.shares]:
        for fitted_by, fit_tree, predicted_by in plan:
            row = {"dataset": name, "fitted_by": fitted_by, "predicted_by": predicted_by}
            if common.row_key(row, KEY) in done:
                continue
            tree = base if predicted_by == label else here
            path = models / f"{name}.{fitted_by}.pkl"
            try:
                if not path.exists():
                    _child(fit_tree, args.core, "fit", name, str(path))
                row.update(json.loads(_child(tree, args.core, "time", name, str(path))))
            except (RuntimeError, subprocess.TimeoutExpired) as error:
                row["error"] = str(error)[:300]
            row.update(git_rev=here_label, timestamp=time.strftime("%Y-%m-%dT%H:%M:%S"))
            common.append_row(OUT, COLUMNS, row)
            common.log(f"{name} fitted by {fitted_by}, predicted by {predicted_by}: {row}")


def write_tables(args: Any) -> None:
    import pandas as pd

    if not OUT.exists():
        return
    frame = pd.read_csv(OUT)
    frame = frame[frame["error"].isna()]
    lines = ["# Batch prediction time: this code against earlier commits", ""]
    lines += [
        "Generated by `python -m benchmarks.predict_throughput` (see its docstring): seconds "
        "for one batch prediction of the seed-0 test split (fastest of 5), one core. Ratios "
        "are per dataset (this code / the base), summarised over the datasets both sides have.",
        "",
    ]
    for here, rows_here in frame.groupby("git_rev"):
        for base in sorted(set(rows_here["fitted_by"]) - {here}):
            lines += [f"## {here} against {base}", ""]
            lines += common.markdown_table(
                *_comparisons(rows_here, base, here), right=(1, 2, 3, 4, 5)
            )
            lines.append("")
    TABLE.write_text("\n".join(lines) + "\n")
    common.log(f"wrote {TABLE}")


def _comparisons(frame: Any, base: str, here: str) -> tuple[list[str], list[tuple]]:
    import pandas as pd

    def times(fitted_by: str, predicted_by: str) -> Any:
        chosen = frame[(frame["fitted_by"] == fitted_by) & (frame["predicted_by"] == predicted_by)]
        return chosen.set_index("dataset")["predict_s"]

    rows = []
    for title, a, b in (
        ("same model, prediction code", times(base, base), times(base, here)),
        ("each commit's default model", times(base, base), times(here, here)),
    ):
        both = pd.concat([a, b], axis=1, keys=["a", "b"]).dropna()
        ratio = both["b"] / both["a"]
        rows.append(
            (
                title,
                len(both),
                f"{both['a'].median():.4f}",
                f"{both['b'].median():.4f}",
                f"{ratio.median():.3f}",
                f"{ratio.quantile(0.9):.3f}",
                f"{(ratio <= 1.10).sum()}/{len(both)}",
            )
        )
    header = [
        "comparison",
        "datasets",
        f"median s ({base})",
        f"median s ({here})",
        "median ratio",
        "90th percentile ratio",
        "within 10 %",
    ]
    return header, rows


def main() -> None:
    import argparse

    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        action, dataset, path = sys.argv[2:5]
        if action == "fit":
            fit_and_pickle(dataset, path)
        else:
            print(json.dumps(time_predict(dataset, path)))
        return
    parser = argparse.ArgumentParser(prog="python -m benchmarks.predict_throughput")
    parser.add_argument("--base", help="a worktree of the commit to compare with")
    parser.add_argument("--base-label", default="efa1fdf")
    parser.add_argument("--models", default="/tmp/predict_throughput_models")
    parser.add_argument("--datasets", default="all")
    parser.add_argument("--max-rows", type=int, default=0)
    parser.add_argument("--table-only", action="store_true")
    parser.add_argument("--core", type=int, default=0, help="the core every child is pinned to")
    # two processes on two cores: --shares 2 --share 0 --core 0, --shares 2 --share 1 --core 1
    parser.add_argument("--shares", type=int, default=1)
    parser.add_argument("--share", type=int, default=0)
    args = parser.parse_args()
    if not args.table_only:
        if not args.base:
            parser.error("--base is required unless --table-only")
        run_all(args)
    write_tables(args)


if __name__ == "__main__":
    main()
