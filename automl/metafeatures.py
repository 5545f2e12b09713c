"""Dataset meta-features: the numbers that say which earlier datasets a new one resembles.

Warm starting only helps if "similar" means "the same configurations do well". Size and type
counts say how expensive and how categorical a dataset is; class balance and target shape say
what kind of loss surface to expect; skewness, kurtosis and PCA say how much preprocessing
matters; landmarkers (a decision stump, naive Bayes, 1-nearest-neighbour) measure directly how
much simple structure there is. Everything is computed on a bounded subsample so describing a
dataset costs well under a second whatever its size; a time cap guards the rest (features past
the cap are NaN, which the nearest-neighbour distance ignores).
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

STATS_MAX_ROWS = 5_000  # rows used for column statistics and PCA
LANDMARK_MAX_ROWS = 1_000  # rows used for the landmarker models
MAX_COLUMNS = 200  # columns used for statistics and PCA (a fixed random subset beyond this)
DEFAULT_TIME_LIMIT = 5.0  # seconds; groups started after this are left NaN

CLASSIFICATION_TASKS = ("binary", "multiclass")


def metafeature_names(task: str) -> list[str]:
    """Every meta-feature computed for ``task``, in a fixed order (the metabase's columns)."""
    names = [
        "n_rows",
        "n_features",
        "log_n_rows",
        "log_n_features",
        "log_features_per_row",
        "n_numeric",
        "n_categorical",
        "ratio_categorical",
        "symbols_min",
        "symbols_mean",
        "symbols_max",
        "symbols_sum",
        "missing_cells",
        "missing_rows",
        "missing_features",
        "n_constant",
        "skewness_min",
        "skewness_mean",
        "skewness_max",
        "skewness_std",
        "kurtosis_min",
        "kurtosis_mean",
        "kurtosis_max",
        "kurtosis_std",
        "pca_fraction_95",
        "pca_first_ratio",
        "pca_first_skewness",
        "pca_first_kurtosis",
    ]
    if task in CLASSIFICATION_TASKS:
        names += [
            "n_classes",
            "class_entropy",
            "class_prob_min",
            "class_prob_max",
            "class_imbalance",
            "landmark_stump",
            "landmark_naive_bayes",
            "landmark_1nn",
        ]
    else:
        names += [
            "target_skewness",
            "target_kurtosis",
            "landmark_stump",
            "landmark_linear",
            "landmark_1nn",
        ]
    return names


def compute_metafeatures(
    X: pd.DataFrame,
    y: Any,
    task: str,
    *,
    categorical: list[str] | None = None,
    time_limit: float = DEFAULT_TIME_LIMIT,
    random_state: int = 0,
) -> dict[str, float]:
    """Describe a dataset by the meta-features of :func:`metafeature_names`.

    ``categorical`` names the categorical columns; by default every non-numeric column is one.
    Missing values, constant columns and text categories are all fine.
    """
    if task not in (*CLASSIFICATION_TASKS, "regression"):
        raise ValueError(f"task must be 'binary', 'multiclass' or 'regression', got {task!r}.")
    if not isinstance(X, pd.DataFrame):
        X = pd.DataFrame(np.asarray(X))
    y = np.asarray(y)
    if len(X) != len(y) or len(X) == 0:
        raise ValueError(f"X has {len(X)} rows and y {len(y)}; they must match and be non-empty.")
    if categorical is None:
        categorical = [c for c in X.columns if not pd.api.types.is_numeric_dtype(X[c].dtype)]
    categorical = [c for c in X.columns if c in set(categorical)]
    numeric = [c for c in X.columns if c not in set(categorical)]
    rng = np.random.default_rng(random_state)
    started = time.perf_counter()
    values: dict[str, float] = dict.fromkeys(metafeature_names(task), math.nan)

    groups: list[Callable[[], dict[str, float]]] = [
        lambda: _simple(X, numeric, categorical),
        lambda: _target(y, task),
        lambda: _column_statistics(_numeric_sample(X, numeric, rng)),
        lambda: _pca(_numeric_sample(X, numeric, rng)),
        lambda: _landmarkers(X, y, task, categorical, rng),
    ]
    for group in groups:
        if time.perf_counter() - started > time_limit:
            break
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            values.update(group())
    return {name: float(values[name]) for name in metafeature_names(task)}


# ------------------------------------------------------------------ groups


def _simple(X: pd.DataFrame, numeric: list, categorical: list) -> dict[str, float]:
    n_rows, n_features = X.shape
    missing = X.isna().to_numpy()
    symbols = [X[c].nunique(dropna=True) for c in categorical]
    constant = sum(1 for c in X.columns if X[c].nunique(dropna=True) <= 1)
    return {
        "n_rows": n_rows,
        "n_features": n_features,
        "log_n_rows": math.log(n_rows),
        "log_n_features": math.log(max(n_features, 1)),
        "log_features_per_row": math.log(max(n_features, 1) / n_rows),
        "n_numeric": len(numeric),
        "n_categorical": len(categorical),
        "ratio_categorical": len(categorical) / max(n_features, 1),
        "symbols_min": min(symbols) if symbols else 0.0,
        "symbols_mean": float(np.mean(symbols)) if symbols else 0.0,
        "symbols_max": max(symbols) if symbols else 0.0,
        "symbols_sum": float(sum(symbols)),
        "missing_cells": float(missing.mean()) if missing.size else 0.0,
        "missing_rows": float(missing.any(axis=1).mean()) if missing.size else 0.0,
        "missing_features": float(missing.any(axis=0).mean()) if missing.size else 0.0,
        "n_constant": constant,
    }


def _target(y: np.ndarray, task: str) -> dict[str, float]:
    if task == "regression":
        target = y.astype(float)
        if np.ptp(target) == 0:
            return {"target_skewness": 0.0, "target_kurtosis": 0.0}
        return {
            "target_skewness": float(stats.skew(target)),
            "target_kurtosis": float(stats.kurtosis(target)),
        }
    _, counts = np.unique(y.astype(str), return_counts=True)
    probs = counts / counts.sum()
    n_classes = len(counts)
    entropy = float(-(probs * np.log2(probs)).sum())
    return {
        "n_classes": n_classes,
        # normalized to [0, 1]: 1 = perfectly balanced, whatever the number of classes
        "class_entropy": entropy / math.log2(n_classes) if n_classes > 1 else 0.0,
        "class_prob_min": float(probs.min()),
        "class_prob_max": float(probs.max()),
        "class_imbalance": float(probs.min() / probs.max()),
    }


def _numeric_sample(X: pd.DataFrame, numeric: list, rng: np.random.Generator) -> np.ndarray:
    """Numeric columns (at most MAX_COLUMNS, at most STATS_MAX_ROWS rows) as floats with NaN."""
    columns = list(numeric)
    if len(columns) > MAX_COLUMNS:
        columns = [columns[i] for i in sorted(rng.choice(len(columns), MAX_COLUMNS, replace=False))]
    rows = _row_subset(len(X), STATS_MAX_ROWS, rng)
    if not columns:
        return np.empty((len(rows), 0))
    return X.iloc[rows][columns].apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)


def _column_statistics(values: np.ndarray) -> dict[str, float]:
    skews, kurts = [], []
    for column in values.T:
        present = column[~np.isnan(column)]
        if len(present) < 3 or np.ptp(present) == 0:  # constant: no shape to describe
            continue
        skews.append(stats.skew(present))
        kurts.append(stats.kurtosis(present))
    out: dict[str, float] = {}
    for name, found in (("skewness", skews), ("kurtosis", kurts)):
        found = np.asarray(found, dtype=float)
        found = found[np.isfinite(found)]
        if len(found):
            out.update(
                {
                    f"{name}_min": found.min(),
                    f"{name}_mean": found.mean(),
                    f"{name}_max": found.max(),
                    f"{name}_std": found.std(),
                }
            )
    return out


def _pca(values: np.ndarray) -> dict[str, float]:
    if values.shape[1] == 0 or values.shape[0] < 3:
        return {}
    medians = np.nanmedian(values, axis=0)
    filled = np.where(np.isnan(values), np.where(np.isnan(medians), 0.0, medians), values)
    scale = filled.std(axis=0)
    keep = scale > 0
    if not keep.any():
        return {}
    standard = (filled[:, keep] - filled[:, keep].mean(axis=0)) / scale[keep]
    _, singular, vt = np.linalg.svd(standard, full_matrices=False)
    variance = singular**2 / max(np.sum(singular**2), 1e-300)
    needed = int(np.searchsorted(np.cumsum(variance), 0.95) + 1)
    first = standard @ vt[0]
    spread = np.ptp(first) > 0
    return {
        "pca_fraction_95": needed / standard.shape[1],
        "pca_first_ratio": float(variance[0]),
        "pca_first_skewness": float(stats.skew(first)) if spread else 0.0,
        "pca_first_kurtosis": float(stats.kurtosis(first)) if spread else 0.0,
    }


def _landmarkers(
    X: pd.DataFrame, y: np.ndarray, task: str, categorical: list, rng: np.random.Generator
) -> dict[str, float]:
    """Cross-validated scores of three tiny models on a subsample (accuracy or R²)."""
    from sklearn.base import clone
    from sklearn.linear_model import Ridge
    from sklearn.model_selection import KFold, StratifiedKFold
    from sklearn.naive_bayes import GaussianNB
    from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor
    from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

    rows = _row_subset(len(X), LANDMARK_MAX_ROWS, rng)
    features = _encoded(X.iloc[rows], categorical)
    target = y[rows]
    classification = task in CLASSIFICATION_TASKS
    if classification:
        target = target.astype(str)
        _, counts = np.unique(target, return_counts=True)
        folds = min(3, int(counts.min()))
        if folds < 2:
            return {}
        splitter: Any = StratifiedKFold(folds, shuffle=True, random_state=0)
        models = {
            "landmark_stump": DecisionTreeClassifier(max_depth=1, random_state=0),
            "landmark_naive_bayes": GaussianNB(),
            "landmark_1nn": KNeighborsClassifier(n_neighbors=1),
        }
    else:
        target = target.astype(float)
        if len(target) < 6:
            return {}
        splitter = KFold(3, shuffle=True, random_state=0)
        models = {
            "landmark_stump": DecisionTreeRegressor(max_depth=1, random_state=0),
            "landmark_linear": Ridge(alpha=1e-3),
            "landmark_1nn": KNeighborsRegressor(n_neighbors=1),
        }
    out = {}
    folds = list(splitter.split(features, target))
    for name, model in models.items():
        # the estimators' own score (accuracy or R²), as cross_val_score's default; called
        # directly, since its scorer machinery cost more than these tiny fits
        scores = [
            clone(model).fit(features[train], target[train]).score(features[test], target[test])
            for train, test in folds
        ]
        # R² of a bad regressor is unbounded below; clip so one outlier can't dominate distances
        out[name] = float(np.clip(np.nanmean(scores), -1.0, 1.0))
    return out


def _encoded(X: pd.DataFrame, categorical: list) -> np.ndarray:
    """Ordinal-coded categoricals, median-imputed, standardized: fit for all three landmarkers."""
    columns = []
    for name in X.columns:
        column = X[name]
        if name in categorical:
            codes = pd.Series(pd.Categorical(column.astype("string")).codes, dtype=float)
            columns.append(codes.where(codes >= 0).to_numpy())
        else:
            columns.append(pd.to_numeric(column, errors="coerce").to_numpy(dtype=float))
    if not columns:
        return np.zeros((len(X), 1))
    values = np.column_stack(columns)
    medians = np.nanmedian(values, axis=0)
    values = np.where(np.isnan(values), np.where(np.isnan(medians), 0.0, medians), values)
    scale = values.std(axis=0)
    return (values - values.mean(axis=0)) / np.where(scale > 0, scale, 1.0)


def _row_subset(n_rows: int, limit: int, rng: np.random.Generator) -> np.ndarray:
    if n_rows <= limit:
        return np.arange(n_rows)
    return np.sort(rng.choice(n_rows, limit, replace=False))
