"""Sample weights: what ``fit(..., sample_weight=w)`` accepts and which rows they leave in.

Weights never change the splits (those are made from ``y`` and ``groups`` alone). A row of
weight 0 contributes nothing to a weighted fit or a weighted score, so it is left out of every
training and scored row set: a fit with weight 0 on some rows is then the fit without those
rows, preprocessing included. The weights reach the model and the preprocessing steps whose fit
takes them (the standard scaler); imputers and encoders are fitted unweighted, on the rows of
positive weight.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import numpy as np


def as_sample_weight(sample_weight: Any, n_rows: int) -> np.ndarray | None:
    """The user's ``sample_weight`` as float64, one finite non-negative value per row, not all 0.

    None stays None (every row counts once).
    """
    if sample_weight is None:
        return None
    try:
        values = np.asarray(sample_weight, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError("sample_weight must hold numbers, one per row of X.") from None
    if values.ndim == 0:
        raise TypeError(
            "sample_weight must be an array-like of numbers, one per row of X, "
            f"got {type(sample_weight).__name__}."
        )
    if values.ndim == 2 and values.shape[1] == 1:
        values = values.ravel()
    if values.ndim != 1:
        raise ValueError(
            f"sample_weight must be 1-D (one weight per row), got shape {values.shape}."
        )
    if len(values) != n_rows:
        raise ValueError(f"sample_weight has {len(values)} values but X has {n_rows} rows.")
    bad = ~np.isfinite(values)
    if bad.any():
        raise ValueError(
            f"sample_weight has {int(bad.sum())} missing or infinite value(s) "
            f"(rows {_rows(bad)}); every weight must be a finite number."
        )
    negative = values < 0
    if negative.any():
        raise ValueError(
            f"sample_weight has {int(negative.sum())} negative value(s) (rows {_rows(negative)}); "
            "weights must be >= 0."
        )
    if not (values > 0).any():
        raise ValueError("sample_weight is zero for every row; at least one row needs weight > 0.")
    return values


def check_classes(codes: np.ndarray, classes: np.ndarray, sample_weight: np.ndarray | None) -> None:
    """Every class needs a row of positive weight: the final model learns only from those, and
    a class it never saw would have no column of probabilities."""
    if sample_weight is None:
        return
    weighted = np.bincount(codes, weights=sample_weight, minlength=len(classes))
    missing = [c.item() if isinstance(c, np.generic) else c for c in classes[weighted == 0]]
    if missing:
        shown = ", ".join(map(repr, missing[:5])) + (", ..." if len(missing) > 5 else "")
        raise ValueError(
            f"sample_weight is zero for every row of class {shown}; a classifier learns only "
            "from rows of positive weight. Drop the rows of that class or give some weight."
        )


def takes_sample_weight(function: Callable, *, by_name: bool = False) -> bool:
    """Whether ``function`` accepts a ``sample_weight`` keyword: by name, or (unless
    ``by_name``) through ``**kwargs`` (meta-estimators that hand it on)."""
    try:
        parameters = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):  # no signature to read (some builtins)
        return False
    return any(
        p.name == "sample_weight" or (p.kind == inspect.Parameter.VAR_KEYWORD and not by_name)
        for p in parameters
    )


def _rows(mask: np.ndarray) -> str:
    rows = np.flatnonzero(mask)
    return ", ".join(str(r) for r in rows[:5]) + (", ..." if len(rows) > 5 else "")


def weighted_rows(rows: np.ndarray, sample_weight: np.ndarray | None) -> np.ndarray:
    """``rows`` without those of weight 0 (all of them without weights)."""
    if sample_weight is None:
        return rows
    return rows[sample_weight[rows] > 0]


def weights_of(rows: np.ndarray, sample_weight: np.ndarray | None) -> np.ndarray | None:
    """The weights of ``rows`` (None without weights)."""
    return None if sample_weight is None else sample_weight[rows]


def count_weighted(sample_weight: np.ndarray | None, n_rows: int) -> int:
    """How many rows a weighted fit learns from: those with weight > 0."""
    return n_rows if sample_weight is None else int(np.count_nonzero(sample_weight > 0))


def check_splits(
    splits: list[tuple[np.ndarray, np.ndarray]], sample_weight: np.ndarray | None
) -> None:
    """Every split must leave some weight to train on, and the validation rows some to score."""
    if sample_weight is None:
        return
    for number, (train, _) in enumerate(splits):
        if not (sample_weight[train] > 0).any():
            raise ValueError(
                f"every training row of split {number} has sample_weight 0; nothing could be "
                "fit on it. Give some of its rows a positive weight or change the resampling."
            )
    validation = np.unique(np.concatenate([val for _, val in splits]))
    if not (sample_weight[validation] > 0).any():
        raise ValueError(
            "every validation row has sample_weight 0, so no trial could be scored. Give some "
            "of them a positive weight or change the resampling."
        )
