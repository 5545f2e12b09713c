"""``automl history``: list, show, export and prune the recorded runs.

Registered on the main ``automl`` parser by :func:`add_history_commands`. Store problems
(unreachable server, corrupt file, unknown run) become ``automl.cli.UsageError``, so they
print as one line and exit with code 2 like every other ``automl`` error. ``automl.cli`` is
imported only when a command runs, because it imports this module to build its parser.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from automl.history.errors import HistoryError
from automl.history.export import jsonable
from automl.history.schema import RUN_STATUSES
from automl.history.store import HistoryStore, open_store


def add_history_commands(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``history`` and its subcommands to the ``automl`` subparsers; return its parser."""
    history = subparsers.add_parser(
        "history",
        help="list, show, export or prune recorded runs",
        description="Inspect the run history (default store: $AUTOML_HISTORY, else a SQLite "
        "file in your data directory).",
    )
    commands = history.add_subparsers(dest="history_command", required=True, metavar="COMMAND")

    listing = _command(commands, "list", "recorded runs, newest first", _list)
    listing.add_argument(
        "--limit",
        type=int,
        default=50,
        metavar="N",
        help="show the N newest runs (default 50; 0: all)",
    )

    show = _command(commands, "show", "one run and its trials, best first", _show)
    show.add_argument("run_id", metavar="RUN", help="a run id, or a unique prefix of one")
    show.add_argument("--json", action="store_true", help="print the run as JSON instead")

    export = _command(commands, "export", "write every run and trial as CSV or JSON", _export)
    export.add_argument("--format", choices=["csv", "json"], required=True)
    export.add_argument("--out", metavar="FILE", help="output file (default: standard output)")

    prune = _command(commands, "prune", "delete old runs and their trials", _prune)
    prune.add_argument(
        "--older-than", type=float, metavar="DAYS", help="runs started more than DAYS days ago"
    )
    prune.add_argument("--keep-last", type=int, metavar="N", help="never delete the N newest runs")
    prune.add_argument("--status", choices=RUN_STATUSES, help="only runs with this status")
    prune.add_argument(
        "--yes",
        action="store_true",
        help="really delete (without it, only say what would be deleted)",
    )
    return history


def _command(
    commands: Any, name: str, summary: str, run: Callable[[argparse.Namespace, HistoryStore], int]
) -> argparse.ArgumentParser:
    parser = commands.add_parser(
        name, help=summary, description=summary[0].upper() + summary[1:] + "."
    )
    parser.add_argument(
        "--history",
        default="auto",
        metavar="URL",
        help="store URL or SQLite path (default: $AUTOML_HISTORY, else the per-user file)",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help=argparse.SUPPRESS)
    parser.set_defaults(run=lambda args: _with_store(args, run))
    return parser


def _with_store(
    args: argparse.Namespace, run: Callable[[argparse.Namespace, HistoryStore], int]
) -> int:
    from automl.cli import (
        UsageError,  # here, not at the top: automl.cli imports this module
    )

    try:
        store = open_store(args.history, create=False)
    except HistoryError as error:
        if args.history_command == "list" and "nothing recorded yet" in str(error):
            print("No runs recorded yet.", file=sys.stderr)
            return 0
        raise UsageError(str(error)) from error
    try:
        return run(args, store)
    except HistoryError as error:
        raise UsageError(str(error)) from error
    finally:
        store.close()


def _list(args: argparse.Namespace, store: HistoryStore) -> int:
    runs = store.runs(limit=args.limit or None)
    if not runs:
        print(f"No runs recorded yet in {store.url}.", file=sys.stderr)
        return 0
    header = ("RUN", "STARTED (UTC)", "DATASET", "TASK", "METRIC", "TRIALS", "BEST", "STATUS")
    rows = [
        (
            run["id"][:8],
            _time(run["started_at"]),
            _short(run["dataset_name"] or "-", 30),
            run["task"],
            run["metric"],
            str(run["n_trials"]),
            _number(run["best_score"]),
            run["status"],
        )
        for run in runs
    ]
    _table(header, rows)
    return 0


def _show(args: argparse.Namespace, store: HistoryStore) -> int:
    run = store.run(args.run_id)
    if args.json:
        json.dump(jsonable(run), sys.stdout, indent=1, allow_nan=False)
        print()
        return 0
    duration = (run["ended_at"] - run["started_at"]).total_seconds() if run["ended_at"] else None
    fields = [
        ("run", run["id"]),
        ("status", run["status"]),
        ("started", _time(run["started_at"]) + " UTC"),
        ("duration", "-" if duration is None else f"{duration:.1f} s"),
        ("user@host", f"{run['user']}@{run['host']}"),
        ("dataset", run["dataset_name"] or "-"),
        ("fingerprint", run["fingerprint"]),
        ("task", run["task"]),
        ("metric", run["metric"]),
        ("time budget", _number(run["time_budget"]) + " s"),
        ("space version", run["space_version"] or "-"),
        ("trials", str(run["n_trials"])),
        ("best score", _number(run["best_score"])),
        ("meta-features", str(len(run["metafeatures"]))),
    ]
    width = max(len(name) for name, _ in fields)
    for name, value in fields:
        print(f"{name:<{width}}  {value}")
    if run["trials"]:
        print()
        trials = sorted(
            run["trials"], key=lambda t: (t["status"] != "ok", t["loss"], t["trial_id"])
        )
        header = ("TRIAL", "STATUS", "SCORE", "LOSS", "FIDELITY", "SECONDS", "MODEL", "ERROR")
        rows = [
            (
                str(t["trial_id"]),
                t["status"],
                _number(t["score"]),
                _number(t["loss"]),
                f"{t['fidelity']:.2f}",
                f"{t['duration']:.1f}",
                str(t["config"].get("model", "-")),
                _short((t["error"] or "").strip().splitlines()[-1] if t["error"] else "", 50),
            )
            for t in trials
        ]
        _table(header, rows)
    return 0


def _export(args: argparse.Namespace, store: HistoryStore) -> int:
    store.export(args.format, args.out if args.out else sys.stdout)
    if args.out:
        print(f"Wrote the history to {args.out}.", file=sys.stderr)
    return 0


def _prune(args: argparse.Namespace, store: HistoryStore) -> int:
    from automl.cli import UsageError

    if args.older_than is None and args.keep_last is None and args.status is None:
        raise UsageError(
            "say what to prune: --older-than DAYS, --keep-last N and/or --status STATUS"
        )
    count = store.prune(
        older_than_days=args.older_than,
        keep_last=args.keep_last,
        status=args.status,
        dry_run=not args.yes,
    )
    if args.yes:
        print(f"Deleted {count} run{'s' * (count != 1)} and their trials from {store.url}.")
    else:
        print(
            f"Would delete {count} run{'s' * (count != 1)} from {store.url}; add --yes to delete."
        )
    return 0


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        print("  ".join(str(cell).ljust(width) for cell, width in zip(row, widths)).rstrip())


def _time(moment: datetime | None) -> str:
    return "-" if moment is None else moment.strftime("%Y-%m-%d %H:%M")


def _number(value: float | None) -> str:
    if value is None:
        return "-"
    if not math.isfinite(value):
        return str(value)
    return f"{value:.4g}"


def _short(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."
