"""Test-only model families that misbehave on purpose: hang, hog memory, crash, raise, exit.

Registered with ``automl.space.register_family`` by the fault-injection tests; trials run in
other processes, which import this module by name (tests/ is on their sys.path).
"""

from __future__ import annotations

import ctypes
import os
import time
from typing import Any

import numpy as np
from ConfigSpace import Float
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.dummy import DummyClassifier

from automl.space import ModelFamily


class Misbehaving(ClassifierMixin, BaseEstimator):
    """A classifier whose ``fit`` does ``how``; ``slow`` fits fine after ``seconds``."""

    def __init__(self, how: str = "raise", seconds: float = 60.0) -> None:
        self.how = how
        self.seconds = seconds

    def fit(self, X: Any, y: Any) -> Misbehaving:
        if self.how == "hang":
            while True:
                time.sleep(1)
        if self.how == "memory":
            hoard = []
            while True:  # 200 MB per step, touched so it is resident
                hoard.append(np.ones(25_000_000))
        if self.how == "segfault":
            ctypes.string_at(0)
        if self.how == "exit":
            os._exit(3)
        if self.how == "raise":
            raise RuntimeError("injected failure")
        if self.how == "slow":
            time.sleep(self.seconds)
        self.model_ = DummyClassifier(strategy="prior").fit(X, y)
        self.classes_ = self.model_.classes_
        return self

    def predict_proba(self, X: Any) -> np.ndarray:
        return self.model_.predict_proba(X)

    def predict(self, X: Any) -> np.ndarray:
        return self.model_.predict(X)


def _space(task: str) -> list:
    return [Float("unused", (0.0, 1.0), default=0.5)]


def _builder(how: str):
    def build(params: dict, context: Any) -> Misbehaving:
        return Misbehaving(how)

    build.__name__ = build.__qualname__ = f"build_{how}"
    return build


build_hang = _builder("hang")
build_memory = _builder("memory")
build_segfault = _builder("segfault")
build_exit = _builder("exit")
build_raise = _builder("raise")
build_slow = _builder("slow")

FAULTS = {
    how: ModelFamily(
        f"fault_{how}", True, False, _space, globals()[f"build_{how}"], native_categorical=True
    )
    for how in ("hang", "memory", "segfault", "exit", "raise", "slow")
}


def build_napping(params: dict, context: Any) -> Misbehaving:
    return Misbehaving("slow", seconds=1.0)


# Fits fine after a second's sleep: keeps a worker busy, so that it is killed mid-trial.
NAPPING = ModelFamily("napping", True, False, _space, build_napping, native_categorical=True)


class FailsOnAllRows(ClassifierMixin, BaseEstimator):
    """A logistic regression that fits on cross-validation folds (< 250 rows) but crashes when
    refit on all 300 rows: exercises the ensemble's fallback to fold models."""

    def fit(self, X: Any, y: Any) -> FailsOnAllRows:
        from sklearn.linear_model import LogisticRegression

        if len(X) > 250:
            raise RuntimeError("injected refit failure")
        self.model_ = LogisticRegression(C=float(len(X) % 7 + 1)).fit(X, y)
        self.classes_ = self.model_.classes_
        return self

    def predict_proba(self, X: Any) -> np.ndarray:
        return self.model_.predict_proba(X)

    def predict(self, X: Any) -> np.ndarray:
        return self.model_.predict(X)


def build_fails_on_all_rows(params: dict, context: Any) -> FailsOnAllRows:
    return FailsOnAllRows()


FAILS_ON_ALL_ROWS = ModelFamily(
    "fails_on_all_rows", True, False, _space, build_fails_on_all_rows, native_categorical=True
)


class Hoarding(Misbehaving):
    """Allocates 20 MB every 20 ms until it is stopped: slowly enough to be stopped in time."""

    def fit(self, X: Any, y: Any) -> Hoarding:
        hoard = []
        while True:
            hoard.append(np.ones(2_500_000))
            time.sleep(0.02)


def build_hoarding(params: dict, context: Any) -> Hoarding:
    return Hoarding()


HOARDING = ModelFamily("hoarding", True, False, _space, build_hoarding, native_categorical=True)
