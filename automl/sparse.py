"""Sparse input: a ``scipy.sparse`` X stays a sparse matrix from ``fit`` to ``predict``.

A sparse matrix (word counts, TF-IDF weights, one-hot codes) is all numbers and often far
wider than a DataFrame could hold column by column, so it never becomes one: its columns
are all numeric and kept as they are (none is inferred, dropped or renamed), trials receive
the CSR matrix, and only the model families that take sparse matrices are searched
(``ModelFamily.sparse_input``; the others are left out with a log line). Nothing on this path
densifies the matrix, so its size in memory is what it is as given.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from pandas.util import hash_pandas_object


def is_sparse(X: Any) -> bool:
    return sp.issparse(X)


def as_sparse_matrix(X: Any, *, what: str = "X") -> sp.csr_matrix:
    """A CSR float64 copy of a sparse X, checked: two dimensions, rows and columns, numbers,
    no infinity (missing values, NaN, are imputed by the pipelines)."""
    if X.ndim != 2:
        raise ValueError(f"Expected a 2-D {what}, got a {X.ndim}-D sparse array instead.")
    n_rows, n_columns = X.shape
    if n_rows == 0 or n_columns == 0:
        raise ValueError(
            f"{what} is an empty sparse matrix (shape=({n_rows}, {n_columns})); pass at least "
            "one row and one column."
        )
    if X.dtype.kind == "c":  # scipy.sparse holds numbers only, complex ones included
        raise ValueError(f"Complex data not supported: {what} holds complex numbers.")
    matrix = sp.csr_matrix(X, dtype=np.float64, copy=True)
    matrix.sum_duplicates()  # canonical: sorted column indices, one entry per cell
    if np.isinf(matrix.data).any():
        raise ValueError(
            f"{what} contains infinity; replace infinite values with NaN (missing) or a finite "
            "number."
        )
    return matrix


def dense_as_sparse(values: np.ndarray) -> sp.csr_matrix:
    """A dense numeric block (rows to predict for a model fitted on sparse data) as CSR."""
    if np.isinf(values).any():
        raise ValueError(
            "X contains infinity; replace infinite values with NaN (missing) or a finite number."
        )
    return sp.csr_matrix(values)


def take_rows(X: Any, rows: Any) -> Any:
    """The given rows (positions, a mask or a slice) of a frame or a CSR matrix."""
    return X[rows] if is_sparse(X) else X.iloc[rows]


def nbytes(X: sp.csr_matrix) -> int:
    return int(X.data.nbytes + X.indices.nbytes + X.indptr.nbytes)


def sparse_row_hashes(X: sp.csr_matrix) -> np.ndarray:
    """One uint64 per row over its stored (column, value) cells, with pandas' fixed-key hash:
    the same in every process. Stored zeros count like absent cells (canonical CSR keeps
    none after ``as_sparse_matrix``); an empty row hashes to 0 before the final mixing."""
    cells = hash_pandas_object(
        pd.DataFrame({"column": X.indices.astype(np.int64), "value": X.data}), index=False
    ).to_numpy(dtype=np.uint64)
    # a row's cells are summed (modulo 2**64), so their order does not matter; the column index
    # is part of each cell's hash, so moving a value to another column changes the sum
    running = np.concatenate([[np.uint64(0)], np.cumsum(cells, dtype=np.uint64)])
    sums = running[X.indptr[1:]] - running[X.indptr[:-1]]
    return hash_pandas_object(pd.Series(sums), index=False).to_numpy(dtype=np.uint64)


def dense_sample(
    X: sp.csr_matrix, *, max_rows: int, max_columns: int, seed: int
) -> tuple[pd.DataFrame, np.ndarray]:
    """Up to ``max_rows`` random rows of the ``max_columns`` most often filled columns, dense,
    and the positions of those rows: what the meta-features describe of a sparse matrix (all
    of it dense could be gigabytes)."""
    rng = np.random.default_rng(seed)
    rows = np.sort(rng.choice(X.shape[0], size=min(max_rows, X.shape[0]), replace=False))
    filled = np.bincount(X.indices, minlength=X.shape[1])
    columns = np.sort(np.argsort(-filled, kind="stable")[:max_columns])
    block = X[rows][:, columns].toarray()
    return pd.DataFrame(block, columns=[f"x{i}" for i in columns]), rows
