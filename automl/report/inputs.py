"""What a report shows, gathered from a fitted model or from the team history.

Both sources give the same typed value, so one renderer serves both. A run recorded before
history schema 3 has no run card and no worker or finish time per trial: those sections say
so instead of guessing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from automl.run_card import RunCard

TRIAL_COLUMNS = (
    "trial_id",
    "model",
    "score",
    "loss",
    "status",
    "fidelity",
    "worker",
    "duration",
    "fit_time",
    "predict_time",
    "started",
    "finished",
    "config",
)


@dataclass(frozen=True)
class RunSummary:
    """One run of a comparison: its name and trials (same columns as a report's)."""

    label: str
    trials: pd.DataFrame


@dataclass(frozen=True)
class ReportInput:
    title: str
    metric: str
    task: str
    card: RunCard | None  # None: a run recorded before the history kept cards
    trials: pd.DataFrame  # TRIAL_COLUMNS, one row per trial
    importance: pd.DataFrame | None = None  # automl.importance's table, when rows were given
    missing: tuple[str, ...] = ()  # what the source could not provide, in words
    compared: tuple[RunSummary, ...] = field(default_factory=tuple)  # other runs, same data


def from_estimator(estimator: Any, X: Any = None, y: Any = None, **importance: Any) -> ReportInput:
    """A fitted AutoMLClassifier/AutoMLRegressor; with ``X, y`` also its feature importance
    on those rows (bounded as ``feature_importance`` is)."""
    if not hasattr(estimator, "trials_") or not hasattr(estimator, "run_card_"):
        raise TypeError(
            f"a report needs a fitted automl estimator (AutoMLClassifier or AutoMLRegressor), "
            f"got {type(estimator).__name__}; models saved before run cards existed cannot be "
            "reported on, refit them."
        )
    table = None
    if X is not None or y is not None:
        if X is None or y is None:
            raise ValueError("feature importance needs both X and y (rows with the target).")
        table = estimator.feature_importance(X, y, **importance)
    card = estimator.run_card_
    return ReportInput(
        title=f"{card.estimator} on {card.data.n_rows:,} rows",
        metric=estimator.metric_,
        task=estimator.task_,
        card=card,
        trials=trial_table(estimator.trials_),
        importance=table,
    )


def from_history(store: Any, run_id: str) -> ReportInput:
    """A run in the team history (``HistoryStore``), with its trials."""
    run = store.run(run_id)  # a unique prefix is enough
    run_id = run["id"]
    card = None if not run.get("card") else RunCard.from_dict(run["card"])
    missing = []
    if card is None:
        missing.append(
            "the run card (data columns, space ranges, final model) was not recorded: the run "
            "was made before history schema 3 or did not finish"
        )
    trials = trial_table(store.trials(run_id))
    if trials["finished"].isna().all() and len(trials):
        missing.append("trial finish times and workers (runs before history schema 3)")
    name = run.get("dataset_name") or run["fingerprint"][:12]
    return ReportInput(
        title=f"Run {run_id[:8]} on {name}",
        metric=run["metric"],
        task=run["task"],
        card=card,
        trials=trials,
        missing=tuple(missing),
    )


def compare_runs(store: Any, dataset: str) -> ReportInput:
    """Every run the history holds on one dataset (a name or a fingerprint, or its prefix),
    newest first; the report shows the newest in full and overlays the others."""
    runs = [
        r
        for r in store.runs()
        if r.get("dataset_name") == dataset or str(r["fingerprint"]).startswith(dataset)
    ]
    if not runs:
        raise ValueError(
            f"the history has no run on a dataset named {dataset!r} (or with that "
            "fingerprint); 'automl history list' shows the recorded runs."
        )
    runs.sort(key=lambda r: r["started_at"], reverse=True)
    newest = from_history(store, runs[0]["id"])
    compared = tuple(
        RunSummary(
            label=f"{r['started_at']:%Y-%m-%d %H:%M} ({r['id'][:8]})",
            trials=trial_table(store.trials(r["id"])),
        )
        for r in runs
    )
    return ReportInput(
        title=f"{len(runs)} run(s) on {dataset}",
        metric=newest.metric,
        task=newest.task,
        card=newest.card,
        trials=newest.trials,
        missing=newest.missing,
        compared=compared,
    )


def trial_table(trials: list[dict[str, Any]]) -> pd.DataFrame:
    """Trials (estimator ``trials_`` or history rows) as one frame with TRIAL_COLUMNS."""
    table = pd.DataFrame(list(trials))
    for column in TRIAL_COLUMNS:
        if column not in table:
            table[column] = np.nan
    if len(table):
        table["model"] = [
            m if isinstance(m, str) else (c or {}).get("model")
            for m, c in zip(table["model"], table["config"])
        ]
    return table[list(TRIAL_COLUMNS)].sort_values("trial_id").reset_index(drop=True)
