"""Schema versions and the path between them (a small equivalent of Alembic).

``SCHEMA_VERSION`` is what this code writes; ``MIGRATIONS[v]`` brings a store from version
``v - 1`` to ``v``. Opening a store applies the missing steps, each in its own transaction; a
store written by a newer library is refused with a clear error instead of being damaged.
Several processes may open a new store at the same moment, so creating the tables tolerates
losing the race to another process.
"""

from __future__ import annotations

import time
from typing import Callable

from sqlalchemy import Connection, Engine, select
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError

from automl.history.schema import meta, metadata

SCHEMA_VERSION = 1


def _create_version_1(connection: Connection) -> None:
    metadata.create_all(connection, checkfirst=True)


MIGRATIONS: dict[int, Callable[[Connection], None]] = {1: _create_version_1}


class SchemaError(RuntimeError):
    """The store's schema cannot be used by this version of the library."""


def stored_version(connection: Connection) -> int:
    if not connection.dialect.has_table(connection, meta.name):
        return 0
    value = connection.execute(select(meta.c.value).where(meta.c.key == "schema_version")).scalar()
    return int(value) if value is not None else 0


def upgrade(engine: Engine, attempts: int = 5) -> int:
    """Bring the store to ``SCHEMA_VERSION``; returns the version found before."""
    for attempt in range(attempts):
        try:
            return _upgrade_once(engine)
        except (IntegrityError, OperationalError, ProgrammingError) as error:
            # another process created the same table or version row a moment earlier
            if "locked" not in str(error) and "exist" not in str(error) and \
                    "duplicate" not in str(error).lower() and "unique" not in str(error).lower():
                raise
            if attempt == attempts - 1:
                raise
            time.sleep(0.1 * (attempt + 1))
    raise AssertionError("unreachable")


def _upgrade_once(engine: Engine) -> int:
    with engine.connect() as connection:
        found = stored_version(connection)
    if found > SCHEMA_VERSION:
        raise SchemaError(
            f"the store has schema version {found}, newer than this library's "
            f"{SCHEMA_VERSION}; upgrade automl to use it."
        )
    for version in range(found + 1, SCHEMA_VERSION + 1):
        with engine.begin() as connection:
            if stored_version(connection) >= version:  # another process did it meanwhile
                continue
            MIGRATIONS[version](connection)
            if version == 1:
                connection.execute(meta.insert().values(key="schema_version", value="1"))
            else:
                connection.execute(meta.update().where(meta.c.key == "schema_version")
                                   .values(value=str(version)))
    return found
