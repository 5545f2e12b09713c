"""Scratch files: named for their owner, and those of killed fits removed by a later fit."""

import os
import subprocess
import sys
import tempfile

import numpy as np
import pytest

from automl import AutoMLClassifier
from automl.fold_store import FoldStore
from automl.ledger import TrialLedger
from automl.scratch import STALE_AFTER, make_scratch_folder, remove_stale_scratch, scratch_prefix


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def _entry(folder, name, *, age, is_dir=True):
    path = os.path.join(folder, name)
    if is_dir:
        os.mkdir(path)
        with open(os.path.join(path, "models.pkl"), "wb") as handle:
            handle.write(b"x" * 1000)
    else:
        open(path, "wb").close()
    then = os.path.getmtime(path) - age
    os.utime(path, (then, then))
    return path


def test_only_old_scratch_of_a_process_gone_from_this_host_is_removed(tmp_path):
    folder = str(tmp_path)
    mine = scratch_prefix("folds")  # automl-folds-<host>-<this pid>-
    host = mine.split("-")[2]
    dead = _dead_pid()
    old = STALE_AFTER + 60
    gone = [
        _entry(folder, f"automl-folds-{host}-{dead}-abc", age=old),
        _entry(folder, f"automl-data-{host}-{dead}-def", age=old),
        _entry(folder, f"automl-trial-{host}-{dead}-ghi.pkl", age=old, is_dir=False),
    ]
    kept = [
        _entry(folder, f"automl-folds-{host}-{dead}-young", age=60),  # too recent to judge
        _entry(folder, f"{mine}running", age=old),  # its owner runs
        _entry(folder, f"automl-folds-otherhost-{dead}-xyz", age=old),  # another machine's
        _entry(folder, f"automl-folds-{dead}-oldstyle", age=old),  # not a scratch name
        _entry(folder, "someone-elses-folder", age=old),
    ]
    assert remove_stale_scratch(folder) == len(gone)
    assert not any(os.path.exists(p) for p in gone)
    assert all(os.path.exists(p) for p in kept)
    assert remove_stale_scratch(folder) == 0


def test_the_library_names_its_scratch_for_its_owner():
    folder = make_scratch_folder("data")
    try:
        assert os.path.basename(folder).startswith(scratch_prefix("data"))
    finally:
        os.rmdir(folder)
    store = FoldStore(TrialLedger(), 1)
    try:
        assert os.path.basename(store.folder).startswith(scratch_prefix("folds"))
    finally:
        store.close()
    with pytest.raises(ValueError, match="unknown scratch kind"):
        scratch_prefix("cache")


def test_a_fit_leaves_no_scratch_and_clears_a_killed_fits(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    host = scratch_prefix("folds").split("-")[2]
    killed = _entry(str(tmp_path), f"automl-folds-{host}-{_dead_pid()}-k1ll", age=STALE_AFTER + 1)
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(120, 4)), rng.integers(0, 2, 120)
    AutoMLClassifier(
        time_budget=20,
        max_trials=3,
        n_jobs=1,
        random_state=0,
        include=["logistic_regression"],
        warm_start=None,
        history=None,
    ).fit(X, y)
    assert not os.path.exists(killed)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith("automl-")] == []
