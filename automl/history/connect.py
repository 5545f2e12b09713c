"""Engines for the history store: SQLite set up for many writers, PostgreSQL with a timeout.

SQLite is the default store on a laptop, and several fits (or several workers of one fit)
write to it at once. Three settings make that safe:

* WAL journal mode: readers never block the writer and the writer never blocks readers.
* A busy timeout: a writer that finds the file locked waits for its turn instead of failing.
* ``BEGIN IMMEDIATE`` for write transactions: the write lock is taken when the transaction
  starts. A transaction that reads first and upgrades to writing later can fail at once with
  "database is locked" (the busy timeout cannot help), so writes never start as readers.

The ``sqlite3`` module's own transaction handling is switched off so that these ``BEGIN``
statements are ours (SQLAlchemy's documented recipe), which also makes the schema's
``CREATE TABLE`` statements part of one transaction.
"""

from __future__ import annotations

import importlib.util
import os
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import ArgumentError, NoSuchModuleError
from sqlalchemy.pool import StaticPool

from automl.history.errors import HistoryError, masked_url, reason

BUSY_TIMEOUT_S = 30.0
CONNECT_TIMEOUT_S = 10
_WRITE = "automl_history_write"


def open_engine(url: str, *, create: bool = True) -> Engine:
    """:func:`make_engine`, with every way it fails (and, with ``create=False``, a SQLite file
    that does not exist) as a :class:`HistoryError` a user can act on."""
    shown = masked_url(url)
    _check_file(url, create)
    try:
        return make_engine(url)
    except NoSuchModuleError as error:  # before ArgumentError, its base class
        raise HistoryError(f"{shown} names an unknown kind of database: {reason(error)}") from error
    except (ArgumentError, ValueError) as error:
        raise HistoryError(f"{shown} is not a valid history URL: {reason(error)}") from error
    except ModuleNotFoundError as error:
        raise HistoryError(
            f"the history store {shown} needs a database driver that is not installed "
            f"({error}); for PostgreSQL: pip install 'automl[postgres]'"
        ) from error
    except OSError as error:  # e.g. its folder cannot be created
        raise HistoryError(
            f"cannot create the history store {shown}: {error.strerror or error} "
            f"({getattr(error, 'filename', None) or 'its folder'})"
        ) from error


def _check_file(url: str, create: bool) -> None:
    try:
        parsed = sa.make_url(url)
    except ArgumentError:
        return  # reported with the engine
    if create or parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return
    if not Path(parsed.database).expanduser().exists():
        raise HistoryError(f"no history store at {parsed.database} (nothing recorded yet)")


def make_engine(url: str) -> Engine:
    """An engine for ``url``, configured for concurrent writers; the database is not touched."""
    parsed = sa.make_url(url)
    if parsed.drivername == "postgresql" and importlib.util.find_spec("psycopg") is not None:
        parsed = parsed.set(drivername="postgresql+psycopg")  # the driver the extra installs
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        engine = _sqlite_engine(parsed)
    else:
        connect_args = {}
        if backend == "postgresql" and "connect_timeout" not in parsed.query:
            connect_args["connect_timeout"] = CONNECT_TIMEOUT_S  # an unreachable host fails fast
        engine = sa.create_engine(parsed, pool_pre_ping=True, connect_args=connect_args)
    _forget_connections_after_fork(engine)
    return engine


def _sqlite_engine(url: sa.URL) -> Engine:
    database = url.database or ""
    in_memory = database in ("", ":memory:") or "mode=memory" in database
    if in_memory:
        engine = sa.create_engine(
            url, poolclass=StaticPool, connect_args={"check_same_thread": False}
        )
    else:
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_S})

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves, below
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
            if not in_memory:
                cursor.execute("PRAGMA journal_mode = WAL")
                cursor.execute(
                    "PRAGMA synchronous = NORMAL"
                )  # WAL + NORMAL survives a killed process
            cursor.execute("PRAGMA foreign_keys = ON")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Connection) -> None:
        immediate = connection.get_execution_options().get(_WRITE, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def _forget_connections_after_fork(engine: Engine) -> None:
    """A forked child must not reuse (or close) the parent's pooled connections.

    Closing a PostgreSQL connection inherited through ``fork`` ends the parent's session too;
    dropping the pool in the child without closing keeps the parent's connections intact.
    """
    if not hasattr(os, "register_at_fork"):
        return
    reference = weakref.ref(engine)

    def _after_fork() -> None:
        alive = reference()
        if alive is not None:
            alive.dispose(close=False)

    os.register_at_fork(after_in_child=_after_fork)


@contextmanager
def writing(engine: Engine) -> Iterator[Connection]:
    """A connection in a write transaction, committed on exit (``BEGIN IMMEDIATE`` on SQLite)."""
    with engine.connect() as connection:
        connection.execution_options(**{_WRITE: True})
        with connection.begin():
            yield connection


@contextmanager
def reading(engine: Engine) -> Iterator[Connection]:
    """A connection in a read transaction, so several queries see one consistent state."""
    with engine.connect() as connection:
        with connection.begin():
            yield connection
