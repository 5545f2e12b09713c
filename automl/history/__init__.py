"""The team history: every run and trial recorded in a SQL database (see ``store.py``)."""

from automl.history.fingerprint import dataset_fingerprint
from automl.history.migrations import SCHEMA_VERSION, SchemaError
from automl.history.store import (
    ENV_VAR,
    HistoryError,
    HistoryStore,
    default_path,
    open_history,
    resolve_history,
)

__all__ = [
    "ENV_VAR",
    "SCHEMA_VERSION",
    "HistoryError",
    "HistoryStore",
    "SchemaError",
    "dataset_fingerprint",
    "default_path",
    "open_history",
    "resolve_history",
]
