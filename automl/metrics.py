"""Metrics computed from stored predictions, not from a fitted estimator.

Trials keep their out-of-fold predictions (the ensemble needs them), so a metric here scores
an array of predictions. Scikit-learn scorer names and scorer callables are accepted too: they
are run against a stand-in estimator that simply replays the stored predictions.

On a binary task a metric of labels (accuracy, F1, a scorer that calls ``predict``) scores the
probabilities at the decision threshold that suits them best (``automl.thresholds``): the
search, the ensemble and ``predict`` then agree on what a model is worth.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn import metrics as skm
from sklearn.base import BaseEstimator

from automl import thresholds
from automl.data import BINARY, MULTICLASS, REGRESSION
from automl.sample_weight import takes_sample_weight
from automl.thresholds import ThresholdChoice

DEFAULT_METRIC = {BINARY: "roc_auc", MULTICLASS: "log_loss", REGRESSION: "rmse"}
Weights = np.ndarray | None  # one weight per scored row, or None: every row counts once
# (y_true, probabilities, sample_weight) -> the best threshold and the score there
ChooseThreshold = Callable[..., ThresholdChoice]


def _rmse(y: np.ndarray, p: np.ndarray, sample_weight: Weights = None) -> float:
    # scikit-learn's mean_squared_error without its input checks (see _binary_roc_auc)
    errors = np.asarray(y, dtype=np.float64) - np.asarray(p, dtype=np.float64)
    return float(np.sqrt(np.average(errors**2, weights=sample_weight)))


def _roc_auc(y: np.ndarray, proba: np.ndarray, sample_weight: Weights = None) -> float:
    if proba.shape[1] == 2:
        return _binary_roc_auc(y, proba[:, 1], sample_weight)
    return float(
        skm.roc_auc_score(
            y,
            proba,
            multi_class="ovr",
            labels=np.arange(proba.shape[1]),
            sample_weight=sample_weight,
        )
    )


def _binary_roc_auc(y: np.ndarray, score: np.ndarray, sample_weight: Weights) -> float:
    """The area under the ROC curve of labels 0/1, as scikit-learn's ``roc_auc_score`` gives
    it (tied scores count half), from one sort: ensemble selection scores hundreds of
    candidate blends per fit, and scikit-learn's input checks cost milliseconds a call."""
    weights = np.ones(len(y)) if sample_weight is None else np.asarray(sample_weight, float)
    positive = np.asarray(y) == 1
    if not (weights[positive].sum() > 0 and weights[~positive].sum() > 0):
        # one class only: scikit-learn's error (or warning) says so
        return float(skm.roc_auc_score(y, score, sample_weight=sample_weight))
    order = np.argsort(score, kind="mergesort")
    ordered = score[order]
    # one group per distinct score: its positive and negative weight
    group = np.cumsum(np.r_[True, ordered[1:] != ordered[:-1]]) - 1
    w, pos = weights[order], positive[order]
    positives = np.bincount(group, weights=w * pos)
    negatives = np.bincount(group, weights=w * ~pos)
    below = np.cumsum(negatives) - negatives  # negative weight scored lower than each group
    area = float(np.dot(positives, below + 0.5 * negatives))
    return area / (positives.sum() * negatives.sum())


def _log_loss(y: np.ndarray, proba: np.ndarray, sample_weight: Weights = None) -> float:
    """scikit-learn's ``log_loss`` of labels 0..k-1 (probabilities clipped to [eps, 1 - eps]),
    without its input checks, for the same reason as ``_binary_roc_auc``."""
    proba = np.asarray(proba)
    eps = np.finfo(proba.dtype).eps if proba.dtype.kind == "f" else np.finfo(float).eps
    chosen = np.clip(proba[np.arange(len(y)), np.asarray(y, dtype=np.intp)], eps, 1 - eps)
    return float(np.average(-np.log(chosen), weights=sample_weight))


def _on_labels(function: Callable[..., float], **options: Any) -> Callable[..., float]:
    """A label metric of scikit-learn applied to the most probable class."""

    def metric(y: np.ndarray, proba: np.ndarray, sample_weight: Weights = None) -> float:
        labels = np.argmax(proba, axis=1)
        return float(function(y, labels, sample_weight=sample_weight, **options))

    return metric


def _on_values(function: Callable[..., float]) -> Callable[..., float]:
    def metric(y: np.ndarray, p: np.ndarray, sample_weight: Weights = None) -> float:
        return float(function(y, p, sample_weight=sample_weight))

    return metric


# name -> (function of (y_true, prediction, sample_weight=None), greater_is_better,
# needs probabilities)
_BUILTIN: dict[str, tuple[Callable[..., float], bool, bool]] = {
    "roc_auc": (_roc_auc, True, True),
    "log_loss": (_log_loss, False, True),
    "accuracy": (_on_labels(skm.accuracy_score), True, True),
    "balanced_accuracy": (_on_labels(skm.balanced_accuracy_score), True, True),
    "f1_macro": (_on_labels(skm.f1_score, average="macro"), True, True),
    "rmse": (_rmse, False, False),
    "mse": (_on_values(skm.mean_squared_error), False, False),
    "mae": (_on_values(skm.mean_absolute_error), False, False),
    "r2": (_on_values(skm.r2_score), True, False),
}
_ALIASES = {
    "neg_log_loss": "log_loss",
    "neg_root_mean_squared_error": "rmse",
    "neg_mean_squared_error": "mse",
    "neg_mean_absolute_error": "mae",
    "auc": "roc_auc",
    "logloss": "log_loss",
}
_CLASSIFICATION_ONLY = {"roc_auc", "log_loss", "accuracy", "balanced_accuracy", "f1_macro"}


def _swept(counts: thresholds.Counts) -> ChooseThreshold:
    def choose(y: np.ndarray, proba: np.ndarray, sample_weight: Weights = None) -> ThresholdChoice:
        return thresholds.sweep(counts, y, np.asarray(proba)[:, 1], sample_weight)

    return choose


def _at_best_threshold(choose: ChooseThreshold) -> Callable[..., float]:
    def metric(y: np.ndarray, proba: np.ndarray, sample_weight: Weights = None) -> float:
        return choose(y, proba, sample_weight).score

    return metric


@dataclass(frozen=True)
class Metric:
    """A metric that scores stored predictions; ``loss`` is what the search minimizes.

    ``score`` is in the metric's own units (RMSE positive, AUC between 0 and 1), which is
    what users read in the leaderboard; ``loss`` flips the sign where greater is better.
    Both take ``sample_weight`` (one weight per row) when ``takes_sample_weight``.
    """

    name: str
    greater_is_better: bool
    needs_proba: bool
    _function: Callable[..., float]  # (y_true, prediction[, sample_weight=...]) -> score
    best_score: float | None = None  # the perfect score (1 for AUC, 0 for RMSE), if known
    takes_sample_weight: bool = True
    # binary metrics of labels: the threshold that scores best, and the score there
    _choose_threshold: ChooseThreshold | None = None

    @property
    def tunes_threshold(self) -> bool:
        """Whether a binary model is scored, and predicts, at a tuned decision threshold."""
        return self._choose_threshold is not None

    def _check_weights(self, sample_weight: Weights) -> None:
        if sample_weight is not None and not self.takes_sample_weight:
            raise ValueError(
                f"metric {self.name!r} takes no sample_weight, so it cannot score weighted "
                "rows; use a built-in metric or a scorer that accepts sample_weight."
            )

    def score(
        self, y_true: np.ndarray, prediction: np.ndarray, sample_weight: Weights = None
    ) -> float:
        if sample_weight is None:
            return self._function(y_true, prediction)
        self._check_weights(sample_weight)
        return self._function(y_true, prediction, sample_weight=sample_weight)

    def threshold(
        self, y_true: np.ndarray, proba: np.ndarray, sample_weight: Weights = None
    ) -> float | None:
        """The decision threshold on the positive class's probability that scores ``proba``
        best; None where the metric does not tune one (the most probable class is predicted)."""
        return self.loss_and_threshold(y_true, proba, sample_weight)[1]

    def loss_and_threshold(
        self, y_true: np.ndarray, prediction: np.ndarray, sample_weight: Weights = None
    ) -> tuple[float, float | None]:
        """``loss`` and ``threshold`` from one search for the threshold."""
        if self._choose_threshold is None:
            return self.loss(y_true, prediction, sample_weight), None
        self._check_weights(sample_weight)
        weights = {} if sample_weight is None else {"sample_weight": sample_weight}
        choice = self._choose_threshold(y_true, prediction, **weights)
        return -choice.score, choice.threshold  # every metric that tunes one: greater is better

    def loss(
        self, y_true: np.ndarray, prediction: np.ndarray, sample_weight: Weights = None
    ) -> float:
        value = self.score(y_true, prediction, sample_weight)
        return -value if self.greater_is_better else value

    def to_score(self, loss: float) -> float:
        return -loss if self.greater_is_better else loss

    def regret(self, loss: float) -> float:
        """Distance from a perfect score (>= 0) when that is known, else the loss itself.

        The search models losses on a log scale; anchored at the perfect score, the log
        spreads out the differences that matter near it (AUC 0.99 vs 0.995) without zooming
        in on whichever configuration happens to be best so far.
        """
        if self.best_score is None:
            return loss
        return max(
            0.0, loss + self.best_score if self.greater_is_better else loss - self.best_score
        )


def get_metric(metric: str | Callable | None, task: str) -> Metric:
    """Resolve the user's ``metric`` argument for a task, with errors that name the choices."""
    if metric is None:
        metric = DEFAULT_METRIC[task]
    if callable(metric):
        return _from_scorer(getattr(metric, "__name__", repr(metric)), metric, task)
    if not isinstance(metric, str):
        raise TypeError(
            f"metric must be a string or a callable scorer, got {type(metric).__name__}."
        )
    name = _ALIASES.get(metric, metric)
    if task == BINARY and name in thresholds.CONFUSION:  # built in or scikit-learn's, on labels
        choose = _swept(thresholds.CONFUSION[name])
        return Metric(name, True, True, _at_best_threshold(choose), 1.0, True, choose)
    if name in _BUILTIN:
        if task == REGRESSION and name in _CLASSIFICATION_ONLY:
            raise ValueError(f"metric {metric!r} is for classification; this is a regression task.")
        if task != REGRESSION and name not in _CLASSIFICATION_ONLY:
            raise ValueError(f"metric {metric!r} is for regression; this is a classification task.")
        function, greater, proba = _BUILTIN[name]
        return Metric(name, greater, proba, function, best_score=1.0 if greater else 0.0)
    if name in skm.get_scorer_names():
        if task == MULTICLASS and name in ("f1", "precision", "recall", "jaccard"):
            raise ValueError(
                f"metric {metric!r} is defined for binary targets; for {task} use "
                f"'{name}_macro' or '{name}_weighted'."
            )
        tune = not name.startswith(thresholds.UNTUNED)
        return _from_scorer(name, skm.get_scorer(name), task, tune=tune)
    choices = sorted(set(_BUILTIN) | set(_ALIASES))
    raise ValueError(
        f"Unknown metric {metric!r}. Use one of {choices}, any scikit-learn scorer name "
        "(see sklearn.metrics.get_scorer_names()), or a callable scorer(estimator, X, y)."
    )


def _from_scorer(name: str, scorer: Callable, task: str, *, tune: bool = True) -> Metric:
    """Wrap a scorer(estimator, X, y) so it can score stored predictions.

    Scorers follow scikit-learn's greater-is-better convention, so the score is taken as is.
    Weights reach scorers that take ``sample_weight`` (scikit-learn's do). On a binary task,
    a scorer of labels is scored at its best threshold: scikit-learn's scorers say what they
    call (``predict``); any other is watched on its first call.
    """

    def at(threshold: float | None, y_true: np.ndarray, prediction: np.ndarray, **weights: Any):
        replay = _Replay(prediction, task, threshold)
        index = np.arange(len(y_true)).reshape(-1, 1)
        return float(scorer(replay, index, y_true, **weights)), replay.called

    def function(y_true: np.ndarray, prediction: np.ndarray, **weights: Any) -> float:
        return at(None, y_true, prediction, **weights)[0]

    weighted = takes_sample_weight(scorer)
    if task != BINARY or not tune:
        return Metric(name, True, task != REGRESSION, function, takes_sample_weight=weighted)
    declared = getattr(scorer, "_response_method", None)
    if declared is not None and declared != "predict":
        return Metric(name, True, True, function, takes_sample_weight=weighted)
    reads_labels = None if declared is None else True  # None: learnt on the first call

    def choose(y_true: np.ndarray, proba: np.ndarray, **weights: Any) -> ThresholdChoice:
        nonlocal reads_labels
        if not reads_labels:
            score, called = at(None, y_true, proba, **weights)
            if reads_labels is None:
                reads_labels = called == {"predict"}
            if not reads_labels:
                return ThresholdChoice(None, score)
        return thresholds.grid(
            lambda t: at(t, y_true, proba, **weights)[0], np.asarray(proba)[:, 1]
        )

    def tuned(y_true: np.ndarray, prediction: np.ndarray, **weights: Any) -> float:
        return choose(y_true, prediction, **weights).score

    return Metric(name, True, True, tuned, None, weighted, choose)


class _Replay(BaseEstimator):
    """Stand-in estimator that answers with stored predictions (rows picked by X as indices)."""

    def __init__(self, prediction: np.ndarray, task: str, threshold: float | None = None) -> None:
        self.prediction = prediction
        self.task = task
        self.threshold = threshold
        self.called: set[str] = set()  # the methods the scorer called
        if task != REGRESSION:
            self.classes_ = np.arange(prediction.shape[1])

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.estimator_type = "regressor" if self.task == REGRESSION else "classifier"
        return tags

    def _rows(self, X: np.ndarray) -> np.ndarray:
        return self.prediction[np.asarray(X).ravel().astype(int)]

    def predict(self, X: np.ndarray) -> np.ndarray:
        self.called.add("predict")
        rows = self._rows(X)
        return rows if self.task == REGRESSION else thresholds.labels_at(rows, self.threshold)

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        self.called.add("predict_proba")
        return self._rows(X)

    def decision_function(self, X: np.ndarray) -> np.ndarray:
        self.called.add("decision_function")
        rows = self._rows(X)
        return rows[:, 1] if rows.shape[1] == 2 else rows
