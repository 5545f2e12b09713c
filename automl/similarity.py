"""How far a new dataset is from earlier ones, by their meta-features.

One rule for every place that looks for similar datasets (the metabase's nearest datasets, the
team history's nearest runs), so "nearest" means the same thing in both.

Meta-features live on wildly different scales (row counts in the millions next to ratios in
[0, 1]), so each one is min-max scaled over the datasets being compared before the distance is
taken; otherwise the row count alone would decide who is near. A feature missing (or not finite)
on either side is left out of that pair's mean rather than counted as far: a missing meta-feature
is one that is undefined for the data (no numeric column to take a skewness of, a multiclass
entropy on regression data) or was cut by the time cap, and treating it as maximally far would
push every dataset of an unusual kind (all categorical, say) away from the others of its kind.
This is the rule the shipped metabase's warm start was tuned and measured with.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping

import numpy as np
import pandas as pd


def metafeature_distances(query: Mapping[str, float], table: pd.DataFrame) -> pd.Series:
    """Distance from ``query`` to each row of ``table`` (rows: datasets, columns: meta-features;
    columns the query lacks are ignored), nearest first, ties in the table's order.

    The distance is the mean absolute difference of the meta-features both sides have, each
    scaled by its range over the table's rows (a feature constant over them: unscaled); a row
    sharing no feature with the query is infinitely far.
    """
    if table.empty:
        return pd.Series(dtype=float)
    names = [name for name in table.columns if name in query]
    values = table[names].to_numpy(dtype=float)  # numpy: this runs before the first trial
    target = np.array([query[name] for name in names], dtype=float)
    values = np.where(np.isfinite(values), values, np.nan)  # a copy: the table stays as it is
    target = np.where(np.isfinite(target), target, np.nan)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns and rows
        low, high = np.nanmin(values, axis=0), np.nanmax(values, axis=0)
        span = np.where(high > low, high - low, 1.0)
        differences = np.abs((values - target) / span)
        mean = np.nanmean(differences, axis=1)
    distances = pd.Series(np.where(np.isnan(mean), math.inf, mean), index=table.index)
    return distances.sort_values(kind="stable")
