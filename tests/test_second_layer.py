"""The second stacking layer: the first layer's out-of-fold predictions as extra columns.

The layer's trials run here on an in-process stand-in executor over real trials (real fold
models, real out-of-fold predictions); one fit runs the whole path through the estimator.
"""

from __future__ import annotations

import math
import pickle
from concurrent.futures import Future

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from sklearn.datasets import make_circles
from sklearn.metrics import log_loss

from automl.estimator import AutoMLClassifier, AutoMLRegressor
from automl.fold_store import FoldStore
from automl.ledger import TrialLedger
from automl.second_layer import (
    COLUMN_PREFIX,
    LAYER_FAMILIES,
    layer_columns,
    pick_first_layer,
    run_second_layer,
    unusable,
    with_layer_columns,
)
from automl.space import PipelineSpace
from automl.trials.limits import Outcome
from automl.trials.request import TrialData
from automl.trials.resampling import make_resampling
from automl.trials.result import TrialResult
from automl.trials.status import TrialStatus
from automl.trials.worker import run_trial

# two noisy rings, one inside the other: a linear model alone cannot separate them, k nearest
# neighbours can
X_RINGS, Y_RINGS = make_circles(n_samples=600, noise=0.15, factor=0.5, random_state=0)
X_RINGS = pd.DataFrame(X_RINGS, columns=["a", "b"])
TRAIN, TEST = np.arange(400), np.arange(400, 600)
RESAMPLING = make_resampling(5, task="binary", y=Y_RINGS[TRAIN], random_state=0)
DATA = TrialData(
    X=X_RINGS.iloc[TRAIN].reset_index(drop=True),
    y=Y_RINGS[TRAIN],
    task="binary",
    categorical=(),
    n_classes=2,
    resampling=RESAMPLING,
)
SPACE = PipelineSpace("binary", len(TRAIN))
KNN_NEIGHBOURS = {"knn": {"knn:n_neighbors": 25}}  # smooth probabilities: a usable log loss


class InProcessExecutor:
    """Runs each trial at once, here, on the data it was made for."""

    n_workers, n_threads, shares_disk = 1, 1, True

    def __init__(self, data: TrialData) -> None:
        self.data, self.closed = data, False

    def evaluate(self, request, *, deadline=None, time_limit=None, memory_limit_mb=None):
        future: Future = Future()
        result = run_trial(self.data, request, n_threads=1)
        future.set_result(Outcome(TrialStatus.OK, payload=pickle.dumps(result)))
        return future

    def close(self, *, kill=False):
        self.closed = True


def _first_layer():
    """Logistic regression and k nearest neighbours on the rings, fold models stored."""
    ledger = TrialLedger()
    store = FoldStore(ledger, 10)
    for trial_id, family in enumerate(["logistic_regression", "knn"]):
        request = pickle.loads(pickle.dumps(_request(trial_id, family, store)))
        ledger.add(run_trial(DATA, request, n_threads=1))
    return ledger, store


def _request(trial_id, family, store):
    from automl.trials.request import TrialRequest

    return TrialRequest(
        trial_id=trial_id,
        config={**SPACE.default_config(family), **KNN_NEIGHBOURS.get(family, {})},
        metric="log_loss",
        random_state=0,
        keep_models_below=math.inf,
        fold_models_file=store.incoming(trial_id),
    )


def test_the_second_layer_learns_from_the_first_layers_out_of_fold_predictions():
    ledger, store = _first_layer()
    made = []

    def executor_for(data):
        made.append(InProcessExecutor(data))
        return made[-1]

    try:
        first = pick_first_layer(ledger.ranked(), store.has)
        assert [t.config["model"] for t in first] == ["knn", "logistic_regression"]
        layer = run_second_layer(
            DATA,
            first,
            executor_for,
            metric="log_loss",
            random_state=0,
            deadline=math.inf,
            memory_limit_mb=None,
        )
        assert layer is not None and made[0].closed
        # the layer's trials saw the first layer's out-of-fold probabilities as columns
        widened = made[0].data.X
        assert list(widened.columns) == ["a", "b", f"{COLUMN_PREFIX}0", f"{COLUMN_PREFIX}1"]
        np.testing.assert_allclose(widened[f"{COLUMN_PREFIX}0"], first[0].predictions[:, 1])
        by_family = {t.config["model"]: t for t in layer.ledger.ranked()}
        linear_before = next(t for t in first if t.config["model"] == "logistic_regression")
        # a linear model given the neighbours' out-of-fold probability is far better than alone
        assert by_family["logistic_regression"].loss < 0.8 * linear_before.loss
        # and so on rows no model saw: the first layer's bagged fold models make the columns
        first_models = [store.load(t.trial_id) for t in first]
        stacked = layer.model(by_family["logistic_regression"].trial_id, first_models, "binary")
        X_test, y_test = X_RINGS.iloc[TEST], Y_RINGS[TEST]
        alone = store.load(linear_before.trial_id)
        assert log_loss(y_test, stacked.predict_proba(X_test)) < 0.8 * log_loss(
            y_test, alone.predict_proba(X_test)
        )
        assert stacked.predict(X_test).shape == (len(TEST),)
        layer.close()
    finally:
        store.close()


def test_no_second_layer_without_two_first_layer_trials():
    ledger, store = _first_layer()
    try:
        first = pick_first_layer(ledger.ranked(), store.has)[:1]
        assert (
            run_second_layer(
                DATA,
                first,
                InProcessExecutor,
                metric="log_loss",
                random_state=0,
                deadline=math.inf,
                memory_limit_mb=None,
            )
            is None
        )
    finally:
        store.close()


def _result(trial_id, family, loss, fidelity=1.0):
    return TrialResult(
        trial_id,
        {"model": family},
        TrialStatus.OK,
        loss=loss,
        fidelity=fidelity,
        predictions=np.zeros(3),
    )


def test_the_first_layer_is_the_best_trial_of_each_of_the_best_families():
    ranked = [
        _result(0, "lightgbm", 0.1),
        _result(1, "lightgbm", 0.2),
        _result(2, "svm", 0.3, fidelity=0.33),  # successive halving's: not comparable
        _result(3, "knn", 0.4),  # its fold models were not kept
        _result(4, "mlp", 0.5),
        _result(5, "svm", 0.6),
        _result(6, "extra_trees", 0.7),
        _result(7, "random_forest", 0.8),
    ]
    first = pick_first_layer(ranked, lambda trial_id: trial_id != 3)
    assert [t.trial_id for t in first] == [0, 4, 5, 6][:LAYER_FAMILIES]


def test_layer_columns_per_task():
    binary = np.array([[0.2, 0.8], [0.6, 0.4]])
    multiclass = np.array([[0.1, 0.2, 0.7], [0.3, 0.3, 0.4]])
    np.testing.assert_allclose(
        layer_columns([binary, binary], "binary"), [[0.8, 0.8], [0.4, 0.4]], rtol=1e-6
    )
    assert layer_columns([multiclass], "multiclass").shape == (2, 3)
    assert layer_columns([np.array([1.5, 2.5])], "regression").shape == (2, 1)
    frame = pd.DataFrame({"x": [1, 2]}, index=[10, 20])
    widened = with_layer_columns(frame, layer_columns([binary], "binary"))
    assert list(widened.index) == [10, 20] and widened[f"{COLUMN_PREFIX}0"].tolist() == (
        pytest.approx([0.8, 0.4])
    )


def test_where_the_second_layer_cannot_run():
    assert unusable(DATA, reshuffled=False) is None
    assert "reshuffle" in unusable(DATA, reshuffled=True)
    holdout = make_resampling("holdout", task="binary", y=DATA.y, random_state=0)
    assert "out-of-fold" in unusable(TrialData(**{**vars(DATA), "resampling": holdout}), False)
    sparse = TrialData(**{**vars(DATA), "X": sp.csr_matrix(DATA.X.to_numpy())})
    assert "sparse" in unusable(sparse, False)
    named = TrialData(**{**vars(DATA), "X": DATA.X.rename(columns={"a": f"{COLUMN_PREFIX}a"})})
    assert COLUMN_PREFIX in unusable(named, False)


# families without OpenMP threads: quick, and no thread spinning when the machine is busy
FAST = ["logistic_regression", "knn", "naive_bayes", "extra_trees"]
FIT = dict(
    time_budget=30, n_jobs=1, max_trials=8, include=FAST, random_state=0, history=None, verbose=0
)


def test_a_fit_predicts_through_a_second_layer(caplog, tmp_path):
    X, y = X_RINGS.iloc[TRAIN], Y_RINGS[TRAIN]
    with caplog.at_level("INFO", logger="automl"):
        model = AutoMLClassifier(preset="best_quality", second_layer=True, **FIT).fit(X, y)
    assert any(r.getMessage().startswith("second layer: ") for r in caplog.records)
    again = pickle.loads(pickle.dumps(model))
    proba = again.predict_proba(X_RINGS.iloc[TEST])
    assert proba.shape == (len(TEST), 2) and np.allclose(proba.sum(axis=1), 1)
    # on the rings, members of the second layer are chosen (the data are fixed, the trials too)
    assert {m["layer"] for m in model.ensemble_} == {1, 2}
    # its trials are listed apart, and ranked with the first layer's on the leaderboard
    assert 1 <= len(model.layer_trials_) <= LAYER_FAMILIES
    board = model.leaderboard()
    assert len(board) == len(model.trials_) + len(model.layer_trials_)
    assert (board["layer"] == 2).sum() == len(model.layer_trials_)
    full = board[board["fidelity"] == 1]["roc_auc"].dropna()
    assert list(full) == sorted(full, reverse=True)
    weights = {(m["layer"], m["trial_id"]): m["weight"] for m in model.ensemble_}
    chosen = board[board["ensemble_weight"] > 0]
    assert dict(zip(zip(chosen["layer"], chosen["trial_id"]), chosen["ensemble_weight"])) == (
        pytest.approx(weights)
    )
    onnx = pytest.importorskip("automl.onnx_export")
    with pytest.raises(onnx.OnnxExportError, match="has no ONNX export"):
        onnx.export_onnx(model, tmp_path / "model.onnx", X)
    # reproducible: the same trials, and the same final model
    twice = AutoMLClassifier(preset="best_quality", second_layer=True, **FIT).fit(X, y)
    assert twice.ensemble_ == model.ensemble_
    np.testing.assert_allclose(twice.predict_proba(X_RINGS.iloc[TEST]), proba)


def test_second_layer_off_and_bad_values(caplog):
    X, y = X_RINGS.iloc[TRAIN], Y_RINGS[TRAIN]
    regression = {**FIT, "include": ["ridge", "knn", "extra_trees"]}
    with caplog.at_level("INFO", logger="automl"):
        model = AutoMLRegressor(preset="best_quality", second_layer=False, **regression).fit(
            X, y * 1.0
        )
    assert not any(r.getMessage().startswith("second layer") for r in caplog.records)
    assert all(m["layer"] == 1 for m in model.ensemble_)
    assert model.layer_trials_ == [] and "layer" not in model.leaderboard()
    with pytest.raises(ValueError, match="second_layer must be 'auto', True or False"):
        AutoMLClassifier(second_layer="sometimes").fit(X, y)
