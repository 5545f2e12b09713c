"""One self-contained HTML file from a ``ReportInput``: plotly.js inlined once, no fetches.

The file opens offline and can be mailed or archived: nothing in it refers to a network
address (plotly.js is embedded, the CSS and the table-sorting script are inline).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from automl.report.inputs import ReportInput
from automl.run_card import RunCard

MISSING_EXTRA = 'the report needs Plotly and Jinja2: pip install "automl[report]"'
LEADERBOARD_COLUMNS = (
    "rank",
    "trial_id",
    "model",
    "score",
    "status",
    "fidelity",
    "duration",
    "fit_time",
    "predict_time",
    "worker",
    "config",
)


@dataclass(frozen=True)
class PlotBlock:
    id: str
    name: str
    json: str  # the figure as Plotly JSON (data and layout)


def render(report: ReportInput) -> str:
    """The report as an HTML document."""
    try:
        import jinja2
        import plotly.io as pio
        from plotly.offline import get_plotlyjs
    except ImportError as error:
        raise ImportError(f"{MISSING_EXTRA} ({error})") from error
    from automl.report import figures

    plots = [
        ("anytime", figures.anytime_curve(report.trials, report.metric)),
        ("scores", figures.scores_by_family(report.trials, report.metric)),
        ("timeline", figures.worker_timeline(report.trials)),
    ]
    if report.importance is not None:
        plots.append(("importance", figures.feature_importance(report.importance, report.metric)))
    if report.card is not None and report.card.final_model.members:
        members = [(f"{m.label} ({m.model})", m.weight) for m in report.card.final_model.members]
        plots.append(("weights", figures.ensemble_weights(members)))
    if report.compared:
        plots.insert(0, ("compared", figures.compared_anytime(report.compared, report.metric)))
    blocks = [
        PlotBlock(f"plot-{name}", name, pio.to_json(figure, validate=False))
        for name, figure in plots
    ]
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("automl.report", "templates"),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
    )
    columns, rows = _leaderboard(report)
    card = report.card
    return environment.get_template("report.html.j2").render(
        title=report.title,
        subtitle=_subtitle(report),
        missing=report.missing,
        card_sections=[] if card is None else card_sections(card),
        plotly_js=_script(get_plotlyjs()),
        plots=blocks,
        n_trials=len(report.trials),
        leaderboard_columns=columns,
        leaderboard_rows=rows,
        space_version=None if card is None else card.space.version,
        space_rows=[] if card is None else sorted(card.space.hyperparameters.items()),
    )


def write_report(report: ReportInput, path: str | Path) -> Path:
    path = Path(path)
    if path.suffix.lower() not in (".html", ".htm"):
        raise ValueError(f"the report is an HTML file; give a path ending in .html, not {path}")
    html = render(report)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(html, encoding="utf-8")
    return path


def card_sections(card: RunCard) -> list[tuple[str, list[tuple[str, str]]]]:
    """The run card as headed tables of (label, value) rows."""
    data, search, final = card.data, card.search, card.final_model
    kinds: dict[str, int] = {}
    for kind in data.column_kinds.values():
        kinds[kind] = kinds.get(kind, 0) + 1
    members = "; ".join(
        f"{m.label} {m.model} x{m.weight:.3f} ({m.fitted_on})" for m in final.members
    )
    sources = ", ".join(f"{k}: {v}" for k, v in search.warm_start_sources.items()) or "none"
    statuses = ", ".join(f"{k} {v}" for k, v in sorted(search.trials_by_status.items()))
    return [
        (
            "Data",
            [
                ("fingerprint", data.fingerprint or "-"),
                ("rows x columns", f"{data.n_rows:,} x {data.n_columns}"),
                (
                    "column kinds",
                    "a sparse matrix of numbers"
                    if data.sparse
                    else ", ".join(f"{v} {k}" for k, v in sorted(kinds.items())),
                ),
                ("columns", _columns(data.column_kinds)),
                ("dropped (no values)", ", ".join(data.dropped_columns) or "none"),
                ("task", data.task),
                ("classes", "-" if data.classes is None else ", ".join(data.classes)),
                ("sample weights", "yes" if data.weighted else "no"),
            ],
        ),
        (
            "Search",
            [
                ("metric", search.metric),
                ("resampling", search.resampling),
                ("time budget", f"{search.time_budget:g} s (fit took {search.fit_time:.1f} s)"),
                ("strategy", f"{search.strategy}, successive halving {search.successive_halving}"),
                ("random_state", str(search.random_state)),
                ("max_trials", str(search.max_trials)),
                ("workers (n_jobs)", str(search.n_jobs)),
                ("trials", statuses + (" (interrupted)" if search.interrupted else "")),
                ("warm start", f"{search.warm_start}; sources: {sources}"),
                ("resumed trials", str(search.resumed_trials)),
                ("history run", search.history_run_id or "not recorded"),
            ],
        ),
        (
            "Final model",
            [
                ("how it was built", final.description),
                ("members", members or "none"),
                ("validation score", _number(final.validation_score)),
                ("prediction latency", f"{final.prediction_latency_ms:.1f} ms per 1,000 rows"),
                ("size", f"{final.model_size_bytes / 1e6:.2f} MB pickled"),
            ],
        ),
        (
            "Space and versions",
            [
                ("space version", card.space.version),
                ("model families", ", ".join(card.space.families)),
                ("hyperparameters", f"{len(card.space.hyperparameters)} (listed below)"),
                *sorted(card.library_versions.items()),
                ("made at", card.created_at),
            ],
        ),
    ]


def _leaderboard(report: ReportInput) -> tuple[list[str], list[list[dict[str, Any]]]]:
    from automl.ledger import rank_key

    trials = report.trials.to_dict("records")
    trials.sort(
        key=lambda t: rank_key(_float(t["fidelity"], 1.0), _float(t["loss"]), t["trial_id"])
    )
    rows = []
    for rank, trial in enumerate(trials, start=1):
        values = {**trial, "rank": rank}
        row = []
        for column in LEADERBOARD_COLUMNS:
            value = values.get(column)
            if column == "config":
                config = {k: v for k, v in (value or {}).items() if k != "model"}
                text = json.dumps(config, default=str)
                row.append({"text": text, "sort": text})
            elif isinstance(value, float):
                missing = math.isnan(value) or math.isinf(value)
                row.append(
                    {
                        "text": "" if missing else f"{value:.5g}",
                        "sort": "" if missing else repr(value),
                    }
                )
            else:
                text = "" if value is None else str(value)
                row.append({"text": text, "sort": text})
        rows.append(row)
    return list(LEADERBOARD_COLUMNS), rows


def _columns(kinds: dict[str, str], limit: int = 40) -> str:
    shown = ", ".join(f"{n} ({k})" for n, k in list(kinds.items())[:limit])
    return shown + (f", ... and {len(kinds) - limit} more" if len(kinds) > limit else "")


def _subtitle(report: ReportInput) -> str:
    parts = [f"task {report.task}", f"metric {report.metric}", f"{len(report.trials)} trials"]
    if report.card is not None:
        parts.append(f"made {report.card.created_at}")
    return " | ".join(parts)


def _script(code: str) -> str:
    # "</script>" inside the library's code would end the element early
    return "<script>" + code.replace("</script", "<\\/script") + "</script>"


def _float(value: Any, default: float = math.inf) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return default
    return default if math.isnan(number) else number


def _number(value: float | None) -> str:
    return "-" if value is None else f"{value:.6g}"
