"""export_onnx: convert a fitted estimator's final model, verify it, then write it."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.utils.validation import check_is_fitted

from automl.data import REGRESSION, align_columns, to_model_frame
from automl.onnx_export.members import OnnxExportError

# Float32 arithmetic (the ONNX runtime's) against float64 (the original's): a prediction
# may differ by atol + rtol * |original|.
DEFAULT_RTOL = 1e-4
DEFAULT_ATOL = 1e-4


@dataclass(frozen=True)
class OnnxExportReport:
    """What ``export_onnx`` wrote and how closely it matched the original model."""

    path: str
    opset: int  # of the default ONNX domain
    inputs: tuple[str, ...]  # one per column, named as yours
    outputs: tuple[str, ...]
    rows_verified: int
    max_abs_difference: float  # of probabilities (classifier) or predictions (regressor)
    rtol: float
    atol: float
    seconds: float  # conversion and verification


def export_onnx(
    estimator: Any,
    path: str | os.PathLike,
    sample: Any,
    *,
    max_rows: int = 1000,
    rtol: float = DEFAULT_RTOL,
    atol: float = DEFAULT_ATOL,
) -> OnnxExportReport:
    """Write ``estimator``'s final model, preprocessing included, as an ONNX file at ``path``.

    The model is run with onnxruntime on up to ``max_rows`` rows of ``sample`` (a table with
    the fitted columns, e.g. some training rows; a target column is not allowed) and compared
    with ``predict_proba`` (classifier) or ``predict`` (regressor) before anything is written:
    every value must be within ``atol + rtol * |original|``, and every label must agree except
    where the original's two most likely classes are closer than that. Otherwise an
    ``OnnxExportError`` says by how much they differ, and no file is written.

    Inputs: one per column the model uses, named as your column: numeric columns a
    ``float`` tensor of shape ``[N, 1]`` (NaN for missing), categorical columns a ``string``
    tensor of shape ``[N, 1]`` (a value not seen at fit time, e.g. ``""``, counts as
    missing). ``onnx_inputs(estimator, X)`` builds them from a table. Outputs: ``label`` and
    ``probabilities`` (``[N, K]``, columns in ``classes_`` order) for a classifier,
    ``prediction`` (``[N]``) for a regressor.

    Supported: pipelines of imputed, scaled (standard, robust), one-hot, ordinal or target
    encoded features (rare categories grouped or not; target encoding not for more than two
    classes), PCA and feature selection over scikit-learn models, LightGBM and XGBoost (their
    native categorical splits included), and weighted averages of them (ensembles, fold
    models). Anything else (a sparse matrix, datetime or free-text columns, quantile scaling,
    HistGradientBoosting's native categorical splits, a custom piece) raises an
    ``OnnxExportError`` naming the piece.
    """
    from automl.onnx_export.converters import register_boosters, require_onnx_libraries
    from automl.onnx_export.graph import OPSET, build_model
    from automl.onnx_export.members import members_of

    require_onnx_libraries()
    check_is_fitted(estimator, "model_")
    if not isinstance(max_rows, int) or isinstance(max_rows, bool) or max_rows < 1:
        raise ValueError(f"max_rows must be a positive integer, got {max_rows!r}.")
    for name, value in (("rtol", rtol), ("atol", atol)):
        if not isinstance(value, (int, float)) or not value >= 0:
            raise ValueError(f"{name} must be a number >= 0, got {value!r}.")
    if estimator.schema_.sparse:
        raise OnnxExportError(
            "the model was fitted on a sparse matrix, which has no ONNX export here (its "
            "inputs would be one tensor per column). Fit on a dense table to export."
        )
    started = time.perf_counter()
    register_boosters()
    classes = None if estimator.task_ == REGRESSION else np.asarray(estimator.classes_)
    families = [m.get("model") for m in getattr(estimator, "ensemble_", [])]
    members = members_of(
        estimator.model_, estimator.schema_, families, None if classes is None else len(classes)
    )
    threshold = getattr(estimator, "decision_threshold_", None)
    model, outputs = build_model(estimator.schema_, members, classes, threshold=threshold)
    rows = _sample_rows(estimator, sample, max_rows)
    difference = verify(estimator, model, rows, rtol=rtol, atol=atol)
    seconds = time.perf_counter() - started
    target = Path(path)
    target.write_bytes(model.SerializeToString())
    names = (outputs.label, outputs.probabilities, outputs.prediction)
    return OnnxExportReport(
        path=str(target),
        opset=OPSET,
        inputs=tuple(i.name for i in model.graph.input),
        outputs=tuple(n for n in names if n is not None),
        rows_verified=len(rows),
        max_abs_difference=difference,
        rtol=float(rtol),
        atol=float(atol),
        seconds=seconds,
    )


def onnx_inputs(estimator: Any, X: Any) -> dict[str, np.ndarray]:
    """The exported model's inputs for the rows of ``X`` (a table with the fitted columns):
    float32 ``[N, 1]`` arrays for numeric columns, string ``[N, 1]`` arrays for categorical
    ones (missing and unseen values as ``""``)."""
    check_is_fitted(estimator, "model_")
    schema = estimator.schema_
    frame = align_columns(schema, X, estimator_name=type(estimator).__name__)
    model_frame = to_model_frame(schema, frame)
    used = [c for c in schema.input_names if c not in schema.dropped and c not in schema.datetime]
    feeds: dict[str, np.ndarray] = {}
    for column in used:
        values = model_frame[schema.model_names.get(column, column)]
        if column in schema.categorical:
            strings = values.astype(object).where(values.notna(), "")
            feeds[column] = np.asarray(strings, dtype=object).reshape(-1, 1)
        else:
            feeds[column] = values.to_numpy(dtype=np.float32).reshape(-1, 1)
    return feeds


def _sample_rows(estimator: Any, sample: Any, max_rows: int) -> Any:
    if sample is None:
        raise ValueError(
            "export_onnx needs sample rows to verify the exported model on (e.g. some of "
            "the training rows); pass them as sample=."
        )
    frame = align_columns(estimator.schema_, sample, estimator_name=type(estimator).__name__)
    if len(frame) > max_rows:
        frame = frame.sample(n=max_rows, random_state=0).sort_index()
    return frame


def verify(estimator: Any, model: Any, rows: Any, *, rtol: float, atol: float) -> float:
    """Run ``model`` with onnxruntime on ``rows``; the largest absolute difference from the
    estimator's own output, or OnnxExportError if any value or label is out of tolerance."""
    import onnxruntime

    try:
        session = onnxruntime.InferenceSession(
            model.SerializeToString(), providers=["CPUExecutionProvider"]
        )
    except Exception as error:  # onnxruntime's own error types differ between releases
        raise OnnxExportError(f"onnxruntime cannot load the exported model: {error}") from error
    feeds = onnx_inputs(estimator, rows)
    produced = dict(zip([o.name for o in session.get_outputs()], session.run(None, feeds)))
    if estimator.task_ == REGRESSION:
        expected = estimator.predict(rows)
        got = np.asarray(next(iter(produced.values())), dtype=np.float64).ravel()
        return _compare(expected, got, rtol, atol, "prediction")
    expected = estimator.predict_proba(rows)
    outputs = list(produced.values())
    labels, got = outputs[0], np.asarray(outputs[1], dtype=np.float64)
    difference = _compare(expected, got, rtol, atol, "probability")
    threshold = getattr(estimator, "decision_threshold_", None)
    if threshold is not None:  # a label is decided when its probability is clear of it
        decided = np.abs(expected[:, 1] - threshold) > atol + rtol * np.abs(expected[:, 1])
    else:
        top_two = np.sort(expected, axis=1)[:, -2:]
        decided = top_two[:, 1] - top_two[:, 0] > 2 * (atol + rtol * top_two[:, 1])
    wrong = decided & (np.asarray(labels).ravel() != estimator.predict(rows))
    if wrong.any():
        raise OnnxExportError(
            f"the exported model predicts another label than the original on "
            f"{int(wrong.sum())} of {len(rows)} sample rows; not written."
        )
    return difference


def _compare(expected: np.ndarray, got: np.ndarray, rtol: float, atol: float, what: str) -> float:
    if expected.shape != got.shape:
        raise OnnxExportError(
            f"the exported model gives {what} values of shape {got.shape}, the original "
            f"{expected.shape}; not written."
        )
    difference = np.abs(expected - got)
    bad = ~(difference <= atol + rtol * np.abs(expected))  # NaN counts as bad
    if bad.any():
        worst = float(np.nanmax(difference)) if not np.isnan(difference).all() else float("nan")
        raise OnnxExportError(
            f"the exported model's {what} differs from the original's beyond the float32 "
            f"tolerance (atol={atol:g}, rtol={rtol:g}) on {int(bad.any(axis=-1).sum())} of "
            f"{len(expected)} sample rows (largest difference {worst:.3g}); not written."
        )
    return float(difference.max()) if difference.size else 0.0
