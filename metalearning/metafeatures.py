"""Dataset meta-features: computed in :mod:`automl.metafeatures` (a fit describes its data
without this package); re-exported here so existing imports keep working."""

from automl.metafeatures import (
    CLASSIFICATION_TASKS,
    DEFAULT_TIME_LIMIT,
    LANDMARK_MAX_ROWS,
    MAX_COLUMNS,
    STATS_MAX_ROWS,
    compute_metafeatures,
    metafeature_names,
)

__all__ = [
    "CLASSIFICATION_TASKS",
    "DEFAULT_TIME_LIMIT",
    "LANDMARK_MAX_ROWS",
    "MAX_COLUMNS",
    "STATS_MAX_ROWS",
    "compute_metafeatures",
    "metafeature_names",
]
