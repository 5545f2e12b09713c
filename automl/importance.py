"""Which of the user's own columns the final model relies on: permutation importance.

Each input column (as the user passed it, before any encoding: a datetime column counts once,
not as its year/month/day parts) is shuffled across the given rows, ``n_repeats`` times, and
the model's loss on the fit's metric is measured again; a column's importance is the mean
increase of the loss (the drop of the score), with the standard deviation over the repeats as
its spread. A column the model ignores stays within its spread of zero.

Cost: ``n_repeats x columns`` predictions on at most ``max_rows`` rows; repeats stop early
once ``time_limit`` seconds have passed (at least one repeat of every column is always made).
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pandas as pd

from automl.data import align_columns, to_model_frame
from automl.metrics import Metric
from automl.sample_weight import as_sample_weight, weighted_rows, weights_of
from automl.training_data import as_target


def permutation_importance(
    estimator: Any,
    metric: Metric,
    X: Any,
    y: Any,
    *,
    n_repeats: int,
    max_rows: int | None,
    time_limit: float | None,
    random_state: int,
    sample_weight: Any = None,
) -> pd.DataFrame:
    """One row per input column, most important first: ``importance`` (mean increase of the
    loss when the column is shuffled), ``std`` over the repeats, ``repeats`` made. With
    ``sample_weight`` the losses are weighted (rows of weight 0 are left out)."""
    if not isinstance(n_repeats, int) or isinstance(n_repeats, bool) or n_repeats < 1:
        raise ValueError(f"n_repeats must be a positive integer, got {n_repeats!r}.")
    if max_rows is not None and (not isinstance(max_rows, int) or max_rows < 2):
        raise ValueError(f"max_rows must be an integer >= 2 or None, got {max_rows!r}.")
    if time_limit is not None and not time_limit > 0:
        raise ValueError(
            f"time_limit must be a positive number of seconds or None, got {time_limit!r}."
        )
    schema = estimator.schema_
    frame = align_columns(schema, X, estimator_name=type(estimator).__name__)
    target = _encoded_target(estimator, y, len(frame))
    weights = as_sample_weight(sample_weight, len(frame))
    rows = weighted_rows(np.arange(len(frame)), weights)
    rng = np.random.default_rng(random_state)
    if max_rows is not None and len(rows) > max_rows:
        rows = np.sort(rng.choice(rows, size=max_rows, replace=False))
    frame, target = frame.iloc[rows].reset_index(drop=True), target[rows]
    weights = weights_of(rows, weights)

    def loss(data: pd.DataFrame) -> float:
        model_input = to_model_frame(schema, data)
        if estimator.task_ == "regression":
            output = np.asarray(estimator.model_.predict(model_input), dtype=np.float64).ravel()
        else:
            output = np.asarray(estimator.model_.predict_proba(model_input), dtype=np.float64)
        return float(metric.loss(target, output, weights))

    baseline = loss(frame)
    increases: dict[str, list[float]] = {column: [] for column in frame.columns}
    started = time.monotonic()
    for repeat in range(n_repeats):
        if repeat and time_limit is not None and time.monotonic() - started > time_limit:
            break
        for column in frame.columns:
            shuffled = frame.copy()
            shuffled[column] = frame[column].to_numpy()[rng.permutation(len(frame))]
            increases[column].append(loss(shuffled) - baseline)
    table = pd.DataFrame(
        {
            "feature": list(increases),
            "importance": [float(np.mean(v)) for v in increases.values()],
            "std": [float(np.std(v)) for v in increases.values()],
            "repeats": [len(v) for v in increases.values()],
        }
    )
    table = table.sort_values("importance", ascending=False, kind="stable")
    table.attrs.update(metric=metric.name, baseline_loss=baseline, rows=len(frame))
    return table.reset_index(drop=True)


def _encoded_target(estimator: Any, y: Any, n_rows: int) -> np.ndarray:
    values = as_target(y, n_rows)
    if estimator.task_ == "regression":
        return np.asarray(values, dtype=np.float64)
    classes = list(estimator.classes_)
    index = {label: i for i, label in enumerate(classes)}
    unknown = sorted({str(v) for v in values if v not in index})
    if unknown:
        raise ValueError(
            f"y holds label(s) the model was not fitted on: {', '.join(unknown[:5])}; "
            f"known classes: {', '.join(map(str, classes[:20]))}."
        )
    return np.array([index[v] for v in values], dtype=np.int64)
