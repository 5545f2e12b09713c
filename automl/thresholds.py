"""Decision thresholds for binary tasks scored on labels (F1, balanced accuracy, ...).

``predict``'s default, the most probable class, is the threshold 0.5 on the positive class's
probability. A metric on labels is often best at another threshold, the more so when one class
is rare; so such a metric scores a binary model's probabilities at the threshold that suits
them best, and that threshold, chosen on out-of-fold predictions, is the one ``predict`` uses.

Metrics computed from the confusion matrix are swept over every distinct probability at once
(a sort and cumulative sums); any other scorer on labels is tried at a few quantiles.
Precision and recall are not tuned: alone, each is maximized by a useless threshold (predict
only the surest row positive, or every row).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

UNTUNED = ("precision", "recall")  # scikit-learn scorer names that start so keep 0.5
GRID_POINTS = 25  # quantiles of the probabilities tried for a scorer that is not swept


@dataclass(frozen=True)
class ThresholdChoice:
    """The threshold on the positive class's probability (positive when ``p >= threshold``)
    and the metric's score there."""

    threshold: float | None  # None: the scorer reads no labels; the most probable class
    score: float


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """numerator / denominator, 0 where the denominator is 0 (scikit-learn's zero_division)."""
    out = np.zeros_like(numerator, dtype=np.float64)
    np.divide(numerator, denominator, out=out, where=denominator > 0)
    return out


def _f1(tp, fp, fn, tn):
    return _ratio(2 * tp, 2 * tp + fp + fn)


def _mcc(tp, fp, fn, tn):
    return _ratio(tp * tn - fp * fn, np.sqrt((tp + fp) * (tp + fn) * (tn + fp) * (tn + fn)))


Counts = Callable[[np.ndarray, np.ndarray, np.ndarray, np.ndarray], np.ndarray]
# metric name -> its score from (weighted) true/false positives/negatives, one per threshold
CONFUSION: dict[str, Counts] = {
    "accuracy": lambda tp, fp, fn, tn: _ratio(tp + tn, tp + fp + fn + tn),
    "balanced_accuracy": lambda tp, fp, fn, tn: (_ratio(tp, tp + fn) + _ratio(tn, tn + fp)) / 2,
    "f1": _f1,
    "f1_macro": lambda tp, fp, fn, tn: (_f1(tp, fp, fn, tn) + _f1(tn, fn, fp, tp)) / 2,
    "jaccard": lambda tp, fp, fn, tn: _ratio(tp, tp + fp + fn),
    "matthews_corrcoef": _mcc,
}


def _closest_to_half(thresholds: np.ndarray, scores: np.ndarray) -> ThresholdChoice:
    """The best score; among equal ones, the threshold nearest the default 0.5."""
    best = np.max(scores)
    tied = np.flatnonzero(scores >= best - 1e-12 * max(1.0, abs(best)))
    pick = tied[np.argmin(np.abs(thresholds[tied] - 0.5))]
    return ThresholdChoice(float(thresholds[pick]), float(scores[pick]))


def sweep(
    counts: Counts, y: np.ndarray, positive: np.ndarray, sample_weight: np.ndarray | None = None
) -> ThresholdChoice:
    """The best threshold for a confusion-matrix metric, over every distinct probability.

    A threshold lies halfway between two neighbouring distinct probabilities, so a model
    whose probabilities shift slightly on new rows classifies them as on these."""
    weights = np.ones(len(y)) if sample_weight is None else np.asarray(sample_weight, float)
    order = np.argsort(-positive, kind="stable")
    p, is_positive, w = positive[order], np.asarray(y)[order] == 1, weights[order]
    last = np.r_[np.flatnonzero(np.diff(p) != 0), len(p) - 1]  # last row of each distinct value
    tp = np.cumsum(w * is_positive)[last]
    fp = np.cumsum(w * ~is_positive)[last]
    fn, tn = tp[-1] - tp, fp[-1] - fp  # the last entry holds every row predicted positive
    values = p[last]
    thresholds = np.r_[(values[:-1] + values[1:]) / 2, values[-1]]
    return _closest_to_half(thresholds, counts(tp, fp, fn, tn))


def grid(score_at: Callable[[float], float], positive: np.ndarray) -> ThresholdChoice:
    """The best threshold for any scorer of labels, among 0.5 and a few quantiles."""
    levels = np.quantile(positive, np.linspace(0.02, 0.98, GRID_POINTS))
    thresholds = np.unique(np.r_[levels, 0.5])
    scores = np.array([score_at(float(t)) for t in thresholds])
    return _closest_to_half(thresholds, scores)


def labels_at(proba: np.ndarray, threshold: float | None) -> np.ndarray:
    """Class indices: the most probable class, or for a binary task with a threshold,
    the positive class (1) where its probability reaches the threshold."""
    if threshold is None or proba.shape[1] != 2:
        return np.argmax(proba, axis=1)
    return (proba[:, 1] >= threshold).astype(int)
