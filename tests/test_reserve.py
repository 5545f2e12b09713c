"""The time the search leaves for the final model."""

from __future__ import annotations

import numpy as np
import pytest

from automl.ledger import TrialLedger
from automl.metrics import get_metric
from automl.reserve import REFIT_OVERHEAD, RESERVE_CAP, Reserve, refit_estimate
from automl.second_layer import LAYER_SAFETY
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


def test_a_second_layer_reserves_its_trials_time_spread_over_the_workers():
    cv = make_resampling(5, task="binary", y=Y, random_state=0)

    def reserve(second_layer: bool) -> Reserve:
        return Reserve(
            ledger,
            cv,
            n_workers=2,
            ensemble_size=25,
            metric=get_metric("roc_auc", "binary"),
            y=Y,
            refit_members=False,
            time_budget=600,
            second_layer=second_layer,
        )

    ledger = TrialLedger()
    trials = [("lightgbm", 3.0), ("lightgbm", 9.0), ("svm", 5.0), ("knn", 1.0)]
    for trial_id, (family, duration) in enumerate(trials):
        trial = _trial(trial_id, loss=0.1 + trial_id / 100, fit_time=1.0, fidelity=1.0)
        trial.config, trial.duration, trial.predictions = {"model": family}, duration, Y * 1.0
        ledger.add(trial)
    # the best trial of each family runs again: lightgbm 3 s, svm 5 s, knn 1 s, on 2 workers
    extra = reserve(True).seconds() - reserve(False).seconds()
    assert extra == pytest.approx((3.0 + 5.0 + 1.0) * LAYER_SAFETY / 2)


def test_a_bagged_final_model_reserves_no_refit():
    cv = make_resampling(5, task="binary", y=Y, random_state=0)
    ledger = TrialLedger()

    def reserve(refit_members: bool) -> Reserve:
        return Reserve(
            ledger,
            cv,
            n_workers=2,
            ensemble_size=1,
            metric=get_metric("roc_auc", "binary"),
            y=Y,
            refit_members=refit_members,
            time_budget=600,
        )

    ledger.add(_trial(0, loss=0.1, fit_time=4.0, fidelity=1.0))
    refits, bagged = reserve(True), reserve(False)
    assert refits.seconds() == pytest.approx(refit_estimate(ledger[0], cv) + REFIT_OVERHEAD)
    assert bagged.seconds() == REFIT_OVERHEAD
