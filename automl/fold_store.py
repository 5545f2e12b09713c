"""Fold models of the best trials, on local disk: a final model that needs no refit.

Trials save their cross-validation (or holdout) fold models here when they run on this
machine; only the ``ENSEMBLE_CANDIDATES`` best full-fidelity trials' files are kept (the store
subscribes to the ledger and prunes the rest), so disk use is bounded whatever the number of
trials.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from typing import Any

from automl.ledger import TrialLedger
from automl.reserve import ENSEMBLE_CANDIDATES
from automl.trials.result import TrialResult


class FoldStore:
    def __init__(self, ledger: TrialLedger) -> None:
        self.folder = tempfile.mkdtemp(prefix="automl-folds-")
        self.ledger = ledger
        ledger.subscribe(self._prune)

    def path(self, trial_id: int) -> str:
        return os.path.join(self.folder, f"trial_{trial_id}.joblib")

    def has(self, trial_id: int) -> bool:
        return os.path.exists(self.path(trial_id))

    def load(self, trial_id: int) -> Any:
        import joblib

        return joblib.load(self.path(trial_id))

    def _prune(self, result: TrialResult) -> None:
        if not result.ok:
            return
        for trial in self.ledger.ranked(full_fidelity=True)[ENSEMBLE_CANDIDATES:]:
            try:
                os.unlink(self.path(trial.trial_id))
            except OSError:
                pass

    def close(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)
