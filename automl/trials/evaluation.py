"""Evaluate one configuration: fit per split, keep out-of-fold predictions, score them.

Evaluation knows nothing of how configurations are chosen or of the overall budget; it gets a
configuration, the data and the splits, and returns a ``TrialResult`` made of plain values.
Running it under time and memory limits is ``automl.trials.limits``' job.
"""

from __future__ import annotations

import os
import pickle
import time
import warnings
from typing import Any

import numpy as np
import pandas as pd

from automl.data import REGRESSION
from automl.metrics import Metric
from automl.sample_weight import takes_sample_weight, weighted_rows, weights_of
from automl.space import DataDescription, TextFeatureNames, build_pipeline
from automl.sparse import is_sparse, take_rows
from automl.trials.early_stopping import Watch, fit_watched, trial_rounds, watch_for
from automl.trials.limits import remove_file
from automl.trials.resampling import Resampling
from automl.trials.result import TrialResult
from automl.trials.status import TrialStatus


def describe_data(
    X: Any, task: str, categorical: list[str], text: TextFeatureNames | None = None
) -> DataDescription:
    if is_sparse(X):
        return DataDescription(
            task=task, n_rows=X.shape[0], numeric=(), categorical={}, sparse_width=X.shape[1]
        )
    return DataDescription(
        task=task,
        n_rows=len(X),
        numeric=tuple(c for c in X.columns if c not in set(categorical)),
        categorical={c: len(X[c].cat.categories) for c in categorical},
        text=text or TextFeatureNames(),
    )


def evaluate(
    trial_id: int,
    config: dict[str, Any],
    X: pd.DataFrame,
    y: np.ndarray,
    *,
    task: str,
    categorical: list[str],
    n_classes: int,
    resampling: Resampling,
    metric: Metric,
    n_threads: int = 1,
    random_state: int = 0,
    fidelity: float = 1.0,
    keep_models_below: float | None = None,
    sample_weight: np.ndarray | None = None,
    fold_models_file: str | None = None,
    text: TextFeatureNames | None = None,
    early_stopping: bool = False,
) -> TrialResult:
    """Fit the configuration on each split and score its out-of-fold predictions.

    With ``fidelity`` < 1 the model sees only that share of each split's training rows (the
    same rows for every configuration), but is scored on the full validation rows, so losses
    at different fidelities are comparable (successive halving relies on that).
    With ``keep_models_below``, when the loss is not above it, the fitted fold models come back
    with the result (a pickled ``FoldModels``): a final model, or an ensemble member, that
    needs no refit on all rows. With ``fold_models_file`` they are written there instead, one
    fold at a time as they are fitted (``FoldModelsFile``).
    With ``sample_weight`` the models are fit and the loss computed with the weights; rows of
    weight 0 are left out of both (before the ``fidelity`` share is drawn, so the weights
    follow their rows).
    With ``early_stopping`` a boosting model stops growing when a share of its fold's training
    rows stops improving (``automl.trials.early_stopping``); the result says how many rounds
    the folds kept, for the refit.
    """
    width = n_classes if task != REGRESSION else 1
    watch = watch_for(config, seed=random_state) if early_stopping else None
    rounds: list[int | None] = []
    # summed over the splits that validate a row, then averaged: under repeated
    # cross-validation (or a user's overlapping splits) a row is predicted more than once
    predictions = np.zeros((len(y), width))
    predicted = np.zeros(len(y))
    fit_time = predict_time = 0.0
    folds: list[tuple[Any, np.ndarray | None]] = []
    stream = None
    if keep_models_below is not None and fold_models_file is not None:
        stream = FoldModelsFile(fold_models_file, task, width)
    fold_models = written = None
    try:
        for number, (train, val) in enumerate(resampling.splits):
            train = weighted_rows(train, sample_weight)
            train = subsample_rows(train, fidelity, seed=random_state + number)
            data = describe_data(take_rows(X, train), task, categorical, text)
            pipeline = build_pipeline(config, data, n_threads=n_threads, random_state=random_state)
            started = time.perf_counter()
            fitted_classes, kept = _fit(
                pipeline,
                take_rows(X, train),
                y[train],
                task,
                weights_of(train, sample_weight),
                watch=watch,
            )
            rounds.append(kept)
            fit_time += time.perf_counter() - started
            started = time.perf_counter()
            predictions[val] += _predict(pipeline, take_rows(X, val), task, fitted_classes, width)
            predicted[val] += 1
            predict_time += time.perf_counter() - started
            if stream is not None:  # on disk now: this process holds one fold's model at most
                stream.add(pipeline, fitted_classes)
            elif keep_models_below is not None:
                folds.append((pipeline, fitted_classes))
            del pipeline
        with np.errstate(invalid="ignore", divide="ignore"):  # unvalidated rows become NaN
            predictions /= predicted[:, None]
        rows = weighted_rows(resampling.validation_rows, sample_weight)
        if task == REGRESSION:
            predictions = predictions[:, 0]
        if not np.isfinite(predictions[rows]).all():
            raise ValueError("the model produced non-finite predictions")
        loss, threshold = metric.loss_and_threshold(
            y[rows], predictions[rows], weights_of(rows, sample_weight)
        )
        if keep_models_below is not None and loss <= keep_models_below:
            if stream is not None:
                written = stream.keep()
            else:  # pickled here, in the trial's process: its watcher never unpickles it
                fold_models = pickle.dumps(FoldModels(folds, task, width), pickle.HIGHEST_PROTOCOL)
    finally:
        if stream is not None and written is None:
            stream.discard()
    return TrialResult(
        trial_id=trial_id,
        config=config,
        status=TrialStatus.OK,
        loss=float(loss),
        score=metric.to_score(float(loss)),
        fit_time=fit_time,
        predict_time=predict_time,
        fidelity=fidelity,
        threshold=threshold,
        predictions=predictions.astype(np.float32),  # kept for every trial: half the memory
        fold_models=fold_models,
        fold_models_file=written,
        rounds=trial_rounds(watch, rounds),
    )


class FoldModels:
    """A trial's cross-validation (or holdout) models, averaged: an ensemble member that
    needs no refit. Each fold's classifier may have seen only some classes; its
    probabilities are placed in the columns of the classes it knows."""

    def __init__(self, folds: list[tuple[Any, np.ndarray | None]], task: str, width: int) -> None:
        self.folds, self.task, self.width = folds, task, width

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        return np.mean(
            [_predict(m, X, self.task, present, self.width) for m, present in self.folds], axis=0
        )

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        if self.task == REGRESSION:
            return np.mean(
                [_predict(m, X, self.task, None, 1)[:, 0] for m, _ in self.folds], axis=0
            )
        return np.argmax(self.predict_proba(X), axis=1)


class FoldModelsFile:
    """A trial's fold models streamed to ``path`` as each fold is fitted, so that the trial
    holds one fold's model at a time (a forest's five fold models can take hundreds of MB):
    ``(task, width)``, then one ``(pipeline, classes)`` pickle per fold, written to
    ``path + ".part"`` and renamed by ``keep``. ``read_fold_models`` reads it back."""

    def __init__(self, path: str, task: str, width: int) -> None:
        self.path = path
        self.handle = open(path + ".part", "wb")  # noqa: SIM115 - closed by keep or discard
        pickle.dump((task, width), self.handle, pickle.HIGHEST_PROTOCOL)

    def add(self, pipeline: Any, classes: np.ndarray | None) -> None:
        pickle.dump((pipeline, classes), self.handle, pickle.HIGHEST_PROTOCOL)

    def keep(self) -> str:
        self.handle.close()
        os.replace(self.path + ".part", self.path)
        return self.path

    def discard(self) -> None:
        self.handle.close()
        remove_file(self.path + ".part")


def read_fold_models(handle: Any) -> FoldModels:
    """The ``FoldModels`` in an open file: streamed by ``FoldModelsFile``, or one pickle (a
    trial that sent them back in its result)."""
    first = pickle.load(handle)
    if isinstance(first, FoldModels):
        return first
    task, width = first
    folds = []
    while True:
        try:
            folds.append(pickle.load(handle))
        except EOFError:
            return FoldModels(folds, task, width)


def subsample_rows(rows: np.ndarray, fidelity: float, *, seed: int) -> np.ndarray:
    """A reproducible random ``fidelity`` share of ``rows`` (all of them at fidelity 1)."""
    if fidelity >= 1.0:
        return rows
    keep = max(2, int(round(len(rows) * fidelity)))
    chosen = np.random.default_rng(seed).permutation(len(rows))[:keep]
    return rows[np.sort(chosen)]


def fit_pipeline(
    config: dict[str, Any],
    X: pd.DataFrame,
    y: np.ndarray,
    *,
    task: str,
    categorical: list[str],
    n_threads: int = 1,
    random_state: int = 0,
    sample_weight: np.ndarray | None = None,
    text: TextFeatureNames | None = None,
) -> Any:
    """Fit the configuration on all rows (of positive weight): the final model."""
    rows = weighted_rows(np.arange(len(y)), sample_weight)
    if len(rows) < len(y):
        X, y = take_rows(X, rows), y[rows]
    pipeline = build_pipeline(
        config,
        describe_data(X, task, categorical, text),
        n_threads=n_threads,
        random_state=random_state,
    )
    _fit(pipeline, X, y, task, weights_of(rows, sample_weight))
    return pipeline


def _fit(
    pipeline: Any,
    X: pd.DataFrame,
    y: np.ndarray,
    task: str,
    sample_weight: np.ndarray | None = None,
    *,
    watch: Watch | None = None,
) -> tuple[np.ndarray | None, int | None]:
    """Fit, relabelling classes to 0..k-1 when a fold lacks some (XGBoost insists); the
    weights go to the model step and the preprocessing that takes them. Returns the classes
    present (None for regression) and, when it stopped early (``watch``), the rounds kept."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence chatter from trial models
        present = None if task == REGRESSION else np.unique(y)
        if present is not None:
            if len(present) < 2:  # a fold holding one class predicts it with certainty
                return present, None
            y = np.searchsorted(present, y)
        if watch is not None:
            rounds = fit_watched(pipeline, X, y, task, watch, sample_weight)
            if rounds is not None:
                return present, rounds
        keywords = {} if sample_weight is None else step_weights(pipeline, sample_weight)
        pipeline.fit(X, y, **keywords)
        return present, None


def step_weights(pipeline: Any, sample_weight: np.ndarray) -> dict[str, np.ndarray]:
    """The keywords that hand ``sample_weight`` to a Pipeline's model (last) step and to the
    preprocessing steps whose fit names it (a ``**kwargs`` there may refuse it)."""
    *steps, (name, model) = pipeline.steps
    if not takes_sample_weight(model.fit):
        raise TypeError(
            f"{type(model).__name__}.fit takes no sample_weight; declare its model family with "
            "ModelFamily(sample_weight=False) so that weighted fits leave it out."
        )
    keywords = {f"{name}__sample_weight": sample_weight}
    for step, transformer in steps:
        if hasattr(transformer, "fit") and takes_sample_weight(transformer.fit, by_name=True):
            keywords[f"{step}__sample_weight"] = sample_weight
    return keywords


def _predict(
    pipeline: Any, X: pd.DataFrame, task: str, present: np.ndarray | None, width: int
) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if task == REGRESSION:
            return np.asarray(pipeline.predict(X), dtype=np.float64).reshape(-1, 1)
        proba = np.zeros((X.shape[0], width))
        if len(present) == 1:
            proba[:, present[0]] = 1.0
        else:
            proba[:, present] = pipeline.predict_proba(X)
        # float32 libraries (XGBoost) sum to 1 only approximately; metrics check it strictly
        return proba / proba.sum(axis=1, keepdims=True)
