"""The history tables: one row per run, one row per finished trial, and the schema version.

Plain SQLAlchemy Core tables, portable to SQLite and PostgreSQL (and most other databases):

* Structured values (configurations, meta-features, library versions, settings) are JSON text,
  not pickles: any tool can read them, and no row can run code when it is loaded.
* Run ids are UUID strings made by the writer, not by the database, so writers on many
  machines never collide and a retried insert of the same run is recognisable as a retry.
* ``UNIQUE(run_id, trial_id)`` makes a trial write idempotent: a write retried after a lost
  acknowledgement updates the row instead of adding a second one.
* Timestamps are naive ``DATETIME`` columns holding UTC, because SQLite has no time zones;
  the store turns them back into aware UTC datetimes when it reads them.
"""

from __future__ import annotations

import sqlalchemy as sa

RUN_STATUSES = ("running", "finished", "interrupted", "failed")
TASKS = ("binary", "multiclass", "regression")

metadata = sa.MetaData()

meta = sa.Table(
    "meta",
    metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)

runs = sa.Table(
    "runs",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("user", sa.String(255)),
    sa.Column("host", sa.String(255)),
    sa.Column("started_at", sa.DateTime, nullable=False, index=True),
    sa.Column("ended_at", sa.DateTime),
    sa.Column("dataset_name", sa.Text),
    sa.Column("fingerprint", sa.String(64), nullable=False, index=True),
    sa.Column("metafeatures", sa.Text, nullable=False, default="{}"),
    sa.Column("task", sa.String(16), nullable=False),
    sa.Column("metric", sa.String(64), nullable=False),
    sa.Column("time_budget", sa.Float),
    sa.Column("library_versions", sa.Text, nullable=False, default="{}"),
    sa.Column("space_version", sa.String(32)),
    sa.Column("status", sa.String(16), nullable=False, default="running"),
    sa.Column("settings", sa.Text, nullable=False, default="{}"),
    # a sample of the training rows' hashes (schema 2): which runs saw rows this fit holds out
    sa.Column("row_sketch", sa.Text),
    # the run card (automl.run_card) as JSON, written when the fit ends (schema 3)
    sa.Column("card", sa.Text),
)

trials = sa.Table(
    "trials",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column(
        "run_id", sa.String(36), sa.ForeignKey("runs.id", ondelete="CASCADE"), nullable=False
    ),
    sa.Column("trial_id", sa.Integer, nullable=False),
    sa.Column("config", sa.Text, nullable=False),
    sa.Column("loss", sa.Float, nullable=False),
    sa.Column("score", sa.Float),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("fidelity", sa.Float, nullable=False, default=1.0),
    sa.Column("duration", sa.Float, nullable=False, default=0.0),
    sa.Column("fit_time", sa.Float, nullable=False, default=0.0),
    sa.Column("peak_memory_mb", sa.Float),
    sa.Column("error", sa.Text),
    sa.Column("started", sa.Float, nullable=False, default=0.0),
    # schema 3: where and when it ran, for the report's timeline
    sa.Column("worker", sa.String(64)),
    sa.Column("finished", sa.Float),
    sa.Column("predict_time", sa.Float),
    sa.Column("recorded_at", sa.DateTime, nullable=False),
    sa.UniqueConstraint("run_id", "trial_id", name="uq_trials_run_trial"),
)

RUN_COLUMNS = tuple(column.name for column in runs.columns)
TRIAL_COLUMNS = tuple(column.name for column in trials.columns if column.name != "id")
JSON_RUN_COLUMNS = ("metafeatures", "library_versions", "settings")
