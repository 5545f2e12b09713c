"""Transactions that survive a busy database or a dropped connection, and the errors they raise.

A retry is safe because every write of the store is idempotent (run ids come from the writer,
trials are keyed by ``(run_id, trial_id)``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from automl.history.errors import HistoryError, reason

T = TypeVar("T")

_ATTEMPTS = 5
_TRANSIENT_SIGNS = (
    "locked",
    "busy",
    "could not serialize",
    "deadlock",
    "server closed",
    "connection reset",
    "terminating connection",
)
_CORRUPT_SIGNS = ("file is not a database", "malformed", "not a database")


def with_retries(
    engine: Engine,
    url: str,
    action: str,
    work: Callable[[Connection], T],
    transaction: Callable,
) -> T:
    """Run ``work`` in a ``transaction`` of ``engine``, retrying a few times when the database
    is busy or the connection dropped; any other failure is a :class:`HistoryError` naming
    the store at ``url`` (already masked) and the ``action``."""
    for attempt in range(_ATTEMPTS):
        try:
            with transaction(engine) as connection:
                return work(connection)
        except OperationalError as error:
            transient = error.connection_invalidated or any(
                sign in reason(error).lower() for sign in _TRANSIENT_SIGNS
            )
            if not transient or attempt == _ATTEMPTS - 1:
                raise store_error(url, action, error) from error
            time.sleep(min(2.0, 0.05 * 2**attempt))
        except SQLAlchemyError as error:
            raise store_error(url, action, error) from error
    raise AssertionError("unreachable")


def store_error(url: str, action: str, error: BaseException) -> HistoryError:
    """The :class:`HistoryError` for a failed ``action`` on the store at ``url``."""
    why = reason(error)
    if any(sign in why.lower() for sign in _CORRUPT_SIGNS):
        return HistoryError(f"{url} is not a valid history database (corrupt or not SQLite): {why}")
    return HistoryError(f"cannot {action} the history store {url}: {why}")
