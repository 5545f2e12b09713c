"""Rows to dictionaries and back: JSON text for structured values, UTC for times.

Structured values are stored as JSON text (never pickles: any tool can read them and no row
can run code when loaded). Times are stored as naive UTC because SQLite has no time zones,
and handed out as aware UTC datetimes so callers cannot mistake them for local time.
"""

from __future__ import annotations

import getpass
import json
import math
import os
from datetime import datetime, timezone
from typing import Any

from sqlalchemy.engine import Row

from automl.history import schema


def run_dict(row: Row) -> dict[str, Any]:
    mapping = row._mapping
    run = {name: mapping[name] for name in schema.RUN_COLUMNS}
    for name in schema.JSON_RUN_COLUMNS:
        run[name] = loads(run[name])
    run["card"] = None if run.get("card") is None else loads(run["card"])
    run["started_at"], run["ended_at"] = aware(run["started_at"]), aware(run["ended_at"])
    for name in ("n_trials", "best_loss", "best_score"):
        if name in mapping:
            run[name] = mapping[name]
    return run


def trial_dict(row: Row) -> dict[str, Any]:
    trial = dict(row._mapping)
    trial["config"] = loads(trial["config"])
    trial["recorded_at"] = aware(trial["recorded_at"])
    return trial


def dumps(value: Any) -> str:
    """JSON text, never a pickle; numpy scalars and arrays become plain numbers and lists."""
    return json.dumps(value, sort_keys=True, default=_json_default)


def _json_default(value: Any) -> Any:
    if hasattr(value, "item") and getattr(value, "ndim", 1) == 0:  # numpy scalar
        return value.item()
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, (set, frozenset)):
        return sorted(value, key=repr)
    return str(value)


def loads(text: str | None) -> Any:
    return {} if text is None else json.loads(text)


def float_or_none(value: Any) -> float | None:
    if value is None:
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def loss_value(value: Any) -> float:
    if value is None:
        return math.inf
    number = float(value)
    return math.inf if math.isnan(number) else number


def utcnow() -> datetime:
    """Naive UTC, as the schema stores it (SQLite has no time zones)."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


def aware(value: datetime | None) -> datetime | None:
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=timezone.utc)


def current_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name, e.g. a container with an unnamed uid
        return os.environ.get("USER") or "unknown"
