"""Sparse X: searched as a CSR matrix by the families that take one, never made dense."""

import logging

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.datasets import load_breast_cancer

from automl import AutoMLClassifier, AutoMLRegressor
from automl.fingerprint import fingerprint_and_row_hashes
from automl.space import DataDescription, PipelineSpace, build_pipeline
from automl.space.preprocessing import SparseImputer
from automl.space.registry import FAMILIES

FAST = dict(
    time_budget=120,
    max_trials=3,
    random_state=0,
    verbose=0,
    per_trial_time_limit=None,
    history=None,
    n_jobs=1,
    resampling=3,
)


def _words(n_rows=240, n_columns=400, seed=0):
    """A bag-of-words-like matrix whose label depends on a few of its columns."""
    rng = np.random.default_rng(seed)
    X = sp.random(n_rows, n_columns, density=0.05, format="csr", random_state=seed)
    X.data = np.round(X.data * 5) + 1.0  # counts
    signal = np.asarray(X[:, :10].sum(axis=1)).ravel() - np.asarray(X[:, 10:20].sum(axis=1)).ravel()
    y = (signal + rng.normal(scale=0.5, size=n_rows) > 0).astype(int)
    return X, y


@pytest.fixture(scope="module")
def words():
    return _words()


# the families that take no sparse matrix, in offer order (CatBoost where it is installed)
DENSE_ONLY = [
    "hist_gradient_boosting",
    *(["catboost"] if FAMILIES["catboost"].installed() else []),
    "naive_bayes",
]


@pytest.fixture(scope="module")
def fitted(words):
    X, y = words
    return AutoMLClassifier(**{**FAST, "max_trials": 6}).fit(X, y)


def test_a_sparse_search_uses_only_families_that_take_sparse_matrices(words, fitted, caplog):
    X, y = words
    board = fitted.leaderboard()
    assert (board["status"] == "ok").all()
    assert not set(DENSE_ONLY) & set(board["model"])
    assert fitted.n_features_in_ == X.shape[1]
    assert not hasattr(fitted, "feature_names_in_")
    assert fitted.run_card_.data.sparse and fitted.run_card_.data.n_columns == X.shape[1]
    # the left-out families are named in the log
    with caplog.at_level(logging.INFO, logger="automl"):
        AutoMLClassifier(**{**FAST, "max_trials": 1}).fit(X, y)
    assert f"sparse X: leaving out {', '.join(DENSE_ONLY)}" in caplog.text


def test_a_sparse_model_predicts_sparse_and_dense_rows_alike(words, fitted):
    X, y = words
    proba = fitted.predict_proba(X)
    assert proba.shape == (X.shape[0], 2)
    for same in (X.tocoo(), X.tocsc(), X.toarray(), sp.csr_array(X)):
        np.testing.assert_allclose(fitted.predict_proba(same), proba, rtol=1e-12)
    assert fitted.score(X, y) > 0.8  # on its training rows: it learned the signal
    with pytest.raises(ValueError, match="X has 399 features, but AutoMLClassifier is expecting"):
        fitted.predict(X[:, :399])
    with pytest.raises(ValueError, match="A numpy array must be all numbers"):
        fitted.predict(np.full((2, 400), "word", dtype=object))


def test_lightgbm_finds_the_same_trials_on_sparse_and_dense_data(words):
    """LightGBM takes the matrix as it is either way: the same configurations, the same losses."""
    X, y = words
    settings = dict(FAST, include=["lightgbm"], warm_start=None)
    on_sparse = AutoMLClassifier(**settings).fit(X, y)
    on_dense = AutoMLClassifier(**settings).fit(X.toarray(), y)
    assert [t["config"] for t in on_sparse.trials_] == [t["config"] for t in on_dense.trials_]
    np.testing.assert_allclose(
        [t["loss"] for t in on_sparse.trials_], [t["loss"] for t in on_dense.trials_], rtol=1e-9
    )


def test_a_matrix_too_big_to_make_dense_is_fitted_sparse():
    """400 x 1,000,000 cells: 3.2 GB dense, far above the trials' 700 MB limit."""
    rng = np.random.default_rng(0)
    n_rows, n_columns = 400, 1_000_000
    signal = rng.normal(size=(n_rows, 5))
    rows = np.r_[np.repeat(np.arange(n_rows), 5), rng.integers(0, n_rows, size=10 * n_rows)]
    columns = np.r_[np.tile(np.arange(5), n_rows), rng.integers(5, n_columns, size=10 * n_rows)]
    values = np.r_[signal.ravel(), rng.random(10 * n_rows)]
    X = sp.coo_matrix((values, (rows, columns)), shape=(n_rows, n_columns)).tocsr()
    y = (signal.sum(axis=1) > 0).astype(int)
    model = AutoMLClassifier(
        **{**FAST, "max_trials": 1, "include": ["logistic_regression"], "memory_limit": 700}
    ).fit(X, y)
    assert model.trials_[0]["status"] == "ok", model.trials_[0]["error"]
    assert model.best_score_ > 0.9


def test_a_sparse_regression_fits_and_handles_missing_values():
    X, y = _words(seed=1)
    target = np.asarray(X[:, :5].sum(axis=1)).ravel()
    X = X.copy()
    X.data[::50] = np.nan  # some stored cells missing
    model = AutoMLRegressor(**{**FAST, "include": ["ridge", "random_forest"]}).fit(X, target)
    assert {t["status"] for t in model.trials_} == {"ok"}
    assert np.isfinite(model.predict(X)).all()


@pytest.mark.parametrize(
    ("X", "error", "message"),
    [
        (sp.csr_matrix((0, 5)), ValueError, r"empty sparse matrix \(shape=\(0, 5\)\)"),
        (sp.csr_matrix(np.array([[1.0, np.inf]] * 4)), ValueError, "contains infinity"),
        (sp.csr_matrix(np.array([[1 + 1j, 0]] * 4)), ValueError, "complex numbers"),
    ],
    ids=["empty", "inf", "complex"],
)
def test_bad_sparse_input_is_a_clear_error(X, error, message):
    with pytest.raises(error, match=message):
        AutoMLClassifier(**FAST).fit(X, [0, 1] * (X.shape[0] // 2))


def test_families_that_need_dense_data_are_refused_by_name(words):
    X, y = words
    with pytest.raises(ValueError, match=r"No model family is left for this sparse X: \['hist_"):
        AutoMLClassifier(**{**FAST, "include": ["hist_gradient_boosting"]}).fit(X, y)
    space = PipelineSpace("binary", 100, sparse=True)
    assert space.left_out_for_sparse == DENSE_ONLY


def test_a_dense_model_given_a_sparse_matrix_says_so():
    X, y = load_breast_cancer(return_X_y=True)
    model = AutoMLClassifier(**{**FAST, "max_trials": 1, "include": ["logistic_regression"]})
    model.fit(X[:100, :5], y[:100])
    with pytest.raises(TypeError, match="fitted on a dense table; pass a dense array"):
        model.predict(sp.csr_matrix(X[:3, :5]))


def test_importance_and_onnx_refuse_a_sparse_model(words, fitted, tmp_path):
    X, y = words
    with pytest.raises(ValueError, match="not offered for a model fitted on a sparse matrix"):
        fitted.feature_importance(X, y)
    from automl.onnx_export import OnnxExportError, export_onnx

    with pytest.raises(OnnxExportError, match="fitted on a sparse matrix"):
        export_onnx(fitted, tmp_path / "model.onnx", X[:10])
    assert not (tmp_path / "model.onnx").exists()


def test_sparse_preprocessing_keeps_the_matrix_sparse(words):
    X, y = words
    space = PipelineSpace("binary", X.shape[0], sparse=True)
    data = DataDescription("binary", X.shape[0], (), {}, sparse_width=X.shape[1])
    for scaler in ("standard", "robust", "quantile"):
        config = space.complete(
            {"model": "logistic_regression", "scaler": scaler, "feature_preprocessor": "pca"}
        )
        pipeline = build_pipeline(config, data)
        assert sp.issparse(pipeline[:-1].fit_transform(X, y))
        assert not [name for name, _ in pipeline.steps if name == "features"]  # PCA skipped


def test_the_sparse_imputer_costs_nothing_without_missing_values():
    X = sp.csr_matrix(np.array([[1.0, 0.0], [0.0, 2.0], [3.0, 0.0]]))
    imputer = SparseImputer("mean").fit(X)
    assert imputer.imputer_ is None and imputer.transform(X) is X
    later = sp.csr_matrix(np.array([[np.nan, 1.0]]))
    np.testing.assert_array_equal(imputer.transform(later).toarray(), [[0.0, 1.0]])
    with_missing = sp.csr_matrix(np.array([[1.0, 0.0], [np.nan, 2.0], [3.0, 0.0]]))
    filled = SparseImputer("mean").fit(with_missing).transform(with_missing)
    assert sp.isspmatrix_csr(filled) or sp.issparse(filled)
    # the mean of the values present; the indicator column marks the missing cell
    np.testing.assert_allclose(filled.toarray(), [[1, 0, 0], [2, 2, 1], [3, 0, 0]])


def test_the_fingerprint_of_a_sparse_matrix_follows_its_cells(words):
    X, y = words
    digest, rows = fingerprint_and_row_hashes(X, y)
    assert fingerprint_and_row_hashes(X.copy(), y)[0] == digest
    moved = X.tolil()
    row = int(np.flatnonzero(np.diff(X.indptr))[0])
    column = X.indices[X.indptr[row]]
    moved[row, column], moved[row, (column + 1) % X.shape[1]] = 0, X[row, column]
    moved_digest, moved_rows = fingerprint_and_row_hashes(moved.tocsr(), y)
    assert moved_digest != digest
    assert (moved_rows != rows).sum() == 1 and moved_rows[row] != rows[row]
    assert fingerprint_and_row_hashes(X.toarray(), y)[0] != digest  # a dense table is other data
