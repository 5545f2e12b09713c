"""Tests for automl.datasets: no network, nothing from the shared datasets folder.

A tiny fake datasets folder is built in tmp_path under a real catalog name ("titanic"), since
load() only accepts catalogued names.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import urllib.error
from pathlib import Path

import pandas as pd
import pytest
import sklearn.datasets
from sklearn.utils import Bunch

from automl import datasets as ds

CSV = "pclass,sex,age,note,target\n1,male,22.0,a,0\n3,female,,b,1\n,female,30.5,,1\n2,NA,40.0,a,0\n"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """Fake folder: 'pclass' is a numbers-looking categorical with a gap (parses as float),
    'sex' a string categorical, 'note' an undeclared text column."""
    raw = CSV.encode()
    with gzip.open(tmp_path / "titanic.csv.gz", "wb") as f:
        f.write(raw)
    meta = {
        "name": "titanic",
        "task": "binary",
        "categorical_columns": ["pclass", "sex"],
        "csv_sha256": hashlib.sha256(raw).hexdigest(),
    }
    (tmp_path / "titanic.json").write_text(json.dumps(meta))
    return tmp_path


@pytest.fixture(autouse=True)
def no_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ds.ENV_VAR, raising=False)


def test_load_dtypes_and_string_categories(folder: Path) -> None:
    d = ds.load("titanic", folder, verify=True)
    assert (d.name, d.task, d.openml_id) == ("titanic", "binary", None)
    assert list(d.X.columns) == ["pclass", "sex", "age", "note"]
    assert d.categorical_columns == ["pclass", "sex", "note"]
    for col in d.categorical_columns:
        assert isinstance(d.X[col].dtype, pd.CategoricalDtype)
        assert all(isinstance(c, str) for c in d.X[col].cat.categories)
    assert sorted(d.X["pclass"].cat.categories) == ["1", "2", "3"]  # not "1.0"
    assert d.X["pclass"].isna().sum() == 1
    assert d.X["sex"].tolist()[3] == "NA"  # only an empty field is missing
    assert d.X["note"].isna().sum() == 1
    assert pd.api.types.is_float_dtype(d.X["age"].dtype) and d.X["age"].isna().sum() == 1
    assert d.y.name == "target" and d.y.tolist() == [0, 1, 1, 0]
    assert pd.api.types.is_integer_dtype(d.y.dtype)  # classification label kept as read


def test_regression_target_is_float(folder: Path) -> None:
    meta = json.loads((folder / "titanic.json").read_text())
    (folder / "titanic.json").write_text(json.dumps({**meta, "task": "regression"}))
    assert ds.load("titanic", folder).y.dtype == "float64"


def test_verify_detects_mismatch(folder: Path) -> None:
    meta = json.loads((folder / "titanic.json").read_text())
    (folder / "titanic.json").write_text(json.dumps({**meta, "csv_sha256": "0" * 64}))
    ds.load("titanic", folder)  # no check by default
    with pytest.raises(ValueError, match="sha256"):
        ds.load("titanic", folder, verify=True)


def test_env_var_resolution(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ds.ENV_VAR, str(folder))
    assert ds.load("titanic").X.shape == (4, 4)


def test_argument_beats_env_var(
    folder: Path, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ds.ENV_VAR, str(tmp_path_factory.mktemp("empty")))
    assert ds.load("titanic", folder=str(folder)).X.shape == (4, 4)


def test_unknown_name_suggests_close_match(folder: Path) -> None:
    with pytest.raises(KeyError, match="titanic"):
        ds.load("titanik", folder)


def test_folder_unset_says_how_to_set_it() -> None:
    with pytest.raises(RuntimeError, match=ds.ENV_VAR):
        ds.load("titanic")


def test_missing_file_in_folder(folder: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"iris\.csv\.gz"):
        ds.load("iris", folder)


def test_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="does not exist"):
        ds.load("iris", tmp_path / "nope")


def test_list_datasets_shipped_catalog() -> None:
    cat = ds.list_datasets()
    assert len(cat) == 43
    assert cat["name"].is_unique
    assert set(cat["task"]) == set(ds.TASKS)
    assert set(cat.loc[cat["smoke_test"], "name"]) == {"iris", "penguins"}
    assert cat.loc[cat["name"] == "credit-g", "openml_id"].item() == 31
    assert cat.loc[cat["name"] == "titanic", "openml_id"].isna().all()


def test_list_datasets_filters() -> None:
    by_task = {t: ds.list_datasets(task=t) for t in ds.TASKS}
    assert sum(len(df) for df in by_task.values()) == 43
    for t, df in by_task.items():
        assert len(df) > 0 and (df["task"] == t).all()
    small = ds.list_datasets(max_rows=1000)
    assert 0 < len(small) < 43 and (small["n_rows"] <= 1000).all()
    assert len(ds.list_datasets(include_smoke=False)) == 41
    assert not ds.list_datasets(task="multiclass", include_smoke=False)["smoke_test"].any()
    with pytest.raises(ValueError):
        ds.list_datasets(task="classification")


def test_shipped_catalog_matches_repo_copy() -> None:
    repo = Path(__file__).resolve().parent.parent
    repo_copy = repo / "datasets" / "catalog.csv"
    if not repo_copy.exists():
        pytest.skip("not running from a checkout")
    assert repo_copy.read_bytes() == (repo / "automl" / "_catalog.csv").read_bytes()


def test_fetch_openml_offline(monkeypatch: pytest.MonkeyPatch) -> None:
    def offline(**kwargs: object) -> None:
        raise urllib.error.URLError("no network")

    monkeypatch.setattr(sklearn.datasets, "fetch_openml", offline)
    with pytest.raises(RuntimeError, match="offline"):
        ds.fetch_openml("credit-g")
    with pytest.raises(RuntimeError, match="offline"):
        ds.fetch_openml(31)


def test_fetch_openml_without_id() -> None:
    with pytest.raises(ValueError, match="no known OpenML id"):
        ds.fetch_openml("titanic")


def test_fetch_openml_normalises_frame(monkeypatch: pytest.MonkeyPatch) -> None:
    """A faked download: categories become strings, a nominal regression target becomes float."""
    X = pd.DataFrame({"a": [1.0, 2.0], "c": pd.Categorical([1, 2])})
    y = pd.Series(pd.Categorical(["5", "6"]), name="class")
    monkeypatch.setattr(
        sklearn.datasets, "fetch_openml", lambda **kw: Bunch(data=X, target=y, frame=None)
    )
    d = ds.fetch_openml("wine-quality-red")
    assert (d.name, d.task, d.openml_id) == ("wine-quality-red", "regression", 40691)
    assert d.categorical_columns == ["c"] and list(d.X["c"].cat.categories) == ["1", "2"]
    assert d.y.dtype == "float64" and d.y.tolist() == [5.0, 6.0]
