"""How rows are split for validation: k-fold cross-validation (optionally repeated with new
shuffles) or a holdout, stratified or grouped when it can be, or the user's own scikit-learn
splitter."""

from __future__ import annotations

import re
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
# "cvKxR" repeats the k folds with new shuffles: it averages out the luck of one split, at R
# times the cost of a trial. "auto" does not repeat: measured on small priors, the trials it
# costs were worth more (benchmarks/STRATEGIES_REPEATED_CV.md).
_CV_TEXT = re.compile(r"^cv(\d+)?(?:x(\d+))?$")


@dataclass(frozen=True)
class KFoldPlan:
    """How k-fold splits were made, so that they can be made again with another shuffle."""

    folds: int
    repeats: int
    classification: bool
    groups: np.ndarray | None = None


@dataclass(frozen=True)
class Resampling:
    """Train/validation index pairs and a human-readable description of how they were made."""

    splits: list[tuple[np.ndarray, np.ndarray]]
    description: str
    plan: KFoldPlan | None = None  # k-fold splits can be reshuffled; a holdout or splitter not

    def reshuffled(self, seed: int, y: np.ndarray) -> Resampling:
        """The same k-fold cross-validation with the shuffle of ``seed``: every row is still
        validated once per repeat, so trials on different shuffles stay comparable row by
        row (their out-of-fold predictions cover the same rows)."""
        if self.plan is None:
            raise ValueError(f"only k-fold splits can be reshuffled, not a {self.description}")
        plan = self.plan
        return _kfold(
            plan.folds, plan.repeats, y, plan.classification, plan.groups, seed, reshuffle=True
        )

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
    """Build the splits for ``resampling``: "auto", "holdout", "cv" (5 folds), "cvK" (K folds),
    "cvKxR" (K folds repeated R times with new shuffles), an int K, or a splitter.

    Under "auto": cross-validation up to ``CV_MAX_ROWS`` rows, a holdout above."""
    n_rows = len(y)
    classification = task != REGRESSION
    if isinstance(resampling, str) and resampling == "auto":
        resampling = "cv" if n_rows <= CV_MAX_ROWS else "holdout"
    if is_splitter(resampling):
        dummy = np.zeros((n_rows, 1))
        splits = [(np.asarray(a), np.asarray(b)) for a, b in resampling.split(dummy, y, groups)]
        if not splits:
            raise ValueError("The resampling splitter produced no splits.")
        return Resampling(splits, f"custom splitter {type(resampling).__name__}")
    if isinstance(resampling, str) and resampling == "holdout":
        return _holdout(y, classification, groups, random_state)
    if isinstance(resampling, (int, np.integer)) and not isinstance(resampling, bool):
        return _kfold(int(resampling), 1, y, classification, groups, random_state)
    parsed = cv_folds_and_repeats(resampling) if isinstance(resampling, str) else None
    if parsed:
        folds, repeats = parsed[0], 1 if parsed[1] is None else parsed[1]
        if repeats < 1:
            raise ValueError(f"resampling={resampling!r} repeats the folds 0 times; use 1 or more.")
        return _kfold(folds, repeats, y, classification, groups, random_state)
    raise ValueError(
        f"resampling={resampling!r} is not understood; use 'auto', 'cv' (5 folds), 'cvK' (K "
        "folds), 'cvKxR' (K folds repeated R times), 'holdout', a number of folds (int >= 2) "
        "or a scikit-learn splitter."
    )


def cv_folds_and_repeats(text: str) -> tuple[int, int | None] | None:
    """The folds and repeats "cv", "cvK" or "cvKxR" names (repeats None when not written;
    folds ``CV_FOLDS`` for "cv"), or None for any other text. Ranges are checked by the
    caller: this only reads the form."""
    match = _CV_TEXT.match(text)
    if not match:
        return None
    return int(match[1] or CV_FOLDS), None if match[2] is None else int(match[2])


def is_splitter(resampling: Any) -> bool:
    """Whether ``resampling`` is a user's scikit-learn splitter (a ``str`` has a ``split``
    method too)."""
    return hasattr(resampling, "split") and not isinstance(resampling, str)


def trial_split_seed(random_state: int, trial_id: int) -> int:
    """The shuffle of a trial's splits under ``reshuffle_splits``: independent across trials,
    the same in two runs with the same ``random_state``."""
    return int(np.random.SeedSequence([random_state, trial_id]).generate_state(1)[0])


def _kfold(
    folds: int,
    repeats: int,
    y: np.ndarray,
    classification: bool,
    groups: Any,
    seed: int,
    *,
    reshuffle: bool = False,
) -> Resampling:
    """``folds``-fold cross-validation, ``repeats`` times; the first repeat is the plain
    k-fold split of ``seed``, so "cv5x1" and "cv5" are the same splits. Grouped folds are
    shuffled only when repeated or ``reshuffle``d (unshuffled, every split is the same)."""
    if folds < 2:
        raise ValueError(f"resampling={folds} folds; cross-validation needs at least 2.")
    folds = min(folds, len(y))
    splits: list[tuple[np.ndarray, np.ndarray]] = []
    shuffle_groups = repeats > 1 or reshuffle
    for repeat in range(repeats):
        splitter, description = _splitter(
            folds, y, classification, groups, seed + repeat, shuffle_groups
        )
        with warnings.catch_warnings():  # "least populated class has only k members" is expected
            warnings.simplefilter("ignore", UserWarning)
            splits += list(splitter.split(np.zeros((len(y), 1)), y, groups))
    if repeats > 1:
        description += f", repeated {repeats} times"
    return Resampling(splits, description, KFoldPlan(folds, repeats, classification, groups))


def _splitter(
    folds: int, y: np.ndarray, classification: bool, groups: Any, seed: int, shuffle_groups: bool
) -> tuple[Any, str]:
    if groups is not None:
        n_groups = len(np.unique(groups))
        if n_groups < 2:
            raise ValueError("groups has a single group; grouped resampling needs at least 2.")
        n_splits = min(folds, n_groups)
        # unshuffled, every repeat would be the same split
        shuffled = {"shuffle": True, "random_state": seed} if shuffle_groups else {}
        grouped = GroupKFold(n_splits=n_splits, **shuffled)
        return grouped, f"{n_splits}-fold grouped cross-validation"
    if classification and np.bincount(y).min() >= 2:
        splitter: Any = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
        return splitter, f"{folds}-fold stratified cross-validation"
    return KFold(n_splits=folds, shuffle=True, random_state=seed), f"{folds}-fold cross-validation"


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
