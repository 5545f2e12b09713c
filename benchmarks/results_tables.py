"""The markdown report (``benchmarks/RESULTS.md``) of the product benchmark's results CSV.

Written by ``benchmarks.run`` after a run and by ``benchmarks.run --table-only``. Only rows
matching the run's selection (datasets, seeds, systems, budget, n_jobs) are used; when a
(dataset, seed, system) was run more than once, its latest ``ok`` row wins (else its latest
row).
"""

from __future__ import annotations

import datetime as dt
import math
import os
from pathlib import Path
from typing import Any

import pandas as pd

from benchmarks.common import TASKS, markdown_table
from benchmarks.machine import library_versions, machine_description
from benchmarks.result_rows import (
    TIE_TOLERANCE,
    compare,
    format_score,
    higher_is_better,
    mean_ranks,
    read_results,
    select_rows,
)
from benchmarks.systems import BASELINES, BUDGETED, SYSTEMS

TASK_ORDER = {task: i for i, task in enumerate(TASKS)}


def over_limit_threshold(budget: float) -> float:
    """A budgeted fit taking longer than this counts as over its time limit."""
    return budget * 1.1 + 5


def _fmt_s(value: float | None) -> str:
    return "—" if value is None or not math.isfinite(value) else f"{value:.1f}"


def _cell(runs: pd.DataFrame, system: str, metric: str) -> tuple[str, float | None]:
    r = runs[runs["system"] == system]
    if r.empty:
        return "—", None
    ok = r[r["status"] == "ok"]
    if ok.empty:
        statuses = sorted(set(r["status"]))
        return "/".join(statuses), None
    mean = float(ok["score"].mean())
    text = format_score(mean, metric)
    if len(ok) < len(r):
        text += f" ({len(r) - len(ok)}/{len(r)} failed)"
    return text, mean


def dataset_rows(
    sel: pd.DataFrame, datasets: pd.DataFrame, systems: list[str]
) -> list[dict[str, Any]]:
    meta = datasets.set_index("name")
    out = []
    names = sorted(
        set(sel["dataset"]),
        key=lambda n: (TASK_ORDER.get(str(meta.loc[n, "task"]), 9), int(meta.loc[n, "n_rows"]), n),
    )
    for name in names:
        runs = sel[sel["dataset"] == name]
        task = str(meta.loc[name, "task"])
        metric = str(runs["metric"].iloc[0])
        row: dict[str, Any] = {
            "dataset": name,
            "task": task,
            "rows": int(meta.loc[name, "n_rows"]),
            "metric": metric,
            "seeds": runs["seed"].nunique(),
        }
        means = {}
        for s in systems:
            row[s], means[s] = _cell(runs, s, metric)
        # Bold only among systems that succeeded on every seed (means over equal seed sets).
        complete = {
            s
            for s in systems
            if len(runs[runs["system"] == s]) == row["seeds"]
            and (runs[runs["system"] == s]["status"] == "ok").all()
        }
        present = {s: m for s, m in means.items() if m is not None and s in complete}
        if len(present) >= 2:
            best = (max if higher_is_better(metric) else min)(present.values())
            for s, m in present.items():
                if abs(m - best) <= TIE_TOLERANCE:
                    row[s] = f"**{row[s]}**"
        a = runs[(runs["system"] == "automl")]
        a_ok = a[a["status"] == "ok"]
        row["automl_fit"] = float(a_ok["fit_time"].mean()) if len(a_ok) else None
        row["automl_trials"] = (
            float(a_ok["n_trials"].mean()) if len(a_ok) and a_ok["n_trials"].notna().any() else None
        )
        for base in BASELINES:
            row[f"vs_{base}"] = compare(runs, "automl", base, metric) if base in systems else None
        out.append(row)
    return out


def system_stats(sel: pd.DataFrame, systems: list[str]) -> list[list[str]]:
    lines = []
    for s in systems:
        r = sel[sel["system"] == s]
        if r.empty:
            continue
        ok = r[r["status"] == "ok"]
        n_over = int(r["over_limit"].sum())
        budgeted = s in BUDGETED

        def mx(col, frame=ok):
            v = frame[col].max() if col in frame and len(frame) else float("nan")
            return v

        lines.append(
            [
                s,
                str(len(r)),
                str(len(ok)),
                str(int((r["status"] == "crashed").sum())),
                str(int((r["status"] == "timeout").sum())),
                _fmt_s(ok["fit_time"].mean() if len(ok) else float("nan")),
                _fmt_s(mx("fit_time")),
                (_fmt_s(mx("overrun")) if budgeted else "n/a"),
                (f"{n_over}" if budgeted else f"n/a ({n_over})"),
                f"{mx('predict_time'):.2f}" if len(ok) else "—",
                f"{mx('peak_rss_mb', r):.0f}" if r["peak_rss_mb"].notna().any() else "—",
                _median_mb(r, "peak_rss_mb"),
                _median_mb(r, "peak_pss_mb"),
            ]
        )
    return lines


def _median_mb(frame: pd.DataFrame, column: str) -> str:
    """The median, and over how many runs when some have no value (older runs)."""
    if column not in frame or not frame[column].notna().any():
        return "—"
    known = int(frame[column].notna().sum())
    text = f"{frame[column].median():.0f}"
    return text if known == len(frame) else f"{text} ({known} of {len(frame)} runs)"


# ---------------------------------------------------------------------------------------------
# The report.
# ---------------------------------------------------------------------------------------------


def write_table(
    csv_path: Path,
    table_path: Path,
    datasets: pd.DataFrame,
    seeds: list[int],
    systems: list[str],
    budget: float,
    n_jobs: int,
    command: str,
    notes: list[str] | None = None,
    git_rev: str | None = None,
) -> str:
    """Write the markdown report; return a short plain-text summary."""
    csv_path, table_path = Path(csv_path), Path(table_path)
    if not csv_path.exists():
        raise SystemExit(f"error: no results file {csv_path}")
    df = read_results(csv_path)
    systems = [s for s in SYSTEMS if s in systems]
    sel = select_rows(df, datasets["name"], seeds, systems, budget, n_jobs)
    shown = [s for s in systems if (sel["system"] == s).any()]
    now = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "# Benchmark results",
        "",
        f"- Command: `{command}`",
        f"- Date: {now}"
        + (
            f" (runs from {sel['timestamp'].min()} to {sel['timestamp'].max()})"
            if len(sel) and "timestamp" in sel
            else ""
        ),
        f"- Machine: {machine_description()}",
        "- Versions: "
        + ", ".join(f"{k} {v}" for k, v in library_versions())
        + (f"; repo at `{git_rev}`" if git_rev else ""),
    ]
    revs = sorted(str(r) for r in set(sel["git_rev"].dropna())) if "git_rev" in sel else []
    if revs and revs != [git_rev]:
        lines.append(f"- Results produced at repo revision(s): {', '.join(revs)}")
    lines += [
        f"- Setup: time budget {budget:g} s (automl, flaml), n_jobs {n_jobs}, seeds "
        f"{', '.join(map(str, seeds))}; per seed one 75/25 train/test split (stratified for "
        "classification); every fit in a fresh process",
        "- Metrics (on the test split): binary `roc_auc` (higher is better), multiclass `log_loss` "
        "(lower is better), regression `rmse` (lower is better). Scores are means over seeds; "
        "**bold** = best in the row.",
    ]
    for n in notes or []:
        lines.append(f"- Note: {n}")
    lines.append("")

    if sel.empty:
        avail = df.groupby(["budget", "n_jobs"]).size() if len(df) else None
        lines.append(
            f"No results for budget {budget:g} s / n_jobs {n_jobs} and this selection in "
            f"`{csv_path}`."
            + (
                f" The CSV has (budget, n_jobs): "
                f"{', '.join(f'({b:g}, {j})' for b, j in avail.index)}."
                if avail is not None
                else ""
            )
        )
        _write(table_path, lines)
        return f"no results for budget {budget:g} / n_jobs {n_jobs}"

    rows = dataset_rows(sel, datasets, shown)
    header = [
        "dataset",
        "task",
        "rows",
        "metric",
        *shown,
        "automl fit time (s)",
        "n_trials",
        "≥ lgbm",
    ]
    body = []
    for r in rows:
        body.append(
            [
                r["dataset"],
                r["task"],
                r["rows"],
                r["metric"],
                *[r[s] for s in shown],
                _fmt_s(r["automl_fit"]),
                "—" if r["automl_trials"] is None else f"{r['automl_trials']:.0f}",
                r["vs_lightgbm"] or "—",
            ]
        )
    right = [2] + list(range(4, 4 + len(shown) + 2))
    lines += markdown_table(header, body, right)
    lines.append("")

    # Summary.
    lines += ["## Summary", ""]
    summary_text = []
    if "automl" in shown:
        for base in BASELINES:
            if base not in shown:
                continue
            verdicts = [(r["task"], r[f"vs_{base}"]) for r in rows if r[f"vs_{base}"] is not None]
            wins = sum(v.startswith("yes") for _, v in verdicts)
            per_task = []
            for t in TASK_ORDER:
                tv = [v for tt, v in verdicts if tt == t]
                if tv:
                    per_task.append(f"{t} {sum(v.startswith('yes') for v in tv)}/{len(tv)}")
            text = (
                f"automl is at least as good as {SYSTEMS[base].label} on **{wins} of "
                f"{len(verdicts)}** datasets" + (f" ({', '.join(per_task)})" if per_task else "")
            )
            lines.append(f"- {text}.")
            summary_text.append(text.replace("**", ""))
    else:
        lines.append("- automl was not part of this selection: no comparison.")
    ranks = mean_ranks(sel, [s for s in shown if s in set(sel["system"])])
    if len(ranks) > 1:
        text = ", ".join(f"{SYSTEMS[s].label} {r:.2f}" for s, r in ranks.items())
        lines.append(
            f"- Mean rank over the datasets (1 = best of {len(ranks)}; a failed run ranks "
            f"last): {text}."
        )
        summary_text.append(f"mean rank: {text}")
    limit = over_limit_threshold(budget)
    for system in BUDGETED:
        a = sel[sel["system"] == system]
        if a.empty:
            continue
        a_ok = a[a["status"] == "ok"]
        n_over = int(a["over_limit"].sum())
        max_fit = a_ok["fit_time"].max() if len(a_ok) else float("nan")
        worst = a_ok.loc[a_ok["fit_time"].idxmax()] if len(a_ok) else None
        text = (
            f"{system} fit time: max {_fmt_s(max_fit)} s"
            + (f" ({worst['dataset']}, seed {worst['seed']})" if worst is not None else "")
            + f", max overrun {_fmt_s(max_fit - budget)} s over the {budget:g} s budget; "
            f"{n_over} of {len(a)} runs over the limit budget*1.1+5 = {limit:g} s"
            + (" (timeouts count as over)" if (a["status"] == "timeout").any() else "")
        )
        lines.append(f"- {text}.")
        summary_text.append(text)
        n_fail = int((a["status"] != "ok").sum())
        if n_fail:
            lines.append(f"- {system} failed {n_fail} of {len(a)} runs (see failures below).")
            summary_text.append(f"{system} failed {n_fail} of {len(a)} runs")
    lines.append("")
    lines += ["Per system (all runs in the table):", ""]
    lines += markdown_table(
        [
            "system",
            "runs",
            "ok",
            "crashed",
            "timeout",
            "mean fit (s)",
            "max fit (s)",
            "max overrun (s)",
            "over limit",
            "max predict (s)",
            "max peak RSS (MB)",
            "median peak RSS (MB)",
            "median peak PSS (MB)",
        ],
        system_stats(sel, shown),
        right=range(1, 13),
    )
    lines += [
        "",
        "Over limit = fit time > budget*1.1+5 s (or a hard timeout at budget*3+60 s). "
        "The baselines get no budget, so for them it is only shown in parentheses. "
        "Peak RSS = peak summed resident memory of the child process tree during fit and "
        "predict (includes the loaded data and the Python interpreter). It counts a page "
        "once per process that maps it: the libraries every worker loads, and the pages a "
        "forked trial shares with its worker, again and again. Peak PSS (proportional set "
        "size) counts each page once across the tree; runs recorded before it was sampled "
        "have none.",
    ]
    fails = sel[sel["status"] != "ok"]
    if len(fails):
        lines += ["", "### Failures", ""]
        lines += markdown_table(
            ["dataset", "seed", "system", "status", "error"],
            [
                [
                    r.dataset,
                    r.seed,
                    r.system,
                    r.status,
                    str(r.error)[:160].replace("|", "\\|").replace("\n", " "),
                ]
                for r in fails.itertuples()
            ],
        )
    lines.append("")
    _write(table_path, lines)
    return "\n".join(summary_text) or f"{len(sel)} runs tabulated"


def _write(path: Path, lines: list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")
    os.replace(tmp, path)
