"""How far the warm start's first trials could go: an offline replay on the metabase.

Usage (from the repo root, no datasets needed: it reads only the shipped metabase)::

    python -m benchmarks.warmstart_replay --budgets 30,60

The live benchmark (``benchmarks.warmstart``) says *whether* warm beats cold at 10 % of the
budget; this replay says *why not*, by separating the choice of configurations from the
machine. Leave one dataset out: for each target dataset, the warm start chooses its
configurations from the metabase without the target (as in the live benchmark), and both
searches' first trials are then replayed one after another (``n_jobs=1``) with the run times
and validation losses the metabase measured *on the target*. A replay stops at a configuration
never measured on the target (it cannot say what happens after it). Each variant's best loss at
10 % of the budget decides the win, as the live benchmark does with test scores.

Four choosers of the warm trials, all followed by the cold search's own starts:

- ``in use``: ``metalearning.recommend.warm_start_configs``, as a fit would call it.
- ``oracle``: the single configuration, among those the target-free metabase offers, with the
  lowest loss *measured on the target* that finishes in the window. It knows the answer, so it
  bounds what any choice of one configuration from this pool could do.
- ``portfolio``: the same configurations for every dataset: those beating the cold start's
  result on most prior datasets, greedily (no meta-features).
- ``learned``: a random forest trained on the other datasets of the task group to predict
  whether a configuration beats the cold start's result at the checkpoint, from the dataset's
  meta-features and the configuration's family and hyperparameters (all pairs pooled, so it
  learns from about 860 classification or 340 regression examples on the shipped metabase,
  rather than from one dataset's neighbours); the configurations most
  likely to win fill the window, most likely first. It tests whether a model of "beats the
  cold start" chooses better than nearest neighbours do.

Timing model: both searches get their first worker after ``--startup`` seconds; the warm one
``--warm-extra`` later (meta-features and the warm start are computed on the same core); every
trial costs its measured duration times ``--time-scale``. Writes
``benchmarks/WARMSTART_REPLAY.md`` (``--metabase DIR`` replays another metabase folder, e.g.
one with more configurations, and only prints).
"""

from __future__ import annotations

import argparse
import math
import warnings
from typing import Any

import numpy as np
import pandas as pd

from automl.space import PipelineSpace
from automl.warm_start import usable_config
from benchmarks import common
from metalearning import recommend as ws
from metalearning.metabase import Metabase, config_id, load_metabase, task_group
from metalearning.runtimes import fit_run_times

TABLE = common.BENCHMARKS / "WARMSTART_REPLAY.md"
CHECKPOINT = 0.1
TRAIN_SHARE = 0.75  # the live benchmark trains on a 75 % split


def timeline(
    configs: list[dict[str, Any]], measured: pd.DataFrame, group: str, start: float, scale: float
) -> list[tuple[float, float | None]]:
    """(finish time, loss) per trial, in order; loss None = never measured (replay stops)."""
    now, out = start, []
    for config in configs:
        cid = config_id(config, group)
        if cid not in measured.index:
            out.append((now, None))
            break
        row = measured.loc[cid]
        now += float(row["duration"]) * scale
        out.append((now, float(row["loss"]) if row["status"] == "ok" else math.inf))
    return out


def best_by(trials: list[tuple[float, float | None]], seconds: float) -> float | None:
    """Best loss finished by ``seconds``; None if an unmeasured trial came first."""
    best = math.inf
    for finish, loss in trials:
        if finish > seconds:
            break
        if loss is None:
            return None
        best = min(best, loss)
    return best


def oracle_pick(
    loo: Metabase,
    measured: pd.DataFrame,
    group: str,
    space: PipelineSpace,
    window: float,
    scale: float,
) -> list[dict[str, Any]]:
    fitting = []
    for cid, entry in loo.configurations.items():
        if entry["task_group"] != group or cid not in measured.index:
            continue
        row = measured.loc[cid]
        if row["status"] == "ok" and float(row["duration"]) * scale <= window:
            config = usable_config(entry["config"], space)
            if isinstance(config, dict):
                fitting.append((float(row["loss"]), cid, config))
    return [min(fitting, key=lambda f: (f[0], f[1]))[2]] if fitting else []


def portfolio_pick(
    loo: Metabase,
    group: str,
    space: PipelineSpace,
    cold: list[dict],
    window: float,
    meta: dict[str, float],
) -> list[dict[str, Any]]:
    """Greedy: configurations predicted to fit the window that beat the cold start's best
    (among its trials predicted to fit) on the most prior datasets of the group."""
    datasets = [d for d in loo.datasets if task_group(loo.metafeatures.at[d, "task"]) == group]
    losses = ws.normalized_losses(loo, datasets)
    cold_ids = [config_id(c, group) for c in cold]
    run_times = fit_run_times(loo)
    reference, spent = np.full(len(losses), np.inf), 0.0
    for cid in cold_ids:
        spent += run_times.seconds(cid, meta)
        if spent > window:
            break
        if cid in losses.columns:
            reference = np.minimum(reference, losses[cid].to_numpy())
    usable = {
        cid: usable_config(e["config"], space)
        for cid, e in loo.configurations.items()
        if e["task_group"] == group and cid in losses.columns
    }
    candidates = sorted(cid for cid, c in usable.items() if isinstance(c, dict))
    chosen, best, left = [], np.full(len(losses), np.inf), window
    while True:
        scored = [
            (float((np.minimum(best, losses[c].to_numpy()) < reference - 1e-9).mean()), c)
            for c in candidates
            if c not in chosen and run_times.seconds(c, meta) <= left
        ]
        if not scored:
            break
        wins, pick = min(scored, key=lambda s: (-s[0], s[1]))  # ties: the lower id
        if chosen and wins <= float((best < reference - 1e-9).mean()):
            break
        chosen.append(pick)
        left -= run_times.seconds(pick, meta)
        best = np.minimum(best, losses[pick].to_numpy())
    return [usable[c] for c in chosen]


FAMILY_NAMES = sorted(
    set(PipelineSpace("binary", 1000).family_names)
    | set(PipelineSpace("regression", 1000).family_names)
)


def config_features(config: dict[str, Any]) -> dict[str, float]:
    """A configuration as numbers: its family one-hot, its numeric hyperparameters in log10
    (they span orders of magnitude) and its categorical ones one-hot."""
    model = config["model"]
    features = {f"family={name}": float(model == name) for name in FAMILY_NAMES}
    for key, value in config.items():
        if not key.startswith(model + ":"):
            continue
        name = key.split(":", 1)[1]
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            features[name] = math.log10(value) if value > 0 else -12.0
        else:
            features[f"{name}={value}"] = 1.0
    return features


def cold_result(
    metabase: Metabase, dataset: str, checkpoint: float, startup: float, scale: float
) -> tuple[PipelineSpace, str, pd.DataFrame, float | None]:
    """A prior dataset as the replay sees it: its space (at the training split's size), task
    group, measured results, and the cold start's best loss by ``checkpoint``."""
    task = metabase.metafeatures.at[dataset, "task"]
    group = task_group(task)
    space = PipelineSpace(task, int(metabase.metafeatures.at[dataset, "n_rows"] * TRAIN_SHARE))
    measured = _measured_on(metabase, dataset)
    cold = best_by(
        timeline(space.cold_start_configs(), measured, group, startup, scale), checkpoint
    )
    return space, group, measured, cold


def beats_cold_labels(
    metabase: Metabase, checkpoint: float, startup: float, scale: float
) -> dict[str, dict[str, bool]]:
    """Per dataset, per configuration measured on it: does it beat the cold start's best loss
    at the checkpoint there (each dataset judged on its own measurements)?"""
    labels = {}
    for dataset in metabase.datasets:
        _, _, measured, cold = cold_result(metabase, dataset, checkpoint, startup, scale)
        if cold is None:
            continue
        labels[dataset] = {
            cid: bool(row["loss"] < cold - 1e-12)
            for cid, row in measured.iterrows()
            if row["status"] == "ok"
        }
    return labels


def learned_pick(
    loo: Metabase,
    group: str,
    space: PipelineSpace,
    meta: dict[str, float],
    window: float,
    labels: dict[str, dict[str, bool]],
) -> list[dict[str, Any]]:
    from sklearn.ensemble import RandomForestClassifier

    usable = {
        cid: usable_config(e["config"], space)
        for cid, e in loo.configurations.items()
        if e["task_group"] == group
    }
    usable = {cid: c for cid, c in sorted(usable.items()) if isinstance(c, dict)}
    names = [c for c in loo.metafeatures.columns if c != "task"]
    described = {cid: config_features(loo.configurations[cid]["config"]) for cid in usable}
    rows, wins = [], []
    for dataset in loo.datasets:
        if task_group(loo.metafeatures.at[dataset, "task"]) != group:
            continue
        prior = loo.metafeatures.loc[dataset, names].astype(float).to_dict()
        for cid, won in labels.get(dataset, {}).items():
            if cid in described:
                rows.append({**prior, **described[cid]})
                wins.append(won)
    if len(set(wins)) < 2:
        return []
    train = pd.DataFrame(rows)
    columns = list(train.columns)
    forest = RandomForestClassifier(n_estimators=300, min_samples_leaf=3, random_state=0)
    forest.fit(train.fillna(-1.0).to_numpy(), np.array(wins))
    candidates = list(usable)
    target = pd.DataFrame(
        [{**{n: meta.get(n, np.nan) for n in names}, **described[cid]} for cid in candidates]
    ).reindex(columns=columns)
    chance = forest.predict_proba(target.fillna(-1.0).to_numpy())[:, 1]
    run_times = fit_run_times(loo)
    picks, left = [], window
    for i in np.argsort(-chance, kind="stable"):
        seconds = run_times.seconds(candidates[i], meta)
        if seconds <= left:
            picks.append(usable[candidates[i]])
            left -= seconds
    return picks


def _measured_on(metabase: Metabase, dataset: str) -> pd.DataFrame:
    perf = metabase.performance
    return perf[perf["dataset"] == dataset].drop_duplicates("config_id").set_index("config_id")


def replay(metabase: Metabase, budget: float, args: argparse.Namespace) -> pd.DataFrame:
    rows = []
    checkpoint = CHECKPOINT * budget
    window = checkpoint - args.startup - args.warm_extra
    targets = args.datasets.split(",") if args.datasets else metabase.datasets
    labels = beats_cold_labels(metabase, checkpoint, args.startup, args.time_scale)
    for target in targets:
        task = metabase.metafeatures.at[target, "task"]
        meta = metabase.metafeatures.loc[target].drop("task").astype(float).to_dict()
        meta["n_rows"] *= TRAIN_SHARE
        space, group, measured, cold_best = cold_result(
            metabase, target, checkpoint, args.startup, args.time_scale
        )
        loo = metabase.without([target])
        cold = space.cold_start_configs()
        choosers = {
            "in use": lambda: ws.warm_start_configs(loo, meta, task, space, time_budget=budget),
            "oracle": lambda: oracle_pick(loo, measured, group, space, window, args.time_scale),
            "portfolio": lambda: portfolio_pick(loo, group, space, cold, window, meta),
            "learned": lambda: learned_pick(
                loo, group, space, meta, window, {d: v for d, v in labels.items() if d != target}
            ),
        }
        for name, choose in choosers.items():
            warm = choose() + cold
            warm_best = best_by(
                timeline(warm, measured, group, args.startup + args.warm_extra, args.time_scale),
                checkpoint,
            )
            if warm_best is None or cold_best is None:
                outcome = "unknown"
            elif warm_best < cold_best - 1e-12:
                outcome = "warm"
            elif warm_best > cold_best + 1e-12:
                outcome = "cold"
            else:
                outcome = "tie"
            rows.append({"budget": budget, "chooser": name, "dataset": target, "outcome": outcome})
    return pd.DataFrame(rows)


def summary(results: pd.DataFrame) -> pd.DataFrame:
    out = []
    for (budget, chooser), part in results.groupby(["budget", "chooser"], sort=False):
        counts = part["outcome"].value_counts()
        known = len(part) - int(counts.get("unknown", 0))
        out.append(
            {
                "budget (s)": f"{budget:g}",
                "warm chooser": chooser,
                "warm wins": int(counts.get("warm", 0)),
                "ties": int(counts.get("tie", 0)),
                "cold wins": int(counts.get("cold", 0)),
                "unknown": int(counts.get("unknown", 0)),
                "warm win share": counts.get("warm", 0) / max(known, 1),
            }
        )
    return pd.DataFrame(out)


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.warmstart_replay", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--budgets", default="30,60")
    parser.add_argument(
        "--startup",
        type=float,
        default=2.4,
        help="seconds until the first trial starts (live benchmark: cold's "
        "median first finish 2.5 s, minus its 0.1-0.2 s probe)",
    )
    parser.add_argument("--warm-extra", type=float, default=0.3)
    parser.add_argument("--time-scale", type=float, default=1.0)
    parser.add_argument("--datasets", default="", help="comma-separated subset (default: all)")
    parser.add_argument(
        "--metabase",
        default=None,
        help="another metabase folder: replay it and print, without writing",
    )
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    metabase = load_metabase(args.metabase)
    results = pd.concat([replay(metabase, float(b), args) for b in args.budgets.split(",")])
    table = summary(results)
    source = f"the metabase in {args.metabase}" if args.metabase else "the shipped metabase"
    text = "\n".join(
        [
            "# Warm start: offline replay of the first trials, leave one dataset out",
            "",
            "Generated by `python -m benchmarks.warmstart_replay --budgets "
            f"{args.budgets}` from {source} ({len(metabase.datasets)} datasets, "
            f"{len(metabase.configurations)} configurations). Outcome at {CHECKPOINT:.0%} of the "
            f"budget, by validation loss measured on the target. Start-up {args.startup:g} s, warm "
            f"set-up {args.warm_extra:g} s more, run times x{args.time_scale:g}. See the script's "
            "docstring for the choosers; `oracle` knows the target's losses and is an upper bound "
            "for one configuration chosen from this pool.",
            "",
            common.markdown(table),
            "",
        ]
    )
    if args.metabase is None:
        TABLE.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
