"""Trials in a child process: results come back, and every way of failing is recorded."""

import os
import signal
import subprocess
import sys
import time

import psutil
import pytest

from automl.trials.limits import run_limited


def add(a, b):
    return a + b


def sleep_forever():
    time.sleep(60)


def fail():
    raise RuntimeError("broken model")


def segfault():
    os.kill(os.getpid(), signal.SIGSEGV)


def allocate_until_stopped():
    blocks = []
    while True:
        blocks.append(bytearray(50 * 2**20))
        time.sleep(0.01)


def test_value_comes_back():
    outcome = run_limited(add, 2, b=3, time_limit=10)
    assert outcome.status == "ok" and outcome.value() == 5


def big_array():
    import numpy as np

    return np.arange(2_000_000, dtype=np.float64)


def unpicklable():
    return lambda: None


def test_a_value_can_stay_on_disk_until_taken(tmp_path):
    """With a results folder the value never passes through the watching process: it stays
    in a file there, which ``value()`` reads and removes; without one it comes back pickled."""
    import numpy as np

    outcome = run_limited(big_array, time_limit=30, results_folder=str(tmp_path))
    assert outcome.status == "ok" and outcome.payload is None
    assert os.path.dirname(outcome.payload_file) == str(tmp_path)
    np.testing.assert_array_equal(outcome.value(), np.arange(2_000_000, dtype=np.float64))
    assert os.listdir(tmp_path) == []
    in_memory = run_limited(big_array, time_limit=30)
    assert in_memory.payload_file is None and len(in_memory.payload) > 16_000_000
    assert in_memory.value()[-1] == 1_999_999
    for function in (fail, segfault, sleep_forever, unpicklable):
        outcome = run_limited(function, time_limit=1, results_folder=str(tmp_path))
        assert outcome.status in ("crashed", "timeout") and outcome.payload_file is None
        assert os.listdir(tmp_path) == []
    assert "pickle" in run_limited(unpicklable, time_limit=10).error.lower()


def test_timeout_is_killed_and_recorded():
    started = time.monotonic()
    outcome = run_limited(sleep_forever, time_limit=0.5)
    assert outcome.status == "timeout" and "time limit" in outcome.error
    assert time.monotonic() - started < 3


def test_exception_is_recorded_with_its_text():
    outcome = run_limited(fail, time_limit=10)
    assert outcome.status == "crashed" and "RuntimeError: broken model" in outcome.error


def test_segfault_is_recorded():
    outcome = run_limited(segfault, time_limit=10)
    assert outcome.status == "crashed" and "SIGSEGV" in outcome.error


def test_memory_limit_stops_the_trial():
    outcome = run_limited(allocate_until_stopped, time_limit=20, memory_limit_mb=400)
    assert outcome.status == "memout" and outcome.peak_memory_mb > 400


def test_own_memory_limit_counts_what_the_child_allocates_not_what_it_inherits():
    inherited = bytearray(os.urandom(1024)) * (300 * 1024)  # 300 MB, resident in this process
    outcome = run_limited(time.sleep, 0.3, time_limit=20, own_memory_limit_mb=100)
    assert outcome.status == "ok" and outcome.peak_memory_mb > 250  # its RSS counts them
    outcome = run_limited(allocate_until_stopped, time_limit=20, own_memory_limit_mb=200)
    assert outcome.status == "memout" and "share of the fit memory limit" in outcome.error
    assert len(inherited) == 300 * 2**20


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_the_trial_process_dies_with_the_worker_that_watches_it():
    code = "import time; from automl.trials.limits import run_limited; run_limited(time.sleep, 60)"
    worker = psutil.Process(subprocess.Popen([sys.executable, "-c", code]).pid)
    give_up = time.monotonic() + 30
    while not worker.children() and time.monotonic() < give_up:
        time.sleep(0.05)
    trial = worker.children()[0]
    worker.kill()  # the way the system or a cluster manager stops a worker
    worker.wait(timeout=10)
    gone, _ = psutil.wait_procs([trial], timeout=5)
    assert gone, "the trial process ran on after its worker was killed"


def test_the_end_of_a_trial_is_seen_without_waiting_for_the_next_look():
    """The watcher wakes when the child exits, not at its next memory check."""
    from automl.trials.limits import _exit_notice

    pid = os.fork()
    if pid == 0:
        time.sleep(0.2)
        os._exit(0)
    notice = _exit_notice(pid)
    try:
        if notice is None:
            pytest.skip("no process descriptors on this system")
        import select

        readable, _, _ = select.select([notice], [], [], 30)
        assert readable == [notice]
        assert os.waitpid(pid, os.WNOHANG)[0] == pid  # it has exited, and is reaped now
    finally:
        if notice is not None:
            os.close(notice)
