"""The options of ``automl fit``, grouped in ``--help`` as the README's parameter table groups
them, and the types that read their values. What they become is ``automl.cli_fit``'s job."""

from __future__ import annotations

import argparse

from automl.csv_reading import check_encoding, parse_separator
from automl.presets import PRESETS
from automl.search import STRATEGIES
from automl.space import FAMILIES, FAMILY_GROUPS
from automl.tables_io import FORMATS
from automl.trials.resampling import cv_folds_and_repeats

CLASSIFICATION_MAX_INTEGER_LABELS = 10


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
        help="comma-separated columns to treat as categorical even if they look numeric "
        "or like free text",
    )
    data.add_argument(
        "--text",
        type=_names,
        default=(),
        metavar="COLUMNS",
        help="comma-separated columns to read as free text (default: string columns that "
        "read like prose or names)",
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
        help="auto (default), cv (5 folds), cvN or N (N folds), cvNxR (N folds repeated R "
        "times), holdout (80/20)",
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
    search.add_argument(
        "--early-stopping",
        action="store_true",
        help="boosting trials stop growing when a tenth of their training rows stops improving",
    )
    search.add_argument(
        "--reshuffle-splits",
        action="store_true",
        help="each trial gets its own shuffle of the cross-validation folds",
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
    ensemble.add_argument(
        "--second-layer",
        choices=["auto", "yes", "no"],
        default="auto",
        help="a second stacking layer over the first layer's out-of-fold predictions (yes), "
        "none (no), or the preset's",
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


def _resampling(text: str) -> str | int:
    value = text.strip().lower()
    if value in ("auto", "cv", "holdout"):
        return value
    spec = value[2:] if value.startswith("cv") else value
    parsed = cv_folds_and_repeats("cv" + spec) if spec[:1].isdigit() else None
    if parsed and parsed[0] >= 2 and parsed[1] != 0:
        folds, repeats = parsed
        return folds if repeats is None else f"cv{folds}x{repeats}"
    raise argparse.ArgumentTypeError(
        f"{text!r} is not understood; use auto, cv (5 folds), cvN or N (N >= 2 folds), "
        "cvNxR (N folds repeated R times) or holdout"
    )
