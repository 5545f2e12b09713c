"""The history store: runs and trials in any SQLAlchemy database, behind a small interface.

What the rest of automl needs from history is small: open a store, record a run and each
trial as it finishes, and ask three questions (what was recorded, what did earlier runs on
this very data find, what worked on similar data). This class is that interface; the engine
never sees SQL, so the backend (SQLite file, PostgreSQL server) is only a URL.

Writes are built to survive the conditions they run in:

* each trial is its own short transaction, committed before ``record_trial`` returns, so a
  killed process loses only the trials still running;
* every write is idempotent (run ids come from the writer, trials are keyed by
  ``(run_id, trial_id)``), so a write retried after a lock or a dropped connection never
  adds a second row;
* every failure is a :class:`HistoryError` naming the store, password masked.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any, TextIO, TypeVar

import numpy as np
import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.exc import (
    SQLAlchemyError,
)

from automl.history import export as _export
from automl.history import schema
from automl.history.connect import open_engine, reading, writing
from automl.history.errors import HistoryError, masked_url
from automl.history.location import resolve_history
from automl.history.migrations import upgrade
from automl.history.queries import nearest_best_configs, runs_query, trials, upsert
from automl.history.retries import store_error, with_retries
from automl.history.rows import (
    current_user,
    dumps,
    float_or_none,
    loss_value,
    run_dict,
    utcnow,
)

T = TypeVar("T")

_MAX_ERROR_CHARS = 20_000
_DELETE_CHUNK = 500


def open_store(url_or_path: str | os.PathLike[str], *, create: bool = True) -> HistoryStore:
    """Open (creating or upgrading the schema as needed) the store at a URL or file path.

    ``"auto"`` means what ``history="auto"`` means (see :func:`resolve_history`). With
    ``create=False`` a SQLite file that does not exist is an error instead of a new store.
    """
    url = resolve_history(url_or_path)
    if url is None:
        raise HistoryError(f"history is turned off ({url_or_path!r}); there is no store to open")
    return HistoryStore(url, create=create)


class HistoryStore:
    """Runs and their trials in one database; see the module docstring for the guarantees."""

    def __init__(self, url: str, *, create: bool = True) -> None:
        self.url = masked_url(url)  # safe to print; the real URL stays inside the engine
        self._engine = open_engine(url, create=create)
        try:
            self.schema_version = upgrade(self._engine)
        except HistoryError:
            self._engine.dispose()
            raise
        except SQLAlchemyError as error:
            self._engine.dispose()
            raise store_error(self.url, "open", error) from error

    # -- writing ---------------------------------------------------------------------------

    def start_run(
        self,
        *,
        fingerprint: str,
        task: str,
        metric: str,
        dataset_name: str | None = None,
        metafeatures: Mapping[str, float] | None = None,
        time_budget: float | None = None,
        library_versions: Mapping[str, str] | None = None,
        space_version: str | None = None,
        settings: Mapping[str, Any] | None = None,
        user: str | None = None,
        host: str | None = None,
        run_id: str | None = None,
        row_sketch: list[str] | None = None,
    ) -> str:
        """Record the start of a run (status ``running``) and return its id (a UUID string).

        ``row_sketch`` (``fingerprint.row_sketch``) lets later fits on overlapping data leave
        this run out of their warm start."""
        if task not in schema.TASKS:
            raise ValueError(f"task must be one of {', '.join(schema.TASKS)}, not {task!r}")
        if library_versions is None:
            from automl.versions import library_versions as current_versions

            library_versions = current_versions()
        if space_version is None:
            from automl.space import SPACE_VERSION

            space_version = SPACE_VERSION
        run_id = run_id or str(uuid.uuid4())
        values = {
            "id": run_id,
            "user": user if user is not None else current_user(),
            "host": host if host is not None else socket.gethostname(),
            "started_at": utcnow(),
            "ended_at": None,
            "dataset_name": dataset_name,
            "fingerprint": fingerprint,
            "metafeatures": dumps(
                {name: float_or_none(value) for name, value in (metafeatures or {}).items()}
            ),
            "task": task,
            "metric": metric,
            "time_budget": float_or_none(time_budget),
            "library_versions": dumps(dict(library_versions)),
            "space_version": str(space_version),
            "status": "running",
            "settings": dumps(dict(settings or {})),
            "row_sketch": None if row_sketch is None else dumps(list(row_sketch)),
        }
        self._write("write to", lambda c: upsert(c, schema.runs, values, ("id",), update=False))
        return run_id

    def record_trial(self, run_id: str, trial: Mapping[str, Any]) -> None:
        """Record one finished trial; writing the same ``(run_id, trial_id)`` again replaces it.

        ``trial`` is a mapping like ``TrialResult.summary()``: ``trial_id``, ``config`` and
        ``status`` are needed; ``loss``, ``score``, ``fidelity``, ``duration``, ``fit_time``,
        ``peak_memory_mb``, ``error`` and ``started`` are read when present; other keys are
        ignored. A missing or NaN loss is stored as infinity (a failed trial).
        """
        error = trial.get("error")
        values = {
            "run_id": run_id,
            "trial_id": int(trial["trial_id"]),
            "config": dumps(trial["config"]),
            "loss": loss_value(trial.get("loss")),
            "score": float_or_none(trial.get("score")),
            "status": str(trial["status"]),
            "fidelity": float(trial.get("fidelity", 1.0)),
            "duration": float(trial.get("duration") or 0.0),
            "fit_time": float(trial.get("fit_time") or 0.0),
            "peak_memory_mb": float_or_none(trial.get("peak_memory_mb")),
            "error": None if error is None else str(error)[:_MAX_ERROR_CHARS],
            "started": float(trial.get("started") or 0.0),
            "worker": None if trial.get("worker") is None else str(trial["worker"])[:64],
            "finished": float_or_none(trial.get("finished")),
            "predict_time": float_or_none(trial.get("predict_time")),
            "recorded_at": utcnow(),
        }
        self._write(
            "write to",
            lambda c: upsert(c, schema.trials, values, ("run_id", "trial_id"), update=True),
        )

    def end_run(self, run_id: str, status: str = "finished") -> None:
        """Mark a run ``finished``, ``interrupted`` or ``failed``, with its end time."""
        if status not in schema.RUN_STATUSES:
            raise ValueError(
                f"status must be one of {', '.join(schema.RUN_STATUSES)}, not {status!r}"
            )

        def work(connection: Connection) -> int:
            return connection.execute(
                schema.runs.update()
                .where(schema.runs.c.id == run_id)
                .values(status=status, ended_at=utcnow())
            ).rowcount

        if self._write("write to", work) == 0:
            raise HistoryError(f"no run {run_id} in the history store {self.url}")

    def record_card(self, run_id: str, card: Mapping[str, Any]) -> None:
        """Store a run's card (``RunCard.to_dict()``), written once the final model exists;
        writing it again replaces it."""

        def work(connection: Connection) -> int:
            return connection.execute(
                schema.runs.update().where(schema.runs.c.id == run_id).values(card=dumps(card))
            ).rowcount

        if self._write("write to", work) == 0:
            raise HistoryError(f"no run {run_id} in the history store {self.url}")

    def prune(
        self,
        older_than_days: float | None = None,
        keep_last: int | None = None,
        status: str | None = None,
        *,
        dry_run: bool = False,
    ) -> int:
        """Delete runs (and their trials) and return how many runs were (or would be) deleted.

        The criteria combine: runs started more than ``older_than_days`` ago, with run
        ``status``, and never one of the ``keep_last`` most recent runs. With only
        ``keep_last``, every older run goes. At least one criterion is required, so a bare
        call cannot empty a team's store.
        """
        if older_than_days is None and keep_last is None and status is None:
            raise ValueError("prune needs older_than_days, keep_last or status")
        if keep_last is not None and keep_last < 0:
            raise ValueError("keep_last must be 0 or more")

        def work(connection: Connection) -> int:
            query = sa.select(
                schema.runs.c.id, schema.runs.c.started_at, schema.runs.c.status
            ).order_by(schema.runs.c.started_at.desc(), schema.runs.c.id)
            rows = connection.execute(query).all()
            if keep_last is not None:
                rows = rows[keep_last:]
            if older_than_days is not None:
                cutoff = utcnow() - timedelta(days=older_than_days)
                rows = [row for row in rows if row.started_at < cutoff]
            if status is not None:
                rows = [row for row in rows if row.status == status]
            ids = [row.id for row in rows]
            if not dry_run:
                for start in range(0, len(ids), _DELETE_CHUNK):
                    chunk = ids[start : start + _DELETE_CHUNK]
                    connection.execute(
                        schema.trials.delete().where(schema.trials.c.run_id.in_(chunk))
                    )
                    connection.execute(schema.runs.delete().where(schema.runs.c.id.in_(chunk)))
            return len(ids)

        return self._write("prune", work)

    # -- reading ---------------------------------------------------------------------------

    def runs(self, limit: int | None = None) -> list[dict[str, Any]]:
        """Runs, newest first, each with ``n_trials``, ``best_loss`` and ``best_score``
        (the best successful full-fidelity trial)."""
        return self._read(lambda c: [run_dict(row) for row in c.execute(runs_query().limit(limit))])

    def run(self, run_id: str) -> dict[str, Any]:
        """One run with its ``trials``; ``run_id`` may be any unique prefix of the id."""

        def work(connection: Connection) -> dict[str, Any]:
            wanted = run_id.strip().lower()
            rows = connection.execute(runs_query(schema.runs.c.id == wanted)).all()
            if not rows and wanted:
                rows = connection.execute(
                    runs_query(schema.runs.c.id.startswith(wanted, autoescape=True)).limit(6)
                ).all()
            if not rows:
                raise HistoryError(f"no run {run_id!r} in the history store {self.url}")
            if len(rows) > 1:
                shown = ", ".join(row.id[:12] for row in rows[:5])
                raise HistoryError(
                    f"{run_id!r} matches several runs ({shown}, ...); give more of the id"
                )
            found = run_dict(rows[0])
            found["trials"] = trials(connection, schema.trials.c.run_id == found["id"])
            return found

        return self._read(work)

    def trials(self, run_id: str) -> list[dict[str, Any]]:
        """The trials of one run (exact id), in trial order."""
        return self._read(lambda c: trials(c, schema.trials.c.run_id == run_id))

    def runs_with_fingerprint(self, fingerprint: str, task: str) -> list[dict[str, Any]]:
        """Earlier runs on the same data for the same task, newest first."""
        where = sa.and_(schema.runs.c.fingerprint == fingerprint, schema.runs.c.task == task)
        return self._read(lambda c: [run_dict(row) for row in c.execute(runs_query(where))])

    def trials_for_fingerprint(
        self,
        fingerprint: str,
        task: str,
        metric: str,
        *,
        exclude_run_id: str | None = None,
        include_failed: bool = False,
    ) -> list[dict[str, Any]]:
        """The trials of every run on the same data, task and metric, oldest run first.

        This is what a resumed run loads instead of re-running: their losses are comparable
        with its own because data, task and metric are the same. Only successful trials,
        unless ``include_failed``. Each trial carries its run's ``space_version``.
        """
        conditions = [
            schema.runs.c.fingerprint == fingerprint,
            schema.runs.c.task == task,
            schema.runs.c.metric == metric,
        ]
        if exclude_run_id is not None:
            conditions.append(schema.runs.c.id != exclude_run_id)
        if not include_failed:
            conditions.append(schema.trials.c.status == "ok")
        return self._read(lambda c: trials(c, sa.and_(*conditions), join_runs=True))

    def nearest_runs_best_configs(
        self,
        metafeatures: Mapping[str, float],
        task: str,
        k_datasets: int = 5,
        per_dataset: int = 3,
        *,
        exclude_fingerprint: str | None = None,
        metric: str | None = None,
        row_hashes: np.ndarray | None = None,
    ) -> list[dict[str, Any]]:
        """The best configurations recorded on the ``k_datasets`` datasets nearest to
        ``metafeatures`` (same task), ``per_dataset`` each, nearest dataset first.

        Only successful full-fidelity trials count. Losses of different metrics are not
        comparable, so within a dataset the configurations are ordered by their rank in their
        own run, not by raw loss; duplicates keep their best place. ``metric`` restricts the
        runs considered; ``exclude_fingerprint`` leaves out the data being fitted now, and
        ``row_hashes`` (this fit's ``training_row_hashes``) every run that trained on some of
        these rows and on others besides: those others may be this fit's held-out rows.
        Each result: ``config``, ``loss``, ``score``, ``metric``, ``distance``,
        ``fingerprint``, ``dataset_name``, ``run_id``, ``trial_id``, ``space_version``.
        """
        if k_datasets <= 0 or per_dataset <= 0:
            return []
        return self._read(
            lambda c: nearest_best_configs(
                c,
                metafeatures,
                task,
                k_datasets,
                per_dataset,
                exclude_fingerprint,
                metric,
                row_hashes,
            )
        )

    def export(self, format: str, path_or_stream: str | os.PathLike[str] | TextIO) -> None:
        """Write every run with its trials as ``"json"`` or ``"csv"`` to a file or stream."""
        if format not in ("json", "csv"):
            raise ValueError(f"format must be 'json' or 'csv', not {format!r}")

        def work(connection: Connection) -> list[dict[str, Any]]:
            everything = [run_dict(row) for row in connection.execute(runs_query())]
            by_run: dict[str, list[dict[str, Any]]] = {run["id"]: [] for run in everything}
            for trial in trials(connection, sa.true()):
                by_run.setdefault(trial["run_id"], []).append(trial)
            for run in everything:
                run["trials"] = by_run[run["id"]]
            return everything

        everything = self._read(work)
        if isinstance(path_or_stream, (str, os.PathLike)):
            with open(path_or_stream, "w", newline="", encoding="utf-8") as stream:
                self._export_to(format, everything, stream)
        else:
            self._export_to(format, everything, path_or_stream)

    def _export_to(self, format: str, everything: list[dict[str, Any]], stream: TextIO) -> None:
        if format == "json":
            _export.write_json(everything, stream, schema_version=self.schema_version)
        else:
            _export.write_csv(everything, stream)

    # -- plumbing --------------------------------------------------------------------------

    def close(self) -> None:
        """Close the store's connections; the object is unusable afterwards."""
        self._engine.dispose()

    def __enter__(self) -> HistoryStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"HistoryStore({self.url!r})"

    def _write(self, action: str, work: Callable[[Connection], T]) -> T:
        return with_retries(self._engine, self.url, action, work, writing)

    def _read(self, work: Callable[[Connection], T]) -> T:
        return with_retries(self._engine, self.url, "read", work, reading)
