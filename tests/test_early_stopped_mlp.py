"""The mlp family's perceptrons stop on the loss of held-out training rows and keep their best
epoch's weights: on noisy data that beats training the epoch limit, and every fit of one
configuration is built the same way."""

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import make_classification, make_regression
from sklearn.metrics import log_loss, mean_squared_error
from sklearn.neural_network import MLPClassifier, MLPRegressor

from automl.space.families.early_stopped_mlp import (
    EarlyStoppedMLPClassifier,
    EarlyStoppedMLPRegressor,
)

OPTIONS = dict(hidden_layer_sizes=(128, 128), learning_rate_init=3e-3, alpha=1e-6, max_iter=150)


def _noisy_classes(n=700):
    X, y = make_classification(
        n_samples=n, n_features=12, n_informative=5, n_classes=3, flip_y=0.25, random_state=0
    )
    return X[:500], y[:500], X[500:], y[500:]


def test_classifier_stops_before_over_fitting_and_scores_better():
    X, y, X_test, y_test = _noisy_classes()
    stopped = EarlyStoppedMLPClassifier(random_state=0, **OPTIONS).fit(X, y)
    plain = MLPClassifier(random_state=0, **OPTIONS).fit(X, y)  # trains the epoch limit
    assert stopped.n_iter_ < OPTIONS["max_iter"]
    assert 0 < stopped.best_validation_loss_ < np.inf
    kept, over_fit = (
        log_loss(y_test, stopped.predict_proba(X_test)),
        log_loss(y_test, plain.predict_proba(X_test)),
    )
    assert kept < 0.8 * over_fit, (kept, over_fit)
    assert list(stopped.classes_) == [0, 1, 2]


def test_regressor_stops_before_over_fitting_and_scores_better():
    X, y = make_regression(n_samples=600, n_features=10, noise=60.0, random_state=0)
    y = y / y.std()
    stopped = EarlyStoppedMLPRegressor(random_state=0, **OPTIONS).fit(X[:400], y[:400])
    plain = MLPRegressor(random_state=0, **OPTIONS).fit(X[:400], y[:400])
    assert stopped.n_iter_ < OPTIONS["max_iter"]
    kept = mean_squared_error(y[400:], stopped.predict(X[400:]))
    over_fit = mean_squared_error(y[400:], plain.predict(X[400:]))
    assert kept < over_fit, (kept, over_fit)


def test_a_second_fit_starts_afresh_and_equals_a_clone():
    X, y, X_test, _ = _noisy_classes()
    model = EarlyStoppedMLPClassifier(random_state=3, **OPTIONS)
    first = model.fit(X, y).predict_proba(X_test)
    again = model.fit(X, y).predict_proba(X_test)  # would go on training if it did not reset
    fresh = clone(model).fit(X, y).predict_proba(X_test)
    np.testing.assert_array_equal(first, again)
    np.testing.assert_array_equal(first, fresh)
    assert clone(model).get_params() == model.get_params()


def test_weights_reach_training_and_the_watched_loss():
    X, y, X_test, _ = _noisy_classes()
    weight = np.where(y == 2, 20.0, 1.0)  # class 2 counts twenty times
    plain = EarlyStoppedMLPClassifier(random_state=0, **OPTIONS).fit(X, y)
    weighted = EarlyStoppedMLPClassifier(random_state=0, **OPTIONS).fit(X, y, sample_weight=weight)
    assert weighted.predict_proba(X_test)[:, 2].mean() > plain.predict_proba(X_test)[:, 2].mean()


@pytest.mark.parametrize("n_rows", [3, 12, 40])
def test_tiny_data_still_fits(n_rows):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n_rows, 3))
    y = np.arange(n_rows) % 2
    model = EarlyStoppedMLPClassifier(random_state=0, max_iter=20).fit(X, y)
    assert model.predict_proba(X).shape == (n_rows, 2)
    regressor = EarlyStoppedMLPRegressor(random_state=0, max_iter=20).fit(X, X[:, 0])
    assert regressor.predict(X).shape == (n_rows,)


def test_a_class_absent_from_the_trained_rows_is_still_known():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 4))
    y = np.zeros(200, dtype=int)
    y[:100] = 1
    y[0] = 2  # one row: it cannot be on both sides of the split
    model = EarlyStoppedMLPClassifier(random_state=0, max_iter=10).fit(X, y)
    assert list(model.classes_) == [0, 1, 2]
    assert model.predict_proba(X).shape == (200, 3)
