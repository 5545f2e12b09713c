"""The one error the history store raises, and URLs safe to print in it.

Every failure of the store (unreachable server, corrupt file, newer schema, lost connection)
surfaces as :class:`HistoryError`, so a caller can catch one class and decide whether a run
goes on without history (the default) or stops (strict mode). The message always names the
store, because "database is locked" alone does not say *which* database, but never its
password, because these messages end up in logs and bug reports.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.exc import ArgumentError


class HistoryError(Exception):
    """The history store cannot be opened, read or written; the message names the store."""


def masked_url(url: str) -> str:
    """``url`` with any password replaced by ``***``, fit for messages and logs."""
    try:
        return sa.make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        return url if "@" not in url else "***@" + url.rsplit("@", 1)[1]


def reason(error: BaseException) -> str:
    """The first line of the driver's own message: the useful part, without SQL echo."""
    original = getattr(error, "orig", None) or error
    text = str(original).strip() or type(original).__name__
    return text.splitlines()[0]
