"""LightGBM and XGBoost models that predict from a float matrix built from the model frame.

Given a pandas frame, both libraries rebuild their input on every prediction: they compare each
categorical column's categories with the training ones, take the codes, replace -1 by NaN and
(XGBoost) turn the categories into Arrow strings again. On small batches with categorical
columns that fixed cost was most of their prediction time. These subclasses do the same
conversion once per call in numpy -- float64 values, category codes as floats, NaN where a
value is missing -- and hand the matrix to the booster, which reads categorical features by
position as at training. They take that path only where it is the libraries' own conversion:
a frame whose categorical columns hold exactly the training categories in the same order and
whose other columns are float64. Anything else goes the library's own way.
"""

from __future__ import annotations

import weakref
from typing import Any

import numpy as np
import pandas as pd

# Per fitted booster (a refit makes a new one), outside the model's attributes (so neither
# pickles nor XGBoost's JSON carry them): the dtypes already checked against the training
# categories.
CHECKED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def frame_matrix(X: Any, categories: list[list[Any]] | None, seen: dict[int, Any]) -> Any:
    """``X`` as the float64 matrix the booster reads, or None where the library's own
    conversion must decide. ``categories``: the training categories of each categorical
    column in column order (None: not known, codes taken as they are, as in XGBoost before it
    stored categories); ``seen``: dtypes already checked against them, by column position."""
    if not isinstance(X, pd.DataFrame) or not len(X):
        return None
    out = np.empty(X.shape, dtype=np.float64)
    k = 0
    for j in range(X.shape[1]):
        column = X.iloc[:, j]
        dtype = column.dtype
        if isinstance(dtype, pd.CategoricalDtype):
            if seen.get(j) is not dtype:
                if categories is not None and (
                    k >= len(categories) or list(dtype.categories) != list(categories[k])
                ):
                    return None
                seen[j] = dtype
            k += 1
            codes = column.array.codes
            out[:, j] = codes
            out[codes < 0, j] = np.nan
        elif dtype == np.float64:
            out[:, j] = column.to_numpy()
        else:
            return None
    if categories is not None and k != len(categories):
        return None
    return out
