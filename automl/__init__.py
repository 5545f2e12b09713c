"""AutoML for tabular data: ``AutoMLClassifier(time_budget=60).fit(X, y)`` and you have a model."""

import logging
from typing import Any

from automl import _compat

__version__ = "0.1.0"
__all__ = ["AutoMLClassifier", "AutoMLRegressor", "__version__", "shutdown_workers"]

logging.getLogger("automl").addHandler(logging.NullHandler())
_compat.install()  # old module paths, for models saved by earlier versions


def __getattr__(name: str) -> Any:
    """The estimators, imported on first use rather than with the package: a trial worker
    imports ``automl.trials.worker`` alone and starts faster without the engine, the search, the
    history store and the estimators it never uses."""
    if name in ("AutoMLClassifier", "AutoMLRegressor"):
        from automl import estimator

        return getattr(estimator, name)
    if name == "shutdown_workers":  # closes the worker pool that fits keep warm
        from automl.trials.pool import shutdown_workers

        return shutdown_workers
    raise AttributeError(f"module 'automl' has no attribute {name!r}")
