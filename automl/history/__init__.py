"""Team history: every run and trial recorded in a database, for warm starts and resumes.

``open_store(url_or_path)`` gives a :class:`HistoryStore` on any SQLAlchemy database (a
SQLite file by default, PostgreSQL for a team); ``resolve_history("auto")`` says where the
default store is. Nothing here imports the search engine, so the store can be used (and
tested) on its own, and the engine can import it without a cycle.
"""

from automl.fingerprint import dataset_fingerprint
from automl.history.errors import HistoryError
from automl.history.location import ENV_VARIABLE, default_path, is_default, resolve_history
from automl.history.migrations import SCHEMA_VERSION
from automl.history.store import HistoryStore, open_store

__all__ = [
    "ENV_VARIABLE",
    "HistoryError",
    "HistoryStore",
    "SCHEMA_VERSION",
    "dataset_fingerprint",
    "default_path",
    "is_default",
    "open_store",
    "resolve_history",
]
