"""The forest families' models predict what scikit-learn's forests predict, on small batches
(asked tree by tree, without scikit-learn's per-tree overhead) and on large ones (its own
threaded path), dense and sparse, with missing values."""

import pickle

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.datasets import make_classification, make_regression

from automl.space.families.forest_prediction import (
    STANDS_FOR,
    THREADED_FROM_ROWS,
    FastExtraTreesClassifier,
    FastExtraTreesRegressor,
    FastRandomForestClassifier,
    FastRandomForestRegressor,
)

CLASSIFIERS = [FastRandomForestClassifier, FastExtraTreesClassifier]
REGRESSORS = [FastRandomForestRegressor, FastExtraTreesRegressor]


def _classes(n=400, classes=3):
    X, y = make_classification(
        n_samples=n, n_features=8, n_informative=4, n_classes=classes, random_state=0
    )
    X[::7, 2] = np.nan  # scikit-learn's trees route missing values; so must the direct path
    return X, y


def _twin(fast, **params):
    """The fast model and scikit-learn's own, fitted alike."""
    model = fast(n_estimators=60, random_state=0, **params)
    original = STANDS_FOR[fast](n_estimators=60, random_state=0, **params)
    return model, original


@pytest.mark.parametrize("fast", CLASSIFIERS)
@pytest.mark.parametrize("classes", [2, 4])
def test_classifier_probabilities_equal_scikit_learns(fast, classes):
    X, y = _classes(classes=classes)
    model, original = _twin(fast)
    model.fit(X[:300], y[:300])
    original.fit(X[:300], y[:300])
    for batch in (X[300:301], X[300:]):
        np.testing.assert_allclose(
            model.predict_proba(batch), original.predict_proba(batch), rtol=0, atol=1e-12
        )
        np.testing.assert_array_equal(model.predict(batch), original.predict(batch))


@pytest.mark.parametrize("fast", REGRESSORS)
def test_regressor_predictions_equal_scikit_learns(fast):
    X, y = make_regression(n_samples=400, n_features=8, noise=5.0, random_state=0)
    X[::5, 1] = np.nan
    model, original = _twin(fast)
    model.fit(X[:300], y[:300])
    original.fit(X[:300], y[:300])
    np.testing.assert_allclose(model.predict(X[300:]), original.predict(X[300:]), rtol=1e-12)


@pytest.mark.parametrize("fast", [FastRandomForestClassifier, FastExtraTreesRegressor])
def test_sparse_input_and_the_threaded_path_agree(fast):
    X, y = _classes(n=THREADED_FROM_ROWS + 300)
    X = np.nan_to_num(X)
    model, original = _twin(fast, n_jobs=2)
    model.fit(X[:300], y[:300])
    original.fit(X[:300], y[:300])
    name = "predict_proba" if hasattr(original, "predict_proba") else "predict"
    small, large = sp.csr_matrix(X[300:340]), X[300:]  # large: scikit-learn's threads
    for batch in (small, large):
        np.testing.assert_allclose(
            getattr(model, name)(batch), getattr(original, name)(batch), rtol=1e-12, atol=1e-12
        )


def test_wrong_width_is_refused_and_the_model_pickles_and_clones():
    X, y = _classes()
    model = FastRandomForestClassifier(n_estimators=10, random_state=0).fit(X, y)
    with pytest.raises(ValueError, match="X has 7 features, but FastRandomForestClassifier"):
        model.predict_proba(X[:, :7])
    again = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(again.predict_proba(X), model.predict_proba(X))
    assert clone(model).get_params() == model.get_params()


def test_small_batches_skip_scikit_learns_path_and_large_threaded_ones_take_it(monkeypatch):
    from sklearn.ensemble import RandomForestClassifier

    X, y = _classes(n=THREADED_FROM_ROWS + 300)
    X = np.nan_to_num(X)
    model = FastRandomForestClassifier(n_estimators=10, n_jobs=2, random_state=0).fit(X, y)
    taken = []

    def sklearn_path(self, X):
        taken.append(len(X))
        return np.full((len(X), 3), 1 / 3)

    monkeypatch.setattr(RandomForestClassifier, "predict_proba", sklearn_path)
    model.predict_proba(X[:50])
    assert taken == []
    model.predict_proba(X)
    assert taken == [len(X)]
