"""A content fingerprint of a training set, to recognise the same data in a later run.

Dataset names are unreliable ("train.csv" means something else in every project), so runs
are matched on what the data holds: every cell, the column names, the dtypes and the target.
The hash must be the same in every process and on every machine of a team, which rules out
Python's salted ``hash()``; pandas' ``hash_pandas_object`` uses a fixed key. Row order is
part of the fingerprint: a shuffled copy counts as different data, which only costs a warm
start, never a wrong resume.
"""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np
import pandas as pd
from pandas.util import hash_pandas_object

from automl.sparse import is_sparse, sparse_row_hashes

FINGERPRINT_LENGTH = 32


def dataset_fingerprint(X: Any, y: Any) -> str:
    """A hex digest (32 characters) of the features ``X`` and target ``y``.

    ``X`` is a DataFrame (an array is wrapped in one) or a CSR matrix; ``y`` any 1-d
    array-like.
    """
    return fingerprint_and_row_hashes(X, y)[0]


SKETCH_SIZE = 256


def training_row_hashes(X: Any, y: Any) -> np.ndarray:
    """One uint64 per training row, over its features and its target together."""
    return fingerprint_and_row_hashes(X, y)[1]


def fingerprint_and_row_hashes(
    X: Any, y: Any, *, sample_weight: np.ndarray | None = None
) -> tuple[str, np.ndarray]:
    """Both of the above from one pass over the rows (a fit with a history needs both).

    Sample weights, when given, are part of the fingerprint (other weights are another
    objective: an earlier run's losses do not carry over) but not of the row hashes.
    """
    target = pd.Series(np.asarray(y).ravel())
    digest = hashlib.sha256()
    if is_sparse(X):
        features = sparse_row_hashes(X)
        digest.update(f"{X.shape[0]}x{X.shape[1]}\nsparse\t{X.dtype!s}\n".encode())
    else:
        frame = X if isinstance(X, pd.DataFrame) else pd.DataFrame(np.asarray(X))
        features = _row_hashes(frame)
        digest.update(f"{frame.shape[0]}x{frame.shape[1]}\n".encode())
        for name, dtype in frame.dtypes.items():
            digest.update(f"{name!s}\t{dtype!s}\n".encode())
    labels = _row_hashes(target.to_frame())
    digest.update(features.tobytes())
    digest.update(f"target\t{target.dtype!s}\n".encode())
    digest.update(labels.tobytes())
    if sample_weight is not None:
        digest.update(b"sample_weight\n")
        digest.update(np.asarray(sample_weight, dtype="<f8").tobytes())
    rows = hash_pandas_object(pd.DataFrame({"x": features, "y": labels}), index=False)
    return digest.hexdigest()[:FINGERPRINT_LENGTH], rows.to_numpy(dtype=np.uint64)


def row_sketch(hashes: np.ndarray, size: int = SKETCH_SIZE) -> list[str]:
    """The ``size`` smallest distinct row hashes (hex): a uniform sample of the rows, the same
    rows in every run that holds them, so two runs' samples can be compared."""
    return [f"{h:016x}" for h in np.unique(hashes)[:size]]


def overlaps_partly(sketch: list[str] | None, hashes: np.ndarray) -> bool:
    """Whether the run behind ``sketch`` trained on some of the rows ``hashes`` (this fit's
    training rows) and also on rows this fit does not have: rows it may be holding out for
    validation (another cross-validation fold of the same data). A run on a subset of these
    rows, or on other data altogether, saw nothing of this fit's held-out rows."""
    if not sketch:
        return False  # recorded before sketches existed: nothing to go by
    sampled = np.array([int(h, 16) for h in sketch], dtype=np.uint64)
    shared = np.isin(sampled, hashes).sum()
    return 0 < shared < len(sampled)


def _row_hashes(frame: pd.DataFrame) -> np.ndarray:
    """One uint64 per row; cells pandas cannot hash (lists, dicts) are hashed as text."""
    if frame.shape[1] == 0:
        return np.zeros(len(frame), dtype=np.uint64)
    try:
        return hash_pandas_object(frame, index=False).to_numpy(dtype=np.uint64)
    except TypeError:
        as_text = frame.apply(lambda column: column.map(repr) if column.dtype == object else column)
        return hash_pandas_object(as_text, index=False).to_numpy(dtype=np.uint64)
