"""The report's plots, as Plotly figures (rendered to HTML by ``automl.report.render``).

Times are seconds since the run's first trial started: the history and ``trials_`` keep
wall-clock starts and finishes, and a report is about the run, not the clock.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from automl.report.inputs import RunSummary

STATUS_COLOURS = {
    "ok": "#2a9d8f",
    "timeout": "#e9c46a",
    "memout": "#f4a261",
    "crashed": "#e76f51",
    "lost": "#6d597a",
    "cancelled": "#8d99ae",
}
LAYOUT = {
    "template": "plotly_white",
    "height": 380,
    "margin": {"l": 60, "r": 20, "t": 50, "b": 50},
}


def anytime_curve(trials: pd.DataFrame, metric: str, name: str = "this run") -> go.Figure:
    """Best validation score so far against the time each trial finished."""
    figure = go.Figure(layout={**LAYOUT, "title": "Best validation score over time"})
    _add_anytime(figure, trials, name)
    figure.update_xaxes(title="seconds since the first trial started")
    figure.update_yaxes(title=f"best {metric} so far")
    return figure


def compared_anytime(runs: tuple[RunSummary, ...], metric: str) -> go.Figure:
    """The anytime curves of several runs on the same data, overlaid."""
    figure = go.Figure(layout={**LAYOUT, "title": f"Runs on these data: best {metric} over time"})
    for run in runs:
        _add_anytime(figure, run.trials, run.label)
    figure.update_xaxes(title="seconds since the run's first trial started")
    figure.update_yaxes(title=f"best {metric} so far")
    return figure


def _add_anytime(figure: go.Figure, trials: pd.DataFrame, name: str) -> None:
    ok = _full_fidelity_ok(trials)
    if ok.empty:
        return
    end = ok["finished"].where(ok["finished"].notna(), ok["started"] + ok["duration"])
    origin = trials["started"].replace(0, np.nan).min()
    order = np.argsort(end.to_numpy(), kind="stable")
    seconds = (end.to_numpy() - origin)[order]
    # losses are minimised; the best score is the score of the smallest loss so far
    losses = ok["loss"].to_numpy()[order]
    scores = ok["score"].to_numpy()[order]
    best_index = [int(np.argmin(losses[: i + 1])) for i in range(len(losses))]
    figure.add_trace(
        go.Scatter(
            x=seconds,
            y=scores[best_index],
            mode="lines+markers",
            line_shape="hv",
            name=name,
            hovertemplate="%{x:.1f}s: %{y:.5g}<extra>" + name + "</extra>",
        )
    )


def scores_by_family(trials: pd.DataFrame, metric: str) -> go.Figure:
    """Each finished trial's score, one column of points per model family."""
    ok = trials[(trials["status"] == "ok") & trials["score"].notna()]
    figure = go.Figure(layout={**LAYOUT, "title": "Validation score per trial, by model family"})
    for family, group in ok.groupby("model", sort=True):
        figure.add_trace(
            go.Box(
                y=group["score"],
                name=str(family),
                boxpoints="all",
                jitter=0.4,
                pointpos=0,
                text=[f"trial {t}" for t in group["trial_id"]],
                hovertemplate="%{text}: %{y:.5g}<extra></extra>",
            )
        )
    figure.update_layout(showlegend=False)
    figure.update_yaxes(title=metric)
    return figure


def worker_timeline(trials: pd.DataFrame) -> go.Figure:
    """One row per worker process, one bar per trial from its start to its end, coloured by
    how it ended (ok, timeout, memout, crashed, ...)."""
    known = trials[trials["started"].notna() & (trials["started"] > 0)].copy()
    known["end"] = known["finished"].where(
        known["finished"].notna(), known["started"] + known["duration"]
    )
    known["worker"] = known["worker"].fillna("unknown").astype(str)
    origin = known["started"].min() if len(known) else 0.0
    figure = go.Figure(layout={**LAYOUT, "title": "Trials per worker over time"})
    for status, group in known.groupby("status", sort=True):
        figure.add_trace(
            go.Bar(
                base=group["started"] - origin,
                x=(group["end"] - group["started"]).clip(lower=0.01),
                y=group["worker"],
                orientation="h",
                name=str(status),
                marker_color=STATUS_COLOURS.get(str(status), "#264653"),
                text=[f"trial {t} ({m})" for t, m in zip(group["trial_id"], group["model"])],
                textposition="none",
                hovertemplate="%{text}<br>%{base:.1f}s + %{x:.2f}s<extra>%{fullData.name}</extra>",
            )
        )
    figure.update_layout(barmode="overlay")
    figure.update_xaxes(title="seconds since the first trial started")
    figure.update_yaxes(title="worker (host:pid)")
    return figure


def feature_importance(table: pd.DataFrame, metric: str, top: int = 30) -> go.Figure:
    """Permutation importance per column (loss increase when shuffled), with its spread."""
    shown = table.head(top).iloc[::-1]
    figure = go.Figure(
        layout={
            **LAYOUT,
            "height": max(300, 24 * len(shown) + 120),
            "title": f"Feature importance (increase of the {metric} loss when shuffled)",
        }
    )
    figure.add_trace(
        go.Bar(
            x=shown["importance"],
            y=shown["feature"].astype(str),
            orientation="h",
            error_x={"type": "data", "array": shown["std"]},
            marker_color="#264653",
            hovertemplate="%{y}: %{x:.4g}<extra></extra>",
        )
    )
    return figure


def ensemble_weights(members: list[tuple[str, float]]) -> go.Figure:
    """The final model's members and their weights."""
    figure = go.Figure(layout={**LAYOUT, "title": "Final model: members and weights"})
    figure.add_trace(
        go.Bar(
            x=[label for label, _ in members],
            y=[weight for _, weight in members],
            marker_color="#2a9d8f",
            hovertemplate="%{x}: %{y:.3f}<extra></extra>",
        )
    )
    figure.update_yaxes(title="weight", range=[0, 1.05])
    return figure


def _full_fidelity_ok(trials: pd.DataFrame) -> pd.DataFrame:
    fidelity = trials["fidelity"].fillna(1.0)
    return trials[
        (trials["status"] == "ok")
        & trials["score"].notna()
        & (fidelity >= 1.0)
        & trials["started"].notna()
    ]
