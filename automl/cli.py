"""The ``automl`` command: fit a model on a table (CSV, Parquet, Feather), predict with it.

Errors are printed as one line naming the problem (a missing file, an unknown column, a bad
metric) before any long work starts, and the exit code is 2, as for any argument error.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import joblib
import pandas as pd

from automl import plugins
from automl.cli_fit import prepare_fit
from automl.cli_options import add_csv_arguments, add_fit_arguments
from automl.estimator import AutoMLClassifier, AutoMLRegressor
from automl.history import HistoryError
from automl.history.cli import add_history_commands
from automl.report.cli import add_report_command
from automl.tables_io import FORMATS, TableError, read_table, write_table


class UsageError(Exception):
    """A problem with what the user asked for; printed without a traceback."""


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    verbose = getattr(args, "verbose", False)  # a contributed command need not offer -v
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, format="%(message)s")
    try:
        return args.run(args)
    except (UsageError, HistoryError, TableError) as error:
        parser.exit(2, f"automl: error: {' '.join(str(error).split())}\n")
    except KeyboardInterrupt:
        parser.exit(130, "automl: interrupted\n")
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="automl",
        description="AutoML for tabular data: fit a model on a table, predict with it.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    fit = commands.add_parser(
        "fit",
        help="search for a strong model and save it",
        description="Search pipelines on DATA (CSV, Parquet or Feather) and save the best model.",
    )
    add_fit_arguments(fit)
    fit.set_defaults(run=_fit)

    predict = commands.add_parser(
        "predict",
        help="predict with a saved model",
        description="Predict the target for each row of DATA (CSV, Parquet or Feather).",
    )
    predict.add_argument("model", metavar="MODEL", help="a model saved by 'automl fit'")
    predict.add_argument("data", metavar="DATA", help="rows to predict, same columns as training")
    predict.add_argument(
        "--out",
        help="file for the predictions: .csv, .parquet or .feather (default: CSV on standard "
        "output)",
    )
    _add_format_arguments(predict)
    predict.add_argument("--proba", action="store_true", help="also write class probabilities")
    predict.add_argument("-v", "--verbose", action="store_true", help=argparse.SUPPRESS)
    predict.set_defaults(run=_predict)

    importance = commands.add_parser(
        "importance",
        help="which columns a saved model relies on",
        description="Permutation importance of a saved model's columns on DATA (which "
        "must hold the target column): the increase of the fit's loss when a column is "
        "shuffled, with its spread over the repeats.",
    )
    importance.add_argument("model", metavar="MODEL", help="a model saved by 'automl fit'")
    importance.add_argument("data", metavar="DATA", help="rows with the target column")
    importance.add_argument("--repeats", type=int, default=5, help="shuffles per column")
    importance.add_argument(
        "--max-rows", type=int, default=5000, help="rows used at most, a random sample (0: all)"
    )
    importance.add_argument(
        "--time-limit",
        type=float,
        default=60.0,
        metavar="S",
        help="no new repeat after this many seconds",
    )
    importance.add_argument("--random-state", type=int, default=0)
    importance.add_argument(
        "--out", help="file for the table: .csv, .parquet or .feather (default: print it)"
    )
    _add_format_arguments(importance)
    importance.add_argument("-v", "--verbose", action="store_true", help=argparse.SUPPRESS)
    importance.set_defaults(run=_importance)

    _add_export_command(commands)
    add_history_commands(commands)
    add_report_command(commands)
    _add_installed_commands(commands)
    return parser


def _add_export_command(commands: argparse._SubParsersAction) -> None:
    export = commands.add_parser(
        "export",
        help="convert a saved model to ONNX",
        description="Convert a saved model, preprocessing included, to an ONNX file with one "
        "input per column. The converted model is run on rows of --sample and compared with "
        'the original before the file is written (needs: pip install "automl[onnx]").',
    )
    export.add_argument("model", metavar="MODEL", help="a model saved by 'automl fit'")
    export.add_argument("--format", choices=["onnx"], default="onnx", help="default onnx")
    export.add_argument(
        "--sample",
        required=True,
        metavar="DATA.csv",
        help="rows to verify the export on, same columns as training (a target column is ignored)",
    )
    export.add_argument("--output", "-o", help="the file to write (default: MODEL with .onnx)")
    export.add_argument(
        "--max-rows", type=int, default=1000, help="sample rows verified at most (default 1000)"
    )
    export.add_argument("--rtol", type=float, help="relative tolerance (default 1e-4)")
    export.add_argument("--atol", type=float, help="absolute tolerance (default 1e-4)")
    export.add_argument("-v", "--verbose", action="store_true", help=argparse.SUPPRESS)
    export.set_defaults(run=_export)


def _export(args: argparse.Namespace) -> int:
    from automl.onnx_export import DEFAULT_ATOL, DEFAULT_RTOL, export_onnx

    estimator = load_model(args.model)
    frame, _ = read_rows(estimator, args.sample)
    output = args.output or str(Path(args.model).with_suffix(".onnx"))
    try:
        report = export_onnx(
            estimator,
            output,
            frame,
            max_rows=args.max_rows,
            rtol=DEFAULT_RTOL if args.rtol is None else args.rtol,
            atol=DEFAULT_ATOL if args.atol is None else args.atol,
        )
    except (ImportError, ValueError, TypeError, OSError) as error:
        raise UsageError(str(error).replace("\n", " ")) from error
    print(
        f"automl: ONNX model written to {report.path} (opset {report.opset}, "
        f"{len(report.inputs)} inputs, outputs {', '.join(report.outputs)}); it matches the "
        f"original on {report.rows_verified} sample rows (largest difference "
        f"{report.max_abs_difference:.3g}, tolerance atol={report.atol:g} + "
        f"rtol={report.rtol:g} x |value|)",
        file=sys.stderr,
    )
    return 0


def _add_installed_commands(commands: argparse._SubParsersAction) -> None:
    """Subcommands other installed packages contribute (``automl metabase`` comes from
    metalearning): found by entry point, so this module never imports them."""
    for name, entry in sorted(plugins.installed(plugins.COMMANDS).items()):
        try:
            add_command = entry.load()
        except ImportError as error:  # a broken add-on must not take `automl fit` down with it
            print(
                f"automl: warning: command {name!r} ({entry.value}) cannot be loaded: {error}",
                file=sys.stderr,
            )
            continue
        add_command(commands)


def _add_format_arguments(command: argparse.ArgumentParser) -> None:
    command.add_argument("--format", choices=FORMATS, help="format of DATA (default: extension)")
    add_csv_arguments(command)
    command.add_argument(
        "--out-format", choices=FORMATS, help="format of --out (default: its extension)"
    )


def _fit(args: argparse.Namespace) -> int:
    try:
        job = prepare_fit(args)
    except ValueError as error:
        raise UsageError(str(error)) from error
    X, estimator = job.table.X, job.estimator
    print(
        f"automl: {job.task} on {len(X)} rows x {X.shape[1]} columns, "
        f"target {args.target!r}, budget {args.time_budget:g} s",
        file=sys.stderr,
    )
    try:
        estimator.fit(X, job.table.y, **job.fit_keywords)
    except (ValueError, TypeError) as error:
        raise UsageError(str(error)) from error
    estimator.target_name_ = args.target
    # the group and weight columns are in the file but not features: predict drops them too
    estimator.non_feature_columns_ = job.table.non_feature_columns
    joblib.dump(estimator, args.out)
    board = estimator.leaderboard()
    print(
        f"automl: best {estimator.metric_} = {estimator.best_score_} "
        f"({estimator.best_config_ and estimator.best_config_['model']}); "
        f"{len(board)} trials in {estimator.fit_time_:.1f} s; model saved to {args.out}",
        file=sys.stderr,
    )
    return 0


def load_model(path: str) -> Any:
    if not Path(path).is_file():
        raise UsageError(f"model file not found: {path}")
    try:
        estimator = joblib.load(path)
    except Exception as error:
        raise UsageError(f"cannot load a model from {path}: {error}") from error
    if not isinstance(estimator, (AutoMLClassifier, AutoMLRegressor)):
        raise UsageError(f"{path} does not hold a model saved by 'automl fit'.")
    return estimator


def read_rows(
    estimator: Any,
    path: str,
    format: str | None = None,
    *,
    sep: str | None = None,
    encoding: str | None = None,
) -> tuple[pd.DataFrame, pd.Series | None]:
    """The rows of a file as the model was fitted on them, and its target column if present."""
    names = getattr(estimator, "feature_names_in_", None)
    features = set(names if names is not None else [])
    categorical = [c for c in estimator.schema_.categorical if c in features]
    frame = read_table(path, format, categorical, sep=sep, encoding=encoding)
    aside = [c for c in getattr(estimator, "non_feature_columns_", ()) if c not in features]
    frame = frame.drop(columns=[c for c in aside if c in frame.columns])
    target = getattr(estimator, "target_name_", None)
    if target in frame.columns and target not in features:
        return frame.drop(columns=[target]), frame[target]
    return frame, None


def _importance(args: argparse.Namespace) -> int:
    estimator = load_model(args.model)
    frame, y = read_rows(estimator, args.data, args.format, sep=args.sep, encoding=args.encoding)
    if y is None:
        target = getattr(estimator, "target_name_", None) or "the target"
        raise UsageError(f"{args.data} has no column {target!r}: importance needs the true values.")
    try:
        table = estimator.feature_importance(
            frame,
            y,
            n_repeats=args.repeats,
            max_rows=args.max_rows or None,
            time_limit=args.time_limit,
            random_state=args.random_state,
        )
    except (ValueError, TypeError) as error:
        raise UsageError(str(error)) from error
    if args.out:
        write_table(table, args.out, args.out_format)
        print(f"automl: importance of {len(table)} columns written to {args.out}", file=sys.stderr)
    else:
        print(
            f"loss increase on {estimator.metric_} when the column is shuffled "
            f"({table.attrs['rows']} rows, {int(table['repeats'].min())}+ repeats)"
        )
        print(table.to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    return 0


def _predict(args: argparse.Namespace) -> int:
    estimator = load_model(args.model)
    frame, _ = read_rows(estimator, args.data, args.format, sep=args.sep, encoding=args.encoding)
    try:
        output = pd.DataFrame({"prediction": estimator.predict(frame)})
        if args.proba:
            if not hasattr(estimator, "predict_proba"):
                raise UsageError("--proba needs a classification model.")
            proba = estimator.predict_proba(frame)
            for i, label in enumerate(estimator.classes_):
                output[f"proba_{label}"] = proba[:, i]
    except (ValueError, TypeError) as error:
        raise UsageError(str(error)) from error
    if args.out:
        write_table(output, args.out, args.out_format)
        print(f"automl: {len(output)} predictions written to {args.out}", file=sys.stderr)
    else:
        output.to_csv(sys.stdout, index=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
