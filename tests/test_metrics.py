"""Metrics by name, alias or scorer, scored on stored predictions."""

import numpy as np
import pytest
from sklearn.metrics import make_scorer, mean_absolute_error

from automl.metrics import get_metric

Y = np.array([0, 1, 1, 0])
PROBA = np.array([[0.9, 0.1], [0.2, 0.8], [0.4, 0.6], [0.3, 0.7]])


def test_defaults_per_task():
    assert get_metric(None, "binary").name == "roc_auc"
    assert get_metric(None, "multiclass").name == "log_loss"
    assert get_metric(None, "regression").name == "rmse"


def test_loss_is_minimized_and_score_is_in_natural_units():
    auc = get_metric("roc_auc", "binary")
    assert auc.score(Y, PROBA) == pytest.approx(0.75) and auc.loss(Y, PROBA) == pytest.approx(-0.75)
    rmse = get_metric("neg_root_mean_squared_error", "regression")
    assert rmse.name == "rmse"
    assert rmse.score(np.array([0.0, 0.0]), np.array([3.0, 4.0])) == pytest.approx(np.sqrt(12.5))


def test_any_sklearn_scorer_name_and_callable_scorer():
    assert get_metric("average_precision", "binary").score(Y, PROBA) == pytest.approx(5 / 6)
    scorer = make_scorer(mean_absolute_error, greater_is_better=False)
    metric = get_metric(scorer, "regression")
    assert metric.score(np.array([1.0, 2.0]), np.array([2.0, 2.0])) == pytest.approx(-0.5)
    assert metric.loss(np.array([1.0, 2.0]), np.array([2.0, 2.0])) == pytest.approx(0.5)


def test_log_loss_copes_with_a_class_missing_from_the_targets():
    proba = np.array([[0.7, 0.2, 0.1], [0.2, 0.7, 0.1]])
    assert get_metric("log_loss", "multiclass").score(np.array([0, 1]), proba) > 0


@pytest.mark.parametrize(
    "name, task, message",
    [
        ("accuracy_typo", "binary", "Unknown metric"),
        ("rmse", "binary", "for regression"),
        ("roc_auc", "regression", "for classification"),
        ("f1", "multiclass", "f1_macro"),
    ],
)
def test_wrong_metric_is_explained(name, task, message):
    with pytest.raises(ValueError, match=message):
        get_metric(name, task)


@pytest.mark.parametrize("seed", range(5))
def test_roc_auc_log_loss_and_rmse_are_scikit_learns_without_its_checks(seed):
    """Own implementations (ensemble selection calls them hundreds of times a fit) give
    scikit-learn's values: tied scores, zero weights and rounding included."""
    from sklearn.metrics import log_loss, mean_squared_error, roc_auc_score

    from automl.metrics import _binary_roc_auc, _log_loss, _rmse

    rng = np.random.default_rng(seed)
    for n in (2, 7, 50, 400):
        y = np.r_[0, 1, rng.integers(0, 2, n - 2)]
        score = np.round(rng.random(n), seed % 3 + 1)  # few distinct values: many ties
        weights = rng.random(n) * rng.integers(0, 3, n)
        weights[:2] = 1.0  # both classes keep some weight
        for w in (None, weights):
            assert _binary_roc_auc(y, score, w) == pytest.approx(
                roc_auc_score(y, score, sample_weight=w), abs=1e-12
            )
        k = 2 + seed % 3
        labels = rng.integers(0, k, n)
        proba = rng.dirichlet(np.ones(k), n)
        proba[0] = np.eye(k)[(labels[0] + 1) % k]  # a sure miss: clipped, not infinite
        for w in (None, weights + 0.1):
            assert _log_loss(labels, proba, w) == pytest.approx(
                log_loss(labels, proba, labels=np.arange(k), sample_weight=w), rel=1e-12
            )
        target = rng.normal(size=n)
        for w in (None, weights + 0.1):
            assert _rmse(target, score, w) == pytest.approx(
                np.sqrt(mean_squared_error(target, score, sample_weight=w)), rel=1e-12
            )
