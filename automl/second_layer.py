"""The second stacking layer: pipelines fit again on the original features plus the first
layer's out-of-fold predictions, on the same k folds (multi-layer stack ensembling, the way
AutoGluon's best quality stacks).

The first layer is the best trial of each of the best few model families. Its out-of-fold
predictions become extra columns, so a row's columns come from fold models that never saw
that row. The second layer reruns the same families' best configurations on the wider table,
as trials of their own (a ledger and a fold store of their own, never the search's), on the
same splits: their out-of-fold predictions are what ensemble selection then weighs against
the first layer's. At prediction time the first layer's columns come from its bagged fold
models, and each second-layer pipeline averages its own fold models.

Only under k-fold cross-validation with bagged members, on a frame, with the search's own
splits (not ``reshuffle_splits``): a holdout has no out-of-fold predictions for its training
rows, and a first-layer refit would predict differently from the models that made the
columns.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from concurrent.futures import wait
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from automl.data import REGRESSION
from automl.fold_store import FoldStore
from automl.ledger import TrialLedger
from automl.stacking import member_predictions
from automl.trials.executor import TrialExecutor, collect_trial, make_executor
from automl.trials.request import TrialData, TrialRequest
from automl.trials.result import TrialResult

if TYPE_CHECKING:
    from automl.settings import Settings

log = logging.getLogger("automl")

LAYER_FAMILIES = 4  # first-layer columns come from the best trial of this many families
COLUMN_PREFIX = "__layer1_"  # the extra columns' names; a user column may not start with it
LAYER_SAFETY = 1.3  # predicted second-layer time = its trials' first-layer durations x this
MIN_SECONDS = 1.0  # with less left before the deadline, the second layer is not started


def pick_first_layer(
    ranked: Sequence[TrialResult], has_models: Callable[[int], bool]
) -> list[TrialResult]:
    """The best full-fidelity trial of each of the best ``LAYER_FAMILIES`` model families,
    among trials whose fold models are stored (``ranked`` is best first)."""
    picked: dict[str, TrialResult] = {}
    for trial in ranked:
        family = trial.config.get("model")
        if trial.fidelity < 1.0 or family in picked or trial.predictions is None:
            continue
        if has_models(trial.trial_id):
            picked[family] = trial
            if len(picked) == LAYER_FAMILIES:
                break
    return list(picked.values())


def layer_seconds(first: Sequence[TrialResult], n_workers: int) -> float:
    """Predicted wall seconds of the second layer's trials on ``n_workers`` workers."""
    return sum(t.duration for t in first) * LAYER_SAFETY / max(1, n_workers)


def layer_columns(predictions: Sequence[np.ndarray], task: str) -> np.ndarray:
    """The first layer's predictions as columns: a regression's prediction, a binary task's
    positive-class probability, every class probability of a multiclass task."""
    columns = []
    for p in predictions:
        p = np.asarray(p, dtype=np.float32)
        if task == REGRESSION or p.ndim == 1:
            columns.append(p.reshape(-1, 1))
        elif p.shape[1] == 2:
            columns.append(p[:, 1:])
        else:
            columns.append(p)
    return np.hstack(columns)


def with_layer_columns(X: pd.DataFrame, columns: np.ndarray) -> pd.DataFrame:
    names = [f"{COLUMN_PREFIX}{i}" for i in range(columns.shape[1])]
    extra = pd.DataFrame(columns, columns=names, index=X.index)
    return pd.concat([X, extra], axis=1)


class SecondLayerModel:
    """A second-layer pipeline's fold models over the first layer's bagged fold models."""

    def __init__(self, first: list[Any], model: Any, task: str) -> None:
        self.first, self.model, self.task = first, model, task

    def _widened(self, X: pd.DataFrame) -> pd.DataFrame:
        predictions = member_predictions(self.first, X, self.task)
        return with_layer_columns(X, layer_columns(predictions, self.task))

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        return self.model.predict_proba(self._widened(X))

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        return self.model.predict(self._widened(X))


@dataclass
class SecondLayer:
    """The first layer it stands on, and its own trials and their fold models."""

    first: list[TrialResult]
    ledger: TrialLedger
    folds: FoldStore

    def model(self, trial_id: int, first_models: list[Any], task: str) -> SecondLayerModel:
        return SecondLayerModel(first_models, self.folds.load(trial_id), task)

    def close(self) -> None:
        self.folds.close()


def unusable(data: TrialData, reshuffled: bool) -> str | None:
    """Why the second layer cannot run on these data (None: it can)."""
    if not isinstance(data.X, pd.DataFrame):
        return "a sparse matrix takes no extra columns"
    if len(data.resampling.splits) < 2 or data.resampling.plan is None:
        return f"a {data.resampling.description} has no out-of-fold predictions for every row"
    if reshuffled:
        return "under reshuffle_splits the trials' folds differ"
    if any(str(c).startswith(COLUMN_PREFIX) for c in data.X.columns):
        return f"a column's name starts with {COLUMN_PREFIX!r}"
    return None


def run_second_layer(
    data: TrialData,
    first: list[TrialResult],
    executor_for: Callable[[TrialData], TrialExecutor],
    *,
    metric: Any,
    random_state: int,
    deadline: float,
    memory_limit_mb: float | None,
) -> SecondLayer | None:
    """Run the first layer's configurations again on the widened table until ``deadline``;
    None when not one of them finished."""
    rows = data.resampling.validation_rows
    if len(first) < 2 or any(not np.isfinite(t.predictions[rows]).all() for t in first):
        return None
    if deadline - time.time() < MIN_SECONDS:
        log.info("second layer: skipped, the budget is spent")
        return None
    columns = layer_columns([t.predictions for t in first], data.task)
    widened = replace(data, X=with_layer_columns(data.X, columns))
    ledger = TrialLedger()
    folds = FoldStore(ledger, capacity=len(first))
    started = time.time()
    try:
        executor = executor_for(widened)
    except BaseException:
        folds.close()
        raise
    try:
        requests = [
            TrialRequest(
                trial_id=number,
                config=trial.config,
                metric=metric,
                random_state=random_state,
                keep_models_below=float("inf"),
                fold_models_file=folds.incoming(number) if executor.shares_disk else None,
            )
            for number, trial in enumerate(first)
        ]
        futures = {
            executor.evaluate(r, deadline=deadline, memory_limit_mb=memory_limit_mb): r
            for r in requests
        }
        wait(futures)
        for future, request in futures.items():
            result = collect_trial(future, request, time.time() - started)
            log.debug(
                "second-layer trial %d %s %s loss=%.5g (%.1fs)",
                result.trial_id,
                result.config["model"],
                result.status,
                result.loss,
                result.duration,
            )
            ledger.add(result)
    except BaseException:
        folds.close()
        raise
    finally:
        executor.close()
    finished = ledger.ranked()
    log.info(
        "second layer: %d of %d trials finished in %.1fs%s",
        len(finished),
        len(first),
        time.time() - started,
        "" if not finished else f", best {finished[0].config['model']} loss {finished[0].loss:.5g}",
    )
    if not finished:
        folds.close()
        return None
    return SecondLayer(first, ledger, folds)


def second_layer_of(
    data: TrialData,
    ledger: TrialLedger,
    folds: FoldStore,
    executor: TrialExecutor,
    settings: Settings,
    deadline: float,
) -> SecondLayer | None:
    """The second layer over the search's ``ledger``, on workers like ``executor``'s."""
    first = pick_first_layer(ledger.ranked(full_fidelity=True), folds.has)

    def layer_executor(widened: TrialData) -> TrialExecutor:
        return make_executor(
            widened,
            executor.n_workers,
            executor.n_threads,
            fit_memory_limit_mb=settings.fit_memory_limit_mb,
        )

    return run_second_layer(
        data,
        first,
        layer_executor,
        metric=settings.metric,
        random_state=settings.random_state,
        deadline=deadline,
        memory_limit_mb=settings.memory_limit_mb,
    )
