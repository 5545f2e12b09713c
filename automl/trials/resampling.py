"""How rows are split for validation: k-fold cross-validation or a holdout, stratified or
grouped when it can be, or the user's own scikit-learn splitter."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
from sklearn.model_selection import (
    GroupKFold,
    KFold,
    ShuffleSplit,
    StratifiedKFold,
    StratifiedShuffleSplit,
)

from automl.data import REGRESSION

# Resampling rule for resampling="auto": cross-validation judges small data far more reliably
# than one holdout split (and small data is cheap to refit five times); past this many rows a
# single 80/20 holdout is accurate enough and leaves the budget for more trials.
CV_MAX_ROWS = 10_000
CV_FOLDS = 5
HOLDOUT_FRACTION = 0.2


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
    if is_splitter(resampling):
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


def is_splitter(resampling: Any) -> bool:
    """Whether ``resampling`` is a user's scikit-learn splitter (a ``str`` has a ``split``
    method too)."""
    return hasattr(resampling, "split") and not isinstance(resampling, str)


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
