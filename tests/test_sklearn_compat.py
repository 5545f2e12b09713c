"""scikit-learn's own conformance suite, plus clone / Pipeline / cross_val_score."""

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from automl import AutoMLClassifier, AutoMLRegressor

# Small, deterministic settings: a fixed number of cheap trials keeps each check fast and
# reproducible (the checks fit dozens of times on tiny data).
FAST = dict(time_budget=30, max_trials=2, n_jobs=1, random_state=0, verbose=0,
            include=["logistic_regression", "ridge"])

EXPECTED_FAILURES: dict = {}


@parametrize_with_checks(
    [AutoMLClassifier(**FAST), AutoMLRegressor(**FAST)],
    expected_failed_checks=lambda est: EXPECTED_FAILURES,
)
def test_sklearn_checks(estimator, check):
    check(estimator)
