"""Runs and trials written out as JSON or CSV, for spreadsheets, notebooks and other tools.

JSON keeps the structure (each run with its trials, configurations as objects). CSV is one
row per trial with its run's columns repeated, because a flat table is what a spreadsheet
or ``pandas.read_csv`` wants; a run without trials still gets one row. Non-finite numbers
(the infinite loss of a failed trial) become ``null`` in JSON, which has no infinity.
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Iterable
from datetime import datetime
from typing import Any, TextIO

RUN_FIELDS = (
    "run_id",
    "user",
    "host",
    "started_at",
    "ended_at",
    "dataset_name",
    "fingerprint",
    "task",
    "metric",
    "time_budget",
    "space_version",
    "run_status",
)
TRIAL_FIELDS = (
    "trial_id",
    "status",
    "loss",
    "score",
    "fidelity",
    "duration",
    "fit_time",
    "peak_memory_mb",
    "started",
    "finished",
    "worker",
    "predict_time",
    "recorded_at",
    "error",
    "config",
)


def write_json(runs: Iterable[dict[str, Any]], stream: TextIO, *, schema_version: int) -> None:
    """``{"schema_version": ..., "runs": [run, ...]}``, each run holding its ``trials``."""
    document = {"schema_version": schema_version, "runs": [jsonable(run) for run in runs]}
    json.dump(document, stream, indent=1, allow_nan=False)
    stream.write("\n")


def write_csv(runs: Iterable[dict[str, Any]], stream: TextIO) -> None:
    """One row per trial, with the run's columns first; configurations as JSON text."""
    writer = csv.DictWriter(stream, fieldnames=RUN_FIELDS + TRIAL_FIELDS, lineterminator="\n")
    writer.writeheader()
    for run in runs:
        run_part = {field: run.get(field) for field in RUN_FIELDS}
        run_part["run_id"], run_part["run_status"] = run["id"], run["status"]
        for trial in run.get("trials") or [None]:
            row = dict(run_part)
            if trial is not None:
                row.update({field: trial.get(field) for field in TRIAL_FIELDS})
                row["config"] = json.dumps(jsonable(trial["config"]), sort_keys=True)
            writer.writerow({key: _cell(value) for key, value in row.items()})


def _cell(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    return "" if value is None else value


def jsonable(value: Any) -> Any:
    """JSON-ready: datetimes as ISO text, non-finite floats as None, containers recursively."""
    if isinstance(value, dict):
        return {str(key): jsonable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(item) for item in value]
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
