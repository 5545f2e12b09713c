"""AutoML for tabular data: ``AutoMLClassifier(time_budget=60).fit(X, y)`` and you have a model."""

import logging

from automl.estimator import AutoMLClassifier, AutoMLRegressor

__version__ = "0.1.0"
__all__ = ["AutoMLClassifier", "AutoMLRegressor", "__version__"]

logging.getLogger("automl").addHandler(logging.NullHandler())
