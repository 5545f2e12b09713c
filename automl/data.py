"""Input validation and column types (the target is ``automl.training_data``'s).

Everything a user hands to ``fit`` or ``predict`` passes through here first, so the rest of the
library can assume one clean shape: a pandas DataFrame whose numeric columns are ``float64`` and
whose categorical columns are pandas ``category`` with string categories fixed at fit time.
Errors raised here are the ones users see most, so they say what is wrong and what to do.
"""

from __future__ import annotations

import functools
import numbers
import re
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from automl.sparse import is_sparse
from automl.text import looks_like_text

BINARY, MULTICLASS, REGRESSION = "binary", "multiclass", "regression"

_DATETIME_PARTS = ("year", "month", "day", "weekday", "hour", "days")


class DataWarning(UserWarning):
    """Raised when the data is usable but something in it was changed (e.g. a column dropped)."""


@dataclass(frozen=True)
class ColumnSchema:
    """What ``fit`` learned about the input columns, replayed at ``predict`` time.

    Kept as plain values (names and category lists) so a fitted model stays small, picklable and
    independent of the exact pandas objects it was trained on; free-text columns add their
    fitted features (``automl.text.TextFeatures``).
    """

    input_names: tuple[str, ...]
    from_dataframe: bool
    numeric: tuple[str, ...]
    categorical: dict[str, tuple[str, ...]] = field(default_factory=dict)
    datetime: dict[str, bool] = field(default_factory=dict)  # column -> has a time-of-day part
    text: tuple[str, ...] = ()  # free-text columns (automl.text): strings, not categories
    dropped: tuple[str, ...] = ()
    # input name -> name in the model-ready frame (some libraries reject characters like "[")
    model_names: dict[str, str] = field(default_factory=dict)
    # the text columns' TF-IDF + SVD features, fitted once on all training rows
    text_features: Any = field(default=None, repr=False, compare=False)
    # columns of a sparse X (automl.sparse): kept as a CSR matrix, all numeric, unnamed
    sparse_width: int = 0

    @property
    def sparse(self) -> bool:
        return self.sparse_width > 0

    @property
    def categorical_columns(self) -> list[str]:
        """Model-ready names of the categorical columns."""
        return [self.model_names.get(c, c) for c in self.categorical]

    @property
    def text_columns(self) -> list[str]:
        """Model-ready names of the free-text columns."""
        return [self.model_names.get(c, c) for c in self.text]

    @property
    def n_features_in(self) -> int:
        return self.sparse_width or len(self.input_names)


# --------------------------------------------------------------------------------------- X


def as_frame(X: Any, *, what: str = "X", copy: bool = True) -> tuple[pd.DataFrame, bool]:
    """Turn any supported X into a DataFrame with string column names.

    Returns the frame and whether the user gave a DataFrame (which decides whether
    ``feature_names_in_`` exists, as in scikit-learn). ``copy=False`` (for a caller that only
    reads the frame) shares a DataFrame's data instead of copying it.
    """
    if X is None:
        raise ValueError(f"{what} is None; expected a 2-D table (pandas DataFrame or numpy array).")
    if isinstance(X, pd.DataFrame):
        if X.columns.duplicated().any():
            dupes = sorted({str(c) for c in X.columns[X.columns.duplicated()]})
            raise ValueError(f"{what} has duplicated column names: {dupes}. Rename them first.")
        frame = X.copy(deep=copy)  # a new frame: the names below do not rename the caller's
        frame.columns = [str(c) for c in X.columns]
        names_are_strings = all(isinstance(c, str) for c in X.columns)
        _check_shape(frame, what)
        return frame, names_are_strings
    if isinstance(X, pd.Series):
        raise ValueError(
            f"{what} is a 1-D pandas Series; expected a 2-D table. "
            "Use series.to_frame() for a single feature."
        )
    if is_sparse(X):
        raise TypeError(
            f"{what} is a sparse matrix, but this model was fitted on a dense table; pass a "
            "dense array or a DataFrame (for example X.toarray())."
        )
    array = np.asarray(X)
    if array.ndim != 2:
        raise ValueError(
            f"Expected a 2-D {what}, got a {array.ndim}-D array instead. Reshape your data "
            "with array.reshape(-1, 1) for a single feature or array.reshape(1, -1) for a "
            "single sample."
        )
    if array.dtype.kind == "c":
        raise ValueError(f"Complex data not supported: {what} holds complex numbers.")
    if array.dtype.kind not in "biuf":
        try:
            array = array.astype(np.float64)
        except (TypeError, ValueError) as error:
            raise type(error)(
                f"{what} is a numpy array with non-numeric values ({error}). A numpy array must "
                "be all numbers; pass a pandas DataFrame to use text or categorical columns."
            ) from error
    frame = pd.DataFrame(array.astype(np.float64, copy=False))
    frame.columns = [f"x{i}" for i in range(array.shape[1])]
    _check_shape(frame, what)
    return frame, False


def _check_shape(frame: pd.DataFrame, what: str) -> None:
    n_rows, n_columns = frame.shape
    if n_rows == 0:
        raise ValueError(
            f"{what} is empty: 0 sample(s) (shape=({n_rows}, {n_columns})) while a "
            "minimum of 1 is required; pass at least one row."
        )
    if n_columns == 0:
        raise ValueError(
            f"{what} has 0 feature(s) (shape=({n_rows}, {n_columns})) while a "
            "minimum of 1 is required; pass at least one column."
        )


def learn_schema(frame: pd.DataFrame, from_dataframe: bool) -> ColumnSchema:
    """Decide each column's type once, at fit time, and drop columns that carry nothing."""
    numeric, categorical, datetimes, dropped, text = [], {}, {}, [], []
    for name in frame.columns:
        column = frame[name]
        if column.isna().all():
            dropped.append(name)
            continue
        kind = _column_kind(column)
        if kind == "numeric":
            numeric.append(name)
        elif kind == "datetime":
            values = _as_naive_datetime(column)
            has_time = bool((values.dropna() != values.dropna().dt.normalize()).any())
            datetimes[name] = has_time
        else:
            labels = _as_strings(column)
            if _is_text(column, labels):
                text.append(name)
            else:
                categorical[name] = tuple(sorted(labels.dropna().unique()))
    if dropped:
        warnings.warn(
            f"Dropped {len(dropped)} column(s) with no values at all: {dropped}.",
            DataWarning,
            stacklevel=3,
        )
    if not (numeric or categorical or datetimes or text):
        raise ValueError("Every column of X is entirely missing; there is nothing to learn from.")
    return ColumnSchema(
        input_names=tuple(frame.columns),
        from_dataframe=from_dataframe,
        numeric=tuple(numeric),
        categorical=categorical,
        datetime=datetimes,
        text=tuple(text),
        dropped=tuple(dropped),
        model_names=_safe_names(frame.columns),
    )


def _safe_names(names: Any) -> dict[str, str]:
    """Column names every model library accepts (LightGBM refuses JSON characters), unique."""
    result: dict[str, str] = {}
    used: set[str] = set()
    for name in names:
        safe = re.sub(r'[\[\]{}",:<>]', "_", name)
        candidate, i = safe, 1
        while candidate in used:
            candidate, i = f"{safe}_{i}", i + 1
        used.add(candidate)
        result[name] = candidate
    return result


def _column_kind(column: pd.Series) -> str:
    dtype = column.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        return "categorical"
    if pd.api.types.is_bool_dtype(dtype) or pd.api.types.is_numeric_dtype(dtype):
        return "numeric"
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return "datetime"
    if pd.api.types.is_timedelta64_dtype(dtype):
        return "numeric"
    values = column.dropna()
    if len(values) and all(
        isinstance(v, numbers.Number) and not isinstance(v, (str, bytes)) for v in values
    ):
        return "numeric"  # an object column holding only numbers, e.g. from np.array(dtype=object)
    return "categorical"


def _is_text(column: pd.Series, labels: pd.Series) -> bool:
    """A string column read as free text: pandas ``"string"`` dtype (missing as ``pd.NA``:
    asked for with ``astype("string")``) always, ``category`` never, other strings (``object``,
    and the ``str`` dtype pandas infers) by the rules of ``automl.text``."""
    if isinstance(column.dtype, pd.StringDtype) and column.dtype.na_value is pd.NA:
        return True
    if isinstance(column.dtype, pd.CategoricalDtype):
        return False
    return looks_like_text(labels)


def _as_naive_datetime(column: pd.Series) -> pd.Series:
    values = pd.to_datetime(column)
    if getattr(values.dt, "tz", None) is not None:
        values = values.dt.tz_convert("UTC").dt.tz_localize(None)
    return values


def _as_strings(column: pd.Series) -> pd.Series:
    """Category labels as strings; whole floats print as ints so 1.0 and 1 are one label."""
    return column.astype(object).map(_label)


def _label(value: Any) -> Any:
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return np.nan
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    return str(value)


def to_model_frame(schema: ColumnSchema, frame: pd.DataFrame) -> pd.DataFrame:
    """Apply the fit-time column decisions: the one frame every pipeline receives (text
    columns replaced by their features)."""
    typed = typed_frame(schema, frame)
    features = schema.text_features  # None in models saved before text columns
    return typed if features is None else features.transform(typed)


def typed_frame(schema: ColumnSchema, frame: pd.DataFrame) -> pd.DataFrame:
    """Each column as fit decided: float, category, date parts, or text strings."""
    parts: dict[str, Any] = {}
    for name in schema.input_names:
        if name in schema.dropped:
            continue
        column = frame[name]
        safe = schema.model_names.get(name, name)
        if name in schema.categorical:
            parts[safe] = _as_categorical(column, schema.categorical[name])
        elif name in schema.datetime:
            parts.update(_datetime_parts(safe, column, schema.datetime[name]))
        elif name in schema.text:
            parts[safe] = _as_strings(column).to_numpy(dtype=object)
        else:
            parts[safe] = _as_float(name, column)
    return pd.DataFrame(parts, index=frame.index)


def _as_categorical(column: pd.Series, categories: tuple[str, ...]) -> pd.Categorical:
    """The column's labels (``_as_strings``) as codes of the fit's categories; unseen labels
    become missing. A categorical column's categories are labelled once, not each row: this
    runs on every predict, for every categorical column."""
    categories = tuple(categories)
    dtype = _categorical_dtype(categories)
    if isinstance(column.dtype, pd.CategoricalDtype):
        given = column.cat.categories
        # the dtype in the key: (True, False) == (1, 0) but they label differently
        known = _category_recoding(str(given.dtype), tuple(given), categories)
        codes = known[column.array.codes]
    else:
        if column.dtype == object and pd.api.types.infer_dtype(column) not in ("string", "empty"):
            # mixed values: factorize takes 1 for True, which label apart; row by row
            codes = dtype.categories.get_indexer(_as_strings(column))
        else:  # label each distinct value once
            values, uniques = pd.factorize(column, use_na_sentinel=True)
            if len(uniques) <= _RECODINGS_CACHED_UP_TO:  # batches bring the same few values
                known = _category_recoding(str(column.dtype), tuple(uniques), categories)
            else:
                labels = [_label(value) for value in uniques]
                known = np.append(dtype.categories.get_indexer(labels), -1)
            codes = known[values]
    return pd.Categorical.from_codes(codes, dtype=dtype)


# A column with more distinct values than this per batch (identifiers, say) is recoded afresh:
# caching its value tuples would hold large keys that rarely come back.
_RECODINGS_CACHED_UP_TO = 256


@functools.lru_cache(maxsize=1024)
def _category_recoding(kind: str, given: tuple[Any, ...], fitted: tuple[str, ...]) -> np.ndarray:
    """Codes of ``given`` categories (then of missing, -1) as codes of the ``fitted`` ones;
    cached: a table predicted in batches brings the same categories every time. ``kind``
    (the categories' dtype) only keeps apart keys that compare equal."""
    labels = [_label(value) for value in given]
    known = np.append(_categorical_dtype(fitted).categories.get_indexer(labels), -1)
    known.flags.writeable = False  # shared between calls
    return known


@functools.lru_cache(maxsize=1024)
def _categorical_dtype(categories: tuple[str, ...]) -> pd.CategoricalDtype:
    return pd.CategoricalDtype(list(categories))  # validated once, not on every predict


def _as_float(name: str, column: pd.Series) -> np.ndarray:
    if pd.api.types.is_timedelta64_dtype(column.dtype):
        return column.dt.total_seconds().to_numpy(dtype=np.float64)
    if isinstance(column.dtype, np.dtype) and column.dtype.kind in "fiub":
        # plain numpy numbers (most tables, every batch): no parsing, only the infinity check
        values = column.to_numpy(dtype=np.float64)
        if column.dtype.kind == "f" and np.isinf(values).any():
            raise ValueError(_infinity_message(name))
        return values
    try:
        values = pd.to_numeric(column, errors="raise").astype(np.float64).to_numpy()
    except (TypeError, ValueError) as error:
        bad = column[pd.to_numeric(column, errors="coerce").isna() & column.notna()]
        example = bad.iloc[0] if len(bad) else "?"
        raise ValueError(
            f"Column {name!r} was numeric at fit time but now holds non-numeric values "
            f"(e.g. {example!r})."
        ) from error
    if np.isinf(values).any():
        raise ValueError(_infinity_message(name))
    return values


def _infinity_message(name: str) -> str:
    return (
        f"Column {name!r} contains infinity; replace infinite values with NaN (missing) "
        "or a finite number."
    )


def _datetime_parts(name: str, column: pd.Series, has_time: bool) -> dict[str, np.ndarray]:
    values = _as_naive_datetime(column)
    parts = {
        f"{name}__year": values.dt.year,
        f"{name}__month": values.dt.month,
        f"{name}__day": values.dt.day,
        f"{name}__weekday": values.dt.day_of_week,
        f"{name}__days": (values - pd.Timestamp("1970-01-01")).dt.total_seconds() / 86400.0,
    }
    if has_time:
        parts[f"{name}__hour"] = values.dt.hour + values.dt.minute / 60.0
    return {key: part.astype(np.float64).to_numpy() for key, part in parts.items()}


def align_columns(
    schema: ColumnSchema, X: Any, *, estimator_name: str = "the estimator"
) -> pd.DataFrame:
    """Match predict-time columns to the fit-time ones: by name when both are named.

    Reordered columns are put back in order silently; missing or unexpected columns are
    an error naming them, because silently guessing would give wrong predictions.
    """
    frame, named = as_frame(X, copy=False)  # only read: typed_frame builds new columns
    if schema.from_dataframe and named:
        given, expected = list(frame.columns), list(schema.input_names)
        if given == expected:
            return frame
        missing = [c for c in expected if c not in set(given)]
        extra = [c for c in given if c not in set(expected)]
        if missing or extra:
            message = "The feature names should match those that were passed during fit.\n"
            if extra:
                message += "Feature names unseen at fit time:\n" + _bullets(extra)
            if missing:
                message += "Feature names seen at fit time, yet now missing:\n" + _bullets(missing)
            raise ValueError(message)
        return frame[expected]
    if frame.shape[1] != schema.n_features_in:
        raise ValueError(
            f"X has {frame.shape[1]} features, but {estimator_name} is expecting "
            f"{schema.n_features_in} features as input."
        )
    if schema.from_dataframe and not named:
        warnings.warn(
            f"X does not have valid feature names, but {estimator_name} was fitted with "
            "feature names; columns are matched by position.",
            UserWarning,
            stacklevel=3,
        )
    elif named and not schema.from_dataframe:
        warnings.warn(
            f"X has feature names, but {estimator_name} was fitted without feature names; "
            "columns are matched by position.",
            UserWarning,
            stacklevel=3,
        )
    frame.columns = list(schema.input_names)
    return frame


def _bullets(names: list[str], limit: int = 20) -> str:
    shown = "".join(f"- {n}\n" for n in names[:limit])
    return shown + (f"- ... and {len(names) - limit} more\n" if len(names) > limit else "")
