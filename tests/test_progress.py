"""The progress bar draws only when asked to."""

import io
from types import SimpleNamespace

from automl.progress import ProgressBar


def test_bar_shows_time_trials_and_best_score():
    stream = io.StringIO()
    bar = ProgressBar(60, enabled=True, stream=stream)
    trials = [SimpleNamespace(status="ok"), SimpleNamespace(status="timeout")]
    bar.update(30, trials, SimpleNamespace(score=0.91234))
    bar.close()
    text = stream.getvalue()
    assert "30/60s" in text and "trials 2 (1 failed)" in text and "0.91234" in text
    assert "#" * 15 in text and text.endswith("\n")


def test_disabled_bar_is_silent():
    stream = io.StringIO()
    bar = ProgressBar(60, enabled=False, stream=stream)
    bar.update(30, [], None)
    bar.close()
    assert stream.getvalue() == ""
