"""``automl history list | show RUN | export | prune``: look into the team history."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from automl.history.store import HistoryError, HistoryStore, resolve_history


def add_history_commands(commands: Any) -> None:
    history = commands.add_parser("history", help="list, show, export or prune recorded runs",
                                  description="The team history of runs and trials.")
    sub = history.add_subparsers(dest="history_command", required=True, metavar="COMMAND")

    def command(name: str, help: str) -> argparse.ArgumentParser:
        parser = sub.add_parser(name, help=help, description=help)
        parser.add_argument("--history", default="auto", metavar="URL",
                            help="database URL or SQLite path (default: $AUTOML_HISTORY, else "
                            "the local file)")
        parser.add_argument("-v", "--verbose", action="store_true", help=argparse.SUPPRESS)
        return parser

    listing = command("list", "recorded runs, newest first")
    listing.add_argument("--limit", type=int, default=50, help="at most this many (default 50)")
    listing.set_defaults(run=_list)
    show = command("show", "one run and its trials, best first")
    show.add_argument("run_id", metavar="RUN", help="run id or a unique prefix of it")
    show.set_defaults(run=_show)
    export = command("export", "every run and trial as CSV or JSON")
    export.add_argument("--format", choices=["csv", "json"], default="csv")
    export.add_argument("--out", help="file to write (default: standard output)")
    export.set_defaults(run=_export)
    prune = command("prune", "delete runs (and their trials) matching all given conditions")
    prune.add_argument("--older-than", type=float, metavar="DAYS", help="started before this")
    prune.add_argument("--keep-last", type=int, metavar="N", help="keep the N newest runs")
    prune.add_argument("--status", choices=["running", "finished", "interrupted", "failed"])
    prune.add_argument("--yes", action="store_true", help="do it (otherwise only count)")
    prune.set_defaults(run=_prune)


def _open(args: argparse.Namespace) -> HistoryStore:
    url = resolve_history(args.history)
    if url is None:
        raise HistoryError("no history store given")
    return HistoryStore(url)


def _table(rows: list[list[Any]], header: list[str]) -> str:
    cells = [header] + [["" if v is None else str(v) for v in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    return "\n".join("  ".join(v.ljust(w) for v, w in zip(row, widths)).rstrip()
                     for row in cells)


def _list(args: argparse.Namespace) -> int:
    runs = _open(args).runs(limit=args.limit)
    if not runs:
        print("no runs recorded")
        return 0
    rows = [[r["id"][:8], str(r["started_at"])[:19], r["dataset_name"] or r["fingerprint"][:12],
             r["task"], r["metric"], r["n_trials"] or 0,
             "" if r["best_loss"] is None else f"{_score(r['best_loss'], r['metric']):.5g}",
             r["status"]] for r in runs]
    print(_table(rows, ["run", "started", "dataset", "task", "metric", "trials", "best",
                        "status"]))
    return 0


def _score(loss: float, metric: str | None) -> float:
    """Losses are stored as the metric's loss; a score metric's loss is its negation."""
    from automl.metrics import get_metric

    try:
        return -loss if get_metric(metric, "binary").greater_is_better else loss
    except (ValueError, TypeError, KeyError):
        return loss


def _show(args: argparse.Namespace) -> int:
    run = _open(args).run(args.run_id)
    for key in ("id", "dataset_name", "fingerprint", "task", "metric", "time_budget", "user",
                "host", "started_at", "ended_at", "status", "space_version"):
        print(f"{key:>14}: {run[key]}")
    print(f"{'versions':>14}: {json.dumps(run['library_versions'])}")
    trials = sorted(run["trials"], key=lambda t: (t["status"] != "ok", t["loss"], t["trial_id"]))
    rows = [[t["trial_id"], t["config"].get("model"), t["status"],
             "" if t["score"] is None else f"{t['score']:.5g}", f"{t['fidelity']:.3g}",
             "" if t["duration"] is None else f"{t['duration']:.2f}",
             (t["error"] or "")[:60]] for t in trials]
    print()
    print(_table(rows, ["trial", "model", "status", "score", "fidelity", "seconds", "error"]))
    return 0


def _export(args: argparse.Namespace) -> int:
    store = _open(args)
    if args.out:
        with open(args.out, "w", newline="") as f:
            count = store.export(args.format, f)
        print(f"{count} trials written to {args.out}", file=sys.stderr)
    else:
        store.export(args.format, sys.stdout)
    return 0


def _prune(args: argparse.Namespace) -> int:
    store = _open(args)
    conditions = {"older_than_days": args.older_than, "keep_last": args.keep_last,
                  "status": args.status}
    if all(v is None for v in conditions.values()):
        raise HistoryError("prune needs --older-than, --keep-last or --status")
    if not args.yes:
        matching = store.prune(**conditions, dry_run=True)
        print(f"{matching} run(s) would be deleted; add --yes to delete them")
        return 0
    print(f"{store.prune(**conditions)} run(s) deleted")
    return 0
