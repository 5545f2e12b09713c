"""Parallel speed-up, local vs dask, and the cost of running each trial in its own process.

Usage (from the repo root, on a quiet machine)::

    AUTOML_DATASETS=/path/to/datasets python -m benchmarks.parallel  # writes benchmarks/PARALLEL.md
    python -m benchmarks.parallel --sections dask  # only section 3 (needs no dataset files)

1. Throughput: trials completed in ``--budget`` seconds with ``n_jobs=2`` vs ``n_jobs=1`` on a
   small dataset, median of ``--repeats`` runs each. Random search with a fixed seed, so both
   settings work through the same sequence of configurations.
2. Isolation overhead: many trials of a trivial model (Gaussian naive Bayes on a single
   holdout split) with ``n_jobs=1``; the overhead per trial is the trial's wall time (fork,
   data access, limits, result transfer) minus the model's own fit and predict time, and,
   end to end, the fit's wall time divided by the number of trials.
3. Local vs dask: the same fit (default search, ``--dask-budget`` seconds, a synthetic
   ``--dask-rows``-row dataset) run locally with ``n_jobs=2`` and on a 2-worker dask
   ``LocalCluster`` (one thread per worker process), alternately, ``--repeats`` seeds: trials
   made, how they ended, how many each worker ran, their median duration.

Sections not run keep their text from the existing output file.
"""

from __future__ import annotations

import argparse
import collections
import os
import statistics
import time
from pathlib import Path
from typing import Any

import numpy as np

from automl import AutoMLClassifier
from automl.datasets import load
from benchmarks import common


def throughput(dataset: str, n_jobs: int, budget: float, seed: int) -> int:
    data = load(dataset)
    model = AutoMLClassifier(
        time_budget=budget,
        n_jobs=n_jobs,
        strategy="random",
        history=None,
        random_state=seed,
        verbose=0,
    )
    model.fit(data.X, data.y)
    return sum(t["status"] == "ok" for t in model.trials_)


def overhead(dataset: str, n_trials: int) -> dict[str, float]:
    data = load(dataset)
    model = AutoMLClassifier(
        time_budget=600,
        n_jobs=1,
        max_trials=n_trials,
        strategy="random",
        history=None,
        include=["naive_bayes"],
        resampling="holdout",
        random_state=0,
        verbose=0,
    )
    started = time.time()
    model.fit(data.X, data.y)
    wall = time.time() - started
    ok = [t for t in model.trials_ if t["status"] == "ok"]
    beyond = [t["duration"] - t["fit_time"] - t.get("predict_time", 0.0) for t in ok]
    model_time = [t["fit_time"] for t in ok]
    return {
        "trials": len(ok),
        "median overhead s": float(np.median(beyond)),
        "median model fit s": float(np.median(model_time)),
        "wall per trial s": wall / max(1, len(model.trials_)),
    }


def compare_dask(rows: int, budget: float, seeds: range) -> list[dict[str, Any]]:
    """Section 3: the same fit locally and on a 2-worker LocalCluster, seed by seed."""
    import joblib
    from distributed import Client, LocalCluster
    from sklearn.datasets import make_classification

    runs = []
    with (
        LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None) as cluster,
        Client(cluster),  # the default client, which joblib's dask backend uses
    ):
        for seed in seeds:
            X, y = make_classification(
                n_samples=rows, n_features=20, n_informative=8, random_state=seed
            )
            for back_end in ("local", "dask"):
                load = os.getloadavg()[0]
                model = AutoMLClassifier(
                    time_budget=budget, n_jobs=2, history=None, random_state=seed, verbose=0
                )
                if back_end == "dask":
                    with joblib.parallel_config(backend="dask"):
                        model.fit(X, y)
                else:
                    model.fit(X, y)
                runs.append(
                    {"back end": back_end, "seed": seed, "load": load, **_trial_counts(model)}
                )
                print(runs[-1], flush=True)
    return runs


def _trial_counts(model: AutoMLClassifier) -> dict[str, Any]:
    trials = model.trials_
    statuses = collections.Counter(_ending(t) for t in trials)
    by_worker = collections.Counter(t["worker"] for t in trials if t["worker"])
    ok = [t["duration"] for t in trials if t["status"] == "ok"]
    return {
        "trials": len(trials),
        "statuses": dict(statuses),
        "per worker": sorted(by_worker.values(), reverse=True),
        "median ok s": float(np.median(ok)) if ok else float("nan"),
        "fit s": model.fit_time_,
    }


def _ending(trial: dict[str, Any]) -> str:
    """Its status, with a timeout told apart by what stopped it: its own limit or the search's
    end (which stops whatever still runs)."""
    if trial["status"] == "timeout" and "end of the search" in (trial["error"] or ""):
        return "search end"
    return trial["status"]


def dask_section(runs: list[dict[str, Any]], rows: int, budget: float) -> list[str]:
    def cell(run: dict[str, Any], status: str) -> str:
        n = run["statuses"].get(status, 0)
        return f"{n} ({100 * n / max(1, run['trials']):.0f} %)"

    table = common.markdown_table(
        [
            "seed",
            "back end",
            "trials",
            "ok",
            "killed at its limit",
            "stopped by the search end",
            "lost",
            "per worker",
            "median ok trial",
            "load",
        ],
        [
            [
                r["seed"],
                r["back end"],
                r["trials"],
                r["statuses"].get("ok", 0),
                cell(r, "timeout"),
                cell(r, "search end"),
                cell(r, "lost"),
                " / ".join(map(str, r["per worker"])),
                f"{r['median ok s']:.2f} s",
                f"{r['load']:.1f}",
            ]
            for r in runs
        ],
        right=(0, 2, 3, 4, 5, 6, 8, 9),
    )
    local = [r["trials"] for r in runs if r["back end"] == "local"]
    dask = [r["trials"] for r in runs if r["back end"] == "dask"]
    ratio = sum(dask) / max(1, sum(local))
    return [
        "## Local vs dask",
        "",
        f"`python -m benchmarks.parallel --sections dask --dask-rows {rows} --dask-budget "
        f"{budget:g} --repeats {len(runs) // 2}`: the same fit ({budget:g} s, a synthetic "
        f"{rows}-row binary dataset, default search, "
        "`n_jobs=2`) locally and on a dask `LocalCluster` of 2 worker processes with one thread "
        "each (`joblib.parallel_config(backend='dask')`), alternately, at git "
        f"`{common.git_rev()}`. Per worker: trials each worker process ran, whatever their "
        "status; load: the machine's 1-minute load average when the fit started.",
        "",
        *table,
        "",
        f"Trials made on dask / locally, all seeds: **{ratio:.2f}** ({sum(dask)} / {sum(local)}).",
        "",
    ]


def _write_sections(path: Path, title: str, sections: dict[str, list[str]]) -> None:
    """Replace the ``## `` sections given, keep the others as they are in ``path``."""
    kept: dict[str, list[str]] = {}
    if path.exists():
        current = None
        for line in path.read_text().splitlines():
            if line.startswith("## "):
                current = line
                kept[current] = []
            if current is not None:
                kept[current].append(line)
    for lines in sections.values():
        kept[lines[0]] = lines
    text = "\n\n".join("\n".join(lines).strip("\n") for lines in kept.values())
    path.write_text(f"{title}\n\n{text}\n")


TITLE = "# Parallel trials: throughput, local vs dask, isolation overhead"
SECTIONS = ("throughput", "dask", "overhead")


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.parallel", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--dataset", default="credit-g")
    parser.add_argument("--budget", type=float, default=60)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--overhead-trials", type=int, default=100)
    parser.add_argument("--dask-rows", type=int, default=500)
    parser.add_argument("--dask-budget", type=float, default=25)
    parser.add_argument(
        "--sections", default=",".join(SECTIONS), help=f"comma-separated, of {SECTIONS}"
    )
    parser.add_argument("--out", default=str(common.BENCHMARKS / "PARALLEL.md"))
    args = parser.parse_args()
    chosen = common.comma_list(args.sections)
    if not chosen or set(chosen) - set(SECTIONS):
        parser.error(f"--sections must name some of {SECTIONS}, got {args.sections!r}")
    written: dict[str, list[str]] = {}
    if "throughput" in chosen:
        written["throughput"] = throughput_section(args.dataset, args.budget, args.repeats)
    if "dask" in chosen:
        runs = compare_dask(args.dask_rows, args.dask_budget, range(args.repeats))
        written["dask"] = dask_section(runs, args.dask_rows, args.dask_budget)
    if "overhead" in chosen:
        written["overhead"] = overhead_section(args.dataset, args.overhead_trials)
    _write_sections(Path(args.out), TITLE, written)
    print(f"wrote {args.out}")


def throughput_section(dataset: str, budget: float, repeats: int) -> list[str]:
    counts: dict[int, list[int]] = {1: [], 2: []}
    for repeat in range(repeats):
        for n_jobs in (1, 2):
            counts[n_jobs].append(throughput(dataset, n_jobs, budget, seed=repeat))
            print(f"repeat {repeat} n_jobs={n_jobs}: {counts[n_jobs][-1]} trials", flush=True)
    median = {n: statistics.median(c) for n, c in counts.items()}
    ratio = median[2] / max(1, median[1])
    return [
        "## n_jobs=2 vs n_jobs=1",
        "",
        f"`python -m benchmarks.parallel --sections throughput --dataset {dataset} --budget "
        f"{budget:g} --repeats {repeats}`: trials completed in {budget:g} s on {dataset} "
        f"(random search, seeds 0..{repeats - 1}):",
        "",
        "| n_jobs | runs | median trials |",
        "|---:|---|---:|",
        f"| 1 | {counts[1]} | {median[1]:g} |",
        f"| 2 | {counts[2]} | {median[2]:g} |",
        "",
        f"Ratio n_jobs=2 / n_jobs=1: **{ratio:.2f}**.",
        "",
    ]


def overhead_section(dataset: str, n_trials: int) -> list[str]:
    cost = overhead(dataset, n_trials)
    print(cost)
    return [
        "## Isolation overhead",
        "",
        f"`python -m benchmarks.parallel --sections overhead --dataset {dataset}`: "
        f"{cost['trials']} naive Bayes trials, holdout, n_jobs=1: median "
        f"{cost['median overhead s'] * 1000:.0f} ms per trial beyond the model's own fit and "
        f"predict (median fit {cost['median model fit s'] * 1000:.0f} ms); end to end "
        f"{cost['wall per trial s'] * 1000:.0f} ms of wall time per trial, search included.",
        "",
    ]


if __name__ == "__main__":
    main()
