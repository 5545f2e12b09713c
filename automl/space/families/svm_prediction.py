"""Kernel SVMs that predict through matrix products instead of libsvm's loop over rows.

libsvm computes the kernel of a row against every support vector one pair at a time, in one
thread; an SVM member with a few thousand support vectors was often the slowest member of an
ensemble. These subclasses compute the RBF kernel of a block of rows against all support
vectors with one matrix product (BLAS), then libsvm's own decision values, Platt sigmoids and
pairwise coupling (``multiclass_probability``, the same iteration and stopping rule) in numpy.
The model is the same; the numbers agree with libsvm's to rounding (the kernel's sums are taken
in another order). Anything else (another kernel, sparse input, a model without probability
estimates, a batch too small to pay for this path's fixed costs) goes the scikit-learn way.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.svm import SVC, SVR
from sklearn.utils.metaestimators import available_if

# rows × support vectors of one kernel block: bounds the memory a large batch takes
_BLOCK_ELEMENTS = 1 << 21
# Under this many (rows × support vectors × features) per class, libsvm's loop is faster than
# this path's fixed costs, which grow with the classes (the pairwise coupling's steps)
LIBSVM_BELOW_WORK = 200_000
_MIN_PROB = 1e-7  # libsvm clips each pairwise probability to [1e-7, 1 - 1e-7]


def _rbf_blocks(model: Any, X: Any) -> Any:
    """``(rows, kernel)`` per block of rows: the RBF kernel of those rows of the validated
    ``X`` against the support vectors; None where libsvm's own path is the one to take."""
    if model.kernel != "rbf" or getattr(model, "_sparse", True):
        return None
    X = model._validate_for_predict(X)
    vectors = model.support_vectors_
    classes = len(model.classes_) if hasattr(model, "classes_") else 1
    if not isinstance(X, np.ndarray) or X.ndim != 2:
        return None
    if X.size * len(vectors) < LIBSVM_BELOW_WORK * classes:
        return None
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
    """libsvm's one-vs-one decision values (rows × pairs; pairs (i, j), i < j, in its order):
    the sum over class i's support vectors with their coefficients for j, plus the sum over
    class j's with their coefficients for i, minus rho. All the per-class sums come from one
    matrix product."""
    counts = model._n_support
    k = len(counts)
    owner = np.repeat(np.arange(k), counts)  # each support vector's class
    coef = model._dual_coef_  # (k - 1) × vectors
    # column (row of coef c, class m): coef[c] on class m's support vectors, zero elsewhere
    masked = coef.T[:, :, None] * (owner[:, None] == np.arange(k))[:, None, :]
    sums = (kernel @ masked.reshape(len(owner), -1)).reshape(kernel.shape[0], k - 1, k)
    i, j = np.triu_indices(k, 1)
    return sums[:, j - 1, i] + sums[:, i, j] + model._intercept_  # intercept = -rho


def _pairwise_probabilities(model: Any, decisions: np.ndarray) -> np.ndarray:
    """rows × k × k: libsvm's Platt sigmoid of each pair's decision, clipped, and 1 minus it."""
    f = decisions * model._probA + model._probB
    positive = f >= 0
    e = np.exp(-np.abs(f))  # exp(-f) where f >= 0, exp(f) elsewhere: libsvm's two forms
    p = np.where(positive, e / (1.0 + e), 1.0 / (1 + e))
    p = np.minimum(np.maximum(p, _MIN_PROB), 1 - _MIN_PROB)
    k = len(model._n_support)
    r = np.zeros((decisions.shape[0], k, k))
    i, j = np.triu_indices(k, 1)
    r[:, i, j] = p
    r[:, j, i] = 1 - p
    return r


def _coupled(r: np.ndarray) -> np.ndarray:
    """libsvm's ``multiclass_probability`` for every row at once: ``r`` is rows × k × k pairwise
    probabilities (zero diagonal); each row iterates until its own stopping rule holds, as in
    libsvm, with the same updates in the same order over the classes."""
    n, k, _ = r.shape
    Q = -np.transpose(r, (0, 2, 1)) * r  # Q[t, j] = -r[j, t] r[t, j]
    diagonal = np.arange(k)
    Q[:, diagonal, diagonal] = np.einsum("njt,njt->nt", r, r)  # sum over j of r[j, t]^2
    p = np.full((n, k), 1.0 / k)
    active = np.arange(n)
    eps = 0.005 / k
    for _ in range(max(100, k)):
        q, pa = Q[active], p[active]
        Qp = np.einsum("ntj,nj->nt", q, pa)
        pQp = np.einsum("nt,nt->n", pa, Qp)
        going = np.abs(Qp - pQp[:, None]).max(axis=1) >= eps
        if not going.all():
            active, q, pa, Qp, pQp = active[going], q[going], pa[going], Qp[going], pQp[going]
            if not len(active):
                break
        for t in range(k):
            diff = (-Qp[:, t] + pQp) / q[:, t, t]
            pa[:, t] += diff
            pQp = (pQp + diff * (diff * q[:, t, t] + 2 * Qp[:, t])) / (1 + diff) / (1 + diff)
            scale = (1 + diff)[:, None]
            Qp = (Qp + diff[:, None] * q[:, t, :]) / scale
            pa /= scale
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
            out[rows] = _coupled(_pairwise_probabilities(self, decisions))
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
