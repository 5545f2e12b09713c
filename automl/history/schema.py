"""The history tables: one row per run, one per trial, and the schema version.

Plain columns and JSON text only (no pickles), so any SQL client, any later version of this
library and any other language can read a team's history.
"""

from __future__ import annotations

from sqlalchemy import (
    Column,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

runs = Table(
    "runs",
    metadata,
    Column("id", String(36), primary_key=True),  # a UUID made by the writer: no collisions
    Column("user", String(200)),
    Column("host", String(200)),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("ended_at", DateTime(timezone=True)),
    Column("dataset_name", String(500)),
    Column("fingerprint", String(64), index=True),
    Column("metafeatures", Text),  # JSON: name -> number
    Column("task", String(20)),
    Column("metric", String(100)),
    Column("time_budget", Float),
    Column("library_versions", Text),  # JSON
    Column("space_version", String(20)),
    Column("status", String(20), nullable=False),  # running, finished, interrupted, failed
    Column("settings", Text),  # JSON
)

trials = Table(
    "trials",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", String(36), ForeignKey("runs.id", ondelete="CASCADE"), nullable=False,
           index=True),
    Column("trial_id", Integer, nullable=False),  # the run's own trial number
    Column("config", Text, nullable=False),  # JSON, the space's own hyperparameter names
    Column("loss", Float),  # empty when the trial failed
    Column("score", Float),
    Column("status", String(20), nullable=False),
    Column("fidelity", Float, nullable=False, default=1.0),
    Column("duration", Float),
    Column("fit_time", Float),
    Column("peak_memory_mb", Float),
    Column("error", Text),
    Column("started", Float),  # seconds since the run started
    Column("recorded_at", DateTime(timezone=True)),
    UniqueConstraint("run_id", "trial_id", name="uq_trials_run_trial"),  # a retry never duplicates
)

meta = Table(
    "automl_meta",
    metadata,
    Column("key", String(50), primary_key=True),
    Column("value", String(200), nullable=False),
)
