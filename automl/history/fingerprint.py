"""A content fingerprint of a dataset: the same table gives the same string in any process,
so a second run on the same data can find the first one's trials."""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np
import pandas as pd


def dataset_fingerprint(X: pd.DataFrame, y: Any) -> str:
    """sha256 over column names, dtypes, cell values (row order matters) and the target."""
    digest = hashlib.sha256()
    frame = X if isinstance(X, pd.DataFrame) else pd.DataFrame(np.asarray(X))
    digest.update(repr([(str(c), str(t)) for c, t in frame.dtypes.items()]).encode())
    digest.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    digest.update(pd.util.hash_pandas_object(pd.Series(np.asarray(y)), index=False)
                  .to_numpy().tobytes())
    return digest.hexdigest()[:32]
