"""What a model family is: its hyperparameters, its builder, and what the rest of the system
must know about it (tasks, preprocessing path, size limit, worker imports, group)."""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ConfigSpace.hyperparameters import Hyperparameter

from automl.data import REGRESSION


@dataclass(frozen=True)
class BuildContext:
    """What a builder may know about the data and the machine (never about budgets)."""

    task: str
    n_rows: int
    n_features: int
    n_threads: int = 1
    random_state: int = 0

    @property
    def is_classification(self) -> bool:
        return self.task != REGRESSION


@dataclass(frozen=True)
class EarlyStopping:
    """How a boosting family stops growing when a validation set stops improving.

    ``rounds`` names its hyperparameter for the number of rounds, which becomes the most it may
    grow. ``fit`` fits the built (unfitted) model on ``X, y`` while watching ``X_val, y_val``
    (weights optional), stops after ``patience`` rounds without improvement, and returns the
    rounds the fitted model keeps and predicts with.
    """

    rounds: str
    fit: Callable[..., int]


@dataclass(frozen=True)
class ModelFamily:
    """One model family as the pipeline space sees it.

    Everything particular to a family is declared here, so adding one is one definition plus
    its place in the registry (``automl.space.registry``), never a name check elsewhere.
    """

    name: str
    classification: bool
    regression: bool
    hyperparameters: Callable[[str], list[Hyperparameter]]  # task -> our own hyperparameters
    build: Callable[[dict[str, Any], BuildContext], Any]  # our values -> unfitted estimator
    native_categorical: bool = False  # takes pandas categories as they are
    needs_scaling: bool = False
    max_rows: int | None = None  # offered only on data up to this size
    low_cost: dict[str, Any] = field(default_factory=dict)
    # Native-categorical models that cap the number of categories per column: wider columns
    # reach the model as integer codes (numeric) instead.
    native_category_limit: int | None = None
    # Modules a trial of this family imports: a worker imports them once, before its first
    # trial, instead of every forked trial paying for them.
    preload: tuple[str, ...] = ()
    group: str | None = None  # a name users may write in include/exclude for several families
    # Multi-threaded through OpenMP: with OMP_WAIT_POLICY=PASSIVE (set by many harnesses and
    # containers) its idle threads sleep between parallel regions, and a second thread makes a
    # boosting fit several times slower instead of faster (benchmarks/REFIT_THREADS.md), so
    # such a model then gets one thread.
    openmp: bool = False
    # Its model's fit takes ``sample_weight`` (the pipeline passes it to the model step); a fit
    # given weights leaves out the families whose model takes none.
    sample_weight: bool = True
    # Its model takes a scipy.sparse matrix (after the encoded path's sparse steps): only such
    # families are searched on sparse X, which is never made dense.
    sparse_input: bool = False
    # A boosting family that can stop early on a validation set (automl.trials.early_stopping)
    early_stopping: EarlyStopping | None = None
    # The package an optional family needs (an extra): without it the family is not offered,
    # and naming it in include says how to install it.
    requires: str | None = None
    # Searched only when include names it (or its group), never by default: a family whose
    # trials cost much of a default budget and that did not pay for it where measured. Its
    # preload modules are imported only by the workers of a search that includes it.
    opt_in: bool = False

    def __post_init__(self) -> None:
        if isinstance(self.preload, str) or not all(isinstance(m, str) for m in self.preload):
            raise TypeError(f"{self.name}: preload must be a tuple of module names.")
        if self.native_category_limit is not None and not self.native_categorical:
            raise ValueError(
                f"{self.name}: native_category_limit applies only to native_categorical families."
            )

    def threads(self, allotted: int) -> int:
        """The threads this family's model uses when ``allotted`` are available here."""
        if self.openmp and openmp_waits_passively():
            return 1
        return allotted

    def installed(self) -> bool:
        """Whether the package this family needs, if any, can be imported here."""
        return self.requires is None or importlib.util.find_spec(self.requires) is not None

    def supports(self, task: str) -> bool:
        return self.regression if task == REGRESSION else self.classification


def openmp_waits_passively() -> bool:
    """Whether this process's OpenMP threads sleep when idle (``OMP_WAIT_POLICY=PASSIVE``)."""
    return os.environ.get("OMP_WAIT_POLICY", "").strip().upper() == "PASSIVE"
