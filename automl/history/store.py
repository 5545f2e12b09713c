"""The history store: every run and trial in a SQL database, through SQLAlchemy.

A local SQLite file by default (WAL mode so readers never block the writer, and a busy
timeout so several processes on one machine take turns instead of failing); any SQLAlchemy
URL for a team, PostgreSQL tested. Writes are small and committed one by one: a trial is
durable the moment ``record_trial`` returns.
"""

from __future__ import annotations

import csv
import json
import math
import os
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import IO, Any, Callable, Iterable

from sqlalchemy import Engine, create_engine, delete, event, func, insert, select, update
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DatabaseError, IntegrityError, OperationalError
from sqlalchemy.exc import SQLAlchemyError

from automl.history.migrations import SchemaError, upgrade
from automl.history.schema import runs, trials

ENV_VAR = "AUTOML_HISTORY"
SQLITE_BUSY_MS = 30_000
_WRITE_ATTEMPTS = 8


class HistoryError(RuntimeError):
    """The history store cannot be opened or used; the message names it."""


def default_path() -> Path:
    """The local store: ``$XDG_DATA_HOME/automl/history.sqlite`` (``~/.local/share`` by default)."""
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local",
                                                           "share")
    return Path(base) / "automl" / "history.sqlite"


def resolve_history(setting: str | os.PathLike | None) -> str | None:
    """The database URL for a ``history`` setting: ``"auto"`` -> ``$AUTOML_HISTORY``, else the
    local SQLite file; a URL (``scheme://...``) as is; any other string a SQLite file path;
    ``None`` -> no history."""
    if setting is None:
        return None
    setting = os.fspath(setting)
    if setting == "auto":
        setting = os.environ.get(ENV_VAR) or str(default_path())
    if "://" in setting:
        return setting
    return f"sqlite:///{Path(setting).expanduser().resolve()}"


def open_history(setting: str | os.PathLike | None) -> "HistoryStore | None":
    url = resolve_history(setting)
    return None if url is None else HistoryStore(url)


def _masked(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url


class HistoryStore:
    """Runs and trials in one database; safe for many writing processes at once."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.display_url = _masked(url)
        try:
            parsed = make_url(url)
        except ArgumentError as error:
            raise HistoryError(f"{url!r} is not a database URL or path ({error}).") from None
        self.sqlite = parsed.get_backend_name() == "sqlite"
        if self.sqlite and parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        try:
            self.engine: Engine = create_engine(url, pool_pre_ping=not self.sqlite)
        except (ArgumentError, ImportError, SQLAlchemyError) as error:
            raise HistoryError(f"cannot use the history store {self.display_url}: {error}") from None
        if self.sqlite:
            event.listen(self.engine, "connect", _sqlite_pragmas)
        try:
            upgrade(self.engine)
        except SchemaError as error:
            raise HistoryError(f"history store {self.display_url}: {error}") from None
        except DatabaseError as error:
            if self.sqlite and "not a database" in str(error):
                raise HistoryError(
                    f"{self.display_url} is not a valid history database (corrupt or not "
                    "SQLite); move it away or pass another history location.") from None
            raise HistoryError(f"cannot open the history store {self.display_url}: "
                               f"{_reason(error)}") from None

    # ------------------------------------------------------------------ writing

    def start_run(self, **fields: Any) -> str:
        """Record a new run (status "running"); returns its id."""
        run_id = str(uuid.uuid4())
        row = {
            "id": run_id,
            "user": fields.get("user"),
            "host": fields.get("host"),
            "started_at": fields.get("started_at") or _now(),
            "dataset_name": fields.get("dataset_name"),
            "fingerprint": fields.get("fingerprint"),
            "metafeatures": _json(fields.get("metafeatures")),
            "task": fields.get("task"),
            "metric": fields.get("metric"),
            "time_budget": fields.get("time_budget"),
            "library_versions": _json(fields.get("library_versions")),
            "space_version": fields.get("space_version"),
            "status": fields.get("status", "running"),
            "settings": _json(fields.get("settings")),
        }
        self._write(lambda c: c.execute(insert(runs).values(**row)))
        return run_id

    def record_trial(self, run_id: str, trial: dict[str, Any]) -> None:
        """Write one finished trial; writing the same (run, trial_id) again changes nothing."""
        row = {
            "run_id": run_id,
            "trial_id": int(trial["trial_id"]),
            "config": json.dumps(trial["config"], sort_keys=True),
            "loss": _finite(trial.get("loss")),
            "score": _finite(trial.get("score")),
            "status": trial.get("status", "ok"),
            "fidelity": float(trial.get("fidelity", 1.0)),
            "duration": _finite(trial.get("duration")),
            "fit_time": _finite(trial.get("fit_time")),
            "peak_memory_mb": _finite(trial.get("peak_memory_mb")),
            "error": trial.get("error"),
            "started": _finite(trial.get("started")),
            "recorded_at": _now(),
        }
        self._write(lambda c: _insert_trial(c, row))

    def end_run(self, run_id: str, status: str) -> None:
        self._write(lambda c: c.execute(
            update(runs).where(runs.c.id == run_id).values(status=status, ended_at=_now())))

    def _write(self, action: Callable[[Any], Any]) -> None:
        """One transaction, retried while another process holds the SQLite lock."""
        for attempt in range(_WRITE_ATTEMPTS):
            try:
                with self.engine.begin() as connection:
                    action(connection)
                return
            except OperationalError as error:
                if "locked" not in str(error) or attempt == _WRITE_ATTEMPTS - 1:
                    raise HistoryError(f"history store {self.display_url}: "
                                       f"{_reason(error)}") from None
                time.sleep(0.05 * 2**attempt)
            except DatabaseError as error:
                raise HistoryError(f"history store {self.display_url}: {_reason(error)}") from None

    # ------------------------------------------------------------------ reading

    def runs(self, limit: int | None = None) -> list[dict[str, Any]]:
        """Runs, newest first, with their trial count and best score."""
        counts = (select(trials.c.run_id, func.count().label("n_trials"),
                         func.min(trials.c.loss).label("best_loss"))
                  .group_by(trials.c.run_id).subquery())
        query = (select(runs, counts.c.n_trials, counts.c.best_loss)
                 .outerjoin(counts, counts.c.run_id == runs.c.id)
                 .order_by(runs.c.started_at.desc(), runs.c.id))
        if limit is not None:
            query = query.limit(limit)
        return [self._run_row(r) for r in self._read(query)]

    def run(self, run_id: str) -> dict[str, Any]:
        """One run with its trials; ``run_id`` may be a unique prefix of the id."""
        found = self._read(select(runs).where(runs.c.id.like(f"{run_id}%")).limit(2))
        if not found:
            raise HistoryError(f"no run {run_id!r} in {self.display_url}")
        if len(found) > 1:
            raise HistoryError(f"{run_id!r} matches several runs; give more of the id")
        run = self._run_row(found[0])
        run["trials"] = self.trials(run["id"])
        return run

    def trials(self, run_id: str) -> list[dict[str, Any]]:
        query = select(trials).where(trials.c.run_id == run_id).order_by(trials.c.trial_id)
        return [_trial_row(r) for r in self._read(query)]

    def trials_for_fingerprint(self, fingerprint: str, task: str,
                               metric: str | None = None) -> list[dict[str, Any]]:
        """Every trial of earlier runs on the same data, task (and metric): a resumed run's
        starting knowledge. Oldest first."""
        query = (select(trials).join(runs, runs.c.id == trials.c.run_id)
                 .where(runs.c.fingerprint == fingerprint, runs.c.task == task)
                 .order_by(runs.c.started_at, trials.c.trial_id))
        if metric is not None:
            query = query.where(runs.c.metric == metric)
        return [_trial_row(r) for r in self._read(query)]

    def nearest_runs_best_configs(self, metafeatures: dict[str, float], task: str,
                                  k_datasets: int, per_dataset: int,
                                  exclude_fingerprint: str | None = None,
                                  metric: str | None = None) -> list[dict[str, Any]]:
        """The best full-data configurations of the ``k_datasets`` recorded datasets of this
        task nearest in meta-features (min-max scaled over the recorded datasets, mean
        absolute difference), nearest dataset first."""
        query = select(runs.c.fingerprint, runs.c.metafeatures, runs.c.metric).where(
            runs.c.task == task, runs.c.metafeatures.is_not(None))
        described: dict[str, dict[str, float]] = {}
        for row in self._read(query.order_by(runs.c.started_at)):
            if row.fingerprint == exclude_fingerprint or (metric and row.metric != metric):
                continue
            values = json.loads(row.metafeatures or "{}")
            described[row.fingerprint] = {k: v for k, v in values.items()
                                          if isinstance(v, (int, float)) and math.isfinite(v)}
        nearest = _nearest(described, metafeatures, k_datasets)
        found: list[dict[str, Any]] = []
        for fingerprint in nearest:
            query = (select(trials, runs.c.dataset_name).join(runs, runs.c.id == trials.c.run_id)
                     .where(runs.c.fingerprint == fingerprint, runs.c.task == task,
                            trials.c.status == "ok", trials.c.fidelity == 1.0,
                            trials.c.loss.is_not(None))
                     .order_by(trials.c.loss, trials.c.id))
            if metric:
                query = query.where(runs.c.metric == metric)
            kept: list[str] = []
            for row in self._read(query.limit(per_dataset * 20)):
                if row.config not in kept:
                    kept.append(row.config)
                    found.append({"config": json.loads(row.config), "loss": row.loss,
                                  "fingerprint": fingerprint, "dataset_name": row.dataset_name})
                if len(kept) == per_dataset:
                    break
        return found

    def _read(self, query: Any) -> list[Any]:
        try:
            with self.engine.connect() as connection:
                return list(connection.execute(query))
        except DatabaseError as error:
            raise HistoryError(f"history store {self.display_url}: {_reason(error)}") from None

    @staticmethod
    def _run_row(row: Any) -> dict[str, Any]:
        run = dict(row._mapping)
        for name in ("metafeatures", "library_versions", "settings"):
            run[name] = json.loads(run[name]) if run.get(name) else None
        return run

    # ------------------------------------------------------------------ export and prune

    def export(self, format: str, stream: IO[str]) -> int:
        """Write every run and trial as JSON ({"runs": [...], "trials": [...]}) or CSV (one
        row per trial with its run's columns); returns the number of trials written."""
        all_runs = {r["id"]: r for r in self.runs()}
        all_trials = [_trial_row(r) for r in self._read(
            select(trials).order_by(trials.c.run_id, trials.c.trial_id))]
        if format == "json":
            json.dump({"runs": list(all_runs.values()), "trials": all_trials}, stream,
                      default=str, indent=1)
        elif format == "csv":
            columns = ["run_id", "dataset_name", "fingerprint", "task", "metric", "user", "host",
                       "run_started_at", "run_status", "trial_id", "status", "loss", "score",
                       "fidelity", "duration", "fit_time", "peak_memory_mb", "started", "error",
                       "config"]
            writer = csv.DictWriter(stream, columns, extrasaction="ignore")
            writer.writeheader()
            for trial in all_trials:
                run = all_runs.get(trial["run_id"], {})
                writer.writerow({**{k: run.get(k) for k in ("dataset_name", "fingerprint", "task",
                                                           "metric", "user", "host")},
                                 "run_started_at": run.get("started_at"),
                                 "run_status": run.get("status"), **trial,
                                 "config": json.dumps(trial["config"], sort_keys=True)})
        else:
            raise HistoryError(f"export format must be 'csv' or 'json', got {format!r}")
        return len(all_trials)

    def prune(self, *, older_than_days: float | None = None, keep_last: int | None = None,
              status: str | None = None, dry_run: bool = False) -> int:
        """Delete the runs matching every given condition, with their trials; returns how many
        runs were (with ``dry_run``, would be) deleted. With no condition nothing is."""
        if older_than_days is None and keep_last is None and status is None:
            return 0
        candidates = self.runs()  # newest first
        if keep_last is not None:
            candidates = candidates[keep_last:]
        if older_than_days is not None:
            cutoff = _now() - timedelta(days=older_than_days)
            candidates = [r for r in candidates if _aware(r["started_at"]) < cutoff]
        if status is not None:
            candidates = [r for r in candidates if r["status"] == status]
        ids = [r["id"] for r in candidates]
        if dry_run:
            return len(ids)
        for chunk in _chunks(ids, 500):
            self._write(lambda c, chunk=chunk: (
                c.execute(delete(trials).where(trials.c.run_id.in_(chunk))),
                c.execute(delete(runs).where(runs.c.id.in_(chunk)))))
        return len(ids)

    def close(self) -> None:
        self.engine.dispose()

    def __getstate__(self) -> dict[str, Any]:  # an open engine does not cross processes
        return {"url": self.url}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["url"])


# ------------------------------------------------------------------ helpers


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    cursor = connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_MS}")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.close()


def _insert_trial(connection: Any, row: dict[str, Any]) -> None:
    """INSERT that leaves an already written (run_id, trial_id) alone."""
    name = connection.dialect.name
    if name in ("sqlite", "postgresql"):
        if name == "sqlite":
            from sqlalchemy.dialects.sqlite import insert as dialect_insert
        else:
            from sqlalchemy.dialects.postgresql import insert as dialect_insert
        connection.execute(dialect_insert(trials).values(**row).on_conflict_do_nothing(
            index_elements=["run_id", "trial_id"]))
        return
    try:  # other databases: a duplicate key means it was written already
        with connection.begin_nested():
            connection.execute(insert(trials).values(**row))
    except IntegrityError:
        pass


def _trial_row(row: Any) -> dict[str, Any]:
    trial = dict(row._mapping)
    trial["config"] = json.loads(trial["config"])
    if trial.get("loss") is None and trial.get("status") == "ok":
        trial["loss"] = math.inf
    return trial


def _nearest(described: dict[str, dict[str, float]], target: dict[str, float],
             k: int) -> list[str]:
    if not described:
        return []
    names = sorted({n for values in described.values() for n in values}
                   & {n for n, v in target.items() if isinstance(v, (int, float))
                      and math.isfinite(v)})
    if not names:
        return list(described)[:k]
    low = {n: min(v.get(n, math.inf) for v in described.values()) for n in names}
    high = {n: max(v.get(n, -math.inf) for v in described.values()) for n in names}

    def distance(values: dict[str, float]) -> float:
        parts = []
        for n in names:
            if n in values and math.isfinite(low[n]) and math.isfinite(high[n]):
                span = high[n] - low[n] if high[n] > low[n] else 1.0
                parts.append(abs(values[n] - target[n]) / span)
        return sum(parts) / len(parts) if parts else math.inf

    return sorted(described, key=lambda f: (distance(described[f]), f))[:k]


def _json(value: Any) -> str | None:
    if value is None:
        return None
    return json.dumps(_plain(value), sort_keys=True, allow_nan=False)


def _plain(value: Any) -> Any:
    """JSON-safe: NaN and infinity become null, numpy numbers Python ones, others text."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, (str, bool)):
        return value
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    if not math.isfinite(number):
        return None
    return int(value) if isinstance(value, int) or float(number).is_integer() and \
        type(value).__name__.startswith("int") else number


def _finite(value: Any) -> float | None:
    if value is None:
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _reason(error: Exception) -> str:
    original = getattr(error, "orig", None) or error
    return str(original).strip().splitlines()[0] if str(original).strip() else repr(original)


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)


def _chunks(items: list[str], size: int) -> Iterable[list[str]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]
