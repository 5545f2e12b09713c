"""The constant model: class frequencies or the mean, the last resort of a final model."""

from __future__ import annotations

from typing import Any

import numpy as np

from automl.data import REGRESSION
from automl.training_data import PreparedData


def constant_prediction(prepared: PreparedData, n: int) -> np.ndarray:
    """What the constant model predicts: class frequencies, or the mean (weighted, with
    sample weights)."""
    weights = prepared.sample_weight
    if prepared.task == REGRESSION:
        return np.full(n, float(np.average(prepared.y, weights=weights)))
    counts = np.bincount(prepared.y, weights=weights, minlength=len(prepared.classes))
    return np.tile(counts / counts.sum(), (n, 1))


def constant_model(prepared: PreparedData) -> Any:
    """The last resort, when no trial could be refit: a fitted dummy estimator."""
    from sklearn.dummy import DummyClassifier, DummyRegressor

    model = DummyRegressor() if prepared.task == REGRESSION else DummyClassifier(strategy="prior")
    return model.fit(
        np.zeros((len(prepared.y), 1)), prepared.y, sample_weight=prepared.sample_weight
    )
