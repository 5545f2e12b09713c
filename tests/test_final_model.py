"""The final model is never worse than what the search found.

``FinalModelBuilder`` runs here against a stand-in executor whose refits succeed, fail, time
out or never start, over real trials (real fold models, real out-of-fold losses).
"""

from __future__ import annotations

import gc
import math
import os
import pickle
import time
import weakref
from concurrent.futures import Future

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer

import automl.trials.evaluation as evaluation
from automl.estimator import AutoMLClassifier
from automl.final_model import FinalModelBuilder
from automl.final_model_report import FinalKind, FitOn, FoldReason
from automl.fold_store import FoldStore
from automl.ledger import TrialLedger
from automl.metrics import get_metric
from automl.settings import make_settings
from automl.space import PipelineSpace
from automl.training_data import prepare_training_data
from automl.trials.evaluation import _predict, evaluate, fit_pipeline, read_fold_models
from automl.trials.limits import Outcome
from automl.trials.resampling import make_resampling
from automl.trials.status import TrialStatus

X_ALL, Y_ALL = load_breast_cancer(return_X_y=True, as_frame=True)
PREPARED = prepare_training_data(X_ALL.iloc[:240, :6], Y_ALL.iloc[:240], classification=True)
RESAMPLING = make_resampling(3, task="binary", y=PREPARED.y, random_state=0)
METRIC = get_metric("roc_auc", "binary")
SPACE = PipelineSpace("binary", len(PREPARED.y))


class StandInExecutor:
    """Refits as told: "ok" fits for real, "crashed"/"timeout" fail like a worker would."""

    n_workers = 2

    def __init__(self, outcomes: dict[str, str]) -> None:
        self.outcomes, self.refits = outcomes, []

    def refit(self, request, *, time_limit=None, memory_limit_mb=None, n_threads=None):
        self.refits.append((request.config["model"], n_threads))
        how = self.outcomes.get(request.config["model"], "ok")
        future: Future = Future()
        if how == "ok":
            model = fit_pipeline(
                request.config, PREPARED.X, PREPARED.y, task="binary", categorical=[]
            )
            future.set_result(Outcome(TrialStatus.OK, payload=pickle.dumps(model)))
        else:
            future.set_result(Outcome(TrialStatus(how), error=f"injected {how}"))
        return future


def _trial(trial_id: int, family: str, keep: bool, fold_models_file: str | None = None):
    return evaluate(
        trial_id,
        SPACE.default_config(family),
        PREPARED.X,
        PREPARED.y,
        task="binary",
        categorical=[],
        n_classes=2,
        resampling=RESAMPLING,
        metric=METRIC,
        keep_models_below=math.inf if keep else None,
        fold_models_file=fold_models_file,
    )


@pytest.fixture(scope="module")
def trials():
    return [
        _trial(0, "logistic_regression", True),
        _trial(1, "naive_bayes", True),
        _trial(2, "knn", True),
    ]


_OPEN_STORES: list[FoldStore] = []


@pytest.fixture(autouse=True)
def _close_fold_stores():
    """Each store's folder goes when its test ends, as the engine's does when a fit ends."""
    yield
    while _OPEN_STORES:
        _OPEN_STORES.pop().close()


def _build(trials, outcomes, *, keep=(0, 1, 2), budget=60.0, capacity=3):
    ledger = TrialLedger()
    store = FoldStore(ledger, capacity)
    _OPEN_STORES.append(store)
    for trial in trials:
        copy = pickle.loads(pickle.dumps(trial))  # the store takes the models off the result
        if copy.trial_id not in keep:
            copy.fold_models = None
        ledger.add(copy)
    settings = make_settings(AutoMLClassifier(time_budget=budget).get_params())
    executor = StandInExecutor(outcomes)
    builder = FinalModelBuilder(
        executor,
        ledger,
        PREPARED,
        settings,
        RESAMPLING,
        METRIC,
        deadline=time.time() + 30,
        cores=2,
        folds=store,
    )
    return builder.single(), executor, ledger, store


def _ranked_families(trials):
    ledger = TrialLedger()
    for trial in trials:
        ledger.add(pickle.loads(pickle.dumps(trial)))
    return [t.config["model"] for t in ledger.ranked()]


def _oof_loss(fold_models):
    """The validation loss of fold models, each predicting the rows it was validated on."""
    predictions = np.zeros((len(PREPARED.y), 2))
    for (model, present), (_, val) in zip(fold_models.folds, RESAMPLING.splits):
        predictions[val] = _predict(model, PREPARED.X.iloc[val], "binary", present, 2)
    return METRIC.loss(PREPARED.y, predictions)


def test_the_best_trial_refit_on_all_rows(trials):
    final, executor, ledger, _ = _build(trials, {})
    best = ledger.best()
    assert final.best is best and final.report.kind == FinalKind.SINGLE
    assert final.members[0].fitted_on == FitOn.ALL_ROWS and final.report.failed_refits == 0
    assert executor.refits == [(best.config["model"], 2)]  # alone: every core
    assert str(final.report) == "refit on all rows"


@pytest.mark.parametrize(
    "how, reason", [("crashed", FoldReason.REFIT_FAILED), ("timeout", FoldReason.REFIT_CUT_OFF)]
)
def test_a_failed_refit_gives_the_best_trials_fold_models(trials, how, reason):
    best_family = _ranked_families(trials)[0]
    final, executor, ledger, _ = _build(trials, {best_family: how})
    best = ledger.best()
    assert final.best is best and final.report.kind == FinalKind.SINGLE
    member = final.members[0]
    assert member.fitted_on == FitOn.FOLD_MODELS and member.fold_reason == reason
    assert final.report.failed_refits == 1
    assert executor.refits == [(best_family, 2)]  # the next trials are not refit
    assert _oof_loss(final.model) == pytest.approx(best.loss, abs=1e-12)
    assert f"fold models of trial {best.trial_id}" in str(final.report)
    assert final.model.predict_proba(PREPARED.X).shape == (len(PREPARED.y), 2)


def test_a_refit_predicted_to_overrun_is_not_started(trials):
    slow = [pickle.loads(pickle.dumps(t)) for t in trials]
    for trial in slow:
        trial.fit_time = 1e6  # measured per-split fit time: a refit could never finish
    final, executor, ledger, _ = _build(slow, {})
    assert executor.refits == []
    assert final.members[0].fold_reason == FoldReason.WOULD_OVERRUN
    assert _oof_loss(final.model) == pytest.approx(ledger.best().loss, abs=1e-12)


def test_without_fold_models_the_next_trials_refit_in_parallel(trials):
    ranked = _ranked_families(trials)
    final, executor, ledger, _ = _build(trials, {ranked[0]: "crashed"}, keep=())
    assert sorted(executor.refits) == sorted((family, 1) for family in ranked)  # 2 workers
    assert final.best.config["model"] == ranked[1] and final.report.failed_refits == 1
    assert final.members[0].fitted_on == FitOn.ALL_ROWS


def test_a_constant_only_when_nothing_is_left(trials):
    everything_fails = {t.config["model"]: "crashed" for t in trials}
    final, _, _, _ = _build(trials, everything_fails, keep=())
    assert final.report.kind == FinalKind.CONSTANT and final.best is None
    final, _, _, _ = _build([], {})
    assert final.report.kind == FinalKind.CONSTANT
    assert final.report.constant_reason.value == "no trial finished"


def test_the_store_keeps_only_the_best_trials_models(trials):
    _, _, ledger, store = _build(trials, {}, capacity=2)
    kept = [t.trial_id for t in ledger.ranked() if store.has(t.trial_id)]
    assert kept == [t.trial_id for t in ledger.ranked()[:2]]
    assert store.threshold() == ledger.ranked()[1].loss
    assert all(t.fold_models is None for t in ledger)  # written to disk, not held in memory


def test_a_local_trial_writes_its_fold_models_where_the_store_takes_them(trials):
    ledger = TrialLedger()
    store = FoldStore(ledger, 2)
    try:
        incoming = store.incoming(7)
        trial = _trial(7, "logistic_regression", True, fold_models_file=incoming)
        assert trial.fold_models is None and trial.fold_models_file == incoming
        ledger.add(trial)
        assert store.has(7) and not os.path.exists(incoming)
        assert trial.fold_models_file is None
        assert _oof_loss(store.load(7)) == pytest.approx(trial.loss)
        # a trial that does not make the cut leaves no file behind
        worse = pickle.loads(pickle.dumps(trials[0]))
        worse.trial_id, worse.loss = 8, math.inf
        worse.fold_models, worse.fold_models_file = None, store.incoming(8)
        open(store.incoming(8), "wb").close()
        worse.status = "crashed"
        ledger.add(worse)
        assert not os.path.exists(store.incoming(8)) and not store.has(8)
    finally:
        store.close()


def test_a_trial_streams_its_fold_models_holding_one_at_a_time(monkeypatch, tmp_path):
    """Written as each fold is fitted (a forest's five fold models can take hundreds of MB),
    read back as the same models; sent back in the result, all of them are held at once."""
    live, held_before_build = weakref.WeakSet(), []
    build = evaluation.build_pipeline

    def tracked(*args, **kwargs):
        gc.collect()
        held_before_build.append(len(live))
        pipeline = build(*args, **kwargs)
        live.add(pipeline)
        return pipeline

    monkeypatch.setattr(evaluation, "build_pipeline", tracked)
    path = str(tmp_path / "trial.pkl")
    streamed = _trial(9, "logistic_regression", True, fold_models_file=path)
    assert held_before_build == [0] * len(RESAMPLING.splits)
    assert streamed.fold_models_file == path and not os.path.exists(path + ".part")
    with open(path, "rb") as handle:
        assert _oof_loss(read_fold_models(handle)) == pytest.approx(streamed.loss, rel=1e-12)
    held_before_build.clear()
    in_result = _trial(10, "logistic_regression", True)
    assert held_before_build == list(range(len(RESAMPLING.splits)))
    assert _oof_loss(pickle.loads(in_result.fold_models)) == pytest.approx(in_result.loss)


def test_a_trial_that_misses_the_bar_or_fails_leaves_no_fold_models_file(monkeypatch, tmp_path):
    common = dict(task="binary", categorical=[], n_classes=2, resampling=RESAMPLING, metric=METRIC)
    config = SPACE.default_config("logistic_regression")
    path = str(tmp_path / "worse.pkl")
    result = evaluate(
        1, config, PREPARED.X, PREPARED.y, keep_models_below=-1.0, fold_models_file=path, **common
    )
    assert result.fold_models_file is None and os.listdir(tmp_path) == []
    calls = []

    def failing(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("injected")
        return _predict(*args, **kwargs)

    monkeypatch.setattr(evaluation, "_predict", failing)
    with pytest.raises(RuntimeError, match="injected"):
        evaluate(
            2,
            config,
            PREPARED.X,
            PREPARED.y,
            keep_models_below=math.inf,
            fold_models_file=path,
            **common,
        )
    assert os.listdir(tmp_path) == []


@pytest.mark.slow
def test_a_fit_whose_refits_fail_answers_with_fold_models_not_a_constant():
    from fault_models import FAILS_ON_ALL_ROWS

    from automl.space import register_family, unregister_family

    X, y = X_ALL.iloc[:300, :8], Y_ALL.iloc[:300]
    register_family(FAILS_ON_ALL_ROWS)
    try:
        model = AutoMLClassifier(
            time_budget=60,
            max_trials=4,
            n_jobs=2,
            random_state=0,
            include=["fails_on_all_rows"],
            verbose=0,
        ).fit(X, y)
    finally:
        unregister_family("fails_on_all_rows")
    assert model.refit_.kind == FinalKind.SINGLE
    assert model.ensemble_[0]["fitted_on"] == "fold models"
    assert model.ensemble_[0]["fold_reason"] == "its refit failed"
    best = min((t for t in model.trials_ if t["status"] == "ok"), key=lambda t: t["loss"])
    assert model.best_score_ == best["score"] and model.score(X, y) > 0.85
