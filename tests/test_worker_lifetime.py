"""The worker pool's lifetime: warm between fits or closed by ``fit``, shut down on request,
never a word on stderr (at exit, on shutdown, or when a harness kills the pool), and a saved
model that predicts without starting a process. The soak test runs ``benchmarks.soak``."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
import warnings
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import pytest

from automl import AutoMLClassifier
from automl.settings import make_settings
from automl.trials.executor import LocalExecutor
from automl.trials.request import TrialData
from automl.trials.resampling import make_resampling

REPO = Path(__file__).resolve().parent.parent
FIT = """
import signal, sys, psutil
import numpy as np
import automl
from automl import AutoMLClassifier
rng = np.random.default_rng(0)
X = rng.normal(size=(200, 5)); y = (X[:, 0] + rng.normal(size=200) > 0).astype(int)
me = psutil.Process()
def fit(**params):
    # cheap families: these tests are about the processes, not the models
    AutoMLClassifier(time_budget=10, max_trials=3, n_jobs=2, history=None, random_state=0,
                     verbose=0, include=["logistic_regression", "lightgbm"], **params).fit(X, y)
    return len(me.children(recursive=True))
def harness_cleans_up(sig):
    # what a test harness may do after each fit: signal the process tree, SIGKILL what is
    # left after a second (resource trackers ignore SIGTERM), reap everything
    children = me.children(recursive=True)
    for child in children:
        child.send_signal(sig)
    _, alive = psutil.wait_procs(children, timeout=1)
    for child in alive:
        child.kill()
    psutil.wait_procs(alive, timeout=10)
"""


def run_script(body: str, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]),
    }
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(body), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=REPO,
        env=env,
    )


def quiet(result: subprocess.CompletedProcess) -> None:
    assert result.returncode == 0, result.stderr
    assert result.stderr == "", f"stderr was not empty:\n{result.stderr}"


# ---------------------------------------------------------------- the parameter


def test_keep_workers_must_be_a_bool():
    params = AutoMLClassifier(keep_workers="no").get_params()
    with pytest.raises(ValueError, match="keep_workers must be True or False, got 'no'"):
        make_settings(params)
    assert make_settings(AutoMLClassifier().get_params()).keep_workers is True
    assert make_settings(AutoMLClassifier(keep_workers=False).get_params()).keep_workers is False


def test_a_model_saved_before_keep_workers_existed_has_its_default():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # library versions may differ from the saving machine's
        saved = joblib.load(REPO / "tests" / "data" / "models_efa1fdf.joblib")
    assert saved["classifier"].get_params()["keep_workers"] is True
    assert repr(saved["regressor"]).startswith("AutoMLRegressor(")  # repr reads every parameter


# ---------------------------------------------------------------- shutdown, exit, harnesses


def test_shutdown_without_a_pool_does_nothing():
    result = run_script(
        """
        import psutil, automl
        automl.shutdown_workers()
        automl.shutdown_workers()
        print(len(psutil.Process().children(recursive=True)))
        """
    )
    quiet(result)
    assert result.stdout.split() == ["0"]


def test_trials_killed_inside_a_thread_pool_leave_no_noise_at_exit():
    """A forest with two threads starts a thread pool in its trial; trials stopped at their
    time limit never free its lock. Those locks must not be named semaphores that the fit's
    resource tracker reports as leaked when Python exits."""
    result = run_script(
        """
        import warnings
        import numpy as np
        from automl import AutoMLRegressor
        warnings.simplefilter("ignore", RuntimeWarning)  # "no trial finished": the point here
        rng = np.random.default_rng(0)
        X = rng.normal(size=(20000, 20)); y = X[:, 0] + rng.normal(size=20000)
        AutoMLRegressor(time_budget=6, n_jobs=1, per_trial_time_limit=1, history=None,
                        include=["random_forest"], warm_start=None, verbose=0).fit(X, y)
        """
    )
    quiet(result)


@pytest.mark.slow
def test_shutdown_workers_leaves_no_child_process_and_the_next_fit_starts_a_pool():
    result = run_script(
        FIT
        + """
print(fit())
automl.shutdown_workers()
print(len(me.children(recursive=True)))
automl.shutdown_workers()  # again: nothing left to do
print(fit())
automl.shutdown_workers()
print(len(me.children(recursive=True)))
"""
    )
    quiet(result)
    warm, after_shutdown, warm_again, after_second = map(int, result.stdout.split())
    assert warm >= 2 and warm_again == warm  # the workers, and their resource trackers
    assert after_shutdown == 0 and after_second == 0


@pytest.mark.slow
def test_a_harness_that_kills_the_pool_after_each_fit_gets_no_noise():
    """Killing every child after a fit (the resource trackers too) used to print
    "resource_tracker: process died unexpectedly" and KeyError tracebacks, and the next fit
    could fail. The script exits with a warm pool: that is quiet too."""
    result = run_script(
        FIT
        + """
counts = [fit()]
for sig in (signal.SIGTERM, signal.SIGKILL):
    harness_cleans_up(sig)
    assert not me.children(recursive=True)
    counts.append(fit())
automl.shutdown_workers()
counts.append(len(me.children(recursive=True)))
fit()  # and exit with this pool warm
print(*counts)
"""
    )
    quiet(result)
    *counts, after_shutdown = map(int, result.stdout.split())
    assert counts[0] >= 2 and counts == [counts[0]] * 3  # a fresh pool each time, as large
    assert after_shutdown == 0  # nothing of the killed pools holds the helpers alive


@pytest.mark.slow
def test_a_semaphore_freed_after_its_tracker_was_killed_makes_no_noise():
    """loky's own threads may be first to find the tracker killed: the pool's manager thread
    frees semaphores as soon as it sees its workers die. That used to warn "process died
    unexpectedly", start a tracker that never saw them, and print a KeyError for each."""
    result = run_script(
        FIT
        + """
import os
from joblib.externals.loky.backend import resource_tracker
from joblib.externals.loky.backend.synchronize import Lock
fit()
lock = Lock()  # registered with the pool's tracker
tracker = resource_tracker._resource_tracker
os.kill(tracker._pid, signal.SIGKILL)
os.waitpid(tracker._pid, 0)
del lock  # its last message goes to the killed tracker
print(tracker._pid)
fit()  # and the next fit hands over to a fresh tracker
print(tracker._pid is not None and psutil.pid_exists(tracker._pid))
"""
    )
    quiet(result)
    assert result.stdout.split() == ["None", "True"]


@pytest.mark.slow
def test_the_callers_own_joblib_pool_works_after_a_fit_and_outlives_shutdown():
    """The trials' pool is not joblib's: a caller's ``n_jobs`` after a fit used to get it,
    without the temporary folder joblib sets up, and fail with an AttributeError."""
    result = run_script(
        FIT
        + """
from joblib import Parallel, delayed
import os, psutil
fit()
pids = set(Parallel(n_jobs=2)(delayed(os.getpid)() for _ in range(8)))
automl.shutdown_workers()
alive = {p.pid for p in psutil.Process().children(recursive=True)}
again = set(Parallel(n_jobs=2)(delayed(os.getpid)() for _ in range(8)))
print(len(pids), len(again), len(again - alive))
"""
    )
    assert result.returncode == 0, result.stderr
    used, used_again, new = map(int, result.stdout.split())
    # shutdown_workers left joblib's workers running: every worker of the second call was
    # alive before it (the first call's eight tiny tasks may all have gone to one of them, so
    # its pids alone do not tell which workers joblib started)
    assert used >= 1 and used_again >= 1 and new == 0


def test_fit_computing_in_this_process_ignores_the_callers_backend_but_not_thread_hints():
    from joblib.parallel import get_active_backend

    from automl.trials.compute import joblib_here

    with joblib.parallel_config(backend="threading", n_jobs=3):
        with joblib_here():
            assert type(get_active_backend()[0]).__name__ == "LokyBackend"
            assert type(get_active_backend(prefer="threads")[0]).__name__ == "ThreadingBackend"
        assert type(get_active_backend()[0]).__name__ == "ThreadingBackend"  # restored


# ---------------------------------------------------------------- a killed worker


def _own_pid(*_: object) -> int:
    return os.getpid()


def test_a_worker_killed_between_fits_is_replaced():
    y = np.arange(20) % 2
    data = TrialData(
        X=pd.DataFrame({"a": np.arange(20.0)}),
        y=y,
        task="binary",
        categorical=(),
        n_classes=2,
        resampling=make_resampling(2, task="binary", y=y),
    )
    executor = LocalExecutor(data, n_workers=2, n_threads_per_trial=1, keep_workers=False)
    try:
        old = executor._pool
        first = executor._send(_own_pid).result(timeout=60)
        os.kill(first, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while old._flags.broken is None:  # loky notices the death in its own thread
            assert time.monotonic() < deadline, "loky did not notice the killed worker"
            time.sleep(0.05)
        second = executor._send(_own_pid).result(timeout=60)
        assert executor._pool is not old and second != first
    finally:
        executor.close()


# ---------------------------------------------------------------- a saved model


@pytest.mark.slow
def test_a_loaded_model_predicts_without_starting_a_process(tmp_path):
    rng = np.random.default_rng(1)
    X = pd.DataFrame(rng.normal(size=(200, 4)), columns=list("abcd"))
    y = (X["a"] - X["b"] > 0).astype(int)
    model = AutoMLClassifier(
        time_budget=10, max_trials=3, n_jobs=2, keep_workers=False, random_state=0, verbose=0
    ).fit(X, y)
    path = tmp_path / "model.joblib"
    joblib.dump(model, path)
    X.to_csv(tmp_path / "X.csv", index=False)
    result = run_script(
        """
        import json, sys, joblib, psutil, pandas as pd
        model = joblib.load(sys.argv[1])
        proba = model.predict_proba(pd.read_csv(sys.argv[2]))
        me = psutil.Process()
        print(json.dumps({"children": len(me.children(recursive=True)),
                          "proba": proba[:, 1].tolist()}))
        """,
        str(path),
        str(tmp_path / "X.csv"),
    )
    quiet(result)
    child = json.loads(result.stdout)
    assert child["children"] == 0
    np.testing.assert_allclose(child["proba"], model.predict_proba(X)[:, 1], rtol=1e-9)


# ---------------------------------------------------------------- soak

SOAK_FITS, SOAK_COLD_FITS = 20, 3
WARM_UP = 5  # fits before growth is counted
THREADS_SLACK, FDS_SLACK = 2, 4  # what a library may add once, after the warm-up
RSS_GROWTH_MB = 12  # from fit WARM_UP to fit SOAK_FITS; a leak of 1 MB a fit exceeds it


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_soak_consecutive_fits_leave_nothing_behind():
    result = run_script(
        f"""
        import json
        from dataclasses import asdict
        from benchmarks.soak import run
        for usage in run({SOAK_FITS}, {SOAK_COLD_FITS}, 200, ["logistic_regression", "lightgbm"]):
            print(json.dumps(asdict(usage)), flush=True)
        """,
        timeout=280,
    )
    quiet(result)
    usages = [json.loads(line) for line in result.stdout.splitlines()]
    warm = [u for u in usages if u["keep_workers"]]
    cold = [u for u in usages if not u["keep_workers"]]
    assert len(warm) == SOAK_FITS and len(cold) == SOAK_COLD_FITS

    # warm pool: the same processes after every fit, no growth after the warm-up
    assert warm[0]["children"] >= 2
    assert {u["children"] for u in warm} == {warm[0]["children"]}
    steady = warm[WARM_UP - 1 :]
    for name, slack in (("threads", THREADS_SLACK), ("fds", FDS_SLACK)):
        assert max(u[name] for u in steady) <= steady[0][name] + slack, (name, steady)
    growth = steady[-1]["rss_mb"] - steady[0]["rss_mb"]
    assert growth < RSS_GROWTH_MB, f"RSS grew {growth:.1f} MB over {len(steady)} fits"

    # keep_workers=False: no child process after any fit, and fewer threads and files; a
    # library's thread pool (a booster's OpenMP, when the final model's latency is measured
    # here) may start on its first use in this process, once
    assert all(u["children"] == 0 for u in cold)
    for name, slack in (("threads", THREADS_SLACK), ("fds", FDS_SLACK)):
        assert max(u[name] for u in cold) <= cold[0][name] + slack, (name, cold)
        assert max(u[name] for u in cold) < warm[-1][name], (name, cold, warm[-1])
