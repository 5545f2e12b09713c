"""LightGBM models that predict from the float matrix ``booster_prediction`` builds."""

from __future__ import annotations

from typing import Any

import lightgbm
import numpy as np

from automl.space.families.booster_prediction import CHECKED, frame_matrix


class FastLGBMClassifier(lightgbm.LGBMClassifier):
    def predict_proba(self, X: Any, *args: Any, **kwargs: Any) -> np.ndarray:
        matrix = None if args or kwargs else _lightgbm_matrix(self, X)
        if matrix is None:
            return super().predict_proba(X, *args, **kwargs)
        result = self.booster_.predict(matrix, num_threads=self.n_jobs)
        if self.n_classes_ > 2:
            return result
        return np.vstack((1.0 - result, result)).transpose()


class FastLGBMRegressor(lightgbm.LGBMRegressor):
    def predict(self, X: Any, *args: Any, **kwargs: Any) -> np.ndarray:
        matrix = None if args or kwargs else _lightgbm_matrix(self, X)
        if matrix is None:
            return super().predict(X, *args, **kwargs)
        return self.booster_.predict(matrix, num_threads=self.n_jobs)


def _lightgbm_matrix(model: Any, X: Any) -> Any:
    # the booster is called directly (the wrapper warns about a matrix without feature
    # names), so only where the wrapper adds nothing: a set thread count, a built-in objective
    if not isinstance(model.n_jobs, int) or model.n_jobs < 1 or callable(model.objective):
        return None
    if getattr(X, "shape", (0, -1))[1] != model.n_features_in_:
        return None
    booster = model.booster_
    seen = CHECKED.setdefault(booster, {})
    return frame_matrix(X, booster.pandas_categorical or [], seen)
