"""The progress bar draws only when asked to."""

import io

from automl.ledger import TrialLedger
from automl.progress import ProgressBar
from automl.trials.result import TrialResult
from automl.trials.status import TrialStatus


def test_bar_shows_time_trials_and_best_score():
    stream = io.StringIO()
    bar = ProgressBar(60, enabled=True, stream=stream)
    ledger = TrialLedger()
    ledger.add(TrialResult(0, {"model": "m"}, TrialStatus.OK, loss=-0.91234, score=0.91234))
    ledger.add(TrialResult(1, {"model": "m"}, TrialStatus.TIMEOUT))
    bar.update(30, ledger)
    bar.close()
    text = stream.getvalue()
    assert "30/60s" in text and "trials 2 (1 failed)" in text and "0.91234" in text
    assert "#" * 15 in text and text.endswith("\n")


def test_disabled_bar_is_silent():
    stream = io.StringIO()
    bar = ProgressBar(60, enabled=False, stream=stream)
    bar.update(30, TrialLedger())
    bar.close()
    assert stream.getvalue() == ""
