"""The SQL behind the store's questions, kept apart from the store's error handling.

Each function takes an open connection (the store supplies the transaction and the retries)
and returns plain dictionaries.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Row

from automl.fingerprint import overlaps_partly
from automl.history import schema
from automl.history.nearest import rank_by_distance
from automl.history.rows import loads, trial_dict


def runs_query(where: Any = None) -> sa.Select:
    """Runs with their trial count and best successful full-fidelity loss and score."""
    t = schema.trials
    good = sa.and_(t.c.status == "ok", t.c.fidelity >= 1.0)
    counts = (
        sa.select(t.c.run_id, sa.func.count().label("n_trials")).group_by(t.c.run_id).subquery()
    )
    best = (
        sa.select(t.c.run_id, sa.func.min(t.c.loss).label("best_loss"))
        .where(good)
        .group_by(t.c.run_id)
        .subquery()
    )
    best_score = (
        sa.select(t.c.run_id, sa.func.max(t.c.score).label("best_score"))
        .join(best, sa.and_(t.c.run_id == best.c.run_id, t.c.loss == best.c.best_loss))
        .where(good)
        .group_by(t.c.run_id)
        .subquery()
    )
    query = (
        sa.select(
            schema.runs,
            sa.func.coalesce(counts.c.n_trials, 0).label("n_trials"),
            best.c.best_loss,
            best_score.c.best_score,
        )
        .outerjoin(counts, counts.c.run_id == schema.runs.c.id)
        .outerjoin(best, best.c.run_id == schema.runs.c.id)
        .outerjoin(best_score, best_score.c.run_id == schema.runs.c.id)
        .order_by(schema.runs.c.started_at.desc(), schema.runs.c.id)
    )
    return query if where is None else query.where(where)


def trials(connection: Connection, where: Any, *, join_runs: bool = False) -> list[dict[str, Any]]:
    t, r = schema.trials, schema.runs
    columns = [t.c[name] for name in schema.TRIAL_COLUMNS]
    if join_runs:
        query = (
            sa.select(*columns, r.c.space_version)
            .join(r, r.c.id == t.c.run_id)
            .order_by(r.c.started_at, r.c.id, t.c.trial_id)
        )
    else:
        query = sa.select(*columns).order_by(t.c.run_id, t.c.trial_id)
    return [trial_dict(row) for row in connection.execute(query.where(where))]


def nearest_best_configs(
    connection: Connection,
    metafeatures: Mapping[str, float],
    task: str,
    k_datasets: int,
    per_dataset: int,
    exclude_fingerprint: str | None,
    metric: str | None,
    row_hashes: np.ndarray | None = None,
) -> list[dict[str, Any]]:
    r, t = schema.runs, schema.trials
    good = sa.and_(t.c.status == "ok", t.c.fidelity >= 1.0)
    conditions = [r.c.task == task, sa.exists().where(t.c.run_id == r.c.id, good)]
    if exclude_fingerprint is not None:
        conditions.append(r.c.fingerprint != exclude_fingerprint)
    if metric is not None:
        conditions.append(r.c.metric == metric)
    candidate_runs = connection.execute(
        sa.select(
            r.c.id,
            r.c.fingerprint,
            r.c.dataset_name,
            r.c.metafeatures,
            r.c.metric,
            r.c.space_version,
            r.c.row_sketch,
        )
        .where(*conditions)
        .order_by(r.c.started_at.desc(), r.c.id)
    ).all()
    features: dict[str, dict[str, float]] = {}
    runs_by_fingerprint: dict[str, list[Row]] = {}
    if row_hashes is not None:  # no run that may have trained on this fit's held-out rows
        candidate_runs = [
            row for row in candidate_runs if not overlaps_partly(loads(row.row_sketch), row_hashes)
        ]
    for row in candidate_runs:  # newest first: a dataset's features come from its latest run
        features.setdefault(row.fingerprint, loads(row.metafeatures))
        runs_by_fingerprint.setdefault(row.fingerprint, []).append(row)
    nearest = rank_by_distance(metafeatures, features)[:k_datasets]
    if not nearest:
        return []
    wanted_runs = {
        row.id: row for fingerprint, _ in nearest for row in runs_by_fingerprint[fingerprint]
    }
    trial_rows = connection.execute(
        sa.select(t.c.run_id, t.c.trial_id, t.c.config, t.c.loss, t.c.score)
        .where(good, t.c.run_id.in_(list(wanted_runs)))
        .order_by(t.c.run_id, t.c.loss, t.c.trial_id)
    ).all()
    ranked: dict[
        str, list[tuple[int, int, Row]]
    ] = {}  # fingerprint -> (rank in run, run age, trial)
    rank_in_run: dict[str, int] = {}
    run_age = {
        run_id: age
        for fingerprint, _ in nearest
        for age, run_id in enumerate(row.id for row in runs_by_fingerprint[fingerprint])
    }
    for trial in trial_rows:
        rank = rank_in_run.get(trial.run_id, 0)
        rank_in_run[trial.run_id] = rank + 1
        fingerprint = wanted_runs[trial.run_id].fingerprint
        ranked.setdefault(fingerprint, []).append((rank, run_age[trial.run_id], trial))
    results = []
    for fingerprint, distance in nearest:
        seen: set[str] = set()
        for _, _, trial in sorted(ranked.get(fingerprint, []), key=lambda item: item[:2]):
            if trial.config in seen:
                continue
            seen.add(trial.config)
            run = wanted_runs[trial.run_id]
            results.append(
                {
                    "config": loads(trial.config),
                    "loss": trial.loss,
                    "score": trial.score,
                    "metric": run.metric,
                    "distance": distance,
                    "fingerprint": fingerprint,
                    "dataset_name": run.dataset_name,
                    "run_id": run.id,
                    "trial_id": trial.trial_id,
                    "space_version": run.space_version,
                }
            )
            if len(seen) == per_dataset:
                break
    return results


def upsert(
    connection: Connection,
    table: sa.Table,
    values: dict[str, Any],
    keys: tuple[str, ...],
    *,
    update: bool,
) -> None:
    """Insert ``values``; if a row with the same ``keys`` exists, update it (or leave it).

    SQLite and PostgreSQL do this atomically (``ON CONFLICT``); elsewhere a look-up first is
    enough, because the same key only ever comes from the same writer retrying.
    """
    dialect = connection.dialect.name
    if dialect in ("sqlite", "postgresql"):
        insert = (sqlite.insert if dialect == "sqlite" else postgresql.insert)(table).values(
            **values
        )
        if update:
            statement = insert.on_conflict_do_update(
                index_elements=list(keys),
                set_={name: insert.excluded[name] for name in values if name not in keys},
            )
        else:
            statement = insert.on_conflict_do_nothing(index_elements=list(keys))
        connection.execute(statement)
        return
    match = sa.and_(*(table.c[key] == values[key] for key in keys))
    if connection.execute(sa.select(sa.literal(1)).select_from(table).where(match)).first() is None:
        connection.execute(table.insert().values(**values))
    elif update:
        connection.execute(
            table.update()
            .where(match)
            .values(**{name: value for name, value in values.items() if name not in keys})
        )
