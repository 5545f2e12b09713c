"""``automl report``: an HTML report of a saved model, or of runs in the team history."""

from __future__ import annotations

import argparse
import sys
from typing import Any


def add_report_command(commands: Any) -> argparse.ArgumentParser:
    report = commands.add_parser(
        "report",
        help="write an HTML report of a saved model or of recorded runs",
        description="Write one self-contained HTML file (opens offline): the run card, plots "
        "of the search (anytime curve, scores by family, worker timeline, feature importance, "
        "ensemble weights) and a sortable leaderboard. From a saved model: automl report "
        "MODEL --data ROWS.csv. From the history: automl report --history --run RUN, or "
        "--history --dataset NAME to compare the runs on one dataset.",
    )
    report.add_argument("model", metavar="MODEL", nargs="?", help="a model saved by 'automl fit'")
    report.add_argument(
        "--data",
        metavar="ROWS.csv",
        help="rows with the target column: adds feature importance (held-out rows are best)",
    )
    report.add_argument(
        "--history",
        action="store_true",
        help="report on runs recorded in the team history instead of a saved model",
    )
    report.add_argument(
        "--run", dest="run_id", metavar="RUN", help="with --history: a run id or unique prefix"
    )
    report.add_argument(
        "--dataset",
        metavar="NAME",
        help="with --history: compare every run on this dataset (name or fingerprint prefix)",
    )
    report.add_argument(
        "--store",
        default="auto",
        metavar="URL",
        help="history store URL or SQLite path (default: $AUTOML_HISTORY, else the per-user file)",
    )
    report.add_argument("--out", default="report.html", metavar="FILE", help="default report.html")
    report.add_argument("-v", "--verbose", action="store_true", help=argparse.SUPPRESS)
    report.set_defaults(run=_report)
    return report


def _report(args: argparse.Namespace) -> int:
    from automl.cli import UsageError, load_model, read_rows  # automl.cli imports this module

    try:
        from automl.report import compare_runs, from_estimator, from_history, write_report

        if args.history:
            if args.model or args.data:
                raise UsageError("--history reports on recorded runs: give no MODEL or --data.")
            if (args.run_id is None) == (args.dataset is None):
                raise UsageError("with --history, give either --run RUN or --dataset NAME.")
            report = _from_store(args, compare_runs, from_history)
        else:
            if args.model is None:
                raise UsageError("give a saved MODEL, or --history with --run or --dataset.")
            if args.run_id or args.dataset:
                raise UsageError("--run and --dataset need --history.")
            estimator = load_model(args.model)
            X = y = None
            if args.data:
                X, y = read_rows(estimator, args.data)
                if y is None:
                    target = getattr(estimator, "target_name_", None) or "the target"
                    raise UsageError(
                        f"{args.data} has no column {target!r}: importance needs the true values."
                    )
            report = from_estimator(estimator, X, y)
        path = write_report(report, args.out)
    except ImportError as error:
        raise UsageError(str(error)) from error
    except (ValueError, TypeError, OSError) as error:
        raise UsageError(str(error)) from error
    print(f"automl: report written to {path}", file=sys.stderr)
    return 0


def _from_store(args: argparse.Namespace, compare_runs: Any, from_history: Any) -> Any:
    from automl.cli import UsageError
    from automl.history import HistoryError, open_store

    try:
        store = open_store(args.store, create=False)
    except HistoryError as error:
        raise UsageError(str(error)) from error
    try:
        if args.run_id:
            return from_history(store, args.run_id)
        return compare_runs(store, args.dataset)
    except HistoryError as error:
        raise UsageError(str(error)) from error
    finally:
        store.close()
