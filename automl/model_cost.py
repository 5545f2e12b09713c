"""What a fitted final model costs to use: its prediction latency and its pickled size."""

from __future__ import annotations

import pickle
import time
from typing import Any

import pandas as pd

from automl.sparse import take_rows


def measure_model(model: Any, X: pd.DataFrame, classification: bool) -> tuple[float, int]:
    """Prediction latency (ms per 1,000 rows, on up to 1,000 training rows) and pickled size."""
    rows = take_rows(X, slice(0, 1000))
    predict = model.predict_proba if classification else model.predict
    started = time.perf_counter()
    predict(rows)
    latency = (time.perf_counter() - started) * 1000 * 1000 / max(1, rows.shape[0])
    size = _ByteCount()
    pickle.dump(model, size, protocol=pickle.HIGHEST_PROTOCOL)
    return latency, size.bytes


def warm_up(model: Any, X: pd.DataFrame, classification: bool) -> None:
    """Predict a few rows: a fitted model's encoders build their lookup tables
    (``FrameEncoder``) on its second prediction, and this one is within the fit, so that the
    caller's first prediction is a fast one."""
    rows = take_rows(X, slice(0, 20))
    (model.predict_proba if classification else model.predict)(rows)


class _ByteCount:
    """A file that only counts what is written to it: a model's pickled size without a
    second copy of the model in memory (that copy was the peak of some fits)."""

    def __init__(self) -> None:
        self.bytes = 0

    def write(self, data: Any) -> int:
        size = memoryview(data).nbytes  # large arrays come as a PickleBuffer, which has no len
        self.bytes += size
        return size
