"""A multilayer perceptron that stops training when the loss on held-out rows of its own
training data stops falling, and keeps the weights of its best epoch.

scikit-learn's own early stopping watches accuracy (R² for a regressor) and was switched on by
row count, so cross-validation folds and the refit on all rows built different models; without
it, a network trains a fixed number of epochs and over-fits small data, which hurts a
probability metric most. Here every fit watches the same loss the search scores (log loss, or
the squared error of the regressor's scaled target) on a share of its own rows, so a fold fit
and a refit are built the same way, and the rows a trial is scored on are never watched.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier, MLPRegressor

# Fewer watched rows than this and the best epoch is mostly noise; more than this share of a
# small training set and too little is left to learn from.
MIN_WATCHED_ROWS = 30
MAX_WATCHED_SHARE = 0.3


def _watched_count(n_rows: int, share: float) -> int:
    return int(min(max(round(n_rows * share), MIN_WATCHED_ROWS), n_rows * MAX_WATCHED_SHARE))


class _EarlyStopped:
    """The epoch loop both estimators share; each says how it scores the watched rows."""

    def _watched_loss(self, X: Any, y: Any, weight: Any) -> float:
        raise NotImplementedError

    def _partial_fit(self, X: Any, y: Any, weight: Any) -> None:
        raise NotImplementedError

    def _split(self, y: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
        n_watched = _watched_count(len(y), self.validation_fraction)
        if n_watched < 1 or len(y) - n_watched < 2:
            return None
        rows = np.arange(len(y))
        stratify = y if isinstance(self, MLPClassifier) else None
        if stratify is not None and np.unique(y, return_counts=True)[1].min() < 2:
            stratify = None  # a class of one row cannot be on both sides
        try:
            trained, watched = train_test_split(
                rows, test_size=n_watched, stratify=stratify, random_state=self.random_state
            )
        except ValueError:  # more classes than watched rows: split without stratifying
            trained, watched = train_test_split(
                rows, test_size=n_watched, random_state=self.random_state
            )
        return np.sort(trained), np.sort(watched)

    def _fit_watching(self, X: Any, y: Any, sample_weight: Any = None) -> Any:
        # a second fit starts afresh: partial_fit would otherwise go on from the last weights
        for name in [k for k in vars(self) if k.endswith("_") and not k.startswith("__")]:
            delattr(self, name)
        for name in ("_optimizer", "_best_coefs", "_best_intercepts"):
            self.__dict__.pop(name, None)
        y = np.asarray(y)
        weight = None if sample_weight is None else np.asarray(sample_weight, dtype=float)
        rows = self._split(y)
        if rows is None:  # too few rows to hold any out: train the epoch limit on all of them
            trained = watched = np.arange(len(y))
        else:
            trained, watched = rows
        X_fit, y_fit = _take(X, trained), y[trained]
        X_val, y_val = _take(X, watched), y[watched]
        w_fit = None if weight is None else weight[trained]
        w_val = None if weight is None else weight[watched]
        best_loss, best_epoch, best = np.inf, 0, None
        for epoch in range(1, self.max_iter + 1):
            self._partial_fit(X_fit, y_fit, w_fit)
            loss = self._watched_loss(X_val, y_val, w_val)
            if loss < best_loss - self.tol * max(1.0, abs(best_loss)) or best is None:
                best_loss, best_epoch = loss, epoch
                best = ([c.copy() for c in self.coefs_], [b.copy() for b in self.intercepts_])
            elif epoch - best_epoch >= self.n_iter_no_change:
                break
        self.coefs_, self.intercepts_ = best
        self.n_iter_ = best_epoch  # the epochs the kept weights were trained for
        self.best_validation_loss_ = float(best_loss)
        return self


def _take(X: Any, rows: np.ndarray) -> Any:
    return X.iloc[rows] if hasattr(X, "iloc") else X[rows]


class EarlyStoppedMLPClassifier(_EarlyStopped, MLPClassifier):
    """``MLPClassifier`` (Adam) that stops on the log loss of held-out training rows."""

    def __init__(
        self,
        hidden_layer_sizes: tuple[int, ...] = (100,),
        alpha: float = 1e-4,
        batch_size: int | str = "auto",
        learning_rate_init: float = 1e-3,
        max_iter: int = 200,
        n_iter_no_change: int = 20,
        validation_fraction: float = 0.1,
        tol: float = 1e-4,
        random_state: Any = None,
    ) -> None:
        super().__init__(
            hidden_layer_sizes=hidden_layer_sizes,
            alpha=alpha,
            batch_size=batch_size,
            learning_rate_init=learning_rate_init,
            max_iter=max_iter,
            n_iter_no_change=n_iter_no_change,
            validation_fraction=validation_fraction,
            tol=tol,
            random_state=random_state,
        )

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> EarlyStoppedMLPClassifier:
        self._all_classes = np.unique(np.asarray(y))
        return self._fit_watching(X, y, sample_weight)

    def _partial_fit(self, X: Any, y: Any, weight: Any) -> None:
        super().partial_fit(X, y, sample_weight=weight, classes=self._all_classes)

    def _watched_loss(self, X: Any, y: Any, weight: Any) -> float:
        from sklearn.metrics import log_loss

        return float(log_loss(y, self.predict_proba(X), labels=self.classes_, sample_weight=weight))


class EarlyStoppedMLPRegressor(_EarlyStopped, MLPRegressor):
    """``MLPRegressor`` (Adam) that stops on the squared error of held-out training rows."""

    def __init__(
        self,
        hidden_layer_sizes: tuple[int, ...] = (100,),
        alpha: float = 1e-4,
        batch_size: int | str = "auto",
        learning_rate_init: float = 1e-3,
        max_iter: int = 200,
        n_iter_no_change: int = 20,
        validation_fraction: float = 0.1,
        tol: float = 1e-4,
        random_state: Any = None,
    ) -> None:
        super().__init__(
            hidden_layer_sizes=hidden_layer_sizes,
            alpha=alpha,
            batch_size=batch_size,
            learning_rate_init=learning_rate_init,
            max_iter=max_iter,
            n_iter_no_change=n_iter_no_change,
            validation_fraction=validation_fraction,
            tol=tol,
            random_state=random_state,
        )

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> EarlyStoppedMLPRegressor:
        return self._fit_watching(X, y, sample_weight)

    def _partial_fit(self, X: Any, y: Any, weight: Any) -> None:
        super().partial_fit(X, y, sample_weight=weight)

    def _watched_loss(self, X: Any, y: Any, weight: Any) -> float:
        error = (self.predict(X) - np.asarray(y, dtype=float)) ** 2
        return float(np.average(error, weights=weight))
