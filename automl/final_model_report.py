"""How the final model was built, as typed values: the estimator's ``refit_`` and ``ensemble_``.

Rendered to text only where a person reads it (``str(FinalModelReport)``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import Enum
from typing import Any

from automl.trials.result import TrialResult


class FitOn(str, Enum):
    """What a member (or the single final model) was fit on."""

    ALL_ROWS = "all rows"  # refit on every training row
    FOLD_MODELS = "fold models"  # its trial's cross-validation (or holdout) models, averaged


class FoldReason(str, Enum):
    """Why a member uses its fold models instead of a refit."""

    NO_REFIT = "bagged: its fold models, no refit"
    WOULD_OVERRUN = "a refit would overrun the budget"
    REFIT_FAILED = "its refit failed"
    REFIT_CUT_OFF = "its refit ran out of time"


class FinalKind(str, Enum):
    SINGLE = "single"  # the best pipeline refit on all rows
    ENSEMBLE = "ensemble"  # a weighted average of pipelines
    STACKED = "stacked"  # a meta-model over pipelines' predictions
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
    # 2: a second stacking layer's trial (its own numbering), fit on the first layer's
    # out-of-fold predictions as well (automl.second_layer)
    layer: int = 1

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
    # binary, metric on labels: where predict puts the positive class's probability threshold
    decision_threshold: float | None = None

    @property
    def on_fold_models(self) -> int:
        return sum(m.fitted_on == FitOn.FOLD_MODELS for m in self.members)

    def __str__(self) -> str:
        text = self._what()
        if self.decision_threshold is not None:
            text += f"; decision threshold {self.decision_threshold:.4g}"
        return text

    def _what(self) -> str:
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
        what = "stacked ensemble" if self.kind == FinalKind.STACKED else "ensemble"
        text = (
            f"{what} of {len(self.members)} pipelines (validation {self.metric} "
            f"{self.validation_score:.6g}); {len(self.members) - folds} refit on all rows"
        )
        if folds:
            text += f", {folds} from their {self.resampled} fold models"
        if self.dropped:
            text += f"; {self.dropped} member(s) failed to refit and were dropped"
        return text
