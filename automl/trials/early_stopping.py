"""Early stopping inside a trial: a boosting model grows until a validation split of its own
training rows stops improving, and a refit on all rows grows the rounds its folds kept.

Without it the number of rounds (10 to 4,000) is one more hyperparameter the search guesses
blind, and a trial of 4,000 slow rounds costs as much when 200 would have done. The watched
rows come out of each fold's training rows, never the rows the trial is scored on, so the
trial's loss stays an out-of-fold estimate. A family says how it stops
(``ModelFamily.early_stopping``); families without it are fit as before.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline

from automl.data import REGRESSION
from automl.space import MODEL
from automl.space.family import EarlyStopping
from automl.space.registry import FAMILIES
from automl.sparse import take_rows

VALIDATION_SHARE = 0.1  # of a fold's training rows, watched instead of trained on
# Fewer watched rows than this and the stopping point is mostly noise: the fold is fit with the
# searched number of rounds instead.
MIN_WATCHED_ROWS = 30
MIN_PATIENCE, MAX_PATIENCE = 10, 50


@dataclass(frozen=True)
class Watch:
    """Early stopping for one configuration: how its family stops, and its round limit."""

    stopping: EarlyStopping
    max_rounds: int
    seed: int

    @property
    def patience(self) -> int:
        """Rounds without improvement before stopping: a tenth of the limit, within bounds."""
        return int(np.clip(self.max_rounds // 10, MIN_PATIENCE, MAX_PATIENCE))


def watch_for(config: dict[str, Any], *, seed: int) -> Watch | None:
    """The configuration's early stopping, or None when its family has none."""
    family = FAMILIES.get(config.get(MODEL))
    if family is None or family.early_stopping is None:
        return None
    name = f"{family.name}:{family.early_stopping.rounds}"
    if name not in config:
        return None
    return Watch(family.early_stopping, int(config[name]), seed)


def watched_rows(y: np.ndarray, task: str, seed: int) -> tuple[np.ndarray, np.ndarray] | None:
    """(trained, watched) positions in ``y``, stratified for classification; None when there
    are too few rows to watch, or a class too rare to be on both sides."""
    n_watched = int(round(len(y) * VALIDATION_SHARE))
    if n_watched < MIN_WATCHED_ROWS:
        return None
    classification = task != REGRESSION
    if classification and np.bincount(y).min(initial=len(y)) < 2:
        return None
    try:
        trained, watched = train_test_split(
            np.arange(len(y)),
            test_size=n_watched,
            stratify=y if classification else None,
            random_state=seed,
        )
    except ValueError:  # a split scikit-learn cannot stratify
        return None
    if classification and len(np.unique(y[trained])) < len(np.unique(y)):
        return None
    return np.sort(trained), np.sort(watched)


def fit_watched(
    pipeline: Pipeline,
    X: Any,
    y: np.ndarray,
    task: str,
    watch: Watch,
    sample_weight: np.ndarray | None = None,
) -> int | None:
    """Fit ``pipeline`` (classes already 0..k-1) stopping early: the rounds its model keeps,
    or None, having fit nothing, when there are too few rows to watch."""
    rows = watched_rows(y, task, watch.seed)
    if rows is None:
        return None
    trained, watched = rows
    *steps, (_, model) = pipeline.steps
    X_fit, X_val = take_rows(X, trained), take_rows(X, watched)
    if steps:  # the same step objects: fitted here, they are the pipeline's fitted steps
        preprocessing = Pipeline(steps)
        X_fit = preprocessing.fit_transform(X_fit, y[trained])
        X_val = preprocessing.transform(X_val)
    weight = None if sample_weight is None else sample_weight[trained]
    weight_val = None if sample_weight is None else sample_weight[watched]
    rounds = watch.stopping.fit(
        model, X_fit, y[trained], X_val, y[watched], weight, weight_val, watch.patience
    )
    return int(min(max(rounds, 1), watch.max_rounds))


def trial_rounds(watch: Watch | None, folds: list[int | None]) -> int | None:
    """The rounds a refit on all rows grows: the mean over the folds (a fold fit without
    watching counts its limit); None without early stopping."""
    if watch is None or not folds:
        return None
    kept = [watch.max_rounds if r is None else r for r in folds]
    return int(round(float(np.mean(kept))))


def refit_config(config: dict[str, Any], rounds: int | None) -> dict[str, Any]:
    """The configuration a refit on all rows fits: ``rounds`` in place of its round limit."""
    watch = watch_for(config, seed=0)
    if watch is None or rounds is None:
        return config
    family = config[MODEL]
    return {**config, f"{family}:{watch.stopping.rounds}": int(min(rounds, watch.max_rounds))}
