"""The encoded path's first step: scikit-learn's ColumnTransformer with a fast transform.

Every prediction of an encoded-path pipeline goes through its ColumnTransformer, whose fixed
cost per call (selecting columns, validating each block's input, one pass of every encoder
per column) dominated the batch prediction of small tables. After fitting, the blocks this
library builds are simple per-column maps:

- numeric columns: NaN replaced by the fitted statistic, then missing-value indicators;
- categorical columns (category dtype, codes of the fit-time categories): each column's
  output is a function of its category alone, whatever the encoder (one-hot with rare
  categories grouped, target or ordinal encoding).

So the second ``transform`` after a fit (a trial's fold model encodes once, and would not
recover the cost) runs the ColumnTransformer on a probe frame holding every category of each
categorical column and a missing value, reads each column's output for each category off
it, checks the lookup against that output, and looks codes up from then on. Anything else (a
block kind not listed, another input type, a column whose categories differ from the
tabulated ones, an infinite value) goes through the ColumnTransformer unchanged, so results
and error messages stay scikit-learn's.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import (
    FunctionTransformer,
    OneHotEncoder,
    OrdinalEncoder,
    TargetEncoder,
)
from sklearn.utils.validation import check_array

log = logging.getLogger("automl")


@dataclass
class _NumericBlock:
    columns: list[str]
    statistics: np.ndarray | None  # the fill value of each column; None: missing stays NaN
    indicated: np.ndarray  # positions of the columns that get a missing-value indicator


@dataclass
class _CategoryColumn:
    column: str
    dtype: Any  # the dtype tabulated (its categories): an identical object needs no comparison
    table: np.ndarray  # rows: each category's output, then the missing value's


@dataclass
class _Plan:
    width: int
    numeric: list[tuple[int, _NumericBlock]]  # (output offset, block)
    categorical: list[tuple[int, _CategoryColumn]]  # (output offset, column)


class FrameEncoder(ColumnTransformer):
    """A ColumnTransformer (same parameters, fit and output) whose ``transform`` of a model
    frame looks fitted per-column outputs up instead of running every encoder."""

    def fit_transform(self, X: Any, y: Any = None, **params: Any) -> Any:
        self._plan = None  # a refit changes every table
        self._used = False
        return super().fit_transform(X, y, **params)

    def transform(self, X: Any, **params: Any) -> Any:
        plan = getattr(self, "_plan", None)
        if plan is None and not params and isinstance(X, pd.DataFrame) and len(X):
            if getattr(self, "_used", False):
                plan = self._plan = _build_plan(self, X)
            else:  # a trial's fold model encodes once: tables would not pay for themselves
                self._used = True
        if plan and not params:
            fast = _transform(plan, X)
            if fast is not None:
                return fast
        return super().transform(X, **params)

    def _slow(self, X: Any) -> Any:
        return super().transform(X)

    def __getstate__(self) -> dict[str, Any]:
        # a copy: from Python 3.11 the base class may hand out the live __dict__ itself
        state = dict(super().__getstate__())
        state.pop("_plan", None)  # rebuilt after loading: tables follow the loading code
        state.pop("_used", None)
        return state


def _build_plan(encoder: FrameEncoder, X: pd.DataFrame) -> _Plan | bool:
    """The lookup plan for ``encoder`` (fitted), read off one ColumnTransformer transform of
    a probe frame (every category of each categorical column, then a missing value) and
    checked against it; False where the fast path does not apply, so that later calls do not
    try again."""
    try:
        probe = _probe_frame(X)
        if probe is None:
            return False
        expected = encoder._slow(probe)
        plan = _tabulate(encoder, X, np.asarray(expected, dtype=np.float64))
        if plan is None:
            return False
        if not np.array_equal(_transform(plan, probe), expected, equal_nan=True):
            log.debug("fast encoding differs from the ColumnTransformer's; not used")
            return False
        return plan
    except (KeyError, ValueError, TypeError, AttributeError, IndexError) as error:
        log.debug("fast encoding not used: %s", error)
        return False


def _tabulate(encoder: FrameEncoder, X: pd.DataFrame, probed: np.ndarray) -> _Plan | None:
    """The plan, with each categorical column's table read off ``probed`` (the encoder's
    output for ``_probe_frame(X)``: row r holds category r of every categorical column; the
    last row is all missing)."""
    # every block kind below gives a dense matrix, so sparse_threshold changes nothing
    if getattr(encoder, "_sklearn_output_config", {}).get("transform") not in ("default", None):
        return None
    numeric: list[tuple[int, _NumericBlock]] = []
    categorical: list[tuple[int, _CategoryColumn]] = []
    offset = 0
    for _, transformer, selection in encoder.transformers_:
        if isinstance(transformer, str):
            if transformer == "drop":
                continue
            return None  # passthrough
        columns = _column_names(encoder, selection)
        if columns is None:
            return None
        if not columns:
            continue  # an empty block adds nothing
        if _is_numeric_imputer(transformer) or _is_float_check(transformer):
            if not all(X[c].dtype == np.float64 for c in columns):
                return None
            if isinstance(transformer, SimpleImputer):
                statistics = np.asarray(transformer.statistics_, dtype=np.float64)
                indicated = np.asarray(transformer.indicator_.features_, dtype=np.intp)
            else:
                statistics, indicated = None, np.zeros(0, dtype=np.intp)
            numeric.append((offset, _NumericBlock(columns, statistics, indicated)))
            offset += len(columns) + len(indicated)
            continue
        widths = _category_widths(transformer, len(columns))
        if widths is None or not all(isinstance(X[c].dtype, pd.CategoricalDtype) for c in columns):
            return None
        for column, width in zip(columns, widths):
            dtype = X[column].dtype
            part = probed[:, offset : offset + width]
            table = np.vstack([part[: len(dtype.categories)], part[-1:]])
            categorical.append((offset, _CategoryColumn(column, dtype, table)))
            offset += width
    if offset != probed.shape[1]:
        return None
    return _Plan(offset, numeric, categorical)


def _column_names(encoder: FrameEncoder, selection: Any) -> list[str] | None:
    """A block's columns by name: as given, or from a mask or positions over the fit's
    columns; None for any other selection."""
    if isinstance(selection, list | tuple) and all(isinstance(c, str) for c in selection):
        return list(selection)
    names = getattr(encoder, "feature_names_in_", None)
    selection = np.asarray(selection)
    if names is None or selection.ndim != 1:
        return None
    if selection.dtype == bool and len(selection) == len(names):
        return [str(c) for c in names[selection]]
    if selection.dtype.kind in "iu":
        return [str(c) for c in names[selection]]
    return None


def _is_float_check(transformer: Any) -> bool:
    """HistGradientBoosting's numeric block: the columns as float64, missing values kept."""
    func = getattr(transformer, "func", None)
    return (
        type(transformer) is FunctionTransformer
        and isinstance(func, functools.partial)
        and func.func is check_array
        and func.keywords.get("dtype") in ([np.float64], np.float64)
        and func.keywords.get("ensure_all_finite") is False
        and not func.args
    )


def _is_numeric_imputer(transformer: Any) -> bool:
    return (
        type(transformer) is SimpleImputer
        and transformer.strategy in ("mean", "median")
        and transformer.keep_empty_features
        and transformer.add_indicator
        and transformer.indicator_.features == "missing-only"
        and np.isnan(transformer.missing_values)
    )


def _category_widths(transformer: Any, n_columns: int) -> list[int] | None:
    """How many output columns each input column of a categorical block gives, or None for
    a block whose outputs are not known to be per column."""
    steps = (
        [step for _, step in transformer.steps]
        if isinstance(transformer, Pipeline)
        else [transformer]
    )
    if not all(_is_category_filler(step) for step in steps[:-1]):
        return None
    last = steps[-1]
    if type(last) is OneHotEncoder and last.drop_idx_ is None and not last.sparse_output:
        widths = []
        grouping = last.min_frequency is not None or last.max_categories is not None
        rare_lists = last.infrequent_categories_ if grouping else [None] * n_columns
        for categories, rare in zip(last.categories_, rare_lists):
            widths.append(len(categories) if rare is None else len(categories) - len(rare) + 1)
        return widths
    if type(last) is TargetEncoder:
        per_column = len(last.classes_) if last.target_type_ == "multiclass" else 1
        return [per_column] * n_columns
    if type(last) is OrdinalEncoder:
        return [1] * n_columns
    return None


def _is_category_filler(step: Any) -> bool:
    return type(step) is SimpleImputer and step.strategy == "constant"


def _probe_frame(X: pd.DataFrame) -> pd.DataFrame | None:
    """Rows in ``X``'s columns and dtypes: row r holds category r of each categorical column
    (missing past its last category) and the first value of each float column; the last row
    is all missing. None for a column of another dtype."""
    categorical = [X[c].dtype for c in X.columns if isinstance(X[c].dtype, pd.CategoricalDtype)]
    n = max((len(dtype.categories) for dtype in categorical), default=1) + 1
    parts: dict[Any, Any] = {}
    for column in X.columns:
        dtype = X[column].dtype
        if isinstance(dtype, pd.CategoricalDtype):
            codes = np.full(n, -1, dtype=np.int64)
            codes[: len(dtype.categories)] = np.arange(len(dtype.categories))
            parts[column] = pd.Categorical.from_codes(codes, dtype=dtype)
        elif dtype == np.float64:
            values = np.full(n, X[column].iloc[0], dtype=np.float64)
            values[-1] = np.nan
            parts[column] = values
        else:
            return None
    return pd.DataFrame(parts)


def _transform(plan: _Plan, X: Any) -> np.ndarray | None:
    """The encoded matrix, or None where the fast path does not apply to ``X``."""
    if not isinstance(X, pd.DataFrame):
        return None
    out = np.empty((len(X), plan.width), dtype=np.float64)
    try:
        for offset, block in plan.numeric:
            width = len(block.columns)
            values = out[:, offset : offset + width]
            for i, column in enumerate(block.columns):
                series = X[column]
                if series.dtype != np.float64:
                    return None
                values[:, i] = series.to_numpy()
            missing = np.isnan(values)
            if block.statistics is not None and missing.any():
                rows, positions = np.nonzero(missing)
                values[rows, positions] = block.statistics[positions]
            if np.isinf(values).any():
                return None  # the ColumnTransformer says what is wrong, or lets it through
            end = offset + width + len(block.indicated)
            out[:, offset + width : end] = missing[:, block.indicated]
        for offset, category in plan.categorical:
            series = X[category.column]
            dtype = series.dtype
            if dtype is not category.dtype and not (
                isinstance(dtype, pd.CategoricalDtype)
                and dtype.ordered == category.dtype.ordered
                and dtype.categories.equals(category.dtype.categories)
            ):
                return None
            codes = series.array.codes  # -1 (missing) reads the table's last row
            out[:, offset : offset + category.table.shape[1]] = category.table[codes]
    except KeyError:
        return None  # a column is missing: the ColumnTransformer's error names it
    return out
