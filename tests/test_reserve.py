"""The time the search leaves for the final model."""

from __future__ import annotations

import numpy as np
import pytest

from automl.ledger import TrialLedger
from automl.metrics import get_metric
from automl.reserve import REFIT_OVERHEAD, RESERVE_CAP, Reserve, refit_estimate
from automl.trials.resampling import make_resampling
from automl.trials.result import TrialResult
from automl.trials.status import TrialStatus

Y = np.arange(900) % 2
HOLDOUT = make_resampling("holdout", task="binary", y=Y)


def _trial(trial_id: int, loss: float, fit_time: float, fidelity: float = 1 / 9) -> TrialResult:
    return TrialResult(
        trial_id,
        {"model": "lightgbm"},
        TrialStatus.OK,
        loss=loss,
        fit_time=fit_time,
        fidelity=fidelity,
    )


def _reserve(ledger: TrialLedger, budget: float, ensemble_size: int = 1) -> Reserve:
    return Reserve(
        ledger,
        HOLDOUT,
        n_workers=2,
        ensemble_size=ensemble_size,
        metric=get_metric("roc_auc", "binary"),
        y=Y,
        time_budget=budget,
    )


def test_the_reserve_is_the_best_trials_refit_estimate():
    ledger = TrialLedger()
    reserve = _reserve(ledger, budget=600)
    assert reserve.seconds() == REFIT_OVERHEAD
    best = _trial(0, loss=0.1, fit_time=2.0)
    ledger.add(best)
    ledger.add(_trial(1, loss=0.2, fit_time=50.0))
    # a ninth of the 80 % training rows: the refit on all rows is predicted ~11x as long
    assert refit_estimate(best, HOLDOUT) == pytest.approx(2.0 / (0.8 / 9) * 1.5, rel=0.01)
    assert reserve.seconds() == pytest.approx(refit_estimate(best, HOLDOUT) + REFIT_OVERHEAD)


def test_one_slow_member_does_not_end_the_search_it_is_capped():
    """A slow forest on a ninth of a million rows predicted a 2,000 s refit and ended a
    600 s search after its first minute."""
    ledger = TrialLedger()
    reserve = _reserve(ledger, budget=600, ensemble_size=25)
    ledger.add(_trial(0, loss=0.18, fit_time=11.0, fidelity=1 / 3))
    ledger.add(_trial(1, loss=0.21, fit_time=127.0))
    uncapped = refit_estimate(ledger.ranked()[1], HOLDOUT) / 2
    assert uncapped > 600
    assert reserve.seconds() == pytest.approx(RESERVE_CAP * 600)
