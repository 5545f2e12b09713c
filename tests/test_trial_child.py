"""A trial forked from a warm worker starts ready: nothing left to import, no idle threads."""

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from automl.trials.pool import worker_environment

REPO = Path(__file__).resolve().parents[1]

# A pool worker (started as every fit starts its workers) forks a trial that evaluates the
# default logistic regression on data other than the worker's rehearsal, and reports what the
# trial imported and how many threads its process had once the model was fitted.
PROBE = """
import json
from automl.space import preload_modules
from automl.trials.executor import WORKER_MODULE, preload
from automl.trials.pool import shutdown_workers, worker_pool

def trial(n_threads):
    import os, sys
    import numpy as np, pandas as pd
    from threadpoolctl import threadpool_limits
    from automl.metrics import get_metric
    from automl.space import PipelineSpace
    from automl.trials.evaluation import evaluate
    from automl.trials.resampling import make_resampling
    rows = np.arange(90)
    X = pd.DataFrame({
        "a": np.sin(rows), "b": np.where(rows % 5 == 0, np.nan, np.cos(rows)),
        "colour": pd.Categorical(np.array(["red", "green", "blue"])[rows % 3]),
    })
    y = (np.sin(rows) + (rows % 3 == 0) > 0.3).astype(int)
    config = PipelineSpace("binary", 90, include=["logistic_regression"]).default_config(
        "logistic_regression")
    before = set(sys.modules)
    with threadpool_limits(limits=n_threads):
        evaluate(0, config, X, y, task="binary", categorical=["colour"], n_classes=2,
                 resampling=make_resampling(3, task="binary", y=y),
                 metric=get_metric(None, "binary"))
        threads = len(os.listdir("/proc/self/task"))
    return sorted(set(sys.modules) - before), threads

def in_a_trial(n_threads):
    from automl.trials.limits import run_limited
    return run_limited(trial, n_threads, time_limit=60).value()

pool = worker_pool(1, preload, ((*preload_modules(), WORKER_MODULE),))
imported, threads = pool.submit(in_a_trial, 1).result()
shutdown_workers()
print(json.dumps({"imported": imported, "threads": threads}))
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_a_trial_forked_from_a_worker_imports_nothing_and_starts_no_threads():
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(PROBE)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    probe = json.loads(result.stdout.splitlines()[-1])
    assert probe["imported"] == []  # the worker's rehearsal imported it all
    assert probe["threads"] == 1  # no OpenBLAS threads started again after the fork


def test_the_workers_start_openblas_with_one_thread_unless_the_user_chose(monkeypatch):
    monkeypatch.delenv("OPENBLAS_NUM_THREADS", raising=False)
    assert worker_environment() == {"OPENBLAS_NUM_THREADS": "1"}
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "4")
    assert worker_environment() == {}
