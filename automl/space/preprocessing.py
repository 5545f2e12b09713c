"""Preprocessing hyperparameters and the transformers they stand for.

Two paths, chosen by the model family:
- native: gradient boosting libraries that take pandas categories and missing values as they
  are; only what they cannot digest is changed (a family's declared cap on categories per
  column, such as HistGradientBoosting's 255).
- encoded: every other model gets imputation, categorical encoding by cardinality (one-hot for
  few categories, ordinal or target encoding for many, rare categories grouped), optional
  scaling and optional feature preprocessing (PCA or univariate selection); on a sparse matrix
  the same choices in forms that keep it sparse.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from ConfigSpace import Categorical, Float, Integer
from ConfigSpace.hyperparameters import Hyperparameter
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import (
    MaxAbsScaler,
    OneHotEncoder,
    OrdinalEncoder,
    QuantileTransformer,
    RobustScaler,
    StandardScaler,
    TargetEncoder,
)

from automl.data import REGRESSION
from automl.space.frame_encoder import FrameEncoder

MISSING_CATEGORY = "__missing__"
# What the encoded path's steps import (decomposition and feature selection lazily): trial
# workers preload them with the families' own modules.
PREPROCESSING_MODULES = (
    "sklearn.preprocessing",
    "sklearn.decomposition",
    "sklearn.feature_selection",
)


def encoded_path_hyperparameters() -> list[Hyperparameter]:
    """Hyperparameters active for models on the encoded path."""
    return [
        Categorical("imputer", ["median", "mean"], default="median"),
        Integer("onehot_max_categories", (2, 64), default=10, log=True),
        Categorical("high_cardinality_encoding", ["target", "ordinal"], default="target"),
        # categories rarer than this fraction of rows are grouped into one; 0 disables grouping
        Float("rare_category_fraction", (0.0, 0.05), default=0.0),
        Categorical("feature_preprocessor", ["none", "pca", "select_percentile"], default="none"),
        Float("pca:keep_variance", (0.5, 0.9999), default=0.95),
        Integer("select_percentile:percentile", (10, 100), default=50),
    ]


def scaling_hyperparameters() -> list[Hyperparameter]:
    """Active only for models that are sensitive to feature scale."""
    return [Categorical("scaler", ["standard", "robust", "quantile"], default="standard")]


def native_steps(categorical: dict[str, int], *, category_limit: int | None) -> list:
    """Steps before a native-categorical model: columns with more categories than the model's
    ``category_limit`` (if it has one) reach it as integer codes."""
    if category_limit is None:
        return []
    too_many = [c for c, n in categorical.items() if n > category_limit]
    return [("codes", CategoryCodes(too_many))] if too_many else []


def encoded_steps(
    params: dict[str, Any],
    numeric: list[str],
    categorical: dict[str, int],
    *,
    task: str,
    scaled: bool,
    n_rows: int,
) -> list:
    """The steps that turn a mixed frame into a dense numeric matrix for the model."""
    rare = params["rare_category_fraction"]
    min_frequency = rare if rare * n_rows >= 2 else None
    low = [c for c, n in categorical.items() if n <= params["onehot_max_categories"]]
    high = [c for c in categorical if c not in set(low)]
    blocks = []
    if numeric:
        imputer = SimpleImputer(
            strategy=params["imputer"], add_indicator=True, keep_empty_features=True
        )
        blocks.append(("numeric", imputer, numeric))
    if low:
        onehot = OneHotEncoder(
            handle_unknown="infrequent_if_exist",
            min_frequency=min_frequency,
            sparse_output=False,
        )
        blocks.append(("onehot", Pipeline([("fill", _category_filler()), ("encode", onehot)]), low))
    if high:
        if params["high_cardinality_encoding"] == "target":
            encoder = _target_encoder(task)
        else:
            encoder = OrdinalEncoder(
                handle_unknown="use_encoded_value",
                unknown_value=-1,
                min_frequency=min_frequency,
            )
        blocks.append(("high", Pipeline([("fill", _category_filler()), ("encode", encoder)]), high))
    steps: list = [("encode", FrameEncoder(blocks, remainder="drop", sparse_threshold=0.0))]
    if scaled:
        steps.append(("scale", _scaler(params["scaler"], n_rows)))
    steps.extend(_feature_preprocessor(params, task))
    return steps


def sparse_steps(params: dict[str, Any], *, task: str, scaled: bool) -> list:
    """The encoded path's steps for a sparse matrix (``automl.sparse``), each keeping it
    sparse: imputation as configured, scalers that do not centre (centring would fill every
    cell: "standard" divides by the standard deviation, "robust" by the interquartile range,
    "quantile" by the largest absolute value) and univariate selection; PCA, which centres,
    is skipped (``feature_preprocessor="pca"`` acts as "none" here)."""
    steps: list = [("impute", SparseImputer(params["imputer"]))]
    if scaled:
        steps.append(("scale", _sparse_scaler(params["scaler"])))
    if params["feature_preprocessor"] == "select_percentile":
        steps.extend(_feature_preprocessor(params, task))
    return steps


def _sparse_scaler(name: str) -> Any:
    if name == "robust":
        return RobustScaler(with_centering=False)
    if name == "quantile":
        return MaxAbsScaler()
    return StandardScaler(with_mean=False)


def _target_encoder(task: str) -> TargetEncoder:
    """Seeded: its cross-fitting shuffles rows, and unseeded it made trials irreproducible.
    scikit-learn 1.9 deprecates ``random_state`` (gone in 1.11) for a splitter as ``cv``; the
    one given here is the one 5 with ``random_state=0`` stood for."""
    target_type = "continuous" if task == REGRESSION else "auto"
    if TargetEncoder().get_params().get("random_state") != "deprecated":  # before 1.9
        return TargetEncoder(target_type=target_type, random_state=0)
    from sklearn.model_selection import KFold, StratifiedKFold

    splitter = KFold if task == REGRESSION else StratifiedKFold
    return TargetEncoder(target_type=target_type, cv=splitter(5, shuffle=True, random_state=0))


def _category_filler() -> SimpleImputer:
    return SimpleImputer(strategy="constant", fill_value=MISSING_CATEGORY, missing_values=np.nan)


def _scaler(name: str, n_rows: int) -> Any:
    if name == "robust":
        return RobustScaler()
    if name == "quantile":
        return QuantileTransformer(
            output_distribution="normal", n_quantiles=max(2, min(1000, n_rows)), random_state=0
        )
    return StandardScaler()


def _feature_preprocessor(params: dict[str, Any], task: str) -> list:
    choice = params["feature_preprocessor"]
    if choice == "pca":
        from sklearn.decomposition import PCA

        return [("features", PCA(n_components=params["pca:keep_variance"], svd_solver="full"))]
    if choice == "select_percentile":
        from sklearn.feature_selection import SelectPercentile, f_classif, f_regression

        score = f_regression if task == REGRESSION else f_classif
        percentile = params["select_percentile:percentile"]
        return [("features", SelectPercentile(score, percentile=percentile))]
    return []


class DropColumns(TransformerMixin, BaseEstimator):
    """Leave the named columns out (features a configuration does not read)."""

    def __init__(self, columns: list[str]) -> None:
        self.columns = columns

    def fit(self, X: pd.DataFrame, y: Any = None) -> DropColumns:
        self.n_features_in_ = X.shape[1]
        return self

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        return X.drop(columns=self.columns)


class CategoryCodes(TransformerMixin, BaseEstimator):
    """Replace the named categorical columns by their integer codes (missing stays missing).

    Used where a model's native categorical support has a cap on the number of categories.
    """

    def __init__(self, columns: list[str]) -> None:
        self.columns = columns

    def fit(self, X: pd.DataFrame, y: Any = None) -> CategoryCodes:
        return self

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        X = X.copy()
        for column in self.columns:
            codes = X[column].cat.codes.astype(np.float64)
            X[column] = codes.where(codes >= 0, np.nan)
        return X


class SparseImputer(TransformerMixin, BaseEstimator):
    """Imputation for a sparse matrix that costs nothing when nothing is missing.

    scikit-learn's ``SimpleImputer`` computes a statistic for every column, seconds for a
    matrix of a million columns, and returns CSC. Here, training rows holding a NaN get that
    imputer (median or mean, with missing-value indicators); training rows with none pass
    through as they are, and a NaN first met at predict time becomes 0, the value most cells of
    a sparse column hold.
    """

    def __init__(self, strategy: str = "median") -> None:
        self.strategy = strategy

    def fit(self, X: Any, y: Any = None) -> SparseImputer:
        self.imputer_ = None
        if np.isnan(X.data).any():
            self.imputer_ = SimpleImputer(
                strategy=self.strategy, add_indicator=True, keep_empty_features=True
            ).fit(X)
        return self

    def transform(self, X: Any) -> Any:
        if self.imputer_ is not None:
            return self.imputer_.transform(X).tocsr()
        missing = np.isnan(X.data)
        if not missing.any():
            return X
        X = X.copy()
        X.data[missing] = 0.0
        X.eliminate_zeros()
        return X
