"""HistGradientBoosting that predicts a small batch without fixed costs per call or per tree.

Fitted on a frame with categorical columns, scikit-learn's HistGradientBoosting keeps a
ColumnTransformer (an ordinal encoder for those columns) and runs it on every prediction; its
fixed cost per call made this model one of an ensemble's slowest members on small batches.
After the fit, these subclasses make that ColumnTransformer a ``FrameEncoder``, which gives
the same matrix by table lookup (and goes the ColumnTransformer's way for anything else).

Its prediction also opens one OpenMP parallel region per tree (per class and iteration). With
``OMP_WAIT_POLICY=PASSIVE`` the idle threads sleep between regions, and waking them for every
tree made a small batch several times slower on two threads than on one
(``benchmarks/HGB_PREDICT_THREADS.md``); there a batch under ``PASSIVE_THREADED_FROM_ROWS``
rows is predicted on one thread. The trees and the sums are the same: the numbers do not change.
"""

from __future__ import annotations

from typing import Any

from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

from automl.space.family import openmp_waits_passively
from automl.space.frame_encoder import FrameEncoder

# With sleeping OpenMP threads, from this many rows on a second thread pays for its wake-ups
PASSIVE_THREADED_FROM_ROWS = 4_000


class _FastPrediction:
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

    def _raw_predict(self, X: Any, n_threads: int | None = None) -> Any:
        if (
            n_threads is None
            and getattr(X, "shape", (PASSIVE_THREADED_FROM_ROWS,))[0] < PASSIVE_THREADED_FROM_ROWS
            and openmp_waits_passively()
        ):
            n_threads = 1
        return super()._raw_predict(X, n_threads=n_threads)  # type: ignore[misc]


class FastHistGradientBoostingClassifier(_FastPrediction, HistGradientBoostingClassifier):
    pass


class FastHistGradientBoostingRegressor(_FastPrediction, HistGradientBoostingRegressor):
    pass
