"""Schema versions and the path between them: a small stand-in for Alembic.

A team store outlives any one version of automl, so the schema carries a version number in
the ``meta`` table and each change to it ships as a function here. Opening a store:

* creates the tables when there are none (and stamps them with :data:`SCHEMA_VERSION`);
* applies, in order and in one transaction, the migrations the store has not had yet;
* refuses a store whose version is newer than this code, instead of writing rows an older
  automl does not understand.

Four processes may open a brand-new store at the same moment. Creation takes a lock first
(``BEGIN IMMEDIATE`` on SQLite, an advisory lock on PostgreSQL) and re-checks inside it; on
other databases the loser's "already exists" error is caught and the check repeated.

To change the schema: edit ``schema.py`` (fresh stores get the new tables directly), add
``MIGRATIONS[n] = function(connection)`` bringing a version ``n - 1`` store to version ``n``,
and set ``SCHEMA_VERSION = n``.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError

from automl.history import schema
from automl.history.connect import writing
from automl.history.errors import HistoryError

SCHEMA_VERSION = 3


def _add_row_sketch(connection: Connection) -> None:
    """Schema 2: ``runs.row_sketch``, so that a fit can leave out runs that trained on rows
    it holds out (older runs have none and stay usable)."""
    connection.execute(sa.text("ALTER TABLE runs ADD COLUMN row_sketch TEXT"))


def _add_report_columns(connection: Connection) -> None:
    """Schema 3: what the report shows that older runs did not keep: each trial's worker,
    finish time and prediction time, and the run card (final model, space ranges)."""
    for statement in (
        "ALTER TABLE trials ADD COLUMN worker VARCHAR(64)",
        "ALTER TABLE trials ADD COLUMN finished FLOAT",
        "ALTER TABLE trials ADD COLUMN predict_time FLOAT",
        "ALTER TABLE runs ADD COLUMN card TEXT",
    ):
        connection.execute(sa.text(statement))


MIGRATIONS: dict[int, Callable[[Connection], None]] = {
    2: _add_row_sketch,
    3: _add_report_columns,
}

_VERSION_KEY = "schema_version"
_ADVISORY_LOCK_ID = 0x6175746F6D6C  # "automl": serializes schema changes on PostgreSQL
_RACE_SIGNS = ("already exists", "duplicate", "unique", "locked", "busy", "deadlock")
_ATTEMPTS = 6


def upgrade(engine: Engine) -> int:
    """Bring the store's schema to :data:`SCHEMA_VERSION`; return that version.

    Raises :class:`HistoryError` when the store is newer than this code or is a SQLite file
    that belongs to another program.
    """
    for attempt in range(_ATTEMPTS):
        try:
            with writing(engine) as connection:
                if connection.dialect.name == "postgresql":
                    connection.execute(sa.select(sa.func.pg_advisory_xact_lock(_ADVISORY_LOCK_ID)))
                return _upgrade(connection)
        except DBAPIError as error:
            racing = any(sign in str(error.orig).lower() for sign in _RACE_SIGNS)
            if not racing or attempt == _ATTEMPTS - 1:
                raise
            time.sleep(0.05 * 2**attempt)  # another process is creating the tables: look again
    raise AssertionError("unreachable")


def stored_version(connection: Connection) -> int | None:
    """The schema version recorded in the store, or None when it has no ``meta`` row yet."""
    value = connection.execute(
        sa.select(schema.meta.c.value).where(schema.meta.c.key == _VERSION_KEY)
    ).scalar_one_or_none()
    return None if value is None else int(value)


def _upgrade(connection: Connection) -> int:
    inspector = sa.inspect(connection)
    name = connection.engine.url.render_as_string(hide_password=True)
    if not inspector.has_table(schema.meta.name):
        foreign = set(inspector.get_table_names()) - set(schema.metadata.tables)
        if foreign and connection.dialect.name == "sqlite":
            raise HistoryError(
                f"{name} is not an automl history database: it holds other tables "
                f"({', '.join(sorted(foreign)[:5])}). Choose another file for the history."
            )
        return _create(connection)
    version = stored_version(connection)
    if version is None:
        return _create(connection)
    if version > SCHEMA_VERSION:
        raise HistoryError(
            f"the history store {name} has schema version {version}, newer than this automl "
            f"understands ({SCHEMA_VERSION}). Upgrade automl, or use another store."
        )
    for target in range(version + 1, SCHEMA_VERSION + 1):
        MIGRATIONS[target](connection)
    if version < SCHEMA_VERSION:
        connection.execute(
            schema.meta.update()
            .where(schema.meta.c.key == _VERSION_KEY)
            .values(value=str(SCHEMA_VERSION))
        )
    return SCHEMA_VERSION


def _create(connection: Connection) -> int:
    schema.metadata.create_all(connection, checkfirst=True)
    if stored_version(connection) is None:
        connection.execute(schema.meta.insert().values(key=_VERSION_KEY, value=str(SCHEMA_VERSION)))
    return SCHEMA_VERSION
