"""HistGradientBoosting's prediction threads: one thread for a small batch when OpenMP threads
sleep between parallel regions (OMP_WAIT_POLICY=PASSIVE), scikit-learn's choice otherwise;
the same predictions either way."""

import numpy as np
import pytest
from sklearn.datasets import make_classification, make_regression
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

from automl.space.families.hist_boosting import (
    PASSIVE_THREADED_FROM_ROWS,
    FastHistGradientBoostingClassifier,
    FastHistGradientBoostingRegressor,
)


@pytest.fixture()
def threads_asked(monkeypatch):
    """The ``n_threads`` each prediction passes to scikit-learn's own ``_raw_predict``."""
    asked = []
    for base in (HistGradientBoostingClassifier, HistGradientBoostingRegressor):
        original = base._raw_predict

        def spy(self, X, n_threads=None, _original=original):
            asked.append(n_threads)
            return _original(self, X, n_threads=n_threads)

        monkeypatch.setattr(base, "_raw_predict", spy)
    return asked


CASES = [
    (FastHistGradientBoostingClassifier, HistGradientBoostingClassifier, "predict_proba"),
    (FastHistGradientBoostingRegressor, HistGradientBoostingRegressor, "predict"),
]


@pytest.mark.parametrize("fast_class, plain_class, method", CASES, ids=["classifier", "regressor"])
@pytest.mark.parametrize("policy", ["PASSIVE", "passive ", "ACTIVE", None])
def test_a_small_batch_gets_one_thread_only_when_openmp_threads_sleep(
    fast_class, plain_class, method, policy, threads_asked, monkeypatch
):
    if policy is None:
        monkeypatch.delenv("OMP_WAIT_POLICY", raising=False)
    else:
        monkeypatch.setenv("OMP_WAIT_POLICY", policy)
    make = (
        make_regression if fast_class is FastHistGradientBoostingRegressor else make_classification
    )
    X, y = make(n_samples=300, n_features=5, random_state=0)
    settings = dict(max_iter=15, early_stopping=False, random_state=0)
    fast = fast_class(**settings).fit(X, y)
    plain = plain_class(**settings).fit(X, y)
    threads_asked.clear()
    np.testing.assert_array_equal(getattr(fast, method)(X[:50]), getattr(plain, method)(X[:50]))
    passive = policy is not None and policy.strip().upper() == "PASSIVE"
    assert threads_asked == [1 if passive else None, None]  # the fast model's, then the plain's


def test_a_large_batch_gets_scikit_learns_threads_whatever_the_policy(threads_asked, monkeypatch):
    monkeypatch.setenv("OMP_WAIT_POLICY", "PASSIVE")
    X, y = make_regression(n_samples=300, n_features=5, random_state=0)
    fast = FastHistGradientBoostingRegressor(max_iter=5, early_stopping=False).fit(X, y)
    batch = np.resize(X, (PASSIVE_THREADED_FROM_ROWS, X.shape[1]))
    threads_asked.clear()
    fast.predict(batch)
    fast.predict(batch[:-1])
    assert threads_asked == [None, 1]


def test_a_thread_count_asked_for_is_kept(threads_asked, monkeypatch):
    monkeypatch.setenv("OMP_WAIT_POLICY", "PASSIVE")
    X, y = make_regression(n_samples=100, n_features=3, random_state=0)
    fast = FastHistGradientBoostingRegressor(max_iter=5, early_stopping=False).fit(X, y)
    threads_asked.clear()
    fast._raw_predict(X, n_threads=2)
    assert threads_asked == [2]
