"""HistGradientBoosting whose categorical columns are coded fast at prediction time.

Fitted on a frame with categorical columns, scikit-learn's HistGradientBoosting keeps a
ColumnTransformer (an ordinal encoder for those columns) and runs it on every prediction; its
fixed cost per call made this model one of an ensemble's slowest members on small batches.
After the fit, these subclasses make that ColumnTransformer a ``FrameEncoder``, which gives
the same matrix by table lookup (and goes the ColumnTransformer's way for anything else).
"""

from __future__ import annotations

from typing import Any

from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

from automl.space.frame_encoder import FrameEncoder


class _FastCoding:
    def fit(
        self,
        X: Any,
        y: Any,
        sample_weight: Any = None,
        *,
        X_val: Any = None,
        y_val: Any = None,
        sample_weight_val: Any = None,
    ) -> Any:
        super().fit(  # type: ignore[misc]
            X, y, sample_weight, X_val=X_val, y_val=y_val, sample_weight_val=sample_weight_val
        )
        # a private attribute: under another scikit-learn layout nothing changes
        coding = getattr(self, "_preprocessor", None)
        if type(coding) is ColumnTransformer:
            coding.__class__ = FrameEncoder
        return self


class FastHistGradientBoostingClassifier(_FastCoding, HistGradientBoostingClassifier):
    pass


class FastHistGradientBoostingRegressor(_FastCoding, HistGradientBoostingRegressor):
    pass
