"""Evaluate one configuration: fit per split, keep out-of-fold predictions, score them.

The runner knows nothing of how configurations are chosen or of the overall budget; it gets a
configuration, the data and the splits, and returns a ``TrialResult`` made of plain values.
Running it under time and memory limits is ``automl.limits``' job.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd
from sklearn.model_selection import (
    GroupKFold,
    KFold,
    ShuffleSplit,
    StratifiedKFold,
    StratifiedShuffleSplit,
)

from automl.data import REGRESSION
from automl.metrics import Metric
from automl.space import DataDescription, build_pipeline

# Resampling rule for resampling="auto": cross-validation judges small data far more reliably
# than one holdout split (and small data is cheap to refit five times); past this many rows a
# single 80/20 holdout is accurate enough and leaves the budget for more trials.
CV_MAX_ROWS = 10_000
CV_FOLDS = 5
HOLDOUT_FRACTION = 0.2

OK, CRASHED, TIMEOUT, MEMOUT = "ok", "crashed", "timeout", "memout"


@dataclass
class TrialResult:
    """One finished (or failed) trial: plain values only, so it can cross process borders."""

    trial_id: int
    config: dict[str, Any]
    status: str
    loss: float = float("inf")
    score: float | None = None
    duration: float = 0.0  # wall seconds including process overhead
    fit_time: float = 0.0  # seconds spent in fit, summed over splits
    predict_time: float = 0.0
    peak_memory_mb: float | None = None
    error: str | None = None
    started: float = 0.0  # seconds since the start of fit, when the trial was handed out
    finished: float = 0.0  # seconds since the start of fit, when its result came back
    fidelity: float = 1.0  # share of each split's training rows the model was fit on
    worker: str | None = None  # "host:pid" of the worker process that ran the trial
    predictions: np.ndarray | None = field(default=None, repr=False)

    def summary(self) -> dict[str, Any]:
        """The trial as a leaderboard row (no predictions)."""
        return {
            "trial_id": self.trial_id,
            "model": self.config.get("model"),
            "score": self.score,
            "loss": self.loss,
            "status": self.status,
            "fidelity": self.fidelity,
            "worker": self.worker,
            "duration": self.duration,
            "fit_time": self.fit_time,
            "predict_time": self.predict_time,
            "peak_memory_mb": self.peak_memory_mb,
            "started": self.started,
            "finished": self.finished,
            "error": self.error,
            "config": self.config,
        }


@dataclass(frozen=True)
class Resampling:
    """Train/validation index pairs and a human-readable description of how they were made."""

    splits: list[tuple[np.ndarray, np.ndarray]]
    description: str

    @cached_property
    def validation_rows(self) -> np.ndarray:
        return np.unique(np.concatenate([val for _, val in self.splits]))

    @cached_property
    def train_fraction(self) -> float:
        """Mean share of the rows each model is trained on (the refit uses all of them)."""
        n_rows = len(np.unique(np.concatenate([np.concatenate(s) for s in self.splits])))
        return float(np.mean([len(train) for train, _ in self.splits])) / max(1, n_rows)


def make_resampling(
    resampling: Any,
    *,
    task: str,
    y: np.ndarray,
    groups: np.ndarray | None = None,
    random_state: int = 0,
) -> Resampling:
    """Build the splits for ``resampling`` ("auto", "cv", "holdout", an int, or a splitter)."""
    n_rows = len(y)
    classification = task != REGRESSION
    if resampling == "auto":
        resampling = "cv" if n_rows <= CV_MAX_ROWS else "holdout"
    if hasattr(resampling, "split") and not isinstance(resampling, str):
        dummy = np.zeros((n_rows, 1))
        splits = [(np.asarray(a), np.asarray(b)) for a, b in resampling.split(dummy, y, groups)]
        if not splits:
            raise ValueError("The resampling splitter produced no splits.")
        return Resampling(splits, f"custom splitter {type(resampling).__name__}")
    if resampling == "cv":
        resampling = CV_FOLDS
    if resampling == "holdout":
        return _holdout(y, classification, groups, random_state)
    if isinstance(resampling, (int, np.integer)) and not isinstance(resampling, bool):
        return _kfold(int(resampling), y, classification, groups, random_state)
    raise ValueError(
        f"resampling={resampling!r} is not understood; use 'auto', 'cv', 'holdout', a number "
        "of folds (int >= 2) or a scikit-learn splitter."
    )


def _kfold(folds: int, y: np.ndarray, classification: bool, groups: Any, seed: int) -> Resampling:
    if folds < 2:
        raise ValueError(f"resampling={folds} folds; cross-validation needs at least 2.")
    folds = min(folds, len(y))
    if groups is not None:
        n_groups = len(np.unique(groups))
        if n_groups < 2:
            raise ValueError("groups has a single group; grouped resampling needs at least 2.")
        splitter: Any = GroupKFold(n_splits=min(folds, n_groups))
        description = f"{splitter.n_splits}-fold grouped cross-validation"
    elif classification and np.bincount(y).min() >= 2:
        splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
        description = f"{folds}-fold stratified cross-validation"
    else:
        splitter = KFold(n_splits=folds, shuffle=True, random_state=seed)
        description = f"{folds}-fold cross-validation"
    with warnings.catch_warnings():  # "least populated class has only k members" is expected
        warnings.simplefilter("ignore", UserWarning)
        splits = list(splitter.split(np.zeros((len(y), 1)), y, groups))
    return Resampling(splits, description)


def _holdout(y: np.ndarray, classification: bool, groups: Any, seed: int) -> Resampling:
    dummy = np.zeros((len(y), 1))
    if groups is not None:
        from sklearn.model_selection import GroupShuffleSplit

        splitter: Any = GroupShuffleSplit(n_splits=1, test_size=HOLDOUT_FRACTION, random_state=seed)
        description = "grouped holdout"
    elif classification and np.bincount(y).min() >= 2:
        splitter = StratifiedShuffleSplit(n_splits=1, test_size=HOLDOUT_FRACTION, random_state=seed)
        description = "stratified holdout"
    else:
        splitter = ShuffleSplit(n_splits=1, test_size=HOLDOUT_FRACTION, random_state=seed)
        description = "holdout"
    splits = list(splitter.split(dummy, y, groups))
    return Resampling(splits, f"{description} ({HOLDOUT_FRACTION:.0%} validation)")


def describe_data(X: pd.DataFrame, task: str, categorical: list[str]) -> DataDescription:
    return DataDescription(
        task=task,
        n_rows=len(X),
        numeric=tuple(c for c in X.columns if c not in set(categorical)),
        categorical={c: len(X[c].cat.categories) for c in categorical},
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
    keep_models_path: str | None = None,
) -> TrialResult:
    """Fit the configuration on each split and score its out-of-fold predictions.

    With ``fidelity`` < 1 the model sees only that share of each split's training rows (the
    same rows for every configuration), but is scored on the full validation rows, so losses
    at different fidelities are comparable (successive halving relies on that).
    With ``keep_models_path`` the fitted fold models are saved there (a ``FoldModels``), so
    an ensemble can use them instead of refitting the configuration on all rows.
    """
    width = n_classes if task != REGRESSION else 1
    predictions = np.full((len(y), width), np.nan)
    fit_time = predict_time = 0.0
    folds: list[tuple[Any, np.ndarray | None]] = []
    for number, (train, val) in enumerate(resampling.splits):
        train = subsample_rows(train, fidelity, seed=random_state + number)
        data = describe_data(X.iloc[train], task, categorical)
        pipeline = build_pipeline(config, data, n_threads=n_threads, random_state=random_state)
        started = time.perf_counter()
        fitted_classes = _fit(pipeline, X.iloc[train], y[train], task)
        fit_time += time.perf_counter() - started
        started = time.perf_counter()
        predictions[val] = _predict(pipeline, X.iloc[val], task, fitted_classes, width)
        predict_time += time.perf_counter() - started
        if keep_models_path is not None:
            folds.append((pipeline, fitted_classes))
    rows = resampling.validation_rows
    if task == REGRESSION:
        predictions = predictions[:, 0]
    if not np.isfinite(predictions[rows]).all():
        raise ValueError("the model produced non-finite predictions")
    loss = metric.loss(y[rows], predictions[rows])
    if keep_models_path is not None:
        import joblib

        joblib.dump(FoldModels(folds, task, width), keep_models_path)
    return TrialResult(
        trial_id=trial_id,
        config=config,
        status=OK,
        loss=float(loss),
        score=metric.to_score(float(loss)),
        fit_time=fit_time,
        predict_time=predict_time,
        fidelity=fidelity,
        predictions=predictions.astype(np.float32),  # kept for every trial: half the memory
    )


class FoldModels:
    """A trial's cross-validation (or holdout) models, averaged: an ensemble member that
    needs no refit. Each fold's classifier may have seen only some classes; its
    probabilities are placed in the columns of the classes it knows."""

    def __init__(self, folds: list[tuple[Any, np.ndarray | None]], task: str, width: int) -> None:
        self.folds, self.task, self.width = folds, task, width

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        return np.mean([_predict(m, X, self.task, present, self.width) for m, present in self.folds],
                       axis=0)

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        if self.task == REGRESSION:
            return np.mean([_predict(m, X, self.task, None, 1)[:, 0] for m, _ in self.folds], axis=0)
        return np.argmax(self.predict_proba(X), axis=1)


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
) -> Any:
    """Fit the configuration on all rows: the final model."""
    pipeline = build_pipeline(
        config, describe_data(X, task, categorical), n_threads=n_threads, random_state=random_state
    )
    _fit(pipeline, X, y, task)
    return pipeline


def _fit(pipeline: Any, X: pd.DataFrame, y: np.ndarray, task: str) -> np.ndarray | None:
    """Fit, relabelling classes to 0..k-1 when a fold lacks some (XGBoost insists)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence chatter from trial models
        if task == REGRESSION:
            pipeline.fit(X, y)
            return None
        present = np.unique(y)
        if len(present) > 1:  # a fold holding one class predicts it with certainty
            pipeline.fit(X, np.searchsorted(present, y))
        return present


def _predict(
    pipeline: Any, X: pd.DataFrame, task: str, present: np.ndarray | None, width: int
) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if task == REGRESSION:
            return np.asarray(pipeline.predict(X), dtype=np.float64).reshape(-1, 1)
        proba = np.zeros((len(X), width))
        if len(present) == 1:
            proba[:, present[0]] = 1.0
        else:
            proba[:, present] = pipeline.predict_proba(X)
        # float32 libraries (XGBoost) sum to 1 only approximately; metrics check it strictly
        return proba / proba.sum(axis=1, keepdims=True)
