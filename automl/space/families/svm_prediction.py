"""Kernel SVMs that predict through matrix products instead of libsvm's loop over rows.

libsvm computes the kernel of a row against every support vector one pair at a time, in one
thread; an SVM member with a few thousand support vectors was often the slowest member of an
ensemble. These subclasses compute the RBF kernel of a block of rows against all support
vectors with one matrix product (BLAS), then libsvm's own decision values, Platt sigmoids and
pairwise coupling (``multiclass_probability``, the same iteration and stopping rule) in numpy.
The model is the same; the numbers agree with libsvm's to rounding (the kernel's sums are taken
in another order). Anything else (another kernel, sparse input, a model without probability
estimates) goes the scikit-learn way.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.svm import SVC, SVR
from sklearn.utils.metaestimators import available_if

# rows × support vectors of one kernel block: bounds the memory a large batch takes
_BLOCK_ELEMENTS = 1 << 21
_MIN_PROB = 1e-7  # libsvm clips each pairwise probability to [1e-7, 1 - 1e-7]


def _rbf_blocks(model: Any, X: Any) -> Any:
    """``(rows, kernel)`` per block of rows: the RBF kernel of those rows of the validated
    ``X`` against the support vectors; None where libsvm's own path is the one to take."""
    if model.kernel != "rbf" or getattr(model, "_sparse", True):
        return None
    X = model._validate_for_predict(X)
    if not isinstance(X, np.ndarray) or X.ndim != 2:
        return None
    vectors = model.support_vectors_
    gamma = float(model._gamma)
    vector_norms = np.einsum("ij,ij->i", vectors, vectors)
    step = max(1, _BLOCK_ELEMENTS // max(1, vectors.shape[0]))

    def blocks() -> Any:
        for start in range(0, X.shape[0], step):
            rows = X[start : start + step]
            distances = np.einsum("ij,ij->i", rows, rows)[:, None] + vector_norms[None, :]
            distances -= 2.0 * (rows @ vectors.T)
            np.maximum(distances, 0.0, out=distances)  # rounding can leave -1e-16
            distances *= -gamma
            yield slice(start, start + rows.shape[0]), np.exp(distances, out=distances)

    return X.shape[0], blocks()


def _pairwise_decisions(model: Any, kernel: np.ndarray) -> np.ndarray:
    """libsvm's one-vs-one decision values (rows × pairs, pairs (i, j), i < j, in order)."""
    counts = model._n_support
    starts = np.concatenate([[0], np.cumsum(counts)])
    coef, rho = model._dual_coef_, -model._intercept_
    k = len(counts)
    columns = []
    pair = 0
    for i in range(k):
        for j in range(i + 1, k):
            own = slice(starts[i], starts[i + 1])
            other = slice(starts[j], starts[j + 1])
            value = kernel[:, own] @ coef[j - 1, own] + kernel[:, other] @ coef[i, other]
            columns.append(value - rho[pair])
            pair += 1
    return np.column_stack(columns)


def _sigmoid(decision: np.ndarray, a: float, b: float) -> np.ndarray:
    f = decision * a + b
    out = np.empty_like(f)
    positive = f >= 0
    e = np.exp(-f[positive])
    out[positive] = e / (1.0 + e)
    out[~positive] = 1.0 / (1 + np.exp(f[~positive]))
    return out


def _coupled(r: np.ndarray) -> np.ndarray:
    """libsvm's ``multiclass_probability`` for every row at once: ``r`` is rows × k × k pairwise
    probabilities; each row iterates until its own stopping rule holds, as in libsvm."""
    n, k, _ = r.shape
    Q = np.zeros((n, k, k))
    for t in range(k):
        for j in range(t):
            Q[:, t, t] += r[:, j, t] * r[:, j, t]
            Q[:, t, j] = Q[:, j, t]
        for j in range(t + 1, k):
            Q[:, t, t] += r[:, j, t] * r[:, j, t]
            Q[:, t, j] = -r[:, j, t] * r[:, t, j]
    p = np.full((n, k), 1.0 / k)
    active = np.arange(n)
    eps = 0.005 / k
    for _ in range(max(100, k)):
        q, pa = Q[active], p[active]
        Qp = np.zeros((len(active), k))
        pQp = np.zeros(len(active))
        for t in range(k):
            for j in range(k):
                Qp[:, t] += q[:, t, j] * pa[:, j]
            pQp += pa[:, t] * Qp[:, t]
        error = np.zeros(len(active))
        for t in range(k):
            error = np.maximum(error, np.abs(Qp[:, t] - pQp))
        going = error >= eps
        active, q, pa, Qp, pQp = active[going], q[going], pa[going], Qp[going], pQp[going]
        if not len(active):
            break
        for t in range(k):
            diff = (-Qp[:, t] + pQp) / q[:, t, t]
            pa[:, t] += diff
            pQp = (pQp + diff * (diff * q[:, t, t] + 2 * Qp[:, t])) / (1 + diff) / (1 + diff)
            for j in range(k):
                Qp[:, j] = (Qp[:, j] + diff * q[:, t, j]) / (1 + diff)
                pa[:, j] /= 1 + diff
        p[active] = pa
    return p


class FastSVC(SVC):
    @available_if(SVC._check_proba)  # as scikit-learn's: absent when probability=False
    def predict_proba(self, X: Any) -> np.ndarray:
        fitted_for_probability = getattr(self, "_probA", np.empty(0)).size > 0
        blocked = _rbf_blocks(self, X) if fitted_for_probability else None
        if blocked is None:
            return super().predict_proba(X)
        n_rows, blocks = blocked
        k = len(self._n_support)
        out = np.empty((n_rows, k))
        for rows, kernel in blocks:
            decisions = _pairwise_decisions(self, kernel)
            r = np.zeros((decisions.shape[0], k, k))
            pair = 0
            for i in range(k):
                for j in range(i + 1, k):
                    p = _sigmoid(decisions[:, pair], self._probA[pair], self._probB[pair])
                    r[:, i, j] = np.minimum(np.maximum(p, _MIN_PROB), 1 - _MIN_PROB)
                    r[:, j, i] = 1 - r[:, i, j]
                    pair += 1
            out[rows] = _coupled(r)
        return out


class FastSVR(SVR):
    def predict(self, X: Any) -> np.ndarray:
        blocked = _rbf_blocks(self, X)
        if blocked is None:
            return super().predict(X)
        n_rows, blocks = blocked
        out = np.empty(n_rows)
        for rows, kernel in blocks:
            out[rows] = kernel @ self._dual_coef_[0] + self._intercept_[0]
        return out
