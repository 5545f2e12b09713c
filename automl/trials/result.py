"""A finished (or failed) trial."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from automl.trials.status import TrialStatus


@dataclass
class TrialResult:
    """One trial: plain values only, so it can cross process borders."""

    trial_id: int
    config: dict[str, Any]
    status: TrialStatus
    loss: float = float("inf")
    score: float | None = None
    duration: float = 0.0  # wall seconds including process overhead
    fit_time: float = 0.0  # seconds spent in fit, summed over splits
    predict_time: float = 0.0
    peak_memory_mb: float | None = None
    error: str | None = None
    started: float = 0.0  # seconds since the start of fit, when the trial was handed out
    finished: float = 0.0  # seconds since the start of fit, when its result came back
    fidelity: float = 1.0  # share of each split's training rows the model was fit on
    threshold: float | None = None  # binary, metric on labels: the tuned decision threshold
    worker: str | None = None  # "host:pid" of the worker process that ran the trial
    predictions: np.ndarray | None = field(default=None, repr=False)
    fold_models: bytes | None = field(default=None, repr=False)  # a pickled FoldModels
    fold_models_file: str | None = None  # or where the trial wrote it (a local worker)
    rounds: int | None = None  # boosting rounds its folds kept, when they stopped early

    @property
    def ok(self) -> bool:
        return self.status == TrialStatus.OK

    def summary(self) -> dict[str, Any]:
        """The trial as a leaderboard row: plain values, no predictions."""
        return {
            "trial_id": self.trial_id,
            "model": self.config.get("model"),
            "score": self.score,
            "loss": self.loss,
            "status": TrialStatus(self.status).value,
            "fidelity": self.fidelity,
            "threshold": self.threshold,
            "rounds": self.rounds,
            "worker": self.worker,
            "duration": self.duration,
            "fit_time": self.fit_time,
            "predict_time": self.predict_time,
            "peak_memory_mb": self.peak_memory_mb,
            "started": self.started,
            "finished": self.finished,
            "error": self.error,
            "config": self.config,
        }
