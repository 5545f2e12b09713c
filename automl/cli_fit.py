"""The options of ``automl fit`` and what they become: the estimator's parameters, grouped in
``--help`` as the README's parameter table groups them, and the arguments of ``fit``.

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

from automl.csv_reading import check_encoding, parse_separator
from automl.data import BINARY, REGRESSION, as_regression_target, as_target, encode_classes
from automl.estimator import AutoMLClassifier, AutoMLRegressor
from automl.metrics import get_metric
from automl.presets import PRESETS
from automl.search import STRATEGIES
from automl.settings import make_settings
from automl.space import FAMILIES, FAMILY_GROUPS, expand_families
from automl.tables_io import FORMATS, read_table

CLASSIFICATION_MAX_INTEGER_LABELS = 10


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


def add_fit_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``automl fit``, in the groups of the README's parameter table."""
    data = parser.add_argument_group("data")
    data.add_argument(
        "data", metavar="DATA", help="training data: .csv (.tsv, .gz), .parquet, .feather"
    )
    data.add_argument("--target", required=True, help="name of the column to predict")
    data.add_argument(
        "--task",
        choices=["auto", "classification", "regression"],
        default="auto",
        help="default: classification for text/bool targets or up to "
        f"{CLASSIFICATION_MAX_INTEGER_LABELS} integer values, else regression",
    )
    data.add_argument("--format", choices=FORMATS, help="format of DATA (default: its extension)")
    add_csv_arguments(data)
    data.add_argument(
        "--categorical",
        type=_names,
        default=(),
        metavar="COLUMNS",
        help="comma-separated columns to treat as categorical even if they look numeric",
    )
    data.add_argument(
        "--group-column",
        metavar="COLUMN",
        help="rows sharing a value stay on one side of every validation split (not a feature)",
    )
    data.add_argument(
        "--weight-column", metavar="COLUMN", help="sample weights of the rows (not a feature)"
    )
    data.add_argument(
        "--dataset-name",
        metavar="NAME",
        help="what the history calls these data (default: file name)",
    )

    budget = parser.add_argument_group("budget and resources")
    budget.add_argument(
        "--time-budget",
        type=float,
        default=60.0,
        metavar="S",
        help="wall-clock seconds for the whole fit (default 60)",
    )
    budget.add_argument("--n-jobs", type=int, default=-1, help="trials at once (-1: all cores)")
    budget.add_argument(
        "--no-keep-workers",
        dest="keep_workers",
        action="store_false",
        help="shut the worker processes down when the fit ends (a command exits anyway)",
    )
    budget.add_argument(
        "--per-trial-time-limit",
        type=_auto_none_or_number,
        default="auto",
        metavar="S",
        help="seconds for one trial, 'auto' (a quarter of the budget, at least 10) or 'none'",
    )
    budget.add_argument(
        "--memory-limit",
        type=_auto_none_or_number,
        default="auto",
        metavar="MB",
        help="MB for one trial, 'auto' (80%% of the memory shared by the workers) or 'none'",
    )
    budget.add_argument(
        "--fit-memory-limit",
        type=float,
        default=None,
        metavar="MB",
        help="MB for the whole fit: this process, its workers and their trials together",
    )

    search = parser.add_argument_group("search")
    search.add_argument(
        "--metric", help="scikit-learn scorer name, e.g. roc_auc, log_loss, rmse, r2"
    )
    search.add_argument(
        "--resampling",
        type=_resampling,
        default="auto",
        metavar="HOW",
        help="auto (default), cv (5 folds), cvN or N (N folds), holdout (80/20)",
    )
    search.add_argument(
        "--strategy",
        choices=list(STRATEGIES),
        default="bo",
        help="search strategy (default bo: Bayesian optimization)",
    )
    search.add_argument(
        "--successive-halving",
        choices=["auto", "on", "off"],
        default="auto",
        help="try configurations on a part of the rows first (auto: from 20,000 rows)",
    )
    known = ", ".join(list(FAMILIES) + list(FAMILY_GROUPS))
    search.add_argument(
        "--include",
        type=_names,
        metavar="NAMES",
        help=f"comma-separated model families or groups to search only: {known}",
    )
    search.add_argument(
        "--exclude", type=_names, metavar="NAMES", help="model families or groups to leave out"
    )
    search.add_argument("--max-trials", type=int, metavar="N", help="stop after this many trials")
    search.add_argument(
        "--random-state", type=int, metavar="SEED", help="seed for reproducible runs"
    )

    ensemble = parser.add_argument_group("final model")
    ensemble.add_argument(
        "--preset",
        choices=list(PRESETS),
        default="default",
        help="how the final model is built: "
        + "; ".join(f"{p.name}: {p.description}" for p in PRESETS.values()),
    )
    ensemble.add_argument(
        "--ensemble-size",
        type=int,
        metavar="N",
        help="rounds of ensemble selection (1: the best single pipeline; default: the preset's)",
    )
    ensemble.add_argument(
        "--ensemble-max-members", type=int, metavar="N", help="distinct members at most"
    )
    ensemble.add_argument(
        "--ensemble-max-latency",
        type=float,
        metavar="MS",
        help="summed prediction latency of the members at most (ms per 1,000 rows)",
    )
    ensemble.add_argument(
        "--ensemble-refit",
        choices=["auto", "yes", "no"],
        default="auto",
        help="refit members on all rows (yes), use their fold models (no), or the preset's",
    )

    history = parser.add_argument_group("warm start and history")
    history.add_argument(
        "--warm-start",
        choices=["auto", "metabase", "history", "none"],
        default="auto",
        help="where the first configurations come from",
    )
    history.add_argument(
        "--history",
        default="auto",
        metavar="URL",
        help="record the run in this history store: a database URL or SQLite path "
        "(default: $AUTOML_HISTORY, else the local file); 'none' to not record",
    )
    history.add_argument(
        "--history-strict",
        action="store_true",
        help="stop the fit if the history store fails (default: warn and go on)",
    )
    history.add_argument(
        "--mlflow-tracking",
        metavar="URI",
        help="log the fit to MLflow at this tracking URI ('mlflow' for MLflow's own; "
        "default: only if $AUTOML_MLFLOW_TRACKING_URI is set)",
    )

    output = parser.add_argument_group("output")
    output.add_argument(
        "--out", default="model.joblib", help="where to save the model (default model.joblib)"
    )
    output.add_argument("-v", "--verbose", action="store_true", help="log details of the search")
    output.add_argument("-q", "--quiet", action="store_true", help="no progress line")


def add_csv_arguments(parser: argparse.ArgumentParser | argparse._ArgumentGroup) -> None:
    """--sep and --encoding, for a CSV file that the first bytes do not describe."""
    parser.add_argument(
        "--sep",
        type=_separator,
        metavar="CHAR",
        help="field separator of a CSV file, e.g. ';' or tab (default: found from its first "
        "lines among , ; tab |)",
    )
    parser.add_argument(
        "--encoding",
        type=_encoding,
        help="text encoding of a CSV file, e.g. latin-1 (default: UTF-8, or UTF-16/32 when "
        "the file starts with a byte-order mark)",
    )


def prepare_fit(args: argparse.Namespace) -> FitJob:
    """Check the options, then read the data and check its columns; no search yet."""
    params = estimator_params(args)
    folder = Path(args.out).parent
    if not folder.is_dir():
        raise ValueError(f"cannot save the model to {args.out}: there is no folder {folder}")
    frame = read_table(
        args.data, args.format, args.categorical, sep=args.sep, encoding=args.encoding
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
        "warm_start": None if args.warm_start == "none" else args.warm_start,
        "history": None if args.history.lower() == "none" else args.history,
        "history_strict": args.history_strict,
        "mlflow_tracking": True if args.mlflow_tracking == "mlflow" else args.mlflow_tracking,
        "preset": args.preset,
        "ensemble_size": _auto_if_none(args.ensemble_size),
        "ensemble_max_members": _auto_if_none(args.ensemble_max_members),
        "ensemble_max_latency": _auto_if_none(args.ensemble_max_latency),
        "ensemble_refit": {"auto": "auto", "yes": True, "no": False}[args.ensemble_refit],
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
    missing = [c for c in args.categorical if c not in frame.columns]
    if missing:
        raise ValueError(f"--categorical names columns not in {args.data}: {missing}")
    X = frame.drop(columns=list(named.values()))
    for column in args.categorical:
        if column in X.columns:
            X[column] = X[column].astype("category")
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


# ---------------------------------------------------------------- option types


def _names(text: str) -> tuple[str, ...]:
    return tuple(name.strip() for name in text.split(",") if name.strip())


def _separator(text: str) -> str:
    try:
        return parse_separator(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _encoding(text: str) -> str:
    try:
        check_encoding(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
    return text


def _auto_none_or_number(text: str) -> str | float | None:
    if text.lower() in ("auto", "none"):
        return None if text.lower() == "none" else "auto"
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"use a number, 'auto' or 'none', not {text!r}") from None


def _auto_if_none(value: Any) -> Any:
    """An ensemble option not given on the command line: the preset decides."""
    return "auto" if value is None else value


def _resampling(text: str) -> str | int:
    value = text.strip().lower()
    if value in ("auto", "cv", "holdout"):
        return value
    folds = value[2:] if value.startswith("cv") else value
    if folds.isdigit() and int(folds) >= 2:
        return int(folds)
    raise argparse.ArgumentTypeError(
        f"{text!r} is not understood; use auto, cv (5 folds), cvN or N (N >= 2 folds) or holdout"
    )


def _as_option(message: str) -> str:
    """The estimator's message about ``time_budget`` speaks of ``--time-budget``."""
    return re.sub(r"^([a-z_]+)\b", lambda m: "--" + m.group(1).replace("_", "-"), message)
