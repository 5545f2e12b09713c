"""The optional libraries the export needs, and onnxmltools' booster converters made known to
skl2onnx (so LightGBM and XGBoost models convert like any scikit-learn estimator)."""

from __future__ import annotations

import importlib
from functools import cache
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.impute import SimpleImputer

REQUIRED = ("onnx", "skl2onnx", "onnxmltools", "onnxruntime")
INSTALL_HINT = 'pip install "automl[onnx]"'


def require_onnx_libraries() -> None:
    """Raise ImportError naming the install command if any export library is missing."""
    missing = []
    for name in REQUIRED:
        try:
            importlib.import_module(name)
        except ImportError:
            missing.append(name)
    if missing:
        raise ImportError(
            f"ONNX export needs {', '.join(missing)}, which {'is' if len(missing) == 1 else 'are'}"
            f" not installed; install them with: {INSTALL_HINT}"
        )


@cache
def register_boosters() -> None:
    """Register LightGBM's and XGBoost's converters, and those of this library's own pieces,
    with skl2onnx, once per process."""
    import lightgbm
    import xgboost
    from onnxmltools.convert.lightgbm.operator_converters.LightGbm import convert_lightgbm
    from onnxmltools.convert.xgboost.operator_converters.XGBoost import convert_xgboost
    from skl2onnx import update_registered_converter
    from skl2onnx._supported_operators import sklearn_operator_name_map
    from skl2onnx.common.shape_calculator import (
        calculate_linear_classifier_output_shapes,
        calculate_linear_regressor_output_shapes,
    )

    from automl.space.families.forest_prediction import STANDS_FOR

    classifier_options = {"nocl": [True, False], "zipmap": [True, False, "columns"]}
    for model, alias, shapes, convert, options in [
        (
            lightgbm.LGBMClassifier,
            "LightGbmLGBMClassifier",
            calculate_linear_classifier_output_shapes,
            convert_lightgbm,
            classifier_options,
        ),
        (
            lightgbm.LGBMRegressor,
            "LightGbmLGBMRegressor",
            calculate_linear_regressor_output_shapes,
            convert_lightgbm,
            None,
        ),
        (
            xgboost.XGBClassifier,
            "XGBoostXGBClassifier",
            calculate_linear_classifier_output_shapes,
            convert_xgboost,
            classifier_options,
        ),
        (
            xgboost.XGBRegressor,
            "XGBoostXGBRegressor",
            calculate_linear_regressor_output_shapes,
            convert_xgboost,
            None,
        ),
    ]:
        update_registered_converter(model, alias, shapes, convert, options=options)
    update_registered_converter(
        IndicatedImputer, "AutomlIndicatedImputer", _indicated_imputer_shape, _indicated_imputer
    )
    update_registered_converter(
        CategoryMapper, "AutomlCategoryMapper", _category_mapper_shape, _category_mapper
    )
    # the forests, boosters and SVMs that predict small batches faster hold the library's model:
    # the same graph
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
    from sklearn.svm import SVC, SVR

    from automl.space.families import (
        hist_boosting,
        lightgbm_prediction,
        svm_prediction,
        xgboost_prediction,
    )

    boosters = {
        hist_boosting.FastHistGradientBoostingClassifier: HistGradientBoostingClassifier,
        hist_boosting.FastHistGradientBoostingRegressor: HistGradientBoostingRegressor,
        lightgbm_prediction.FastLGBMClassifier: lightgbm.LGBMClassifier,
        lightgbm_prediction.FastLGBMRegressor: lightgbm.LGBMRegressor,
        xgboost_prediction.FastXGBClassifier: xgboost.XGBClassifier,
        xgboost_prediction.FastXGBRegressor: xgboost.XGBRegressor,
        svm_prediction.FastSVC: SVC,
        svm_prediction.FastSVR: SVR,
    }
    for fast, original in {**STANDS_FOR, **boosters}.items():
        sklearn_operator_name_map[fast] = sklearn_operator_name_map[original]


class IndicatedImputer(SimpleImputer):
    """A fitted numeric ``SimpleImputer(add_indicator=True)``, under a name of its own: skl2onnx's
    imputer converter leaves out the missing-value indicator columns; this one's adds them."""

    @classmethod
    def of(cls, imputer: SimpleImputer) -> IndicatedImputer:
        twin = cls.__new__(cls)
        twin.__dict__.update(imputer.__dict__)
        return twin


def _indicator_features(imputer: SimpleImputer) -> np.ndarray:
    indicator = getattr(imputer, "indicator_", None)
    return np.zeros(0, np.int64) if indicator is None else indicator.features_.astype(np.int64)


def _indicated_imputer_shape(operator: Any) -> None:
    from skl2onnx.common.data_types import FloatTensorType

    imputer = operator.raw_operator
    width = len(imputer.statistics_) + len(_indicator_features(imputer))
    operator.outputs[0].type = FloatTensorType([operator.inputs[0].get_first_dimension(), width])


def _indicated_imputer(scope: Any, operator: Any, container: Any) -> None:
    """NaN replaced by the fitted statistics, then one 0/1 column per indicated feature."""
    from onnx import TensorProto
    from skl2onnx.common._apply_operation import apply_cast, apply_concat

    imputer = operator.raw_operator
    values = operator.inputs[0].full_name

    def constant(name: str, array: np.ndarray, kind: int) -> str:
        unique = scope.get_unique_variable_name(name)
        container.add_initializer(unique, kind, list(array.shape), array.ravel().tolist())
        return unique

    missing = scope.get_unique_variable_name("missing")
    container.add_node("IsNaN", [values], [missing])
    statistics = np.nan_to_num(np.asarray(imputer.statistics_, dtype=np.float32), nan=0.0)
    fill = constant("statistics", statistics.reshape(1, -1), TensorProto.FLOAT)
    features = _indicator_features(imputer)
    imputed = scope.get_unique_variable_name("imputed")
    out = operator.outputs[0].full_name
    container.add_node("Where", [missing, fill, values], [imputed if len(features) else out])
    if not len(features):
        return
    picked = scope.get_unique_variable_name("indicated")
    container.add_node(
        "Gather", [missing, constant("features", features, TensorProto.INT64)], [picked], axis=1
    )
    flags = scope.get_unique_variable_name("flags")
    apply_cast(scope, picked, flags, container, to=TensorProto.FLOAT)
    apply_concat(scope, [imputed, flags], out, container, axis=1)


INFREQUENT = "infrequent_sklearn"  # scikit-learn's own name for the grouped rare categories
UNKNOWN = "automl::unknown"  # in no fitted category list: the encoder's unknown handling


class CategoryMapper(TransformerMixin, BaseEstimator):
    """Maps each string column through a table, with a default for values not in it.

    Put before an encoder whose rare categories were grouped (skl2onnx converts no grouping):
    rare categories map to one token, which the encoder's twin knows as a category of its own.
    """

    def __init__(self, tables: list[tuple[dict[str, str], str]]) -> None:
        self.tables = tables

    def fit(self, X: Any, y: Any = None) -> CategoryMapper:
        return self


def grouped_encoder_twin(encoder: Any) -> tuple[CategoryMapper, Any] | None:
    """For a fitted OneHotEncoder or OrdinalEncoder with grouped rare categories: a mapper
    and an encoder without grouping that together give the same output; None if nothing is
    grouped."""
    from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder

    infrequent = getattr(encoder, "infrequent_categories_", None)
    if infrequent is None or all(group is None for group in infrequent):
        return None
    onehot = isinstance(encoder, OneHotEncoder)
    tables, categories = [], []
    for known, rare in zip(encoder.categories_, infrequent):
        rare_set = set() if rare is None else {str(c) for c in rare}
        frequent = [str(c) for c in known if str(c) not in rare_set]
        table = {str(c): (INFREQUENT if str(c) in rare_set else str(c)) for c in known}
        # one-hot sends unknown values to the rare column when there is one; ordinal to -1
        default = INFREQUENT if onehot and rare_set else UNKNOWN
        tables.append((table, default))
        categories.append(np.array(frequent + ([INFREQUENT] if rare_set else []), dtype=object))
    first_row = np.array([[c[0] for c in categories]], dtype=object)
    if onehot:
        twin = OneHotEncoder(categories=categories, handle_unknown="ignore", sparse_output=False)
    elif isinstance(encoder, OrdinalEncoder):
        twin = OrdinalEncoder(
            categories=categories,
            handle_unknown="use_encoded_value",
            unknown_value=encoder.unknown_value,
        )
    else:
        return None
    return CategoryMapper(tables), twin.fit(first_row)


def _category_mapper_shape(operator: Any) -> None:
    from skl2onnx.common.data_types import StringTensorType

    width = len(operator.raw_operator.tables)
    operator.outputs[0].type = StringTensorType([operator.inputs[0].get_first_dimension(), width])


def _category_mapper(scope: Any, operator: Any, container: Any) -> None:
    from onnx import TensorProto
    from skl2onnx.common._apply_operation import apply_concat

    values = operator.inputs[0].full_name
    mapped = []
    for index, (table, default) in enumerate(operator.raw_operator.tables):
        position = scope.get_unique_variable_name("column_index")
        container.add_initializer(position, TensorProto.INT64, [1], [index])
        column = scope.get_unique_variable_name("column")
        container.add_node("Gather", [values, position], [column], axis=1)
        out = scope.get_unique_variable_name("mapped")
        container.add_node(
            "LabelEncoder",
            [column],
            [out],
            op_domain="ai.onnx.ml",
            op_version=2,
            keys_strings=list(table),
            values_strings=list(table.values()),
            default_string=default,
        )
        mapped.append(out)
    apply_concat(scope, mapped, operator.outputs[0].full_name, container, axis=1)
