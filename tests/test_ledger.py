"""The trial ledger: one owner of a run's trials and one ranking rule."""

from __future__ import annotations

import pytest

from automl.ledger import TrialLedger, rank_key
from automl.trials.result import TrialResult
from automl.trials.status import TrialStatus

OK, TIMEOUT = TrialStatus.OK, TrialStatus.TIMEOUT


def trial(trial_id, loss, *, fidelity=1.0, status=OK):
    return TrialResult(trial_id, {"model": "m"}, status, loss=loss, fidelity=fidelity)


def test_ranking_full_fidelity_first_then_loss_then_trial_id():
    ledger = TrialLedger()
    for t in [
        trial(0, 0.3),
        trial(1, 0.1, fidelity=1 / 3),
        trial(2, 0.2),
        trial(3, 0.2),
        trial(4, 0.05, status=TIMEOUT),
        trial(5, 0.4),
    ]:
        ledger.add(t)
    assert [t.trial_id for t in ledger.ranked()] == [2, 3, 0, 5, 1]
    assert [t.trial_id for t in ledger.ranked(full_fidelity=True)] == [2, 3, 0, 5]
    assert [t.trial_id for t in ledger.ranked(limit=2)] == [2, 3]
    assert ledger.best().trial_id == 2
    assert ledger.n_failed == 1


def test_ties_do_not_depend_on_arrival_order():
    first, second = TrialLedger(), TrialLedger()
    for t in [trial(7, 0.5), trial(3, 0.5)]:
        first.add(t)
    for t in [trial(3, 0.5), trial(7, 0.5)]:
        second.add(t)
    assert [t.trial_id for t in first.ranked()] == [t.trial_id for t in second.ranked()] == [3, 7]


def test_rank_key_orders_leaderboard_rows_like_trials():
    rows = [(1.0, 0.3, 2), (1 / 9, 0.1, 0), (1.0, 0.3, 1), (1 / 3, 0.2, 5)]
    assert sorted(rows, key=lambda r: rank_key(*r)) == [
        (1.0, 0.3, 1),
        (1.0, 0.3, 2),
        (1 / 3, 0.2, 5),
        (1 / 9, 0.1, 0),
    ]


def test_subscribers_are_told_every_trial_in_subscription_order():
    ledger, seen = TrialLedger(), []
    ledger.subscribe(lambda t: seen.append(("recorder", t.trial_id)))
    ledger.subscribe(lambda t: seen.append(("strategy", t.trial_id)))
    ledger.add(trial(1, 0.2))
    ledger.add(trial(0, 0.1))
    assert seen == [("recorder", 1), ("strategy", 1), ("recorder", 0), ("strategy", 0)]
    assert [t.trial_id for t in ledger] == [1, 0]
    assert [t.trial_id for t in ledger.by_id()] == [0, 1]
    assert 0 in ledger and ledger[0].loss == 0.1


def test_a_trial_id_is_recorded_once():
    ledger = TrialLedger()
    ledger.add(trial(0, 0.1))
    with pytest.raises(ValueError, match="trial 0 is already in the ledger"):
        ledger.add(trial(0, 0.2))


def test_earlier_trials_are_preloaded_but_never_ranked():
    ledger = TrialLedger(earlier=[trial(0, 0.01)])
    assert len(ledger.earlier) == 1 and ledger.best() is None and len(ledger) == 0
