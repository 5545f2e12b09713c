"""The final model: refit the best trial on all rows, or assemble an ensemble, or fall back.

What was built, and how, is a ``FinalModelReport`` (the estimator's ``refit_``): a structured
value, rendered to text only where a person reads it.
"""

from __future__ import annotations

import logging
import time
from dataclasses import asdict, dataclass, field
from enum import Enum
from functools import partial
from typing import Any

import numpy as np

from automl.data import REGRESSION, PreparedData
from automl.ensemble import Ensemble, select_ensemble
from automl.fold_store import FoldStore
from automl.ledger import TrialLedger
from automl.metrics import Metric
from automl.reserve import ENSEMBLE_CANDIDATES, refit_estimate, refit_grace
from automl.sample_weight import weighted_rows, weights_of
from automl.settings import Settings
from automl.trials.executor import RefitOutcome, TrialExecutor, collect_refit
from automl.trials.request import RefitRequest
from automl.trials.resampling import Resampling
from automl.trials.result import TrialResult
from automl.trials.status import TrialStatus

log = logging.getLogger("automl")

SINGLE_REFIT_TRIES = 3  # the best trials a single final model may come from
FOLD_FALLBACKS = SINGLE_REFIT_TRIES  # fold models kept for the single model's fallback


class FitOn(str, Enum):
    """What a member (or the single final model) was fit on."""

    ALL_ROWS = "all rows"  # refit on every training row
    FOLD_MODELS = "fold models"  # its trial's cross-validation (or holdout) models, averaged


class FoldReason(str, Enum):
    """Why a member uses its fold models instead of a refit."""

    NO_REFIT = "ensemble_refit=False"
    WOULD_OVERRUN = "a refit would overrun the budget"
    REFIT_FAILED = "its refit failed"
    REFIT_CUT_OFF = "its refit ran out of time"


class FinalKind(str, Enum):
    SINGLE = "single"  # the best pipeline refit on all rows
    ENSEMBLE = "ensemble"  # a weighted average of pipelines
    CONSTANT = "constant"  # class frequencies or the mean: nothing else was available


class ConstantReason(str, Enum):
    NO_TRIAL = "no trial finished"
    REFITS_FAILED = "refitting the best trials failed or ran out of time"


@dataclass(frozen=True)
class EnsembleMember:
    """One pipeline of the final model and its weight."""

    trial_id: int
    weight: float
    model: str | None  # the model family
    config: dict[str, Any]
    score: float | None  # its trial's validation score
    fitted_on: FitOn = FitOn.ALL_ROWS
    fold_reason: FoldReason | None = None

    @classmethod
    def of(
        cls,
        trial: TrialResult,
        weight: float,
        fitted_on: FitOn = FitOn.ALL_ROWS,
        fold_reason: FoldReason | None = None,
    ) -> EnsembleMember:
        return cls(
            trial.trial_id,
            float(weight),
            trial.config.get("model"),
            trial.config,
            trial.score,
            fitted_on,
            fold_reason,
        )

    def as_dict(self) -> dict[str, Any]:
        """Plain values, for the estimator's ``ensemble_``."""
        values = asdict(self)
        values["fitted_on"] = self.fitted_on.value
        values["fold_reason"] = None if self.fold_reason is None else self.fold_reason.value
        return values


@dataclass(frozen=True)
class FinalModelReport:
    """How the final model was built (the estimator's ``refit_``); ``str()`` tells a person."""

    kind: FinalKind
    failed_refits: int = 0  # better trials whose refit failed before one succeeded
    constant_reason: ConstantReason | None = None
    members: tuple[EnsembleMember, ...] = field(default_factory=tuple)
    dropped: int = 0  # ensemble members whose refit failed, with no fold models to use
    metric: str | None = None
    validation_score: float | None = None  # the ensemble's, on the stored predictions
    resampled: str = "cv"  # where fold models come from: "cv" or "holdout"

    @property
    def on_fold_models(self) -> int:
        return sum(m.fitted_on == FitOn.FOLD_MODELS for m in self.members)

    def __str__(self) -> str:
        if self.kind == FinalKind.CONSTANT:
            return f"constant baseline ({self.constant_reason.value})"
        if self.kind == FinalKind.SINGLE:
            member = self.members[0]
            if member.fitted_on == FitOn.FOLD_MODELS:
                return (
                    f"the {self.resampled} fold models of trial {member.trial_id} "
                    f"({member.fold_reason.value})"
                )
            after = f" (after {self.failed_refits} failed refit(s))" if self.failed_refits else ""
            return "refit on all rows" + after
        folds = self.on_fold_models
        text = (
            f"ensemble of {len(self.members)} pipelines (validation {self.metric} "
            f"{self.validation_score:.6g}); {len(self.members) - folds} refit on all rows"
        )
        if folds:
            text += f", {folds} from their {self.resampled} fold models"
        if self.dropped:
            text += f"; {self.dropped} member(s) failed to refit and were dropped"
        return text


@dataclass
class FinalModel:
    model: Any
    best: TrialResult | None  # the trial behind the model (the ensemble's heaviest member)
    report: FinalModelReport
    members: list[EnsembleMember]


class FinalModelBuilder:
    """Builds the final model from the ledger's best trials before ``deadline`` + grace."""

    def __init__(
        self,
        executor: TrialExecutor,
        ledger: TrialLedger,
        prepared: PreparedData,
        settings: Settings,
        resampling: Resampling,
        metric: Metric,
        *,
        deadline: float,
        cores: int,
        folds: FoldStore | None = None,
    ) -> None:
        self.executor, self.ledger, self.prepared = executor, ledger, prepared
        self.settings, self.resampling, self.metric = settings, resampling, metric
        self.deadline, self.cores, self.folds = deadline, cores, folds

    def build(self) -> FinalModel:
        final = self.single()
        if self.settings.ensemble_size > 1:
            ensemble = self.ensemble(final)
            if ensemble is not None:
                return ensemble
        return final

    def _time_left(self) -> float:
        return self.deadline + refit_grace(self.settings.time_budget) - time.time()

    def _submit_refit(self, trial: TrialResult, limit: float, threads: int) -> Any:
        request = RefitRequest(config=trial.config, random_state=self.settings.random_state)
        return self.executor.refit(
            request,
            time_limit=limit,
            memory_limit_mb=self.settings.memory_limit_mb,
            n_threads=threads,
        )

    def _refit_threads(self, n_refits: int) -> int:
        """Threads per refit when ``n_refits`` run at once, one per worker."""
        return max(1, self.cores // max(1, min(self.executor.n_workers, n_refits)))

    def _fold_reason(self, outcome: RefitOutcome | None) -> FoldReason:
        if outcome is None:
            return FoldReason.WOULD_OVERRUN
        return (
            FoldReason.REFIT_CUT_OFF
            if outcome.status == TrialStatus.TIMEOUT
            else (FoldReason.REFIT_FAILED)
        )

    def single(self) -> FinalModel:
        """The best trial refit on all rows. If its refit fails, is cut off, or is predicted
        not to finish in the time left: the best trial's own fold models, which scored exactly
        its validation loss. Only when those are missing too, the next best trials (their
        refits run in parallel with the best's); a constant only when no trial finished."""
        ranked = self.ledger.ranked()
        if not ranked:
            report = FinalModelReport(FinalKind.CONSTANT, constant_reason=ConstantReason.NO_TRIAL)
            return FinalModel(constant_model(self.prepared), None, report, [])
        candidates = []  # the best, and the next ones while those before have no fold models
        for trial in ranked[:SINGLE_REFIT_TRIES]:
            candidates.append(trial)
            if self.folds is not None and self.folds.has(trial.trial_id):
                break
        limit = self._time_left()
        to_refit = [
            t for t in candidates if limit > 0.5 and refit_estimate(t, self.resampling) <= limit
        ]
        threads = self._refit_threads(len(to_refit))
        futures = {t.trial_id: self._submit_refit(t, limit, threads) for t in to_refit}
        outcomes = {trial_id: collect_refit(future) for trial_id, future in futures.items()}
        failed = 0
        for trial in candidates:
            outcome = outcomes.get(trial.trial_id)
            if outcome is not None and outcome.ok:
                member = EnsembleMember.of(trial, 1.0)
                report = FinalModelReport(
                    FinalKind.SINGLE,
                    failed_refits=failed,
                    members=(member,),
                    resampled=self._resampled(),
                )
                return FinalModel(outcome.model, trial, report, [member])
            if outcome is not None:
                failed += 1
                log.warning(
                    "refit of trial %d failed (%s: %s)",
                    trial.trial_id,
                    outcome.status,
                    outcome.error,
                )
            if self.folds is not None and self.folds.has(trial.trial_id):
                member = EnsembleMember.of(
                    trial, 1.0, FitOn.FOLD_MODELS, self._fold_reason(outcome)
                )
                report = FinalModelReport(
                    FinalKind.SINGLE,
                    failed_refits=failed,
                    members=(member,),
                    resampled=self._resampled(),
                )
                log.warning("final model: %s", report)
                return FinalModel(self.folds.load(trial.trial_id), trial, report, [member])
        report = FinalModelReport(FinalKind.CONSTANT, constant_reason=ConstantReason.REFITS_FAILED)
        return FinalModel(constant_model(self.prepared), None, report, [])

    def _resampled(self) -> str:
        return "holdout" if len(self.resampling.splits) == 1 else "cv"

    def ensemble(self, single: FinalModel) -> FinalModel | None:
        """Ensemble selection on the stored predictions; the other members refit in parallel.

        Runs after the best single trial was refit, so a model exists whatever happens here;
        that fitted model is reused if the trial is a member. If every refit of the best
        failed, even a one-member "ensemble" of fold models beats the constant fallback.
        None (keep the single model) when fewer than two trials beat a constant predictor,
        the selection keeps one member, or time runs out. A member whose refit fails uses its
        fold models, or is dropped and the remaining weights renormalized.
        """
        # scored as the trials were: with the weights, without the rows of weight 0
        rows = weighted_rows(self.resampling.validation_rows, self.prepared.sample_weight)
        y_val = self.prepared.y[rows]
        loss_of = partial(
            self.metric.loss, sample_weight=weights_of(rows, self.prepared.sample_weight)
        )
        baseline = loss_of(y_val, constant_prediction(self.prepared, len(rows)))
        candidates = [
            t
            for t in self.ledger.ranked(full_fidelity=True)
            if t.predictions is not None and t.loss < baseline
        ][:ENSEMBLE_CANDIDATES]
        refit_trial = single.best
        minimum = 2 if refit_trial is not None else 1
        if len(candidates) < minimum:
            return None
        latency = [t.predict_time / max(1, len(rows)) * 1e6 for t in candidates]  # ms/1k rows
        try:
            selection = select_ensemble(
                [t.predictions[rows] for t in candidates],
                y_val,
                loss_of,
                rounds=self.settings.ensemble_size,
                random_state=None,  # candidates are ranked
                max_members=self.settings.ensemble_max_members,
                costs=latency,
                max_cost=self.settings.ensemble_max_latency,
            )
        except ValueError as error:  # no candidate fits the latency cap
            log.warning("ensemble: %s; keeping the best single model", error)
            return None
        picked = sorted(selection.weights.items(), key=lambda item: (-item[1], item[0]))
        if len(picked) < minimum:
            return None
        limit = self._time_left()
        if limit <= 0.5:
            log.warning(
                "no time left to refit the ensemble's members; keeping the best single model"
            )
            return None
        fitted: list[tuple[EnsembleMember, Any]] = []

        def use_folds(trial: TrialResult, weight: float, why: FoldReason) -> bool:
            if self.folds is None or not self.folds.has(trial.trial_id):
                return False
            member = EnsembleMember.of(trial, weight, FitOn.FOLD_MODELS, why)
            fitted.append((member, self.folds.load(trial.trial_id)))
            return True

        to_fit = []
        for index, weight in picked:
            trial = candidates[index]
            if not self.settings.ensemble_refit and use_folds(trial, weight, FoldReason.NO_REFIT):
                continue
            if refit_trial is not None and trial.trial_id == refit_trial.trial_id:
                how = single.members[0]  # reused as it is: refit, or its fold models
                member = EnsembleMember.of(trial, weight, how.fitted_on, how.fold_reason)
                fitted.append((member, single.model))
            elif refit_estimate(trial, self.resampling) > limit and use_folds(
                trial, weight, FoldReason.WOULD_OVERRUN
            ):
                continue
            else:
                to_fit.append((trial, weight))
        threads = self._refit_threads(len(to_fit))
        futures = [
            (trial, weight, self._submit_refit(trial, limit, threads)) for trial, weight in to_fit
        ]
        for trial, weight, future in futures:
            outcome = collect_refit(future)
            if outcome.ok:
                fitted.append((EnsembleMember.of(trial, weight), outcome.model))
            elif not use_folds(trial, weight, self._fold_reason(outcome)):
                log.warning(
                    "refit of ensemble member %d failed (%s: %s); dropped",
                    trial.trial_id,
                    outcome.status,
                    outcome.error,
                )
        if len(fitted) < minimum:
            return None
        total = sum(member.weight for member, _ in fitted)
        fitted = [
            (EnsembleMember(**{**vars(m), "weight": m.weight / total}), model)
            for m, model in fitted
        ]
        fitted.sort(key=lambda pair: (-pair[0].weight, pair[0].trial_id))
        members = [member for member, _ in fitted]
        report = FinalModelReport(
            FinalKind.ENSEMBLE,
            members=tuple(members),
            dropped=len(picked) - len(members),
            metric=self.metric.name,
            validation_score=self.metric.to_score(selection.loss),
            resampled=self._resampled(),
        )
        model = Ensemble(
            [(m.weight, fitted_model) for m, fitted_model in fitted], self.prepared.task
        )
        top = self.ledger[members[0].trial_id]
        return FinalModel(model, refit_trial or top, report, members)


def constant_prediction(prepared: PreparedData, n: int) -> np.ndarray:
    """What the constant model predicts: class frequencies, or the mean (weighted, with
    sample weights)."""
    weights = prepared.sample_weight
    if prepared.task == REGRESSION:
        return np.full(n, float(np.average(prepared.y, weights=weights)))
    counts = np.bincount(prepared.y, weights=weights, minlength=len(prepared.classes))
    return np.tile(counts / counts.sum(), (n, 1))


def constant_model(prepared: PreparedData) -> Any:
    """The last resort, when no trial could be refit: a fitted dummy estimator."""
    from sklearn.dummy import DummyClassifier, DummyRegressor

    model = DummyRegressor() if prepared.task == REGRESSION else DummyClassifier(strategy="prior")
    return model.fit(
        np.zeros((len(prepared.y), 1)), prepared.y, sample_weight=prepared.sample_weight
    )
