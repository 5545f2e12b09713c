"""The final model taken apart into weighted pipelines, each checked piece by piece.

A final model is one fitted Pipeline, an ``Ensemble`` of them (weighted average), or a trial's
``FoldModels`` (the average of its fold pipelines, each fold's probabilities placed in the
columns of the classes it saw and renormalized). Every pipeline becomes one ``Member`` whose
pieces all have an ONNX converter; the first piece without one is an ``OnnxExportError`` that
names it, the columns it acts on and the model family it belongs to.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.compose import ColumnTransformer, TransformedTargetRegressor
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from automl.data import ColumnSchema
from automl.ensemble import Ensemble
from automl.onnx_export.converters import IndicatedImputer, grouped_encoder_twin
from automl.space.preprocessing import MISSING_CATEGORY, CategoryCodes
from automl.trials.evaluation import FoldModels


class OnnxExportError(ValueError):
    """The model (or a piece of it) cannot be exported to ONNX, or the export would differ."""


@dataclass(frozen=True)
class Member:
    """One fitted pipeline of the final model, ready to convert.

    ``model`` is what the converter sees: the pipeline, with the pieces the ONNX front end
    replaces taken out. ``by_column`` tells how it takes its input: one named input per
    model column (a ColumnTransformer picks them by name), or one float matrix of all model
    columns with categories as their codes (what native-categorical boosters read).
    """

    weight: float
    model: Any
    classifier: Any | None  # the pipeline's final classifier (its converter options are set)
    by_column: bool
    # a fold model: its probabilities are renormalized, and fill the class columns ``present``
    # (None: all of them in order)
    renormalize: bool = False
    present: tuple[int, ...] | None = None
    # a target standardized for the fit: prediction * scale + offset
    target_scale: tuple[float, float] | None = None


def members_of(
    model: Any, schema: ColumnSchema, families: Sequence[str | None], n_classes: int | None
) -> list[Member]:
    """The weighted pipelines of ``model``; ``families`` names each top-level member's model
    family (for error messages), ``n_classes`` is None for regression."""
    if isinstance(model, Ensemble):
        parts = model.members
    else:
        parts = [(1.0, model)]
    result: list[Member] = []
    for index, (weight, part) in enumerate(parts):
        family = families[index] if index < len(families) else None
        if isinstance(part, FoldModels):
            for fold, present in part.folds:
                kept = None if present is None else tuple(int(p) for p in present)
                if kept is not None and len(kept) < 2:
                    raise OnnxExportError(
                        f"a fold model of the {family or 'final'} pipeline saw one class only; "
                        "its constant output has no ONNX export. Fit with more rows."
                    )
                if kept == tuple(range(n_classes or 0)):
                    kept = None  # every class in order: nothing to place
                fold_weight = weight / len(part.folds)
                result.append(_member(fold_weight, fold, schema, family, fold=True, present=kept))
        else:
            result.append(_member(weight, part, schema, family))
    return result


def _member(
    weight: float,
    pipeline: Any,
    schema: ColumnSchema,
    family: str | None,
    *,
    fold: bool = False,
    present: tuple[int, ...] | None = None,
) -> Member:
    where = _Where(family)
    if not isinstance(pipeline, Pipeline):
        name = type(pipeline).__name__
        if name.startswith("Dummy"):
            raise OnnxExportError(
                "the final model is the constant baseline (no trial could be refit); there is "
                "no fitted pipeline to export. Fit again with a larger time_budget."
            )
        if name == "SecondLayerModel":
            raise OnnxExportError(
                f"the final model has a second stacking layer{where}, which has no ONNX "
                "export. Fit with second_layer=False (the CLI's --second-layer no)."
            )
        raise OnnxExportError(f"the final model is a {name}{where}, which has no ONNX export.")
    steps = list(pipeline.steps)
    by_column = isinstance(steps[0][1], ColumnTransformer)
    converted: list[tuple[str, Any]] = []
    for position, (name, step) in enumerate(steps):
        last = position == len(steps) - 1
        if isinstance(step, ColumnTransformer):
            if position:
                raise OnnxExportError(f"the pipeline{where} has a ColumnTransformer after step 1.")
            step = _columns_for_export(step, schema, where)
        elif isinstance(step, CategoryCodes):
            if by_column:
                raise OnnxExportError(f"the pipeline{where} has CategoryCodes after encoding.")
            continue  # the front end hands category codes to every model fed a matrix
        elif not last:
            _check_supported(step, "all encoded features", where)
        converted.append((name, step))
    name, estimator = converted[-1]
    scale = None
    if isinstance(estimator, TransformedTargetRegressor):
        estimator, scale = _unwrap_scaled_target(estimator, where)
    if not by_column:
        _check_matrix_model(estimator, schema, where)
        estimator = _with_plain_feature_names(estimator)
    _check_supported(estimator, "all encoded features" if by_column else "all columns", where)
    converted[-1] = (name, estimator)
    classifier = estimator if hasattr(estimator, "predict_proba") and scale is None else None
    model = Pipeline(converted) if len(converted) > 1 else estimator
    return Member(weight, model, classifier, by_column, fold, present, scale)


def _columns_for_export(step: ColumnTransformer, schema: ColumnSchema, where: _Where) -> Any:
    """A shallow copy whose category fillers replace the empty string instead of NaN.

    Strings in ONNX cannot be NaN: the front end maps every unknown or missing category to
    the filler's own value, so the filler (which the converter needs as a string imputer)
    changes nothing.
    """
    user_name = {safe: name for name, safe in schema.model_names.items()}
    blocks = []
    for block, transformer, columns in step.transformers_:
        if transformer in ("drop", "passthrough"):
            if transformer == "passthrough":
                raise OnnxExportError(f"the pipeline{where} passes columns through unencoded.")
            blocks.append((block, transformer, columns))
            continue
        names = ", ".join(repr(user_name.get(c, c)) for c in columns)
        pieces = transformer.steps if isinstance(transformer, Pipeline) else [("", transformer)]
        replaced = []
        for piece_name, piece in pieces:
            if _is_category_filler(piece):
                piece = copy.copy(piece)
                piece.missing_values = ""
            elif isinstance(piece, SimpleImputer) and piece.add_indicator:
                if not piece.keep_empty_features:
                    raise OnnxExportError(
                        f"the model drops empty columns among {names}{where}, which has no "
                        "ONNX export here."
                    )
                piece = IndicatedImputer.of(piece)
            elif (twin := grouped_encoder_twin(piece)) is not None:
                mapper, piece = twin
                replaced.append(("group_rare", mapper))
            else:
                _check_supported(piece, f"column(s) {names}", where)
            replaced.append((piece_name, piece))
        if isinstance(transformer, Pipeline):
            new = Pipeline(replaced)
        else:
            new = replaced[0][1]
        blocks.append((block, new, columns))
    result = copy.copy(step)
    result.__class__ = ColumnTransformer  # the converter is registered for this class only
    result.transformers_ = blocks
    return result


def _is_category_filler(piece: Any) -> bool:
    return (
        isinstance(piece, SimpleImputer)
        and piece.strategy == "constant"
        and piece.fill_value == MISSING_CATEGORY
    )


def _unwrap_scaled_target(model: TransformedTargetRegressor, where: _Where) -> tuple[Any, Any]:
    scaler = model.transformer_
    if not isinstance(scaler, StandardScaler) or model.func is not None:
        raise OnnxExportError(
            f"the regressor{where} transforms its target with {type(scaler).__name__}, which "
            "has no ONNX export here (only a StandardScaler of the target)."
        )
    scale = float(scaler.scale_[0]) if scaler.scale_ is not None else 1.0
    offset = float(scaler.mean_[0]) if scaler.mean_ is not None else 0.0
    return model.regressor_, (scale, offset)


def _with_plain_feature_names(model: Any) -> Any:
    """XGBoost's converter reads features by the names f0, f1, ... only: a copy named so."""
    from_xgboost = any(kind.__module__.startswith("xgboost") for kind in type(model).__mro__)
    if not from_xgboost or not hasattr(model, "get_booster"):
        return model
    twin = copy.deepcopy(model)
    booster = twin.get_booster()
    booster.feature_names = [f"f{i}" for i in range(booster.num_features())]
    return twin


def _check_matrix_model(model: Any, schema: ColumnSchema, where: _Where) -> None:
    """A model fed the frame as it is: its categorical columns arrive as codes, which only
    the boosters that split on categories natively read as categories."""
    is_categorical = getattr(model, "is_categorical_", None)
    if is_categorical is not None and np.any(is_categorical):
        names = getattr(model, "feature_names_in_", None)
        columns = [str(n) for n, c in zip(names, is_categorical) if c] if names is not None else []
        user_name = {safe: name for name, safe in schema.model_names.items()}
        shown = ", ".join(repr(user_name.get(c, c)) for c in columns) or "categorical columns"
        raise OnnxExportError(
            f"the model uses {type(model).__name__}'s native categorical splits on {shown}"
            f"{where}, which have no ONNX converter{where.hint or '; exclude its family'}."
        )


@dataclass(frozen=True)
class _Where:
    """Which member a message is about: its model family, when known."""

    family: str | None

    def __str__(self) -> str:
        return f" (model family {self.family!r})" if self.family else ""

    @property
    def hint(self) -> str:
        # LightGBM and XGBoost read categories as they are: no encoder, no scaler
        native = "include=['lightgbm', 'xgboost']"
        if not self.family or self.family in ("lightgbm", "xgboost"):
            return f"; fit with {native} to get an exportable model"
        return f"; fit with exclude=[{self.family!r}] or {native} to get an exportable model"


def _check_supported(piece: Any, acts_on: str, where: _Where) -> None:
    from skl2onnx._supported_operators import sklearn_operator_name_map

    name = type(piece).__name__
    if type(piece) not in sklearn_operator_name_map:
        what = name
    elif getattr(piece, "output_distribution", "uniform") != "uniform":  # QuantileTransformer
        what = f"{name}(output_distribution={piece.output_distribution!r})"
    elif getattr(piece, "target_type_", None) == "multiclass":  # TargetEncoder
        what = f"{name} for a multiclass target"
    else:
        return
    raise OnnxExportError(
        f"the model uses {what} on {acts_on}{where}, which has no ONNX converter{where.hint}."
    )
