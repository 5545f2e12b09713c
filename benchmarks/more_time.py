"""Does more time hurt? Each system's test score at a long budget against its score at a short one.

Usage (from the repo root), on a results CSV of ``benchmarks.run`` that holds both budgets::

    python -m benchmarks.more_time --out benchmarks/results/final_model_300.csv \
        --short 60 --long 300 --systems automl --table benchmarks/MORE_TIME.md

A dataset counts as *worse* when the long budget's score (on the seeds run at both budgets) is
worse than the short one's. The tolerance is the spread between seeds at the short budget:
the largest minus the smallest score over the seeds run there (split and model seed change
together). A loss larger than that spread is *worse beyond the seed spread*. With one seed
at the short budget there is no spread, and every loss is shown without a verdict.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks import common
from benchmarks.result_rows import format_score, higher_is_better, read_results, select_rows

TOLERANCE = 1e-9  # equal scores are not a loss


def compare_budgets(
    df: pd.DataFrame, system: str, short: float, long: float, n_jobs: int
) -> pd.DataFrame:
    """One row per dataset that has ok runs of ``system`` at both budgets."""
    datasets, seeds = set(df["dataset"]), set(df["seed"])
    ok = pd.concat(
        [select_rows(df, datasets, seeds, [system], budget, n_jobs) for budget in (short, long)]
    )
    ok = ok[ok["status"] == "ok"]
    rows = []
    for dataset, runs in ok.groupby("dataset", sort=False):
        at_short = runs[np.isclose(runs["budget"], short)].set_index("seed")
        at_long = runs[np.isclose(runs["budget"], long)].set_index("seed")
        seeds = sorted(set(at_short.index) & set(at_long.index))
        if not seeds:
            continue
        metric = runs["metric"].iloc[0]
        sign = 1.0 if higher_is_better(metric) else -1.0
        short_score = float(at_short.loc[seeds, "score"].mean())
        long_score = float(at_long.loc[seeds, "score"].mean())
        gain = sign * (long_score - short_score)  # > 0: the long budget did better
        spread = (
            float(at_short["score"].max() - at_short["score"].min()) if len(at_short) > 1 else None
        )
        if gain >= -TOLERANCE:
            verdict = "better" if gain > TOLERANCE else "equal"
        elif spread is None:
            verdict = "worse (no seed spread)"
        else:
            verdict = "worse beyond the seed spread" if -gain > spread else "worse, within"
        rows.append(
            {
                "dataset": dataset,
                "task": runs["task"].iloc[0],
                "rows": int(runs["n_rows"].iloc[0]),
                "metric": metric,
                "seeds": ",".join(str(s) for s in seeds),
                "short": short_score,
                "long": long_score,
                "change_pct": 100.0 * gain / max(abs(short_score), 1e-12),
                "spread": spread,
                "trials_short": float(at_short.loc[seeds, "n_trials"].mean()),
                "trials_long": float(at_long.loc[seeds, "n_trials"].mean()),
                "verdict": verdict,
            }
        )
    return pd.DataFrame(rows)


def _markdown(frame: pd.DataFrame, short: float, long: float) -> list[str]:
    head = (
        f"| dataset | task | rows | metric | {short:g} s | {long:g} s | change (+ = better) "
        f"| seed spread at {short:g} s | trials {short:g} s | trials {long:g} s | verdict |"
    )
    lines = [head, "|---|---|---:|---|---:|---:|---:|---:|---:|---:|---|"]
    for r in frame.sort_values(["task", "rows"]).itertuples(index=False):
        spread = "—" if r.spread is None or pd.isna(r.spread) else format_score(r.spread, r.metric)
        lines.append(
            f"| {r.dataset} | {r.task} | {r.rows} | {r.metric} | {format_score(r.short, r.metric)} "
            f"| {format_score(r.long, r.metric)} | {r.change_pct:+.2f} % | {spread} "
            f"| {r.trials_short:.0f} | {r.trials_long:.0f} | {r.verdict} |"
        )
    return lines


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.more_time", description=__doc__)
    p.add_argument("--out", required=True, help="results CSV of benchmarks.run")
    p.add_argument("--short", type=float, default=60.0, help="the short budget (s)")
    p.add_argument("--long", type=float, default=300.0, help="the long budget (s)")
    p.add_argument("--systems", default="automl", help="comma-separated systems")
    p.add_argument("--n-jobs", type=int, default=2)
    p.add_argument("--table", default=None, help="markdown file to write (default: print)")
    args = p.parse_args(argv)
    if args.short >= args.long:
        raise SystemExit("error: --short must be a smaller budget than --long")
    path = Path(args.out)
    if not path.exists():
        raise SystemExit(f"error: no results CSV at {path}")
    df = read_results(path)
    command = "python -m benchmarks.more_time " + " ".join(sys.argv[1:] if argv is None else argv)
    lines = [
        f"# More time: {args.short:g} s against {args.long:g} s",
        "",
        f"- Command: `{command}`",
        f"- Date: {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC; results from "
        f"`{path.name}` (revisions {', '.join(sorted(set(df['git_rev'].dropna().astype(str))))})",
        "- Change: the long budget's test score against the short one's, on the seeds run at "
        "both, as a percentage of the short one's (positive = better). Seed spread: the largest "
        "minus the smallest score over the seeds run at the short budget.",
    ]
    for system in common.comma_list(args.systems):
        frame = compare_budgets(df, system, args.short, args.long, args.n_jobs)
        lines += ["", f"## {system}", ""]
        if frame.empty:
            lines.append(f"No dataset has ok runs of {system} at both budgets.")
            continue
        worse = frame["verdict"].str.startswith("worse")
        beyond = int((frame["verdict"] == "worse beyond the seed spread").sum())
        spread_known = frame["spread"].notna().any()
        lines += _markdown(frame, args.short, args.long)
        lines += [
            "",
            f"{len(frame)} datasets: better or equal on {int((~worse).sum())}, worse on "
            f"{int(worse.sum())} "
            + (
                f"({beyond} beyond the seed spread)"
                if spread_known
                else f"(no seed spread measured: one seed at {args.short:g} s)"
            )
            + f"; median change {float(frame['change_pct'].median()):+.2f} %.",
        ]
    text = "\n".join(lines) + "\n"
    if args.table:
        Path(args.table).write_text(text)
        common.log(f"table written to {args.table}")
    else:
        print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
