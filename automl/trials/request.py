"""What a worker is asked to do: typed values that cross the process border."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from automl.space import TextFeatureNames
from automl.sparse import is_sparse, nbytes
from automl.trials.resampling import Resampling


@dataclass(frozen=True)
class TrialData:
    """The training data and how to resample it: sent to each worker once, not per trial."""

    X: Any  # a DataFrame, or a CSR matrix (automl.sparse)
    y: np.ndarray
    task: str
    categorical: tuple[str, ...]
    n_classes: int  # 0 for regression
    resampling: Resampling
    families: tuple[Any, ...] = ()  # model families registered by the user, not built in
    sample_weight: np.ndarray | None = None  # one per row (automl.sample_weight), or None
    text: TextFeatureNames = TextFeatureNames()  # free-text columns' features (automl.text)
    early_stopping: bool = False  # boosting trials stop on watched rows (trials.early_stopping)
    opt_in: tuple[str, ...] = ()  # the opt-in families searched: their modules are preloaded

    def size_mb(self) -> float:
        """What a worker's copy of the data takes in memory."""
        if is_sparse(self.X):
            size = nbytes(self.X) + self.y.nbytes
        else:
            size = int(self.X.memory_usage(index=True, deep=True).sum()) + self.y.nbytes
        if self.sample_weight is not None:
            size += self.sample_weight.nbytes
        return size / 2**20


@dataclass(frozen=True)
class TrialRequest:
    """Evaluate ``config`` on the resampling splits, fit on a ``fidelity`` share of each
    split's training rows; the fold models come back with the result (or go to
    ``fold_models_file``) when its loss is not above ``keep_models_below`` (``inf``: always;
    None: never)."""

    trial_id: int
    config: dict[str, Any]
    metric: Any  # the user's metric setting (a name or a scorer), resolved in the worker
    random_state: int
    fidelity: float = 1.0
    keep_models_below: float | None = None
    # Set when the worker shares this machine's disk: the fold models go to this file instead
    # of coming back in the result, so no process between the trial and the store holds them.
    fold_models_file: str | None = None
    # Set under reshuffle_splits: the k folds are shuffled with this seed for this trial alone.
    split_seed: int | None = None


@dataclass(frozen=True)
class RefitRequest:
    """Fit ``config`` on all rows: the final model or an ensemble member."""

    config: dict[str, Any]
    random_state: int
