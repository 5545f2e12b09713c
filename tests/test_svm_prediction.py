"""Kernel SVMs predicting through matrix products: libsvm's numbers to rounding, libsvm's own
path for everything else, and the family builds them."""

import pickle
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.datasets import make_classification, make_regression
from sklearn.exceptions import NotFittedError
from sklearn.svm import SVC, SVR

from automl.space.families import svm_prediction
from automl.space.families.svm_prediction import FastSVC, FastSVR


@pytest.fixture(autouse=True)
def _quiet(monkeypatch):
    # these tests' batches are small: take the matrix-product path whatever the work
    monkeypatch.setattr(svm_prediction, "LIBSVM_BELOW_WORK", 0)
    with warnings.catch_warnings():
        # scikit-learn 1.9 deprecates SVC(probability=True); the search's family still uses it
        warnings.simplefilter("ignore", FutureWarning)
        yield


def _classes(k, n=500):
    X, y = make_classification(n, 8, n_informative=6, n_classes=k, flip_y=0.1, random_state=k)
    return X[: n - 150], y[: n - 150], X[n - 150 :]


SETTINGS = dict(C=3.0, gamma=0.1, probability=True, random_state=0)


@pytest.mark.parametrize("k", [2, 3, 5])
@pytest.mark.parametrize("class_weight", [None, "balanced"])
def test_probabilities_are_libsvms_to_rounding(k, class_weight):
    X, y, new = _classes(k)
    fast = FastSVC(**SETTINGS, class_weight=class_weight).fit(X, y)
    plain = SVC(**SETTINGS, class_weight=class_weight).fit(X, y)
    np.testing.assert_allclose(fast.predict_proba(new), plain.predict_proba(new), atol=1e-12)
    np.testing.assert_array_equal(fast.predict(new), plain.predict(new))


def test_string_labels_keep_their_column_order():
    X, y, new = _classes(3)
    labels = np.array(["c", "a", "b"])[y]
    fast = FastSVC(**SETTINGS).fit(X, labels)
    plain = SVC(**SETTINGS).fit(X, labels)
    np.testing.assert_allclose(fast.predict_proba(new), plain.predict_proba(new), atol=1e-12)


def test_regression_is_libsvms_to_rounding():
    X, y = make_regression(400, 6, noise=5.0, random_state=0)
    fast = FastSVR(C=10.0, gamma=0.1, epsilon=0.5).fit(X[:300], y[:300])
    plain = SVR(C=10.0, gamma=0.1, epsilon=0.5).fit(X[:300], y[:300])
    np.testing.assert_allclose(fast.predict(X[300:]), plain.predict(X[300:]), rtol=1e-12)


def test_a_batch_in_many_blocks_gives_the_same_numbers_to_rounding(monkeypatch):
    X, y, new = _classes(3)
    fast = FastSVC(**SETTINGS).fit(X, y)
    whole = fast.predict_proba(new)
    monkeypatch.setattr(svm_prediction, "_BLOCK_ELEMENTS", 7 * len(fast.support_vectors_))
    np.testing.assert_allclose(fast.predict_proba(new), whole, atol=1e-13)
    Xr, yr = make_regression(200, 4, random_state=1)
    svr = FastSVR(gamma=0.2).fit(Xr, yr)
    monkeypatch.setattr(svm_prediction, "_BLOCK_ELEMENTS", 1 << 21)
    once = svr.predict(Xr)
    monkeypatch.setattr(svm_prediction, "_BLOCK_ELEMENTS", 3 * len(svr.support_vectors_))
    np.testing.assert_allclose(svr.predict(Xr), once, rtol=1e-13)


def test_sparse_input_and_other_kernels_go_libsvms_way(monkeypatch):
    calls = []
    original = svm_prediction._pairwise_decisions
    monkeypatch.setattr(
        svm_prediction, "_pairwise_decisions", lambda *a: calls.append(1) or original(*a)
    )
    X, y, new = _classes(2)
    sparse = FastSVC(**SETTINGS).fit(sp.csr_matrix(X), y)
    np.testing.assert_array_equal(
        sparse.predict_proba(sp.csr_matrix(new)),
        SVC(**SETTINGS).fit(sp.csr_matrix(X), y).predict_proba(sp.csr_matrix(new)),
    )
    linear = FastSVC(**{**SETTINGS, "kernel": "linear"}).fit(X, y)
    np.testing.assert_array_equal(
        linear.predict_proba(new),
        SVC(**{**SETTINGS, "kernel": "linear"}).fit(X, y).predict_proba(new),
    )
    assert calls == []
    FastSVC(**SETTINGS).fit(X, y).predict_proba(new)
    assert calls == [1]


def test_a_small_work_goes_libsvms_way(monkeypatch):
    calls = []
    original = svm_prediction._pairwise_decisions
    monkeypatch.setattr(
        svm_prediction, "_pairwise_decisions", lambda *a: calls.append(1) or original(*a)
    )
    X, y, new = _classes(2)
    fast = FastSVC(**SETTINGS).fit(X, y)
    work = new.size * len(fast.support_vectors_) / 2  # per class
    monkeypatch.setattr(svm_prediction, "LIBSVM_BELOW_WORK", work + 1)
    np.testing.assert_array_equal(
        fast.predict_proba(new), SVC(**SETTINGS).fit(X, y).predict_proba(new)
    )
    assert calls == []
    monkeypatch.setattr(svm_prediction, "LIBSVM_BELOW_WORK", work)
    fast.predict_proba(new)
    assert calls == [1]


def test_errors_are_scikit_learns():
    X, y, new = _classes(2)
    with pytest.raises(NotFittedError):
        FastSVC(**SETTINGS).predict_proba(new)
    fast = FastSVC(**SETTINGS).fit(X, y)
    with pytest.raises(ValueError, match="features"):
        fast.predict_proba(new[:, :3])
    with pytest.raises(AttributeError, match="predict_proba"):
        FastSVC(probability=False).fit(X, y).predict_proba(new)
    assert not hasattr(FastSVC(probability=False), "predict_proba")


def test_a_pickled_model_predicts_the_same():
    X, y, new = _classes(3)
    fast = FastSVC(**SETTINGS).fit(X, y)
    loaded = pickle.loads(pickle.dumps(fast))
    assert type(loaded) is FastSVC
    np.testing.assert_array_equal(loaded.predict_proba(new), fast.predict_proba(new))


@pytest.mark.parametrize("task", ["binary", "regression"])
def test_the_family_builds_them(task):
    import pandas as pd

    from automl.space import PipelineSpace, build_pipeline
    from automl.trials.evaluation import describe_data

    X, _ = (make_regression if task == "regression" else make_classification)(
        n_samples=100, n_features=4, random_state=0
    )
    frame = pd.DataFrame(X, columns=list("abcd"))
    config = PipelineSpace(task, 100).default_config("svm")
    pipeline = build_pipeline(config, describe_data(frame, task, [], None))
    model = pipeline[-1]
    model = getattr(model, "regressor", model)  # the regression target is scaled
    assert type(model) is (FastSVR if task == "regression" else FastSVC)
