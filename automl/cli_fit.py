"""What the options of ``automl fit`` (``automl.cli_options``) become: the estimator's
parameters and the arguments of ``fit``.

Everything here is checked before the data is read (the estimator's own validation, so the
errors are the same as in Python) and the columns right after, before the search starts.
Problems are ``ValueError``s with a one-line message; the command prints them as usage errors.
"""

from __future__ import annotations

import argparse
import difflib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from automl.cli_options import CLASSIFICATION_MAX_INTEGER_LABELS
from automl.data import BINARY, REGRESSION
from automl.estimator import AutoMLClassifier, AutoMLRegressor
from automl.metrics import get_metric
from automl.settings import make_settings
from automl.space import expand_families
from automl.tables_io import read_table
from automl.training_data import as_regression_target, as_target, encode_classes


@dataclass(frozen=True)
class TrainingTable:
    """The columns of the data file as ``fit`` takes them."""

    X: pd.DataFrame
    y: pd.Series
    groups: np.ndarray | None = None
    sample_weight: np.ndarray | None = None
    non_feature_columns: tuple[str, ...] = ()  # the group and weight columns


@dataclass(frozen=True)
class FitJob:
    """A checked ``automl fit``: the estimator to fit and what to fit it on."""

    estimator: AutoMLClassifier | AutoMLRegressor
    task: str  # "classification" or "regression"
    table: TrainingTable
    fit_keywords: dict[str, Any]


def prepare_fit(args: argparse.Namespace) -> FitJob:
    """Check the options, then read the data and check its columns; no search yet."""
    params = estimator_params(args)
    folder = Path(args.out).parent
    if not folder.is_dir():
        raise ValueError(f"cannot save the model to {args.out}: there is no folder {folder}")
    frame = read_table(
        args.data,
        args.format,
        [*args.categorical, *args.text],  # read as strings from a CSV
        sep=args.sep,
        encoding=args.encoding,
    )
    table = training_table(frame, args)
    task = infer_task(table.y) if args.task == "auto" else args.task
    check_rows(table, task, args)
    if args.metric is not None:
        get_metric(args.metric, BINARY if task == "classification" else REGRESSION)
    estimator_class = AutoMLClassifier if task == "classification" else AutoMLRegressor
    estimator = estimator_class(**params)
    dataset_name = args.dataset_name or Path(args.data).name
    return FitJob(estimator, task, table, fit_keywords(table, dataset_name))


def estimator_params(args: argparse.Namespace) -> dict[str, Any]:
    """The estimator's parameters the options ask for, validated as ``fit`` validates them."""
    params = {
        "time_budget": args.time_budget,
        "metric": args.metric,
        "n_jobs": args.n_jobs,
        "keep_workers": args.keep_workers,
        "per_trial_time_limit": args.per_trial_time_limit,
        "memory_limit": args.memory_limit,
        "fit_memory_limit": args.fit_memory_limit,
        "resampling": args.resampling,
        "strategy": args.strategy,
        "successive_halving": {"auto": "auto", "on": True, "off": False}[args.successive_halving],
        "early_stopping": args.early_stopping,
        "reshuffle_splits": args.reshuffle_splits,
        "warm_start": None if args.warm_start == "none" else args.warm_start,
        "history": None if args.history.lower() == "none" else args.history,
        "history_strict": args.history_strict,
        "mlflow_tracking": True if args.mlflow_tracking == "mlflow" else args.mlflow_tracking,
        "preset": args.preset,
        "ensemble_size": _auto_if_none(args.ensemble_size),
        "ensemble_max_members": _auto_if_none(args.ensemble_max_members),
        "ensemble_max_latency": _auto_if_none(args.ensemble_max_latency),
        "ensemble_refit": {"auto": "auto", "yes": True, "no": False}[args.ensemble_refit],
        "second_layer": {"auto": "auto", "yes": True, "no": False}[args.second_layer],
        "include": args.include,
        "exclude": args.exclude,
        "max_trials": args.max_trials,
        "random_state": args.random_state,
        "verbose": 0 if args.quiet else 1,
    }
    for option in ("include", "exclude"):
        if params[option] is not None:
            if not params[option]:
                raise ValueError(f"--{option} names no model family.")
            params[option] = list(params[option])
            expand_families(params[option], argument=f"--{option}")
    try:
        make_settings(AutoMLRegressor(**params).get_params())
    except ValueError as error:
        raise ValueError(_as_option(str(error))) from error
    return params


def training_table(frame: pd.DataFrame, args: argparse.Namespace) -> TrainingTable:
    """Split the file's columns into features, target, groups and weights (by name)."""
    roles = {"target": args.target, "group": args.group_column, "weight": args.weight_column}
    named = {role: column for role, column in roles.items() if column is not None}
    for role, column in named.items():
        if column not in frame.columns:
            close = difflib.get_close_matches(column, [str(c) for c in frame.columns], n=3)
            hint = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
            raise ValueError(
                f"{role} column {column!r} is not in {args.data}.{hint} "
                f"Columns: {', '.join(map(str, frame.columns[:20]))}"
            )
    if len(set(named.values())) < len(named):
        raise ValueError(f"one column cannot have two roles: {named}")
    for option, columns in (("--categorical", args.categorical), ("--text", args.text)):
        missing = [c for c in columns if c not in frame.columns]
        if missing:
            raise ValueError(f"{option} names columns not in {args.data}: {missing}")
    both = sorted(set(args.categorical) & set(args.text))
    if both:
        raise ValueError(f"columns cannot be both --categorical and --text: {both}")
    X = frame.drop(columns=list(named.values()))
    for column in args.categorical:
        if column in X.columns:
            X[column] = X[column].astype("category")
    for column in args.text:
        if column in X.columns:
            X[column] = X[column].astype("string")
    groups = None if args.group_column is None else frame[args.group_column].to_numpy()
    # the weights' values are fit's to check, as for any caller
    weights = None if args.weight_column is None else frame[args.weight_column].to_numpy()
    aside = tuple(c for c in (args.group_column, args.weight_column) if c is not None)
    return TrainingTable(X, frame[args.target], groups, weights, aside)


def check_rows(table: TrainingTable, task: str, args: argparse.Namespace) -> None:
    """What fit would refuse in the rows, found before the command prints that the search
    starts (so a bad file gives one line): no rows, no feature, an unusable target."""
    X, y, target = table.X, table.y, args.target
    if len(X) == 0:
        raise ValueError(f"{args.data} has no data rows, only a header.")
    if X.shape[1] == 0:
        raise ValueError(f"{args.data} has no feature column besides the target {target!r}.")
    missing = y.isna().to_numpy()
    if missing.all():
        raise ValueError(f"target column {target!r} is empty in every row of {args.data}.")
    if missing.any():
        rows = np.flatnonzero(missing) + 1
        shown = ", ".join(map(str, rows[:5])) + (", ..." if len(rows) > 5 else "")
        raise ValueError(
            f"target column {target!r} is empty in {len(rows)} of {len(y)} rows of "
            f"{args.data} (data rows {shown}, counting from 1 after the header); drop those "
            "rows or fill them in."
        )
    if X.isna().all().all():
        raise ValueError(f"every feature column of {args.data} is empty.")
    try:
        values = as_target(y, len(X))
        if task == "classification":
            encode_classes(values)
        else:
            as_regression_target(values)
    except ValueError as error:
        raise ValueError(f"target column {target!r}: {error}") from error
    if len(X) < 2:
        raise ValueError(f"{args.data} has {len(X)} data row; at least 2 are needed to fit.")


def fit_keywords(table: TrainingTable, dataset_name: str) -> dict[str, Any]:
    """The keyword arguments of ``fit`` besides X and y."""
    keywords: dict[str, Any] = {"dataset_name": dataset_name}
    if table.groups is not None:
        keywords["groups"] = table.groups
    if table.sample_weight is not None:
        keywords["sample_weight"] = table.sample_weight
    return keywords


def infer_task(y: pd.Series) -> str:
    """Classification for text, bool and few integer labels, else regression."""
    if not pd.api.types.is_numeric_dtype(y) or pd.api.types.is_bool_dtype(y):
        return "classification"
    values = y.dropna().to_numpy(dtype=float)
    whole = np.all(np.mod(values, 1) == 0)
    if whole and len(np.unique(values)) <= CLASSIFICATION_MAX_INTEGER_LABELS:
        return "classification"
    return "regression"


def _auto_if_none(value: Any) -> Any:
    """An ensemble option not given on the command line: the preset decides."""
    return "auto" if value is None else value


def _as_option(message: str) -> str:
    """The estimator's message about ``time_budget`` speaks of ``--time-budget``."""
    return re.sub(r"^([a-z_]+)\b", lambda m: "--" + m.group(1).replace("_", "-"), message)
