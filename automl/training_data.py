"""The training data: the target checked and encoded, the sample weights and groups checked
with it, and X made the model-ready value every trial and refit works on (``PreparedData``).

Column checks and types are ``automl.data``'s; this module puts them together with ``y`` for
``fit``. Errors raised here say what is wrong with ``y`` and what to do.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import column_or_1d

from automl.data import (
    BINARY,
    MULTICLASS,
    REGRESSION,
    ColumnSchema,
    as_frame,
    learn_schema,
    typed_frame,
)
from automl.sample_weight import as_sample_weight, check_classes
from automl.sparse import as_sparse_matrix, dense_as_sparse, is_sparse
from automl.text import TextFeatures

# --------------------------------------------------------------------------------------- y


def as_target(y: Any, n_rows: int) -> np.ndarray:
    """A 1-D target with no missing values and one value per row of X."""
    if y is None:
        raise ValueError(
            "This estimator requires y to be passed, but the target y is None. "
            "Pass the column you want to predict."
        )
    if isinstance(y, pd.DataFrame):
        if y.shape[1] != 1:
            raise ValueError(f"y has {y.shape[1]} columns; multi-output targets are not supported.")
        y = y.iloc[:, 0]
    values = y.to_numpy() if isinstance(y, pd.Series) else np.asarray(y)
    if values.ndim == 2 and values.shape[1] != 1:
        raise ValueError(
            f"y has {values.shape[1]} columns; multi-output targets are not supported."
        )
    values = column_or_1d(values, warn=True)
    if len(values) != n_rows:
        raise ValueError(
            f"X and y have different lengths: X has {n_rows} rows but y has {len(values)}."
        )
    missing = pd.isna(values)
    if missing.any():
        rows = np.flatnonzero(missing)
        shown = ", ".join(str(r) for r in rows[:5]) + (", ..." if len(rows) > 5 else "")
        raise ValueError(
            f"y has {len(rows)} missing value(s) (rows {shown}); drop those rows or fill the "
            "target before fitting."
        )
    return values


def encode_classes(y: np.ndarray) -> tuple[np.ndarray, np.ndarray, str]:
    """Map labels of any type to 0..K-1; returns codes, the original classes and the task."""
    if y.dtype == object and all(
        isinstance(v, numbers.Number) and not isinstance(v, bool) for v in y
    ):  # numbers in an object array (a pandas object column): scikit-learn says "unknown"
        y = pd.to_numeric(pd.Series(y)).to_numpy()
    kind = type_of_target(y, input_name="y")
    if kind == "continuous":
        raise ValueError(
            "Unknown label type: continuous. y looks like a continuous (regression) target; "
            "use AutoMLRegressor, or convert y to class labels."
        )
    if kind == "unknown":
        kinds = sorted({type(v).__name__ for v in np.ravel(y)})
        raise ValueError(
            f"y mixes label types ({', '.join(kinds)}); convert all labels to one type."
        )
    if kind not in ("binary", "multiclass"):
        raise ValueError(f"Unknown label type: {kind}. Only single-label targets are supported.")
    try:
        classes, codes = np.unique(y, return_inverse=True)
    except TypeError as error:
        raise ValueError(
            "y mixes label types (e.g. numbers and strings); convert all labels to one type."
        ) from error
    if len(classes) < 2:
        raise ValueError(
            f"y has only one class ({classes[0]!r}); a classifier needs samples of at least "
            "two classes."
        )
    task = BINARY if len(classes) == 2 else MULTICLASS
    return codes.astype(np.int64), classes, task


def as_regression_target(y: np.ndarray) -> np.ndarray:
    try:
        values = np.asarray(y, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise ValueError(
            "y must be numeric for regression; use AutoMLClassifier for class labels."
        ) from error
    if not np.isfinite(values).all():
        raise ValueError("y contains infinity; a regression target must be finite.")
    return values


@dataclass
class PreparedData:
    """The clean training data and everything needed to prepare new data the same way."""

    X: Any  # a DataFrame, or a CSR matrix when the schema is sparse
    y: np.ndarray
    schema: ColumnSchema
    task: str
    classes: np.ndarray | None
    sample_weight: np.ndarray | None = None  # automl.sample_weight; None: every row counts once


def prepare_training_data(
    X: Any,
    y: Any,
    *,
    classification: bool,
    sample_weight: Any = None,
    groups: np.ndarray | None = None,
    text_scores: bool = True,
) -> PreparedData:
    """Validate X, y and the sample weights together and produce the model-ready training
    data. ``text_scores``: free-text columns get cross-fitted linear scores (grouped by
    ``groups``) besides their SVD features (``automl.text``)."""
    if is_sparse(X):
        return _prepare_sparse(
            X, y, classification=classification, sample_weight=sample_weight, groups=groups
        )
    frame, named = as_frame(X)
    target, classes, task, weights = _rows_to_fit(
        frame.shape[0], y, sample_weight, groups, classification
    )
    schema = learn_schema(frame, named)
    typed = typed_frame(schema, frame)
    if schema.text:
        # Fitted once on every training row, the scores cross-fitted: the trials then fit
        # their models on numeric features at no text cost.
        features = TextFeatures(
            schema.text_columns,
            task=task if text_scores else None,
            n_classes=0 if classes is None else len(classes),
        )
        typed = features.fit_transform(typed, target, groups=groups, sample_weight=weights)
        schema = replace(schema, text_features=features)
    return PreparedData(typed, target, schema, task, classes, weights)


def _rows_to_fit(
    n_rows: int, y: Any, sample_weight: Any, groups: np.ndarray | None, classification: bool
) -> tuple[np.ndarray, np.ndarray | None, str, np.ndarray | None]:
    """(target, classes, task, weights) for ``n_rows`` rows of X, checked together with
    the groups."""
    target = as_target(y, n_rows)
    weights = as_sample_weight(sample_weight, n_rows)
    if classification:
        target, classes, task = encode_classes(target)
        check_classes(target, classes, weights)
    else:
        target, classes, task = as_regression_target(target), None, REGRESSION
    if n_rows < 2:
        raise ValueError(f"X has {n_rows} sample(s); at least 2 are needed to fit.")
    if groups is not None and len(groups) != n_rows:
        raise ValueError(f"groups has {len(groups)} values but X has {n_rows} rows.")
    return target, classes, task, weights


def _prepare_sparse(
    X: Any, y: Any, *, classification: bool, sample_weight: Any, groups: np.ndarray | None
) -> PreparedData:
    """A sparse X as it is (``automl.sparse``): no column is typed, dropped or renamed."""
    matrix = as_sparse_matrix(X)
    target, classes, task, weights = _rows_to_fit(
        matrix.shape[0], y, sample_weight, groups, classification
    )
    schema = ColumnSchema(
        input_names=(), from_dataframe=False, numeric=(), sparse_width=matrix.shape[1]
    )
    return PreparedData(matrix, target, schema, task, classes, weights)


def sparse_model_input(schema: ColumnSchema, X: Any, *, estimator_name: str) -> Any:
    """Rows to predict for a model fitted on a sparse matrix, as CSR: a sparse matrix, or a
    dense array or frame of numbers, with the fit's number of columns."""
    if is_sparse(X):
        matrix = as_sparse_matrix(X)
    else:
        frame, _ = as_frame(X)
        try:
            values = frame.to_numpy(dtype=np.float64)
        except (TypeError, ValueError) as error:
            raise ValueError(
                f"{estimator_name} was fitted on a sparse matrix of numbers; X holds values "
                f"that are not numbers ({error})."
            ) from error
        matrix = dense_as_sparse(values)
    if matrix.shape[1] != schema.sparse_width:
        raise ValueError(
            f"X has {matrix.shape[1]} features, but {estimator_name} is expecting "
            f"{schema.sparse_width} features as input."
        )
    return matrix
