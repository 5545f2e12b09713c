"""`automl metabase build` end to end on four tiny datasets: files, coverage, resuming.

The command comes from metalearning through its entry point (as installed: pyproject.toml's
declaration); `python -m metalearning.build` is the same command without automl's CLI.
"""

import importlib.util
import json

import pandas as pd
import pytest
from declared_plugins import installed_as_declared
from sklearn.datasets import make_classification, make_regression

from automl.cli import main as automl_main
from automl.space import SPACE_VERSION
from metalearning.metabase import config_id, load_metabase
from metalearning.pool import always_evaluated


def main(argv):
    with installed_as_declared():
        return automl_main(argv)


def write_dataset(folder, name, X, y, task):
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
    frame["target"] = y
    frame.to_csv(folder / f"{name}.csv.gz", index=False)
    (folder / f"{name}.json").write_text(json.dumps({"task": task, "categorical_columns": []}))


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """One build over a folder of two datasets and a task list of two CSV tasks, searching
    a sample of the list (both its tasks) and evaluating a pool of one pick per task group
    (plus the cold start's configurations) on the folder's datasets, which are only
    described."""
    data = tmp_path_factory.mktemp("datasets")
    out = tmp_path_factory.mktemp("metabase")
    X, y = make_classification(150, 6, n_informative=4, n_classes=3, random_state=1)
    write_dataset(data, "three-classes", X, y, "multiclass")
    X, y = make_regression(150, 4, noise=1.0, random_state=2)
    write_dataset(data, "linear", X, y, "regression")
    rows = []
    for name, (X, y), task in [
        ("listed-binary", make_classification(120, 4, random_state=3), "binary"),
        ("listed-regression", make_regression(120, 4, noise=5.0, random_state=4), "regression"),
    ]:
        pd.DataFrame(X, columns=list("abcd")).assign(y=y).to_csv(data / f"{name}.csv", index=False)
        rows.append({"path": f"{name}.csv", "target": "y", "task": task, "drop_columns": ""})
    tasks = data / "tasks.csv"
    pd.DataFrame(rows).to_csv(tasks, index=False)
    command = ["metabase", "build", "--datasets", str(data), "--tasks", str(tasks)]
    command += ["--out", str(out), "--search-budget", "4", "--top", "2"]
    command += ["--search-sample", "2", "--pool-size", "1"]
    command += ["--eval-time-limit", "10", "--parallel", "2"]
    assert main(command) == 0
    return data, out, command


GROUP = {"binary": "classification", "multiclass": "classification", "regression": "regression"}


@pytest.mark.slow
def test_build_writes_a_loadable_metabase(built, capsys):
    _, out, _ = built
    metabase = load_metabase(out)
    listed = ["listed-binary", "listed-regression"]
    described = ["linear", "three-classes"]
    assert sorted(metabase.datasets) == sorted(listed + described)
    records = {p.stem: json.loads(p.read_text()) for p in (out / "searches").glob("*.json")}
    # the sample is drawn from the task list only: the folder's datasets are only described
    assert sorted(n for n, r in records.items() if r["searched"]) == listed
    assert all(records[n]["n_trials"] == 0 and records[n]["metafeatures"] for n in described)
    assert all(records[n]["configs"] for n in listed)

    perf = metabase.performance
    for group in ("classification", "regression"):
        pool = {c for c, e in metabase.configurations.items() if e["task_group"] == group}
        forced = {
            config_id(c, group)
            for c in always_evaluated("regression" if group == "regression" else "binary")
        }
        assert forced <= pool and len(pool) <= len(forced) + 1  # one greedy pick at most
        for name in [n for n in records if GROUP[records[n]["task"]] == group]:
            # the pool everywhere in its group, and nothing of the other group
            assert set(perf.loc[perf["dataset"] == name, "config_id"]) == pool
        # the searched datasets were probed with every candidate of their group: the pool and
        # every configuration any search of the group found
        found = {
            config_id(c["config"], group)
            for r in records.values()
            if GROUP[r["task"]] == group
            for c in r["configs"]
        }
        for name in [n for n in listed if GROUP[records[n]["task"]] == group]:
            probed = pd.read_csv(out / "evaluations" / f"{name}.csv", dtype={"config_id": str})
            assert set(probed["config_id"]) == pool | found
    assert perf.loc[perf["status"] == "ok", "loss"].notna().all()
    record = json.loads((out / "build.json").read_text())
    assert record["parameters"]["search_budget"] == 4
    assert record["datasets"] == 4 and record["searched"] == 2
    assert record["evaluations"] >= len(perf)  # the probes' extra rows are kept on disk
    assert record["search_seconds"] > 0 and record["space_version"] == SPACE_VERSION
    assert record["runs"] == 1 and record["wall_core_hours"] > 0
    catboost_installed = importlib.util.find_spec("catboost") is not None
    for group in ("classification", "regression"):  # the families it could measure
        families = record["families"][group]
        task = "regression" if group == "regression" else "binary"
        assert {c["model"] for c in always_evaluated(task)} <= set(families)
        assert ("catboost" in families) == catboost_installed


@pytest.mark.slow
def test_rerun_skips_finished_work(built, capsys):
    _, out, command = built
    before = (out / "performance.csv").read_text()
    capsys.readouterr()
    assert main(command) == 0
    printed = capsys.readouterr().out
    assert "search 0 dataset(s), describe 0 (4 already done)" in printed
    assert "on 0 dataset(s)" in printed
    assert (out / "performance.csv").read_text() == before


@pytest.mark.slow
def test_a_lost_evaluation_is_redone(built, capsys):
    _, out, command = built
    path = out / "evaluations" / "linear.csv"
    rows = pd.read_csv(path)
    rows.iloc[1:].to_csv(path, index=False)  # as if the process died before writing one row
    assert main(command) == 0
    assert "on 1 dataset(s)" in capsys.readouterr().out
    assert len(pd.read_csv(path)) == len(rows)


@pytest.mark.slow
def test_unknown_dataset_names_are_refused(built):
    data, out, _ = built
    with pytest.raises(SystemExit, match="not among the datasets: nope"):
        main(["metabase", "build", "--datasets", str(data), "--out", str(out), "--only", "nope"])


@pytest.mark.slow
def test_the_module_runs_the_same_command(built, capsys):
    from metalearning import build

    _, out, command = built
    assert command[:2] == ["metabase", "build"]
    assert build.main(command[2:]) == 0  # all done already: nothing is searched again
    assert "search 0 dataset(s), describe 0 (4 already done)" in capsys.readouterr().out


def test_parallel_workers_get_disjoint_cores(monkeypatch):
    from metalearning import build

    monkeypatch.setattr(build.os, "sched_getaffinity", lambda pid: {0, 1, 2, 3}, raising=False)
    assert build._core_slots(2) == [(0, 2), (1, 3)]
    assert build._core_slots(4) == [(0,), (1,), (2,), (3,)]
    assert build._core_slots(8) == [()] * 8  # more workers than cores: no pinning


@pytest.mark.slow
def test_a_larger_sample_searches_the_datasets_an_earlier_run_only_described(
    built, tmp_path, monkeypatch
):
    import shutil

    from metalearning import build

    _, out, command = built
    copy = tmp_path / "metabase"
    shutil.copytree(out, copy)
    steps = []
    monkeypatch.setattr(build, "_run_all", lambda step, names, *a: steps.append((step, names)))
    args = command[2:]
    args[args.index("--out") + 1] = str(copy)
    args[args.index("--search-sample") + 1] = "0"  # search them all
    assert build.main(args) == 0
    assert steps[0] == ("search", ["linear", "three-classes"])
    assert steps[1] == ("describe", [])
