"""Which recorded datasets look most like a new one, by their meta-features.

Meta-features live on wildly different scales (row counts in the millions next to ratios
in [0, 1]), so each one is min-max scaled over the datasets being compared before the
distance is taken; otherwise the row count alone would decide who is "near". A feature the
candidate lacks counts as maximally far rather than being skipped, so a dataset that shares
one lucky feature with the query does not win by default.
"""

from __future__ import annotations

import math
from typing import Mapping


def rank_by_distance(
    query: Mapping[str, float], candidates: Mapping[str, Mapping[str, float]]
) -> list[tuple[str, float]]:
    """``(key, distance)`` for every candidate sharing a finite meta-feature with ``query``,
    nearest first (ties by key). The distance is the mean scaled absolute difference over the
    query's finite features, in [0, 1]."""
    names = [name for name, value in query.items() if _finite(value)]
    if not names:
        return []
    ranges: dict[str, tuple[float, float]] = {}
    for name in names:
        values = [float(query[name])] + [
            float(features[name]) for features in candidates.values()
            if name in features and _finite(features[name])
        ]
        ranges[name] = (min(values), max(values))
    ranked = []
    for key, features in candidates.items():
        shared = [name for name in names if name in features and _finite(features[name])]
        if not shared:
            continue
        total = float(len(names) - len(shared))  # each missing feature: the farthest possible
        for name in shared:
            low, high = ranges[name]
            if high > low:
                total += abs(float(query[name]) - float(features[name])) / (high - low)
        ranked.append((key, total / len(names)))
    ranked.sort(key=lambda item: (item[1], item[0]))
    return ranked


def _finite(value: object) -> bool:
    try:
        return math.isfinite(float(value))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False
