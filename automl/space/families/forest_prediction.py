"""Random forests and extra trees that predict a small batch without scikit-learn's per-tree
overhead.

scikit-learn predicts a forest tree by tree through joblib, and every tree's call validates its
input again and enters a configuration context, a fixed cost per tree whatever the batch size,
so a forest of several hundred trees dominates an ensemble's latency on a small batch. These
subclasses validate once and ask each fitted tree's ``tree_`` for its values directly: the same
numbers, the same model. A large batch, where the trees' own work dominates and threads pay,
goes scikit-learn's way.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.ensemble import (
    ExtraTreesClassifier,
    ExtraTreesRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.utils.validation import check_array, check_is_fitted

# From this many rows on, a multi-threaded forest predicts the scikit-learn way (in threads)
THREADED_FROM_ROWS = 2_000


class _DirectTrees:
    """The shared part: when to go direct, and the validated float32 input the trees read."""

    def _direct_input(self, X: Any) -> np.ndarray | None:
        """``X`` as the trees read it, or None where scikit-learn's own path is the one to take."""
        check_is_fitted(self)
        if self.n_outputs_ != 1 or (
            self.n_jobs not in (None, 1) and _n_rows(X) >= THREADED_FROM_ROWS
        ):
            return None
        X = check_array(
            X, dtype=np.float32, accept_sparse="csr", ensure_all_finite="allow-nan", order="C"
        )
        if X.shape[1] != self.n_features_in_:
            raise ValueError(
                f"X has {X.shape[1]} features, but {type(self).__name__} is expecting "
                f"{self.n_features_in_} features as input."
            )
        return X


def _n_rows(X: Any) -> int:
    return int(X.shape[0]) if hasattr(X, "shape") else len(X)


class _DirectClassifier(_DirectTrees):
    def predict_proba(self, X: Any) -> np.ndarray:
        direct = self._direct_input(X)
        if direct is None:
            return super().predict_proba(X)
        n_classes = int(self.n_classes_)
        proba = np.zeros((direct.shape[0], n_classes), dtype=np.float64)
        for tree in self.estimators_:
            values = tree.tree_.predict(direct)[:, :n_classes]
            total = values.sum(axis=1, keepdims=True)
            total[total == 0.0] = 1.0
            proba += values / total
        proba /= len(self.estimators_)
        return proba


class _DirectRegressor(_DirectTrees):
    def predict(self, X: Any) -> np.ndarray:
        direct = self._direct_input(X)
        if direct is None:
            return super().predict(X)
        prediction = np.zeros(direct.shape[0], dtype=np.float64)
        for tree in self.estimators_:
            prediction += tree.tree_.predict(direct)[:, 0]
        prediction /= len(self.estimators_)
        return prediction


class FastRandomForestClassifier(_DirectClassifier, RandomForestClassifier):
    """``RandomForestClassifier`` whose small-batch ``predict_proba`` skips per-tree overhead."""


class FastRandomForestRegressor(_DirectRegressor, RandomForestRegressor):
    """``RandomForestRegressor`` whose small-batch ``predict`` skips per-tree overhead."""


class FastExtraTreesClassifier(_DirectClassifier, ExtraTreesClassifier):
    """``ExtraTreesClassifier`` whose small-batch ``predict_proba`` skips per-tree overhead."""


class FastExtraTreesRegressor(_DirectRegressor, ExtraTreesRegressor):
    """``ExtraTreesRegressor`` whose small-batch ``predict`` skips per-tree overhead."""


# the scikit-learn class each stands in for (ONNX export converts them as those)
STANDS_FOR = {
    FastRandomForestClassifier: RandomForestClassifier,
    FastRandomForestRegressor: RandomForestRegressor,
    FastExtraTreesClassifier: ExtraTreesClassifier,
    FastExtraTreesRegressor: ExtraTreesRegressor,
}
