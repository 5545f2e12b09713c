"""An HTML report of a fit: its run card, plots of the search and the leaderboard.

``write_report(from_estimator(model), "report.html")`` for a fitted model;
``from_history(store, run_id)`` and ``compare_runs(store, dataset)`` for the team history.
Needs the ``report`` extra (Plotly and Jinja2).
"""

from automl.report.inputs import ReportInput, compare_runs, from_estimator, from_history
from automl.report.render import render, write_report

__all__ = [
    "ReportInput",
    "compare_runs",
    "from_estimator",
    "from_history",
    "render",
    "write_report",
]
