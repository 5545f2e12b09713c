"""One fit whose candidates' test predictions are captured, for benchmarks that build many final
models from one run (``ensemble_choice``, ``meta_model``, ``stack_members``).

``captured_fit`` fits on the fixed 75/25 split of ``benchmarks.run`` (``n_jobs=1``, pinned to a
core by ``benchmarks.pinned``), keeping the fold models of the 50 best trials; before the final
model is built, every candidate's fold models predict the test rows. ``run_specs`` runs such a
benchmark over priors or shared datasets, one pinned child per (dataset, seed).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks import common, pinned

CANDIDATES = 50


@dataclass(frozen=True)
class Candidate:
    trial: Any  # automl.trials.TrialResult
    oof: Any  # its stored out-of-fold (validation) predictions
    test: Any  # its fold models' predictions of the test rows
    latency_us: float  # per test row


@dataclass(frozen=True)
class CapturedRun:
    data: Any  # common.Split
    model: Any  # the fitted estimator
    fit_time: float
    classes: Any  # the estimator's classes_ (None for regression)
    # what the final-model builder saw, captured before it built
    candidates: list[Candidate]
    task: str
    y_val: Any
    loss_of: Callable[..., float]
    prepared: Any
    frame: Any  # the test rows as the models take them
    prep_ms: float  # the estimator's input preparation, ms per 1,000 rows
    resampling: str
    # the candidates' predictions as float64 (out-of-fold, test)
    oof: list[Any]
    tests: list[Any]

    @property
    def width(self) -> int:
        return 1 if self.task == "regression" else len(self.classes)

    def score(self, prediction: Any) -> float:
        data = self.data
        return common.test_score(data.task, data.y_test, self.classes, prediction, data.all_classes)

    def weighted(self, weights: dict[int, float]) -> Any:
        """The test prediction of candidates averaged with these weights."""
        total = sum(weights.values())
        return sum(w / total * self.tests[i] for i, w in weights.items())


def timed(predict: Any, X: Any) -> tuple[Any, float]:
    started = time.perf_counter()
    out = predict(X)
    return out, (time.perf_counter() - started) * 1e6 / max(1, len(X))


def _capturing_builder(X_test: Any, captured: dict[str, Any]) -> Any:
    """A final-model builder that first predicts the test rows with every candidate's fold
    models (kept for the 50 best trials), then builds as usual."""
    from automl.constant_model import constant_prediction
    from automl.data import align_columns, to_model_frame
    from automl.final_model import FinalModelBuilder

    class Capturing(FinalModelBuilder):
        def build(self) -> Any:
            prepared = self.prepared
            rows = self.resampling.validation_rows
            y_val = prepared.y[rows]
            baseline = self.metric.loss(y_val, constant_prediction(prepared, len(rows)))
            started = time.perf_counter()
            frame = to_model_frame(prepared.schema, align_columns(prepared.schema, X_test))
            prep_ms = (time.perf_counter() - started) * 1e6 / max(1, len(X_test))
            candidates = []
            for trial in self.ledger.ranked(full_fidelity=True):
                if len(candidates) >= CANDIDATES:
                    break
                if trial.predictions is None or not trial.loss < baseline:
                    continue
                if self.folds is None or not self.folds.has(trial.trial_id):
                    continue
                model = self.folds.load(trial.trial_id)
                predict = model.predict if prepared.task == "regression" else model.predict_proba
                test, latency = timed(predict, frame)
                candidates.append(Candidate(trial, trial.predictions[rows], test, latency))
            captured.update(
                task=prepared.task,
                y_val=y_val,
                loss_of=self.metric.loss,
                prepared=prepared,
                frame=frame,
                prep_ms=prep_ms,
                candidates=candidates,
                resampling=self.resampling.description,
            )
            return super().build()

    return Capturing


def captured_fit(spec: dict[str, Any]) -> CapturedRun:
    """Fit on the (dataset, seed) of ``spec`` with its budget, capturing the candidates."""
    import numpy as np

    import automl.engine as engine
    from automl import AutoMLClassifier, AutoMLRegressor

    seed = int(spec["seed"])
    data = common.split(spec["dataset"], seed)
    captured: dict[str, Any] = {}
    engine.FinalModelBuilder = _capturing_builder(data.X_test, captured)
    cls = AutoMLClassifier if data.classification else AutoMLRegressor
    model = cls(
        time_budget=spec["budget"],
        n_jobs=1,
        ensemble_size=25,  # keeps the 50 best trials' fold models
        history=None,
        warm_start=common.unseen_metabase(spec["dataset"]),
        random_state=seed,
        verbose=0,
    )
    started = time.time()
    model.fit(data.X_train, data.y_train)
    fit_time = time.time() - started
    candidates = captured["candidates"]
    return CapturedRun(
        data,
        model,
        fit_time,
        model.classes_ if data.classification else None,
        oof=[np.asarray(c.oof, dtype=np.float64) for c in candidates],
        tests=[np.asarray(c.test, dtype=np.float64) for c in candidates],
        **captured,
    )


def run_specs(
    module: str,
    args: Any,
    *,
    out: Path,
    columns: Sequence[str],
    key: Sequence[str],
    tasks: Sequence[str] = common.TASKS,
) -> None:
    """Run ``module``'s ``run_one`` once per (dataset, seed) of the priors (``--priors N``)
    or shared datasets (``--datasets``) of these tasks, resumably into ``out``."""
    import pandas as pd

    if args.priors:
        frame = pd.read_csv(common.priors_file(), keep_default_na=False)
        task_of = {f"{common.PRIOR}{r.package}/{r.item}": r.task for r in frame.itertuples()}
        datasets = common.select_priors(args.priors, seed=0, max_rows=args.max_rows or None)
    else:
        catalog = common.select_datasets(args.datasets, max_rows=args.max_rows)
        task_of = dict(zip(catalog["name"], catalog["task"]))
        datasets = list(catalog["name"])
    specs = [
        {"dataset": name, "seed": seed, "budget": args.budget}
        for seed in [int(s) for s in common.comma_list(args.seeds)]
        for name in datasets
        if task_of[name] in tasks
    ]
    pinned.run_pinned(
        module,
        specs,
        out=out,
        columns=columns,
        key=key,
        parallel=args.parallel,
        timeout=pinned.hard_timeout(args.budget),
    )
