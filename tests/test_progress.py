"""The progress bar draws only when asked to."""

import io
import sys
import types

import pytest

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
    assert "30/60s (30s left)" in text and "trials 2 (1 failed)" in text and "0.91234" in text
    assert "#" * 15 in text and text.endswith("\n")


def test_disabled_bar_is_silent():
    stream = io.StringIO()
    bar = ProgressBar(60, enabled=False, stream=stream)
    bar.update(30, TrialLedger())
    bar.close()
    assert stream.getvalue() == ""


def _ledger():
    ledger = TrialLedger()
    ledger.add(TrialResult(0, {"model": "m"}, TrialStatus.OK, loss=-0.75, score=0.75))
    return ledger


class _Tty(io.StringIO):
    def isatty(self):
        return True


def _fake_ipython(monkeypatch, shell_name):
    """A loaded IPython module whose shell is of the given class (as in a kernel)."""
    shown = []

    class Handle:
        def update(self, content):
            shown.append(content)

    def display(content, display_id=False):
        assert display_id is True
        shown.append(content)
        return Handle()

    shell = type(shell_name, (), {})()
    ipython = types.ModuleType("IPython")
    ipython.get_ipython = lambda: shell
    ipython_display = types.ModuleType("IPython.display")
    ipython_display.display = display
    ipython.display = ipython_display
    monkeypatch.setitem(sys.modules, "IPython", ipython)
    monkeypatch.setitem(sys.modules, "IPython.display", ipython_display)
    return shown


def test_verbose_zero_draws_nowhere(monkeypatch):
    monkeypatch.setattr(sys, "stderr", _Tty())
    shown = _fake_ipython(monkeypatch, "ZMQInteractiveShell")
    bar = ProgressBar.for_fit(60, verbose=0)
    bar.update(10, _ledger())
    bar.close()
    assert sys.stderr.getvalue() == "" and shown == []


def test_a_terminal_gets_the_line_with_time_left(monkeypatch):
    monkeypatch.setattr(sys, "stderr", _Tty())
    bar = ProgressBar.for_fit(60, verbose=1)
    bar.update(45, _ledger())
    bar.close()
    text = sys.stderr.getvalue()
    assert "15s left" in text and "trials 1" in text and "best 0.75" in text


def test_a_notebook_gets_one_cell_updated_in_place(monkeypatch):
    monkeypatch.setattr(sys, "stderr", io.StringIO())  # a kernel's stderr is no terminal
    shown = _fake_ipython(monkeypatch, "ZMQInteractiveShell")
    monkeypatch.setattr("automl.progress.NOTEBOOK_INTERVAL", 0.0)
    bar = ProgressBar.for_fit(60, verbose=1)
    ledger = _ledger()
    bar.update(10, ledger)
    ledger.add(TrialResult(1, {"model": "m"}, TrialStatus.OK, loss=-0.8, score=0.8))
    bar.update(20, ledger)
    bar.close()
    assert sys.stderr.getvalue() == ""
    assert len(shown) == 2  # one display, then an update of the same cell
    first, last = shown[0]._repr_html_(), shown[-1]._repr_html_()
    assert "<progress" in first and "trials 1" in first
    assert "trials 2" in last and "best 0.8" in last and "40s left" in last
    assert "trials 2" in repr(shown[-1])  # front ends without HTML get the text


def test_terminal_ipython_and_logs_get_no_notebook_cell(monkeypatch):
    monkeypatch.setattr(sys, "stderr", io.StringIO())  # a log file: not a terminal
    shown = _fake_ipython(monkeypatch, "TerminalInteractiveShell")
    bar = ProgressBar.for_fit(60, verbose=1)
    bar.update(10, _ledger())
    bar.close()
    assert not bar.enabled and shown == [] and sys.stderr.getvalue() == ""


@pytest.mark.slow
def test_a_real_jupyter_kernel_shows_the_progress_cell():
    """A fit in a real IPython kernel: the progress arrives as one display, then updates of
    that same display (not as text on stderr)."""
    manager = pytest.importorskip("jupyter_client.manager")
    pytest.importorskip("ipykernel")
    kernel, client = manager.start_new_kernel(startup_timeout=60)
    try:
        code = (
            "import numpy as np\n"
            "from automl import AutoMLRegressor\n"
            "rng = np.random.default_rng(0)\n"
            "X = rng.normal(size=(300, 4)); y = X[:, 0] + rng.normal(scale=0.1, size=300)\n"
            "AutoMLRegressor(time_budget=6, history=None).fit(X, y)\n"
        )
        request = client.execute(code)
        messages = []
        while True:
            message = client.get_iopub_msg(timeout=120)
            if message["parent_header"].get("msg_id") != request:
                continue
            messages.append(message)
            if message["msg_type"] == "status" and message["content"]["execution_state"] == "idle":
                break
    finally:
        client.stop_channels()
        kernel.shutdown_kernel(now=True)
    kinds = [m["msg_type"] for m in messages]
    assert "error" not in kinds, [m["content"] for m in messages if m["msg_type"] == "error"]
    displays = [m for m in messages if m["msg_type"] in ("display_data", "update_display_data")]
    assert displays and displays[0]["msg_type"] == "display_data"
    assert all(m["msg_type"] == "update_display_data" for m in displays[1:])
    cell = displays[0]["content"]["transient"]["display_id"]
    assert all(m["content"]["transient"]["display_id"] == cell for m in displays)
    last = displays[-1]["content"]["data"]["text/html"]
    assert "<progress" in last and "left" in last and "trials" in last
    streams = [m["content"]["text"] for m in messages if m["msg_type"] == "stream"]
    assert not any("[###" in text or "trials" in text for text in streams)
