"""Fold models of the best trials: a final model, or an ensemble member, that needs no refit.

A trial's cross-validation (or holdout) models are kept when its loss could place it among
the best ``capacity`` full-fidelity trials (``threshold()``, asked when the trial is
submitted). A trial on this machine writes them to the file ``incoming()`` names, one fold at
a time as they are fitted, so neither it, its worker nor this process ever holds all of them
(a forest's five fold models can take gigabytes);
a trial elsewhere (dask) sends them back pickled in its result. The store subscribes to the
ledger, moves or writes them into its folder, drops them from the result, and deletes the
files of trials that fall out of the best ``capacity``: disk use is bounded whatever the
number of trials.
"""

from __future__ import annotations

import math
import os
import shutil
from typing import Any

from automl.ledger import TrialLedger
from automl.scratch import make_scratch_folder
from automl.trials.evaluation import read_fold_models
from automl.trials.limits import release_free_memory, remove_file
from automl.trials.result import TrialResult


class FoldStore:
    def __init__(self, ledger: TrialLedger, capacity: int) -> None:
        self.folder = make_scratch_folder("folds")
        self.ledger, self.capacity = ledger, capacity
        self._stored: set[int] = set()
        ledger.subscribe(self._keep)

    def threshold(self) -> float:
        """The loss a new trial must beat for its fold models to be worth sending back: that
        of the ``capacity``-th best trial with stored models (inf until there are that many)."""
        kept = [t for t in self.ledger.ranked(full_fidelity=True) if t.trial_id in self._stored]
        return kept[self.capacity - 1].loss if len(kept) >= self.capacity else math.inf

    def path(self, trial_id: int) -> str:
        return os.path.join(self.folder, f"trial_{trial_id}.pkl")

    def has(self, trial_id: int) -> bool:
        return trial_id in self._stored

    def load(self, trial_id: int) -> Any:
        with open(self.path(trial_id), "rb") as handle:
            models = read_fold_models(handle)
            release_free_memory(handle.tell())
            return models

    def incoming(self, trial_id: int) -> str:
        """Where a trial on this machine writes its fold models (``TrialRequest``)."""
        return os.path.join(self.folder, f"trial_{trial_id}.incoming")

    def _keep(self, result: TrialResult) -> None:
        payload, result.fold_models = result.fold_models, None
        written, result.fold_models_file = result.fold_models_file, None
        if not result.ok or (payload is None and written is None):
            if written is not None:
                remove_file(written)
            return
        if written is not None:
            os.replace(written, self.path(result.trial_id))
        else:
            with open(self.path(result.trial_id), "wb") as handle:
                handle.write(payload)
        self._stored.add(result.trial_id)
        ranked = [t for t in self.ledger.ranked(full_fidelity=True) if t.trial_id in self._stored]
        for trial in ranked[self.capacity :]:
            self._stored.discard(trial.trial_id)
            remove_file(self.path(trial.trial_id))

    def close(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)
