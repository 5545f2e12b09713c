"""XGBoost models that predict from the float matrix ``booster_prediction`` builds."""

from __future__ import annotations

import weakref
from typing import Any

import numpy as np
import xgboost

from automl.space.families.booster_prediction import CHECKED, frame_matrix

# Per fitted booster: the training categories XGBoost keeps (read once)
_CATEGORIES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


class FastXGBClassifier(xgboost.XGBClassifier):
    def predict_proba(self, X: Any, *args: Any, **kwargs: Any) -> np.ndarray:
        matrix = None if args or kwargs else _xgboost_matrix(self, X)
        return super().predict_proba(X if matrix is None else matrix, *args, **kwargs)

    def predict(self, X: Any, *args: Any, **kwargs: Any) -> np.ndarray:
        matrix = None if args or kwargs else _xgboost_matrix(self, X)
        return super().predict(X if matrix is None else matrix, *args, **kwargs)


class FastXGBRegressor(xgboost.XGBRegressor):
    def predict(self, X: Any, *args: Any, **kwargs: Any) -> np.ndarray:
        matrix = None if args or kwargs else _xgboost_matrix(self, X)
        return super().predict(X if matrix is None else matrix, *args, **kwargs)


def _xgboost_matrix(model: Any, X: Any) -> Any:
    if getattr(X, "shape", (0, -1))[1] != model.n_features_in_:
        return None
    booster = model.get_booster()
    if booster not in _CATEGORIES:
        _CATEGORIES[booster] = _xgboost_categories(booster)
    categories = _CATEGORIES[booster]
    if categories is False:
        return None
    return frame_matrix(X, categories, CHECKED.setdefault(booster, {}))


def _xgboost_categories(booster: Any) -> list[list[Any]] | None | bool:
    """The training categories of the booster's categorical features in order; None where
    this XGBoost keeps none (it then reads a frame's codes as they are); False where they
    cannot be read."""
    if not any(kind == "c" for kind in booster.feature_types or ()):
        return []
    if not hasattr(booster, "get_categories"):
        return None
    try:
        stored = booster.get_categories(export_to_arrow=True).to_arrow()
    except Exception:  # noqa: BLE001 -- any failure: the library's own path
        return False
    if stored is None:
        return None
    return [list(values.to_pylist()) for _, values in stored if values is not None]
