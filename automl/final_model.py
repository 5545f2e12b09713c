"""The final model: refit the best trial on all rows, or assemble an ensemble, or fall back.

What was built, and how, is a ``FinalModelReport`` (``automl.final_model_report``).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any

import numpy as np

from automl.combination import choose_combination
from automl.constant_model import constant_model, constant_prediction
from automl.ensemble import Ensemble
from automl.final_model_report import (
    ConstantReason,
    EnsembleMember,
    FinalKind,
    FinalModelReport,
    FitOn,
    FoldReason,
)
from automl.fold_store import FoldStore
from automl.ledger import TrialLedger
from automl.metrics import Metric
from automl.presets import AUTO
from automl.refits import Refits, fold_reason
from automl.reserve import ENSEMBLE_CANDIDATES, refit_estimate, refit_grace
from automl.sample_weight import weighted_rows, weights_of
from automl.second_layer import SecondLayer, second_layer_of
from automl.settings import Settings
from automl.stacking import StackedEnsemble, fit_meta_model, meta_predict
from automl.training_data import PreparedData
from automl.trials.executor import TrialExecutor, collect_refit
from automl.trials.request import TrialData
from automl.trials.resampling import Resampling
from automl.trials.result import TrialResult

log = logging.getLogger("automl")

SINGLE_REFIT_TRIES = 3  # the best trials a single final model may come from
FOLD_FALLBACKS = SINGLE_REFIT_TRIES  # fold models kept for the single model's fallback


@dataclass
class FinalModel:
    model: Any
    best: TrialResult | None  # the trial behind the model (the ensemble's heaviest member)
    report: FinalModelReport
    members: list[EnsembleMember]
    # an ensemble's predictions for the validation rows (a single model's are its trial's)
    validation_predictions: np.ndarray | None = None
    layer_trials: list[TrialResult] = field(default_factory=list)  # the second layer's


def member_latency_ms(trial: TrialResult, n_rows: int, folds_per_member: int = 1) -> float:
    """An ensemble member's prediction latency, ms per 1,000 rows, as its trial measured it
    (its fold models predicting the ``n_rows`` validation rows), for all ``folds_per_member``
    fold models of a bagged member."""
    return trial.predict_time / max(1, n_rows) * 1e6 * folds_per_member


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
        layer_data: TrialData | None = None,
        selection_seconds: float = 0.0,
    ) -> None:
        self.executor, self.ledger, self.prepared = executor, ledger, prepared
        self.settings, self.resampling, self.metric = settings, resampling, metric
        self.deadline, self.folds = deadline, folds
        self.refits = Refits(executor, settings, cores)
        self.layer_data = layer_data  # given: a second stacking layer is tried on these data
        self.layer: SecondLayer | None = None
        self.selection_seconds = selection_seconds  # ensemble selection's, after the layer

    def build(self) -> FinalModel:
        final = self.single()
        if self.settings.ensemble_size > 1:
            try:
                ensemble = self.ensemble(final)
            finally:
                if self.layer is not None:
                    self.layer.close()
            if ensemble is not None:
                final = ensemble
            if self.layer is not None:
                final.layer_trials = self.layer.ledger.by_id()
        return self._with_threshold(final)

    def _second_layer(self) -> SecondLayer | None:
        """The second stacking layer's trials, run now until the deadline (None: not tried,
        or none finished)."""
        if self.layer_data is None or self.folds is None:  # the engine checked it can run
            return None
        deadline = self.deadline - self.selection_seconds  # selection still runs after it
        self.layer = second_layer_of(
            self.layer_data, self.ledger, self.folds, self.executor, self.settings, deadline
        )
        return self.layer

    def _validation_rows(self) -> np.ndarray:
        # scored as the trials were: with the weights, without the rows of weight 0
        return weighted_rows(self.resampling.validation_rows, self.prepared.sample_weight)

    def _with_threshold(self, final: FinalModel) -> FinalModel:
        """The final model with the decision threshold its own out-of-fold predictions score
        best at, when the metric tunes one: a single model's is its trial's."""
        if not self.metric.tunes_threshold or final.report.kind == FinalKind.CONSTANT:
            return final
        if final.validation_predictions is None:
            threshold = final.best.threshold
        else:
            rows = self._validation_rows()
            threshold = self.metric.threshold(
                self.prepared.y[rows],
                np.asarray(final.validation_predictions, dtype=np.float64),
                weights_of(rows, self.prepared.sample_weight),
            )
        final.report = replace(final.report, decision_threshold=threshold)
        return final

    def _end(self) -> float:
        """When the final model must be built: the search's deadline plus the refit grace."""
        return self.deadline + refit_grace(self.settings.time_budget)

    def _time_left(self) -> float:
        return self._end() - time.time()

    def single(self) -> FinalModel:
        """The best trial refit on all rows; when bagging, its fold models as they are.

        If its refit fails, is cut off, or is predicted not to finish in the time left: the
        best trial's own fold models, which scored exactly its validation loss. Only when those
        are missing too, the next best trials (their refits run in parallel with the best's);
        a constant only when no trial finished."""
        ranked = self.ledger.ranked()
        if not ranked:
            report = FinalModelReport(FinalKind.CONSTANT, constant_reason=ConstantReason.NO_TRIAL)
            return FinalModel(constant_model(self.prepared), None, report, [])
        best = ranked[0]
        if self.bags() and self.folds is not None and self.folds.has(best.trial_id):
            # bagging: the best trial's fold models are the model, as they are for members
            member = EnsembleMember.of(best, 1.0, FitOn.FOLD_MODELS, FoldReason.NO_REFIT)
            report = FinalModelReport(
                FinalKind.SINGLE, members=(member,), resampled=self._resampled()
            )
            return FinalModel(self.folds.load(best.trial_id), best, report, [member])
        candidates = []  # the best, and the next ones while those before have no fold models
        for trial in ranked[:SINGLE_REFIT_TRIES]:
            candidates.append(trial)
            if self.folds is not None and self.folds.has(trial.trial_id):
                break
        limit = self._time_left()
        to_refit = [
            t for t in candidates if limit > 0.5 and refit_estimate(t, self.resampling) <= limit
        ]
        threads = self.refits.threads(len(to_refit))
        futures = {t.trial_id: self.refits.submit(t, limit, threads) for t in to_refit}
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
                member = EnsembleMember.of(trial, 1.0, FitOn.FOLD_MODELS, fold_reason(outcome))
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

    def bags(self) -> bool:
        """Whether ensemble members are their trials' fold models rather than refits."""
        return bags_fold_models(self.settings.ensemble_refit, self.resampling)

    def ensemble(self, single: FinalModel) -> FinalModel | None:
        """Ensemble selection on the stored predictions; the other members refit in parallel
        (or, when bagging, their fold models used as they are).

        Runs after the single model was built (refit, or bagged), so a model exists whatever
        happens here; it is reused if its trial is a member. If every refit of the best
        failed, even a one-member "ensemble" of fold models beats the constant fallback.
        None (keep the single model) when fewer than two trials beat a constant predictor,
        the selection keeps one member, or time runs out. A member whose refit fails uses its
        fold models, or is dropped and the remaining weights renormalized. How members are
        combined (greedy weights or a stacking meta-model) is ``choose_combination``'s choice.
        With a second layer, its trials are candidates too.
        """
        rows = self._validation_rows()
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
        bagging = self.bags()
        folds_per_member = len(self.resampling.splits) if bagging else 1

        def latency_of(t: TrialResult) -> float:
            return member_latency_ms(t, len(rows), folds_per_member)

        layers = [1] * len(candidates)
        layer = self._second_layer()
        if layer is not None:  # its trials compete with the first layer's, best first
            second = [t for t in layer.ledger.ranked() if t.loss < baseline]
            entries = sorted(
                [*zip(candidates, layers), *((t, 2) for t in second)],
                key=lambda entry: (entry[0].loss, entry[1], entry[0].trial_id),
            )
            candidates, layers = [t for t, _ in entries], [n for _, n in entries]
        first_latency = 0.0 if layer is None else sum(map(latency_of, layer.first))
        latency = [
            latency_of(t) + (first_latency if n == 2 else 0.0) for t, n in zip(candidates, layers)
        ]
        predictions = [t.predictions[rows] for t in candidates]
        combination = choose_combination(
            predictions,
            y_val,
            loss_of,
            self.metric,
            self.prepared.task,
            self.settings,
            costs=latency,
            deadline=self._end(),
            # stacking is unweighted: with sample weights, greedy selection (weighted) decides
            stacking=self.settings.stacking and self.prepared.sample_weight is None,
        )
        if combination is None:
            return None
        picked, stacked = combination.picked, combination.stacked
        if len(picked) < minimum:
            return None
        limit = self._time_left()
        if limit <= 0.5 and not bagging:  # bagged members need no refit, only loading
            log.warning(
                "no time left to refit the ensemble's members; keeping the best single model"
            )
            return None
        fitted = self._fit_members(candidates, layers, picked, single, refit_trial, bagging, limit)
        if len(fitted) < minimum:
            return None
        total = sum(member.weight for member, _, _ in fitted)
        fitted = [
            (EnsembleMember(**{**vars(m), "weight": m.weight / total}), model, index)
            for m, model, index in fitted
        ]
        fitted.sort(key=lambda item: (-item[0].weight, item[0].layer, item[0].trial_id))
        members = [member for member, _, _ in fitted]
        member_predictions = [predictions[index] for _, _, index in fitted]
        if stacked:  # the meta-model learns from the members that were fitted
            meta = fit_meta_model(member_predictions, y_val, self.prepared.task)
            width = 1 if self.prepared.classes is None else len(self.prepared.classes)
            model: Any = StackedEnsemble(
                [fitted_model for _, fitted_model, _ in fitted], meta, self.prepared.task, width
            )
            combined = meta_predict(meta, member_predictions, self.prepared.task, width)
        else:
            model = Ensemble(
                [(m.weight, fitted_model) for m, fitted_model, _ in fitted], self.prepared.task
            )
            combined = sum(m.weight * p for m, p in zip(members, member_predictions))
        report = FinalModelReport(
            FinalKind.STACKED if stacked else FinalKind.ENSEMBLE,
            members=tuple(members),
            dropped=len(picked) - len(members),
            metric=self.metric.name,
            validation_score=self.metric.to_score(combination.validation_loss),
            resampled=self._resampled(),
        )
        if refit_trial is None:  # the heaviest first-layer trial (second-layer ones stand on it)
            first = [m for m in members if m.layer == 1]
            refit_trial = self.ledger[first[0].trial_id] if first else layer.first[0]
        return FinalModel(model, refit_trial, report, members, combined)

    def _fit_members(
        self,
        candidates: list[TrialResult],
        layers: list[int],
        picked: list[tuple[int, float]],
        single: FinalModel,
        refit_trial: TrialResult | None,
        bagging: bool,
        limit: float,
    ) -> list[tuple[EnsembleMember, Any, int]]:
        """Each picked candidate's fitted model: its fold models when bagging, else a refit
        (in parallel), falling back to its fold models; (member, model, candidate index)."""
        fitted: list[tuple[EnsembleMember, Any, int]] = []
        loaded: dict[int, Any] = {}  # a trial's fold models, loaded once however often used

        def fold_models(trial_id: int) -> Any:
            if trial_id not in loaded:
                loaded[trial_id] = self.folds.load(trial_id)
            return loaded[trial_id]

        def use_folds(index: int, weight: float, why: FoldReason) -> bool:
            trial = candidates[index]
            if self.folds is None or not self.folds.has(trial.trial_id):
                return False
            member = EnsembleMember.of(trial, weight, FitOn.FOLD_MODELS, why)
            fitted.append((member, fold_models(trial.trial_id), index))
            return True

        to_fit = []
        for index, weight in picked:
            trial = candidates[index]
            if layers[index] == 2:  # always its fold models, over the first layer's
                first = [fold_models(t.trial_id) for t in self.layer.first]
                model = self.layer.model(trial.trial_id, first, self.prepared.task)
                member = EnsembleMember.of(trial, weight, FitOn.FOLD_MODELS, FoldReason.NO_REFIT)
                fitted.append((replace(member, layer=2), model, index))
                continue
            if bagging and use_folds(index, weight, FoldReason.NO_REFIT):
                continue  # bagged like the others: its fold models made its stored predictions
            if refit_trial is not None and trial.trial_id == refit_trial.trial_id:
                how = single.members[0]  # reused as it is: refit, or its fold models
                member = EnsembleMember.of(trial, weight, how.fitted_on, how.fold_reason)
                fitted.append((member, single.model, index))
            elif refit_estimate(trial, self.resampling) > limit and use_folds(
                index, weight, FoldReason.WOULD_OVERRUN
            ):
                continue
            else:
                to_fit.append((index, weight))
        threads = self.refits.threads(len(to_fit))
        futures = [
            (index, weight, self.refits.submit(candidates[index], limit, threads))
            for index, weight in to_fit
        ]
        for index, weight, future in futures:
            outcome = collect_refit(future)
            trial = candidates[index]
            if outcome.ok:
                fitted.append((EnsembleMember.of(trial, weight), outcome.model, index))
            elif not use_folds(index, weight, fold_reason(outcome)):
                log.warning(
                    "refit of ensemble member %d failed (%s: %s); dropped",
                    trial.trial_id,
                    outcome.status,
                    outcome.error,
                )
        return fitted


def bags_fold_models(ensemble_refit: bool | str, resampling: Resampling) -> bool:
    """Members are their fold models when ``ensemble_refit`` is False, or "auto" under
    k-fold cross-validation (k models on most rows each: a bag that needs no refit). A
    holdout's one model saw only part of the rows, so "auto" refits it."""
    if ensemble_refit == AUTO:
        return len(resampling.splits) > 1
    return not ensemble_refit
