"""Ctrl-C during fit keeps the trials finished so far and returns a usable model."""

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

BUDGET = 120  # the interrupted fit's budget: it has to end long before that
SCRIPT = textwrap.dedent(
    f"""
    import logging, sys
    import numpy as np
    from automl import AutoMLClassifier
    logger = logging.getLogger("automl")  # logs "trial N ..." once a trial is recorded
    logger.addHandler(logging.StreamHandler(sys.stdout))
    logger.setLevel(logging.DEBUG)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 5)); y = (X[:, 0] > 0).astype(int)
    model = AutoMLClassifier(time_budget={BUDGET}, n_jobs=2, random_state=0, verbose=0,
                             include=["logistic_regression", "naive_bayes"])
    print("start", flush=True)
    model.fit(X, y)
    import psutil, time
    time.sleep(0.5)
    # trial processes are grandchildren (main -> worker -> forked trial): none may survive
    trials_left = [p for c in psutil.Process().children() for p in c.children(recursive=True)]
    print("result", model.interrupted_, len(model.trials_), model.best_config_ is not None,
          model.score(X, y) > 0.9, len(trials_left), model.fit_time_, flush=True)
    """
)


@pytest.mark.slow
def test_interrupt_keeps_finished_trials_and_the_best_model():
    with subprocess.Popen(
        [sys.executable, "-c", SCRIPT], stdout=subprocess.PIPE, text=True
    ) as process:
        try:
            assert process.stdout.readline().strip() == "start"
            # Ctrl-C once a trial has finished, however long the workers took to start
            assert any(line.startswith("trial ") for line in process.stdout)
            process.send_signal(signal.SIGINT)
            result = next(
                (line.split()[1:] for line in process.stdout if line.startswith("result ")), None
            )
            assert process.wait(timeout=BUDGET) == 0 and result
        finally:
            if process.poll() is None:  # a failed check must not leave the fit running
                process.kill()
    interrupted, n_trials, has_best, accurate, trials_left, fit_time = result
    assert interrupted == "True" and int(n_trials) >= 1
    assert has_best == "True" and accurate == "True"
    assert trials_left == "0"
    assert float(fit_time) < BUDGET / 2  # the Ctrl-C ended it, not the budget


def test_ctrl_c_in_the_search_loop_is_deferred_and_a_second_one_raises_at_once():
    from automl.interrupts import deferred_interrupt

    before = signal.getsignal(signal.SIGINT)
    with deferred_interrupt() as stop:
        os.kill(os.getpid(), signal.SIGINT)  # the first only sets the flag
        time.sleep(0.05)
        assert stop.is_set()
        try:
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(1)
            raised = False
        except KeyboardInterrupt:
            raised = True
    assert raised
    assert signal.getsignal(signal.SIGINT) is before  # restored (SIG_IGN under nohup)
