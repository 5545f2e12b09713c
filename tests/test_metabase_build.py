"""`automl metabase build` end to end on three tiny datasets: files, coverage, resuming.

The command comes from metalearning through its entry point (as installed: pyproject.toml's
declaration); `python -m metalearning.build` is the same command without automl's CLI.
"""

import json

import pandas as pd
import pytest
from declared_plugins import installed_as_declared
from sklearn.datasets import make_classification, make_regression

from automl.cli import main as automl_main
from automl.space import SPACE_VERSION
from metalearning.metabase import load_metabase


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
    data = tmp_path_factory.mktemp("datasets")
    out = tmp_path_factory.mktemp("metabase")
    X, y = make_classification(150, 5, random_state=0)
    write_dataset(data, "binary-a", X, y, "binary")
    X, y = make_classification(150, 6, n_informative=4, n_classes=3, random_state=1)
    write_dataset(data, "three-classes", X, y, "multiclass")
    X, y = make_regression(150, 4, noise=1.0, random_state=2)
    write_dataset(data, "linear", X, y, "regression")
    command = [
        "metabase",
        "build",
        "--datasets",
        str(data),
        "--out",
        str(out),
        "--search-budget",
        "5",
        "--top",
        "2",
        "--eval-time-limit",
        "10",
        "--parallel",
        "2",
    ]
    assert main(command) == 0
    return data, out, command


@pytest.mark.slow
def test_build_writes_a_loadable_metabase(built, capsys):
    _, out, _ = built
    metabase = load_metabase(out)
    assert sorted(metabase.datasets) == ["binary-a", "linear", "three-classes"]
    groups = {c["task_group"] for c in metabase.configurations.values()}
    assert groups == {"classification", "regression"}
    perf = metabase.performance
    # every configuration evaluated on every dataset of its task group, and nowhere else
    for cid, entry in metabase.configurations.items():
        datasets = set(perf.loc[perf["config_id"] == cid, "dataset"])
        expected = (
            {"linear"} if entry["task_group"] == "regression" else {"binary-a", "three-classes"}
        )
        assert datasets == expected
    assert perf.loc[perf["status"] == "ok", "loss"].notna().all()
    record = json.loads((out / "build.json").read_text())
    assert record["parameters"]["search_budget"] == 5
    assert record["datasets"] == 3 and record["evaluations"] == len(perf)
    assert record["search_seconds"] > 0 and record["space_version"] == SPACE_VERSION


@pytest.mark.slow
def test_rerun_skips_finished_work(built, capsys):
    _, out, command = built
    before = (out / "performance.csv").read_text()
    capsys.readouterr()
    assert main(command) == 0
    printed = capsys.readouterr().out
    assert "search 0 dataset(s), describe 0 (3 already done)" in printed
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
    assert "search 0 dataset(s), describe 0 (3 already done)" in capsys.readouterr().out


def test_parallel_workers_get_disjoint_cores(monkeypatch):
    from metalearning import build

    monkeypatch.setattr(build.os, "sched_getaffinity", lambda pid: {0, 1, 2, 3}, raising=False)
    assert build._core_slots(2) == [(0, 2), (1, 3)]
    assert build._core_slots(4) == [(0,), (1,), (2,), (3,)]
    assert build._core_slots(8) == [()] * 8  # more workers than cores: no pinning
