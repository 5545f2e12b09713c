"""Which recorded datasets look most like a new one, by their meta-features.

The distance is :func:`automl.similarity.metafeature_distances`, the one the metabase's warm
start uses too; this module only adapts it to what the store holds (meta-features as JSON per
dataset fingerprint, possibly with nulls).
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import pandas as pd

from automl.similarity import metafeature_distances


def rank_by_distance(
    query: Mapping[str, float | None], candidates: Mapping[str, Mapping[str, float | None]]
) -> list[tuple[str, float]]:
    """``(key, distance)`` for every candidate sharing a finite meta-feature with ``query``,
    nearest first (ties by key)."""
    if not candidates:
        return []
    table = pd.DataFrame.from_dict(
        {key: dict(features) for key, features in sorted(candidates.items())}, orient="index"
    )
    table = table.apply(pd.to_numeric, errors="coerce")  # JSON nulls (and anything odd): NaN
    numbers = pd.to_numeric(pd.Series(dict(query), dtype=object), errors="coerce")
    distances = metafeature_distances(numbers.to_dict(), table)
    return [
        (str(key), float(distance))
        for key, distance in distances.items()
        if math.isfinite(distance)
    ]
