"""The history store on SQLite: schema and versions, writing and reading runs, where the store
lives, clear errors for bad stores, warm-start queries, export, prune and the CLI."""

from __future__ import annotations

import csv
import importlib.util
import io
import json
import math
import sqlite3
import subprocess
import sys
from datetime import datetime, timedelta, timezone

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from automl.cli import main
from automl.history import (
    SCHEMA_VERSION,
    HistoryError,
    dataset_fingerprint,
    migrations,
    open_store,
    resolve_history,
)
from automl.history.location import sqlite_url


@pytest.fixture
def store(tmp_path):
    with open_store(tmp_path / "history.sqlite") as opened:
        yield opened


def _run(store, fingerprint="a" * 32, task="binary", metric="roc_auc", metafeatures=None, **extra):
    return store.start_run(
        fingerprint=fingerprint,
        task=task,
        metric=metric,
        dataset_name=extra.pop("dataset_name", "credit"),
        metafeatures=metafeatures or {"n_rows": 100.0},
        library_versions={"automl": "0.1.0"},
        space_version="1",
        **extra,
    )


def _trial(trial_id, loss, status="ok", **extra):
    return {
        "trial_id": trial_id,
        "config": extra.pop("config", {"model": "lgbm", "i": trial_id}),
        "status": status,
        "loss": loss,
        "score": None if status != "ok" else 1 - loss,
        **extra,
    }


def _sql(store, statement, **params):
    with store._engine.begin() as connection:
        return connection.execute(sa.text(statement), params)


# -- schema and versions ---------------------------------------------------------------------


def test_new_store_has_the_tables_and_the_schema_version(tmp_path):
    path = tmp_path / "deep" / "dir" / "history.sqlite"  # parent directories are created
    with open_store(path) as store:
        assert store.schema_version == SCHEMA_VERSION
        tables = set(sa.inspect(store._engine).get_table_names())
        assert {"runs", "trials", "meta"} <= tables
        version = _sql(store, "SELECT value FROM meta WHERE key = 'schema_version'").scalar_one()
        assert int(version) == SCHEMA_VERSION
    with open_store(path) as again:  # reopening changes nothing
        assert again.schema_version == SCHEMA_VERSION


def test_sqlite_store_uses_wal_and_a_busy_timeout(store, tmp_path):
    with store._engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 10_000
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    assert (
        sqlite3.connect(tmp_path / "history.sqlite").execute("PRAGMA journal_mode").fetchone()[0]
        == "wal"
    )


def test_newer_schema_than_the_code_is_refused(tmp_path):
    path = tmp_path / "history.sqlite"
    with open_store(path) as store:
        _sql(store, "UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    with pytest.raises(
        HistoryError, match=r"schema version 99, newer than this automl understands"
    ):
        open_store(path)


def test_pending_migrations_run_once_in_order(tmp_path, monkeypatch):
    path = tmp_path / "history.sqlite"
    open_store(path).close()
    applied = []

    following = SCHEMA_VERSION + 1

    def add_note_column(connection):
        applied.append(following)
        connection.exec_driver_sql("ALTER TABLE runs ADD COLUMN note TEXT")

    monkeypatch.setattr(migrations, "SCHEMA_VERSION", following)
    monkeypatch.setattr(
        migrations, "MIGRATIONS", {**migrations.MIGRATIONS, following: add_note_column}
    )
    with open_store(path) as store:
        assert store.schema_version == following
        columns = {column["name"] for column in sa.inspect(store._engine).get_columns("runs")}
        assert "note" in columns
    open_store(path).close()
    assert applied == [following]


def test_a_schema_1_store_gains_row_sketches_and_keeps_its_runs(tmp_path):
    path = tmp_path / "history.sqlite"
    with open_store(path) as store:  # made into a schema-1 store: no row_sketch column
        old_run = _run(store)
        _drop_schema_3_columns(store)
        _sql(store, "ALTER TABLE runs DROP COLUMN row_sketch")
        _sql(store, "UPDATE meta SET value = '1' WHERE key = 'schema_version'")
    with open_store(path) as store:
        assert store.schema_version == SCHEMA_VERSION >= 2
        assert store.run(old_run)["row_sketch"] is None
        new_run = _run(store, fingerprint="b" * 32, row_sketch=["00000000000000ff"])
        assert store.run(new_run)["row_sketch"] == '["00000000000000ff"]'


def _drop_schema_3_columns(store):
    for table, column in [
        ("trials", "worker"),
        ("trials", "finished"),
        ("trials", "predict_time"),
        ("runs", "card"),
    ]:
        _sql(store, f"ALTER TABLE {table} DROP COLUMN {column}")


def test_a_schema_2_store_gains_the_report_columns_and_keeps_its_trials(tmp_path):
    path = tmp_path / "history.sqlite"
    with open_store(path) as store:
        old_run = _run(store)
        store.record_trial(old_run, _trial(0, 0.2))
        _drop_schema_3_columns(store)
        _sql(store, "UPDATE meta SET value = '2' WHERE key = 'schema_version'")
    with open_store(path) as store:
        assert store.schema_version == SCHEMA_VERSION == 3
        old = store.trials(old_run)[0]
        assert old["loss"] == 0.2 and old["worker"] is None and old["finished"] is None
        assert store.run(old_run)["card"] is None
        new_run = _run(store, fingerprint="c" * 32)
        trial = {**_trial(0, 0.1), "worker": "host:42", "finished": 12.5, "predict_time": 0.03}
        store.record_trial(new_run, trial)
        store.record_card(new_run, {"estimator": "AutoMLClassifier", "members": [1, 2]})
        row = store.trials(new_run)[0]
        assert (row["worker"], row["finished"], row["predict_time"]) == ("host:42", 12.5, 0.03)
        assert store.run(new_run)["card"] == {"estimator": "AutoMLClassifier", "members": [1, 2]}
        with pytest.raises(HistoryError, match="no run"):
            store.record_card("no-such-run", {})


def test_warm_start_leaves_out_runs_that_saw_rows_this_fit_holds_out(store):
    from automl.fingerprint import row_sketch

    rng = np.random.default_rng(0)  # row hashes are uniform 64-bit values
    rows = rng.integers(0, 2**63, size=1_000, dtype=np.uint64)
    train = rows[:800]  # this fit's training rows; rows[800:] it may be holding out
    runs = {
        "other fold": rows[200:],  # trained on held-out rows too: would leak
        "subset": rows[:400],  # saw only rows this fit has
        "other data": rng.integers(0, 2**63, size=1_000, dtype=np.uint64),  # disjoint
        "no sketch": None,  # recorded before sketches existed
    }
    for i, (name, trained) in enumerate(runs.items()):
        run_id = _run(
            store,
            fingerprint=str(i) * 32,
            dataset_name=name,
            row_sketch=None if trained is None else row_sketch(trained),
        )
        store.record_trial(run_id, _trial(0, 0.1, config={"model": name}))
    kept = store.nearest_runs_best_configs({"n_rows": 100.0}, "binary", 10, 1, row_hashes=train)
    assert {b["dataset_name"] for b in kept} == {"subset", "other data", "no sketch"}
    everything = store.nearest_runs_best_configs({"n_rows": 100.0}, "binary", 10, 1)
    assert {b["dataset_name"] for b in everything} == set(runs)


# -- writing and reading ---------------------------------------------------------------------


def test_round_trip_of_a_run_and_its_trials(store):
    run_id = _run(
        store,
        metafeatures={"n_rows": 1000, "ratio": np.float64(0.25)},
        time_budget=60,
        settings={"n_jobs": 2, "strategy": "bo"},
        user="ada",
        host="lab-1",
    )
    store.record_trial(
        run_id,
        {
            **_trial(
                0, 0.3, config={"model": "lgbm", "lr": np.float32(0.5), "leaves": np.int64(31)}
            ),
            "fidelity": 0.25,
            "duration": 1.5,
            "fit_time": 1.2,
            "peak_memory_mb": 120.0,
            "started": 0.1,
            "worker": "ignored",
        },
    )
    store.record_trial(run_id, _trial(1, 0.2))
    store.record_trial(run_id, _trial(2, float("nan"), status="crashed", error="ValueError: boom"))
    store.end_run(run_id, "finished")

    run = store.run(run_id)
    assert run["user"] == "ada" and run["host"] == "lab-1" and run["status"] == "finished"
    assert run["metafeatures"] == {"n_rows": 1000.0, "ratio": 0.25}
    assert run["settings"] == {"n_jobs": 2, "strategy": "bo"}
    assert run["library_versions"] == {"automl": "0.1.0"}
    assert run["time_budget"] == 60.0 and run["task"] == "binary" and run["metric"] == "roc_auc"
    assert run["started_at"].tzinfo == timezone.utc and run["ended_at"] >= run["started_at"]
    assert run["n_trials"] == 3
    assert run["best_loss"] == pytest.approx(0.2) and run["best_score"] == pytest.approx(0.8)
    first, second, crashed = run["trials"]
    assert first["config"] == {"model": "lgbm", "lr": 0.5, "leaves": 31}
    assert (
        first["fidelity"] == 0.25 and first["peak_memory_mb"] == 120.0 and first["started"] == 0.1
    )
    assert second["fidelity"] == 1.0 and second["peak_memory_mb"] is None
    assert math.isinf(crashed["loss"]) and crashed["score"] is None
    assert crashed["error"] == "ValueError: boom" and crashed["status"] == "crashed"
    assert store.trials(run_id) == run["trials"]


def test_a_trial_written_twice_is_one_row(store):
    run_id = _run(store)
    store.record_trial(run_id, _trial(7, 0.5))
    store.record_trial(run_id, _trial(7, 0.4))  # a retry after a lost acknowledgement
    trials = store.trials(run_id)
    assert len(trials) == 1 and trials[0]["loss"] == 0.4
    assert _sql(store, "SELECT COUNT(*) FROM trials").scalar_one() == 1


def test_starting_the_same_run_twice_is_one_row(store):
    run_id = _run(store, run_id="fixed-id")
    assert _run(store, run_id="fixed-id") == run_id
    assert len(store.runs()) == 1


def test_runs_are_found_by_unique_prefix_only(store):
    first = _run(store, run_id="abc12345-0000")
    _run(store, run_id="abc99999-0000")
    assert store.run("ABC1")["id"] == first
    with pytest.raises(HistoryError, match="matches several runs"):
        store.run("abc")
    with pytest.raises(HistoryError, match="no run 'zzz' in the history store sqlite:///"):
        store.run("zzz")


def test_bad_arguments_are_refused(store):
    with pytest.raises(ValueError, match="task must be one of"):
        _run(store, task="ranking")
    run_id = _run(store)
    with pytest.raises(ValueError, match="status must be one of"):
        store.end_run(run_id, "done")
    with pytest.raises(HistoryError, match="no run nope"):
        store.end_run("nope")
    with pytest.raises(HistoryError, match="cannot write to the history store"):
        store.record_trial("nope", _trial(0, 0.1))  # no such run: the foreign key says no


# -- where the store lives -------------------------------------------------------------------


def test_history_setting_resolution(tmp_path, monkeypatch):
    monkeypatch.delenv("AUTOML_HISTORY", raising=False)
    assert resolve_history(None) is None and resolve_history(False) is None
    assert resolve_history(str(tmp_path / "h.sqlite")) == f"sqlite:///{tmp_path / 'h.sqlite'}"
    assert resolve_history(tmp_path / "h.sqlite") == f"sqlite:///{tmp_path / 'h.sqlite'}"
    url = "postgresql://team@db.example.org/automl"
    assert resolve_history(url) == url

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert resolve_history("auto") == f"sqlite:///{tmp_path / 'xdg' / 'automl' / 'history.sqlite'}"
    monkeypatch.delenv("XDG_DATA_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert (
        resolve_history("auto")
        == f"sqlite:///{tmp_path / 'home' / '.local' / 'share' / 'automl' / 'history.sqlite'}"
    )

    monkeypatch.setenv("AUTOML_HISTORY", url)
    assert resolve_history("auto") == url
    monkeypatch.setenv("AUTOML_HISTORY", str(tmp_path / "team.sqlite"))
    assert resolve_history("auto") == sqlite_url(tmp_path / "team.sqlite")
    monkeypatch.setenv("AUTOML_HISTORY", "off")
    assert resolve_history("auto") is None


def test_auto_store_is_created_in_the_data_directory(tmp_path, monkeypatch):
    monkeypatch.delenv("AUTOML_HISTORY", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    with open_store("auto") as store:
        _run(store)
    assert (tmp_path / "automl" / "history.sqlite").is_file()


# -- clear errors ------------------------------------------------------------------------------


def test_corrupt_file_is_named_in_the_error(tmp_path):
    path = tmp_path / "history.sqlite"
    path.write_bytes(b"this is not a database, just some text " * 100)
    with pytest.raises(HistoryError, match="is not a valid history database") as caught:
        open_store(path)
    assert str(path) in str(caught.value)


def test_another_programs_sqlite_file_is_left_alone(tmp_path):
    path = tmp_path / "app.sqlite"
    sqlite3.connect(path).execute("CREATE TABLE customers (id INTEGER)").connection.commit()
    with pytest.raises(HistoryError, match="is not an automl history database.*customers"):
        open_store(path)


def test_unreachable_server_error_names_the_url_without_password():
    with pytest.raises(HistoryError) as caught:
        open_store("postgresql://alice:s3cret@127.0.0.1:1/team")
    message = str(caught.value)
    assert message.startswith(
        "cannot open the history store postgresql://alice:***@127.0.0.1:1/team: "
    )
    assert "s3cret" not in message


def test_missing_driver_and_unknown_databases_are_explained():
    if importlib.util.find_spec("pymysql") is None:
        with pytest.raises(HistoryError, match=r"needs a database driver that is not installed"):
            open_store("mysql+pymysql://u:p@localhost/db")
    with pytest.raises(
        HistoryError, match="nosuchdb://localhost/db names an unknown kind of database"
    ):
        open_store("nosuchdb://localhost/db")


def test_missing_store_is_an_error_only_when_asked_not_to_create(tmp_path):
    with pytest.raises(HistoryError, match="nothing recorded yet"):
        open_store(tmp_path / "absent.sqlite", create=False)
    assert not (tmp_path / "absent.sqlite").exists()


# -- warm starts and resumes -----------------------------------------------------------------


def test_nearest_datasets_best_configs_come_first(store):
    datasets = {  # name: (fingerprint, meta-features)
        "near": ("n" * 32, {"n_rows": 1100, "ratio": 0.52}),
        "middle": ("m" * 32, {"n_rows": 5000, "ratio": 0.7}),
        "far": ("f" * 32, {"n_rows": 90000, "ratio": 0.05}),
    }
    for name, (fingerprint, features) in datasets.items():
        run_id = _run(store, fingerprint=fingerprint, metafeatures=features, dataset_name=name)
        for number, loss in enumerate([0.30, 0.10, 0.20, 0.40]):
            store.record_trial(run_id, _trial(number, loss, config={"model": name, "i": number}))
        store.record_trial(run_id, _trial(10, 0.01, config={"model": name, "low": 1}, fidelity=0.1))
        store.record_trial(run_id, _trial(11, 0.0, status="crashed"))
    regression = _run(
        store, fingerprint="r" * 32, task="regression", metafeatures={"n_rows": 1000, "ratio": 0.5}
    )
    store.record_trial(regression, _trial(0, 0.0))

    query = {"n_rows": 1000, "ratio": 0.5}
    best = store.nearest_runs_best_configs(query, "binary", k_datasets=2, per_dataset=2)
    assert [(b["dataset_name"], b["trial_id"]) for b in best] == [
        ("near", 1),
        ("near", 2),
        ("middle", 1),
        ("middle", 2),
    ]
    assert best[0]["distance"] < best[2]["distance"]
    assert best[0]["config"] == {"model": "near", "i": 1} and best[0]["metric"] == "roc_auc"

    without_near = store.nearest_runs_best_configs(
        query, "binary", 1, 1, exclude_fingerprint="n" * 32
    )
    assert [b["dataset_name"] for b in without_near] == ["middle"]
    assert store.nearest_runs_best_configs(query, "multiclass", 3, 3) == []
    assert store.nearest_runs_best_configs({"unknown": 1.0}, "binary", 3, 3) == []


def test_nearest_configs_merge_runs_by_rank_and_drop_duplicates(store):
    features = {"n_rows": 100.0}
    older = _run(store, fingerprint="d" * 32, metric="log_loss", metafeatures=features)
    store.record_trial(older, _trial(0, 5.0, config={"model": "same"}))  # log loss: large values
    store.record_trial(older, _trial(1, 9.0, config={"model": "older-second"}))
    newer = _run(store, fingerprint="d" * 32, metric="roc_auc", metafeatures=features)
    store.record_trial(newer, _trial(0, 0.1, config={"model": "same"}))
    store.record_trial(newer, _trial(1, 0.2, config={"model": "newer-second"}))
    best = store.nearest_runs_best_configs(features, "binary", 1, 3)
    assert [b["config"]["model"] for b in best] == ["same", "newer-second", "older-second"]


def test_trials_for_fingerprint_loads_earlier_runs_on_the_same_data(store):
    first = _run(store)
    store.record_trial(first, _trial(0, 0.3))
    store.record_trial(first, _trial(1, math.inf, status="timeout"))
    store.end_run(first, "interrupted")
    other_metric = _run(store, metric="accuracy")
    store.record_trial(other_metric, _trial(0, 0.1))
    other_data = _run(store, fingerprint="b" * 32)
    store.record_trial(other_data, _trial(0, 0.1))
    current = _run(store)
    store.record_trial(current, _trial(0, 0.25))

    loaded = store.trials_for_fingerprint("a" * 32, "binary", "roc_auc", exclude_run_id=current)
    assert [(t["run_id"], t["trial_id"]) for t in loaded] == [(first, 0)]
    assert loaded[0]["config"] == {"model": "lgbm", "i": 0} and loaded[0]["space_version"] == "1"
    with_failed = store.trials_for_fingerprint("a" * 32, "binary", "roc_auc", include_failed=True)
    assert [(t["run_id"], t["trial_id"]) for t in with_failed] == [
        (first, 0),
        (first, 1),
        (current, 0),
    ]
    assert [run["id"] for run in store.runs_with_fingerprint("a" * 32, "binary")] == [
        current,
        other_metric,
        first,
    ]
    assert store.runs_with_fingerprint("a" * 32, "regression") == []


def test_fingerprint_follows_the_content():
    frame = pd.DataFrame(
        {"age": [30, 40, 50], "city": ["a", "b", "a"], "income": [1.0, 2.5, np.nan]}
    )
    y = np.array([0, 1, 0])
    fingerprint = dataset_fingerprint(frame, y)
    assert len(fingerprint) == 32 and fingerprint == dataset_fingerprint(frame.copy(), y.copy())
    changed = frame.copy()
    changed.loc[1, "income"] = 2.6
    assert dataset_fingerprint(changed, y) != fingerprint
    assert dataset_fingerprint(frame.rename(columns={"age": "years"}), y) != fingerprint
    assert dataset_fingerprint(frame.astype({"age": float}), y) != fingerprint
    assert dataset_fingerprint(frame, np.array([1, 1, 0])) != fingerprint
    assert dataset_fingerprint(frame.set_axis([5, 6, 7]), y) == fingerprint  # index is not data
    code = (
        "import numpy as np, pandas as pd; from automl.history import dataset_fingerprint; "
        "print(dataset_fingerprint(pd.DataFrame({'age': [30, 40, 50], 'city': ['a', 'b', 'a'], "
        "'income': [1.0, 2.5, np.nan]}), np.array([0, 1, 0])))"
    )
    other_process = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert other_process.stdout.strip() == fingerprint


# -- export and prune ------------------------------------------------------------------------


def _two_runs(store):
    first = _run(store, dataset_name="credit")
    store.record_trial(first, _trial(0, 0.3, config={"model": "lgbm", "lr": 0.1}))
    store.record_trial(first, _trial(1, math.inf, status="crashed", error="MemoryError"))
    store.end_run(first)
    empty = _run(store, dataset_name="empty", task="regression", metric="rmse")
    return first, empty


def test_export_csv_has_a_row_per_trial_with_run_columns(store, tmp_path):
    first, empty = _two_runs(store)
    path = tmp_path / "history.csv"
    store.export("csv", path)
    rows = list(csv.DictReader(path.open()))
    assert len(rows) == 3  # two trials, and one row for the run without trials
    by_key = {(row["run_id"], row["trial_id"]): row for row in rows}
    trial = by_key[(first, "0")]
    assert trial["dataset_name"] == "credit" and trial["run_status"] == "finished"
    assert json.loads(trial["config"]) == {"lr": 0.1, "model": "lgbm"}
    assert by_key[(first, "1")]["error"] == "MemoryError"
    assert by_key[(empty, "")]["task"] == "regression"
    frame = pd.read_csv(path)
    assert list(frame.columns[:3]) == ["run_id", "user", "host"]


def test_export_json_nests_trials_in_runs(store):
    first, empty = _two_runs(store)
    stream = io.StringIO()
    store.export("json", stream)
    document = json.loads(stream.getvalue())
    assert document["schema_version"] == SCHEMA_VERSION
    runs = {run["id"]: run for run in document["runs"]}
    assert runs[empty]["trials"] == []
    assert [t["trial_id"] for t in runs[first]["trials"]] == [0, 1]
    assert runs[first]["trials"][1]["loss"] is None  # infinity is not JSON
    assert runs[first]["started_at"].endswith("+00:00")
    with pytest.raises(ValueError, match="format must be"):
        store.export("xml", io.StringIO())


def test_prune_by_age_status_and_count(store):
    ids = [_run(store, dataset_name=f"d{i}") for i in range(5)]
    for run_id in ids:
        store.record_trial(run_id, _trial(0, 0.5))
    for age, run_id in zip([40, 30, 20, 2, 1], ids):
        started = datetime.now(timezone.utc).replace(tzinfo=None) - timedelta(days=age)
        _sql(
            store,
            "UPDATE runs SET started_at = :started WHERE id = :id",
            started=started,
            id=run_id,
        )
    store.end_run(ids[1], "failed")

    with pytest.raises(ValueError, match="prune needs"):
        store.prune()
    assert store.prune(older_than_days=10, dry_run=True) == 3
    assert len(store.runs()) == 5  # a dry run deletes nothing
    assert store.prune(status="failed") == 1
    assert store.prune(older_than_days=10, keep_last=3) == 1  # the 20-day-old run is kept
    assert [run["dataset_name"] for run in store.runs()] == ["d4", "d3", "d2"]
    assert store.prune(keep_last=1) == 2
    assert [run["id"] for run in store.runs()] == [ids[4]]
    assert _sql(store, "SELECT COUNT(*) FROM trials").scalar_one() == 1  # trials went with runs


# -- command line ----------------------------------------------------------------------------


@pytest.fixture
def recorded(tmp_path):
    path = tmp_path / "history.sqlite"
    with open_store(path) as store:
        first, empty = _two_runs(store)
    return str(path), first, empty


def test_cli_list_and_show(recorded, capsys):
    path, first, empty = recorded
    assert main(["history", "list", "--history", path]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split()[:3] == ["RUN", "STARTED", "(UTC)"]
    assert any(line.startswith(first[:8]) and "credit" in line and "0.7" in line for line in out)
    assert any(line.startswith(empty[:8]) and "running" in line for line in out)

    assert main(["history", "show", first[:6], "--history", path]) == 0
    out = capsys.readouterr().out
    assert first in out and "credit" in out and "MemoryError" in out
    lines = out.splitlines()
    table = lines[lines.index(next(line for line in lines if line.startswith("TRIAL"))) + 1 :]
    assert [line.split()[0] for line in table] == ["0", "1"]

    assert main(["history", "show", first, "--json", "--history", path]) == 0
    assert json.loads(capsys.readouterr().out)["trials"][0]["config"]["model"] == "lgbm"


def test_cli_export_and_prune(recorded, tmp_path, capsys, monkeypatch):
    path, first, empty = recorded
    monkeypatch.setenv("AUTOML_HISTORY", path)  # the default store
    assert main(["history", "export", "--format", "csv"]) == 0
    assert len(list(csv.DictReader(io.StringIO(capsys.readouterr().out)))) == 3
    out_file = tmp_path / "export.json"
    assert main(["history", "export", "--format", "json", "--out", str(out_file)]) == 0
    assert len(json.loads(out_file.read_text())["runs"]) == 2

    assert main(["history", "prune", "--status", "running"]) == 0
    assert "Would delete 1 run" in capsys.readouterr().out
    assert main(["history", "prune", "--status", "running", "--yes"]) == 0
    assert "Deleted 1 run" in capsys.readouterr().out
    with open_store(path) as store:
        assert [run["id"] for run in store.runs()] == [first]


def test_cli_errors_are_one_line_with_exit_code_2(recorded, tmp_path, capsys):
    path, _, _ = recorded
    for argv, expected in [
        (["history", "show", "zzz", "--history", path], "no run 'zzz'"),
        (["history", "prune", "--history", path], "say what to prune"),
        (
            ["history", "show", "abc", "--history", str(tmp_path / "absent.sqlite")],
            "nothing recorded yet",
        ),
    ]:
        with pytest.raises(SystemExit) as caught:
            main(argv)
        assert caught.value.code == 2
        err = capsys.readouterr().err
        assert err.startswith("automl: error: ") and expected in err and err.count("\n") == 1
    assert main(["history", "list", "--history", str(tmp_path / "absent.sqlite")]) == 0
    assert "No runs recorded yet" in capsys.readouterr().err
