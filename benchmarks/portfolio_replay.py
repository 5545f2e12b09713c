"""Warm starts replayed on the metabase, leave one dataset out, at 10/25/50/100 % of a budget.

Usage (from the repo root; reads only a metabase folder, no data)::

    python -m benchmarks.portfolio_replay --metabase DIR --budgets 30,60

For every dataset of the metabase in turn (the target), the warm start chooses its
configurations from the metabase *without* the target (``Metabase.without``: its rows, its
results and the configurations only its search found are gone), and each start is then replayed
one trial after another (one core) with the run times and validation losses the build measured
*on the target*: the cold start's configurations and the pool are measured on every dataset,
so the replay is exact until its list of configurations ends. A checkpoint after that is
"past the replay" (a live search would go on with Bayesian optimization) and left out of the
comparison. A score is the best loss by the checkpoint, normalized on the target between the
best (0) and the worst (1) configuration measured there; lower is better.

Starts compared, each followed by the cold start's configurations not already in it:

- ``cold``: the search's own start without a metabase (low-cost LightGBM, every family's
  default).
- ``in use``: ``metalearning.recommend.warm_start_configs`` with its defaults (the greedy
  portfolio of 8 over every prior dataset of the task group).
- ``portfolio K``: the greedy portfolio of K configurations over every prior dataset of the
  task group, no meta-features; ordered by expected gain per predicted second over all of them.
- ``nearest``: the best configurations of the 5 nearest datasets by meta-features only
  (``benchmarks.nearest``, no longer in the library).
- ``nearest + portfolio 5``: those alternated with a portfolio of 5 (an earlier default).

Also reported: the first configuration of each start alone against the LightGBM default on the
target (strictly better / tied / worse).

Writes ``benchmarks/PORTFOLIO_REPLAY.md``, ``benchmarks/results/portfolio_replay.csv`` and one
anytime plot per task type (``benchmarks/portfolio_replay_<task>.png``).
"""

from __future__ import annotations

import argparse
import math
import time
import warnings
from functools import partial
from typing import Any

import numpy as np
import pandas as pd

from automl.space import PipelineSpace
from benchmarks import common
from benchmarks.nearest import nearest_start
from benchmarks.warmstart_replay import best_by, timeline
from metalearning import recommend
from metalearning.metabase import Metabase, config_id, load_metabase, task_group

TABLE = common.BENCHMARKS / "PORTFOLIO_REPLAY.md"
RESULTS = common.RESULTS / "portfolio_replay.csv"
CHECKPOINTS = (0.1, 0.25, 0.5, 1.0)


def choosers(sizes: list[int]) -> dict[str, Any]:
    """Start name -> a function (metabase, meta-features, task, space, budget) -> configurations
    (None: the cold start)."""
    starts: dict[str, Any] = {"cold": None, "in use": recommend.warm_start_configs}
    for k in sizes:
        starts[f"portfolio {k}"] = partial(recommend.warm_start_configs, portfolio_size=k, limit=k)
    starts["nearest"] = nearest_start
    starts["nearest + portfolio 5"] = partial(nearest_start, portfolio_size=5)
    return starts


def replay_target(
    metabase: Metabase, target: str, budgets: list[float], starts: dict[str, Any], startup: float
) -> list[dict[str, Any]]:
    task = str(metabase.metafeatures.at[target, "task"])
    group = task_group(task)
    meta = metabase.metafeatures.loc[target].drop("task").astype(float).to_dict()
    rows_here = int(meta["n_rows"])
    if metabase.eval_rows:
        rows_here = min(rows_here, metabase.eval_rows)
    space = PipelineSpace(task, rows_here)
    perf = metabase.performance
    measured = perf[perf["dataset"] == target].drop_duplicates("config_id").set_index("config_id")
    ok = measured[measured["status"] == "ok"]["loss"].astype(float)
    if len(ok) < 2:
        return []
    low, high = float(ok.min()), float(ok.max())
    span = high - low if high > low else 1.0
    lgbm_default = config_id(space.default_config(space.family_names[0]), group)
    loo = metabase.without([target])
    cold = space.cold_start_configs()
    rows = []
    for budget in budgets:
        for name, choose in starts.items():
            configs = [] if choose is None else choose(loo, meta, task, space, time_budget=budget)
            ids = [config_id(c, group) for c in configs]
            sequence = configs + [c for c in cold if config_id(c, group) not in ids]
            trials = timeline(sequence, measured, group, startup, 1.0)
            end = trials[-1][0] if trials and trials[-1][1] is not None else 0.0
            first = config_id(sequence[0], group) if sequence else None
            versus = None
            if first in ok.index and lgbm_default in ok.index:
                versus = float(np.sign(ok[lgbm_default] - ok[first]))  # 1: first is better
            for share in CHECKPOINTS:
                at = share * budget
                best = best_by(trials, at) if at <= end else None
                rows.append(
                    {
                        "dataset": target,
                        "source": "prior" if "__" in target else "shared",
                        "task": task,
                        "budget": budget,
                        "start": name,
                        "checkpoint": share,
                        "score": None
                        if best is None
                        else (1.0 if math.isinf(best) else (best - low) / span),
                        "first_vs_lgbm_default": versus,
                    }
                )
    return rows


def comparison(results: pd.DataFrame) -> pd.DataFrame:
    """Per task, budget, start and checkpoint: the mean normalized loss and the wins against
    the cold start, over the targets where both are known."""
    index = ["dataset", "task", "budget", "checkpoint"]
    cold = results[results["start"] == "cold"].set_index(index)
    out = []
    keys = ["source", "task", "budget", "start", "checkpoint"]
    for (source, task, budget, start, share), part in results.groupby(keys, sort=False):
        if start == "cold":
            continue
        part = part.set_index(index)
        both = part["score"].notna() & cold.loc[part.index, "score"].notna().to_numpy()
        warm_s, cold_s = part.loc[both, "score"], cold.loc[part.index[both], "score"]
        diff = warm_s.to_numpy() - cold_s.to_numpy()
        wins, losses = int((diff < -1e-12).sum()), int((diff > 1e-12).sum())
        out.append(
            {
                "source": source,
                "task": task,
                "budget (s)": f"{budget:g}",
                "start": start,
                "at": f"{share:.0%}",
                "datasets": int(both.sum()),
                "past the replay": int((~both).sum()),
                "warm loss": warm_s.mean(),
                "cold loss": cold_s.mean(),
                "warm wins": wins,
                "cold wins": losses,
                "warm win share": wins / max(wins + losses, 1),
            }
        )
    return pd.DataFrame(out)


def compact(results: pd.DataFrame) -> pd.DataFrame:
    """One row per source, task (and all tasks together), budget and start: the mean
    normalized loss at each checkpoint (the cold start's in brackets) and the wins against
    the cold start at 25 % and 100 %, over the targets where both are known."""
    every = results.assign(task="all")
    table = comparison(pd.concat([every, results], ignore_index=True))
    out = []
    keys = ["source", "task", "budget (s)", "start"]
    for key, part in table.groupby(keys, sort=False):
        row = dict(zip(keys, key))
        for r in part.to_dict("records"):
            at = r["at"]
            row[f"loss {at}"] = f"{r['warm loss']:.3f} ({r['cold loss']:.3f})"
            if at in ("25%", "100%"):
                row[f"wins {at}"] = f"{r['warm wins']}-{r['cold wins']} of {r['datasets']}"
        out.append(row)
    return pd.DataFrame(out)


def first_member(results: pd.DataFrame) -> pd.DataFrame:
    part = results[(results["checkpoint"] == CHECKPOINTS[0]) & (results["start"] != "cold")]
    part = part.drop_duplicates(["dataset", "budget", "start"])
    out = []
    keys = ["source", "task", "budget", "start"]
    for (source, task, budget, start), p in part.groupby(keys, sort=False):
        v = p["first_vs_lgbm_default"].dropna()
        better, worse = int((v > 0).sum()), int((v < 0).sum())
        out.append(
            {
                "source": source,
                "task": task,
                "budget (s)": f"{budget:g}",
                "start": start,
                "first better than LightGBM default": better,
                "tied": int((v == 0).sum()),
                "worse": worse,
                "better share (non-tied)": better / max(better + worse, 1),
            }
        )
    return pd.DataFrame(out)


def plot(results: pd.DataFrame, task: str, path: Any) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    part = results[results["task"] == task]
    budgets = sorted(part["budget"].unique())
    fig, axes = plt.subplots(1, len(budgets), figsize=(5 * len(budgets), 3.6), squeeze=False)
    for ax, budget in zip(axes[0], budgets):
        here = part[part["budget"] == budget]
        known = here.groupby("dataset")["score"].apply(lambda s: s.notna().all())
        here = here[here["dataset"].isin(known[known].index)]  # the same targets everywhere
        for start, p in here.groupby("start", sort=False):
            curve = p.groupby("checkpoint")["score"].mean()
            ax.plot([c * 100 for c in curve.index], curve.to_numpy(), marker="o", label=start)
        ax.set_title(f"{task}, {budget:g} s ({known.sum()} datasets known at 100 %)")
        ax.set_xlabel("% of the budget")
        ax.set_ylabel("mean normalized loss (lower is better)")
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def replay_all(metabase: Metabase, args: argparse.Namespace) -> pd.DataFrame:
    budgets = [float(b) for b in args.budgets.split(",")]
    starts = choosers([int(k) for k in args.sizes.split(",")])
    targets = args.datasets.split(",") if args.datasets else metabase.datasets
    if args.shard:
        k, n = (int(v) for v in args.shard.split("/"))
        targets = targets[k::n]
    started, rows = time.time(), []
    for i, target in enumerate(targets, 1):
        rows.extend(replay_target(metabase, target, budgets, starts, args.startup))
        if i % 25 == 0:
            print(f"  {i}/{len(targets)} targets, {time.time() - started:.0f} s", flush=True)
    return pd.DataFrame(rows)


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.portfolio_replay", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--metabase", default=None, help="metabase folder (default: shipped)")
    parser.add_argument("--budgets", default="30,60")
    parser.add_argument("--sizes", default="8,16,32", help="portfolio sizes compared")
    parser.add_argument("--startup", type=float, default=0.6, help="seconds to the first trial")
    parser.add_argument("--datasets", default="", help="comma-separated targets (default: all)")
    parser.add_argument("--no-write", action="store_true", help="print only")
    parser.add_argument(
        "--shard",
        default="",
        metavar="K/N",
        help="replay every N-th target from the K-th (0-based) into a shard file, no tables; "
        "then --tables-only joins the shards (one process per core)",
    )
    parser.add_argument("--tables-only", action="store_true")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    metabase = load_metabase(args.metabase)
    if args.tables_only:
        shards = sorted(RESULTS.parent.glob(RESULTS.stem + ".shard*.csv"))
        results = pd.concat([pd.read_csv(p) for p in shards], ignore_index=True)
    else:
        results = replay_all(metabase, args)
        if args.shard:
            k, n = args.shard.split("/")
            RESULTS.parent.mkdir(exist_ok=True)
            results.to_csv(RESULTS.with_suffix(f".shard{k}of{n}.csv"), index=False)
            return
    table, firsts = compact(results), first_member(results)
    text = "\n".join(
        [
            "# Warm starts replayed leave one dataset out: portfolio, nearest datasets, cold",
            "",
            f"Generated by `python -m benchmarks.portfolio_replay --budgets {args.budgets} "
            f"--sizes {args.sizes}` on a metabase of {len(metabase.datasets)} datasets and "
            f"{len(metabase.configurations)} configurations (run times measured on at most "
            f"{metabase.eval_rows or 'all the'} rows). Loss: the best validation loss by the "
            "checkpoint, normalized on each target (0 its best measured configuration, 1 its "
            "worst); one core; first trial after "
            f"{args.startup:g} s. See the script's docstring for the starts.",
            "",
            "## Against the cold start",
            "",
            "Mean normalized loss at each share of the budget, the cold start's in brackets; "
            "wins: targets where the start is better - worse than the cold start (ties left "
            "out). Per target: `results/portfolio_replay.csv`.",
            "",
            common.markdown(table),
            "",
            "## The first configuration alone against the LightGBM default",
            "",
            common.markdown(firsts),
            "",
        ]
    )
    print(text)
    if not args.no_write:
        TABLE.write_text(text)
        RESULTS.parent.mkdir(exist_ok=True)
        results.to_csv(RESULTS, index=False)
        for task in sorted(results["task"].unique()):
            plot(results, task, common.BENCHMARKS / f"portfolio_replay_{task}.png")


if __name__ == "__main__":
    main()
