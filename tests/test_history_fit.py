"""A fit writes its run and trials to the history, resumes from it, and survives its failure."""

import os
import signal
import subprocess
import sys
import textwrap
import time

import pandas as pd
import pytest
from sklearn.datasets import make_classification

from automl import AutoMLClassifier
from automl.history import HistoryError, HistoryStore, dataset_fingerprint
from automl.recorder import HistoryWarning
from automl.space import SPACE_VERSION


@pytest.fixture()
def data():
    X, y = make_classification(200, 6, random_state=0)
    return pd.DataFrame(X, columns=[f"x{i}" for i in range(6)]), y


# Cheap families: the history's behaviour does not depend on which families run, and a
# search's default start (forests, CatBoost) costs seconds per trial here.
CHEAP = ["logistic_regression", "lightgbm", "xgboost"]


def fit(data, path, **params):
    settings = {
        "include": CHEAP,
        "time_budget": 90,  # max_trials ends it; the budget only guards a loaded machine
        "max_trials": 6,
        "n_jobs": 1,
        "history": str(path),
        "random_state": 0,
        "warm_start": None,
        **params,
    }
    return AutoMLClassifier(**settings).fit(*data, dataset_name="toy")


@pytest.mark.slow
def test_every_trial_is_recorded_with_its_run(data, tmp_path):
    path = tmp_path / "h.sqlite"
    model = fit(data, path)
    store = HistoryStore(f"sqlite:///{path}")
    run = store.run(model.history_run_id_)
    assert run["status"] == "finished" and run["dataset_name"] == "toy"
    assert run["fingerprint"] == dataset_fingerprint(*data)
    assert run["task"] == "binary" and run["metric"] == "roc_auc"
    assert run["metafeatures"]["n_rows"] == 200
    assert run["library_versions"]["automl"] and run["space_version"] == SPACE_VERSION
    stored = {t["trial_id"]: t for t in run["trials"]}
    assert sorted(stored) == sorted(t["trial_id"] for t in model.trials_)
    for trial in model.trials_:
        assert stored[trial["trial_id"]]["config"] == trial["config"]
        assert stored[trial["trial_id"]]["status"] == trial["status"]
        if trial["status"] == "ok":
            assert stored[trial["trial_id"]]["loss"] == pytest.approx(trial["loss"])


@pytest.mark.slow
def test_same_data_again_resumes_instead_of_rerunning(data, tmp_path):
    path = tmp_path / "h.sqlite"
    first = fit(data, path)
    second = fit(data, path, warm_start="history")
    assert second.n_resumed_ == len(first.trials_)
    ranked = sorted((t for t in first.trials_ if t["status"] == "ok"), key=lambda t: t["loss"])
    # the earlier best comes first, so the first trial already matches the earlier run
    assert second.trials_[0]["config"] == ranked[0]["config"]
    assert second.trials_[0]["loss"] == pytest.approx(ranked[0]["loss"])
    rerun = {str(t["config"]) for t in ranked[:3]}
    others = {str(t["config"]) for t in first.trials_} - rerun
    assert not others & {str(t["config"]) for t in second.trials_}  # not run again


@pytest.mark.slow
def test_reproducible_mode_only_records(data, tmp_path):
    path = tmp_path / "h.sqlite"
    first = fit(data, path, warm_start="auto")
    second = fit(data, path, warm_start="auto")
    assert second.n_resumed_ == 0
    assert [t["config"] for t in first.trials_] == [t["config"] for t in second.trials_]
    assert len(HistoryStore(f"sqlite:///{path}").runs()) == 2


@pytest.mark.slow
def test_nearest_recorded_dataset_warm_starts_a_new_one(tmp_path):
    path = tmp_path / "h.sqlite"
    X, y = make_classification(200, 6, random_state=0)
    fit((X, y), path)
    best = HistoryStore(f"sqlite:///{path}").nearest_runs_best_configs(
        {"n_rows": 200.0}, "binary", 1, 1
    )[0]["config"]
    X2, y2 = make_classification(220, 6, random_state=5)
    model = AutoMLClassifier(
        time_budget=30, max_trials=4, n_jobs=1, history=str(path), warm_start="history"
    ).fit(X2, y2)
    assert model.trials_[0]["config"] == best


def test_unreachable_or_corrupt_store_is_a_clear_error(data, tmp_path):
    bad = tmp_path / "not-a-db.sqlite"
    bad.write_text("this is not sqlite")
    with pytest.raises(HistoryError, match="not-a-db.sqlite is not a valid history database"):
        fit(data, bad)
    with pytest.raises(HistoryError, match=r"postgresql\+psycopg://u:\*\*\*@127.0.0.1:1/x"):
        fit(data, "postgresql+psycopg://u:secret@127.0.0.1:1/x")


class FailingStore:
    """Writes fail after the run row, as when the database goes away mid-run."""

    display_url = "sqlite:///gone.sqlite"

    def start_run(self, **fields):
        return "run-1"

    def record_trial(self, run_id, trial):
        raise HistoryError("history store sqlite:///gone.sqlite: disk I/O error")

    def end_run(self, run_id, status):
        raise HistoryError("gone")

    def trials_for_fingerprint(self, *args):
        return []

    def nearest_runs_best_configs(self, *args, **kwargs):
        return []

    def close(self):
        pass


@pytest.mark.slow
def test_a_store_failing_mid_run_warns_and_the_fit_goes_on(data, monkeypatch):
    import automl.estimator as estimator

    monkeypatch.setattr(estimator, "open_history", lambda setting, strict: FailingStore())
    with pytest.warns(HistoryWarning, match="failed to record a trial.*history_strict=True") as w:
        model = fit(data, "ignored")
    assert (
        len([x for x in w if issubclass(x.category, HistoryWarning)]) == 1
    )  # one, not one a write
    assert len(model.trials_) == 6 and model.best_score_ > 0.5
    with pytest.raises(HistoryError, match="disk I/O error"):
        fit(data, "ignored", history_strict=True)


@pytest.mark.slow
def test_history_none_records_nothing(data, tmp_path, monkeypatch):
    monkeypatch.setenv("AUTOML_HISTORY", f"sqlite:///{tmp_path / 'h.sqlite'}")
    model = fit(data, "unused", history=None)
    assert model.history_run_id_ is None
    assert not (tmp_path / "h.sqlite").exists()


@pytest.mark.slow
def test_killed_fit_keeps_every_finished_trial(tmp_path):
    """SIGKILL mid-search: every trial the log reported as finished is in the store."""
    path = tmp_path / "h.sqlite"
    script = textwrap.dedent(f"""
        import logging, sys
        from sklearn.datasets import make_classification
        from automl import AutoMLClassifier
        logging.basicConfig(level=logging.DEBUG, stream=sys.stdout, format="%(message)s")
        X, y = make_classification(300, 8, random_state=0)
        AutoMLClassifier(time_budget=120, n_jobs=1, history={str(path)!r}, warm_start=None,
                         random_state=0, include={CHEAP!r}).fit(X, y)
    """)
    proc = subprocess.Popen(
        [sys.executable, "-c", script],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    finished: list[int] = []
    deadline = time.time() + 90
    while len(finished) < 6 and time.time() < deadline:
        line = proc.stdout.readline()
        if line.startswith("trial "):  # logged after the trial was written
            finished.append(int(line.split()[1]))
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)
    assert len(finished) >= 6
    store = HistoryStore(f"sqlite:///{path}")
    (run,) = store.runs()
    assert run["status"] == "running"  # it never got to say goodbye
    stored = {t["trial_id"] for t in store.trials(run["id"])}
    assert set(finished) <= stored


@pytest.fixture()
def unusable_home(tmp_path, monkeypatch):
    """A home directory where the default store's folder cannot be created (as in a container
    whose home is not writable): ``.local`` is a file."""
    home = tmp_path / "home"
    home.mkdir()
    (home / ".local").write_text("not a folder")
    monkeypatch.delenv("AUTOML_HISTORY", raising=False)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    return home


@pytest.mark.slow
def test_an_unusable_default_store_warns_once_and_the_fit_goes_on(data, unusable_home):
    with pytest.warns(HistoryWarning, match="default history store cannot be used") as caught:
        model = fit(data, "auto", max_trials=2)
    assert len([w for w in caught if issubclass(w.category, HistoryWarning)]) == 1
    assert model.history_run_id_ is None
    assert [t["status"] for t in model.trials_] == ["ok", "ok"]


def test_an_unusable_default_store_is_an_error_when_strict(data, unusable_home):
    with pytest.raises(HistoryError, match="cannot create the history store .*Not a directory"):
        fit(data, "auto", history_strict=True)


def test_an_unusable_store_the_user_named_is_an_error_naming_it(data, unusable_home):
    named = unusable_home / ".local" / "h.sqlite"  # under a file: its folder cannot exist
    with pytest.raises(HistoryError, match=f"cannot create the history store .*{named.name}"):
        fit(data, str(named))


@pytest.mark.slow
def test_a_corrupt_default_store_warns_and_the_fit_goes_on(data, tmp_path, monkeypatch):
    monkeypatch.delenv("AUTOML_HISTORY", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    (tmp_path / "automl").mkdir()
    (tmp_path / "automl" / "history.sqlite").write_bytes(b"this is not a database" * 100)
    with pytest.warns(HistoryWarning, match="default history store cannot be used"):
        model = fit(data, "auto", max_trials=2)
    assert model.history_run_id_ is None and len(model.trials_) == 2


@pytest.mark.slow
def test_cross_validating_the_estimator_does_not_leak_through_the_history(data, tmp_path):
    """Fold k's fit must not warm-start from the runs of the other folds: they trained on
    fold k's held-out rows. With a seeded search, the scores are those of no history at all."""
    from sklearn.model_selection import cross_validate

    def scores(**params):
        model = AutoMLClassifier(
            time_budget=30,
            max_trials=4,
            n_jobs=1,
            random_state=0,
            verbose=0,
            include=CHEAP,
            **params,
        )
        result = cross_validate(model, *data, cv=3, return_estimator=True)
        return list(result["test_score"]), [m.n_warm_start_ for m in result["estimator"]]

    path = str(tmp_path / "h.sqlite")
    with_history, warm = scores(history=path, warm_start="history")
    assert warm == [0, 0, 0]  # the earlier folds' runs were left out
    without, _ = scores(history=None, warm_start=None)
    assert with_history == without
    # runs on other rows still transfer: a fit on the first 100 rows overlaps every fold's
    # training rows partly (none is used), one on the other 100 is disjoint from it (used)
    X, y = data
    first, second = (
        AutoMLClassifier(
            time_budget=30,
            max_trials=4,
            n_jobs=1,
            random_state=0,
            verbose=0,
            include=CHEAP,
            history=path,
            warm_start="history",
        ).fit(X.iloc[rows], y[rows])
        for rows in (slice(0, 100), slice(100, 200))
    )
    assert first.n_warm_start_ == 0 and second.n_warm_start_ > 0
