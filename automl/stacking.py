"""One stacking layer: a simple meta-model over the best trials' out-of-fold predictions.

The meta-model is a multinomial logistic regression on the members' standardized
log-probabilities (classification) or a linear regression with non-negative weights on their
predictions (regression). Both are fitted on out-of-fold predictions, so no member saw the
rows the meta-model learns from. Whether stacking beats greedy selection is judged without
leakage: both are fitted on part of the validation rows and scored on the rest, k times over,
and their pooled held-out predictions compared on the fit's metric (``compare_on_folds``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.model_selection import KFold, StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from automl.data import REGRESSION
from automl.ensemble import select_ensemble

EPSILON = 1e-6  # probabilities are clipped before the log: a member's 0 must not be -inf
META_FOLDS = 5
META_C = 0.1  # the classification meta-model's inverse regularization strength


def stack_features(predictions: Sequence[np.ndarray], task: str) -> np.ndarray:
    """The meta-model's input: members' predictions side by side (log-probabilities for
    classification; binary tasks keep one column per member, the positive class's logit)."""
    if task == REGRESSION:
        return np.column_stack([np.asarray(p, dtype=np.float64).ravel() for p in predictions])
    columns = []
    for p in predictions:
        p = np.clip(np.asarray(p, dtype=np.float64), EPSILON, 1 - EPSILON)
        if p.shape[1] == 2:
            columns.append(np.log(p[:, 1:] / p[:, :1]))
        else:
            columns.append(np.log(p))
    return np.hstack(columns)


def make_meta_model(task: str) -> Any:
    if task == REGRESSION:
        return LinearRegression(positive=True)
    # standardized and regularized: on raw log-probabilities of 10 members x 6 classes lbfgs
    # did not converge within 1,000 iterations, and chose no better (benchmarks/META_MODEL.md)
    return make_pipeline(StandardScaler(), LogisticRegression(C=META_C, max_iter=1000))


def fit_meta_model(predictions: Sequence[np.ndarray], y: np.ndarray, task: str) -> Any:
    return make_meta_model(task).fit(stack_features(predictions, task), y)


def meta_predict(meta: Any, predictions: Sequence[np.ndarray], task: str, width: int) -> np.ndarray:
    """The meta-model's prediction; class probabilities in all ``width`` columns (a class the
    validation rows lack gets 0)."""
    features = stack_features(predictions, task)
    if task == REGRESSION:
        return meta.predict(features)
    proba = np.zeros((len(features), width))
    proba[:, meta.classes_] = meta.predict_proba(features)
    return proba


@dataclass(frozen=True)
class StackingComparison:
    """Held-out losses of stacking and of greedy selection on the same validation folds."""

    stacking_loss: float
    greedy_loss: float

    @property
    def stacking_wins(self) -> bool:
        return self.stacking_loss < self.greedy_loss


def compare_on_folds(
    predictions: Sequence[np.ndarray],
    y: np.ndarray,
    task: str,
    loss_of: Callable[[np.ndarray, np.ndarray], float],
    *,
    rounds: int,
    max_members: int | None = None,
    random_state: int = 0,
    deadline: float | None = None,
) -> StackingComparison | None:
    """Fit the meta-model and greedy selection on k-1 folds of the validation rows, predict
    the k-th; score both pooled held-out predictions with ``loss_of``.

    None when, after any fold, the folds left plus the final meta-model fit would end past
    ``deadline`` (a ``time.time()`` value): the comparison is abandoned, greedy selection kept.
    """
    started = time.time()
    stacked = [np.asarray(p, dtype=np.float64) for p in predictions]
    width = 1 if task == REGRESSION else stacked[0].shape[1]
    counts = None if task == REGRESSION else np.bincount(y)
    stratified = counts is not None and counts[counts > 0].min() >= META_FOLDS
    kind = StratifiedKFold if stratified else KFold
    splitter: Any = kind(META_FOLDS, shuffle=True, random_state=random_state)
    shape = (len(y),) if task == REGRESSION else (len(y), width)
    meta_out, greedy_out = np.zeros(shape), np.zeros(shape)
    for done, (train, test) in enumerate(splitter.split(np.zeros(len(y)), y), start=1):
        part = [p[train] for p in stacked]
        if task != REGRESSION and len(np.unique(y[train])) < 2:
            meta_out[test] = np.mean([p[test] for p in stacked], axis=0)
        else:
            meta = fit_meta_model(part, y[train], task)
            meta_out[test] = meta_predict(meta, [p[test] for p in stacked], task, width)
        selection = select_ensemble(part, y[train], loss_of, rounds=rounds, max_members=max_members)
        total = sum(selection.weights.values())
        greedy_out[test] = sum(w / total * stacked[i][test] for i, w in selection.weights.items())
        now = time.time()
        if (
            deadline is not None
            and now + (now - started) / done * (META_FOLDS - done + 1) > deadline
        ):
            return None
    return StackingComparison(float(loss_of(y, meta_out)), float(loss_of(y, greedy_out)))


def member_predictions(models: Sequence[Any], X: Any, task: str) -> list[np.ndarray]:
    """Each fitted model's predictions for ``X``: values for a regression, else class
    probabilities."""
    if task == REGRESSION:
        return [np.asarray(m.predict(X), dtype=np.float64).ravel() for m in models]
    return [np.asarray(m.predict_proba(X), dtype=np.float64) for m in models]


class StackedEnsemble:
    """Fitted members and a meta-model over their predictions."""

    def __init__(self, members: list[Any], meta: Any, task: str, width: int) -> None:
        self.members, self.meta, self.task, self.width = members, meta, task, width

    def _member_predictions(self, X: Any) -> list[np.ndarray]:
        return member_predictions(self.members, X, self.task)

    def predict_proba(self, X: Any) -> np.ndarray:
        return meta_predict(self.meta, self._member_predictions(X), self.task, self.width)

    def predict(self, X: Any) -> np.ndarray:
        if self.task == REGRESSION:
            return meta_predict(self.meta, self._member_predictions(X), self.task, 1)
        return np.argmax(self.predict_proba(X), axis=1)
