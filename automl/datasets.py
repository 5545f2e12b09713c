"""Dataset catalog and loader.

The catalog (``_catalog.csv``, shipped as package data) lists the developer datasets; the data
files themselves are never in the repo. ``load`` reads them from a local folder (argument or the
``AUTOML_DATASETS`` environment variable); ``fetch_openml`` gets a catalogued dataset from OpenML
when online. Both return the same :class:`Dataset`, with categoricals as pandas ``category``
columns whose categories are strings, so downstream code never has to guess which numeric-looking
columns are really labels.
"""

from __future__ import annotations

import difflib
import gzip
import hashlib
import json
import os
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd

__all__ = [
    "Dataset",
    "list_datasets",
    "load",
    "read_dataset",
    "dataset_from_frame",
    "fetch_openml",
    "ENV_VAR",
    "TASKS",
]

ENV_VAR = "AUTOML_DATASETS"
TASKS = ("binary", "multiclass", "regression")
TARGET = "target"


@dataclass(
    frozen=True, eq=False
)  # eq=False: comparing/hashing DataFrames field-wise is meaningless.
class Dataset:
    """A loaded dataset: features, label and the metadata needed to model it."""

    name: str
    task: str  # "binary" | "multiclass" | "regression"
    X: pd.DataFrame
    y: pd.Series
    categorical_columns: list[str]
    openml_id: int | None


def _catalog() -> pd.DataFrame:
    """Read the catalog shipped inside the package (works from a wheel, not just a checkout)."""
    with resources.files("automl").joinpath("_catalog.csv").open("rb") as f:
        cat = pd.read_csv(
            f,
            keep_default_na=False,
            na_values=[""],
            true_values=["true"],
            false_values=["false"],
            dtype={"name": str, "task": str, "source": str, "license": str},
        )
    # Nullable ints: ids and class counts are missing for some rows and must not turn into floats.
    for col in ("n_classes", "openml_id"):
        cat[col] = cat[col].astype("Int64")
    cat["smoke_test"] = cat["smoke_test"].astype(bool)
    return cat


def list_datasets(
    task: str | None = None, max_rows: int | None = None, include_smoke: bool = True
) -> pd.DataFrame:
    """Return catalog rows, optionally filtered by task, size and whether smoke tests are kept.

    ``include_smoke=False`` drops trivially solved datasets (iris, penguins) that would only
    flatter a benchmark.
    """
    cat = _catalog()
    if task is not None:
        if task not in TASKS:
            raise ValueError(f"task must be one of {TASKS} or None, got {task!r}")
        cat = cat[cat["task"] == task]
    if max_rows is not None:
        cat = cat[cat["n_rows"] <= max_rows]
    if not include_smoke:
        cat = cat[~cat["smoke_test"]]
    return cat.reset_index(drop=True)


def _catalog_entry(name: str) -> pd.Series:
    """Look a name up in the catalog; on a miss, suggest close names (typos are the usual cause)."""
    cat = _catalog()
    hits = cat[cat["name"] == name]
    if hits.empty:
        names = cat["name"].tolist()
        close = difflib.get_close_matches(name, names, n=3, cutoff=0.5)
        hint = f" Did you mean: {', '.join(close)}?" if close else ""
        raise KeyError(
            f"Unknown dataset {name!r}.{hint} See automl.datasets.list_datasets() for all "
            f"{len(names)} names."
        )
    return hits.iloc[0]


def _resolve_folder(folder: str | os.PathLike[str] | None) -> Path:
    """Argument first, then the environment: no default path, since data is never in the repo."""
    if folder is None:
        folder = os.environ.get(ENV_VAR) or None
    if folder is None:
        raise RuntimeError(
            "No datasets folder given. Pass folder=... to load(), or set the environment "
            f"variable, e.g. `export {ENV_VAR}=/path/to/datasets` (the folder holding "
            "<name>.csv.gz and <name>.json)."
        )
    path = Path(folder).expanduser()
    if not path.is_dir():
        raise FileNotFoundError(f"Datasets folder {str(path)!r} does not exist or is not a folder.")
    return path


def _as_string_categories(s: pd.Series) -> pd.Series:
    """Make a column ``category`` with string categories.

    Integer-valued floats (ints that became floats because of missing values) are rendered as
    "1", not "1.0", so a category's name does not depend on whether the column had gaps.
    """
    if isinstance(s.dtype, pd.CategoricalDtype):
        s = s.astype(object).where(s.notna(), None)
    if pd.api.types.is_float_dtype(s.dtype):
        present = s.dropna()
        if (present == present.round()).all():
            s = s.astype("Int64")
    out = s.astype("string").astype(str).where(s.notna(), None)
    return out.astype("category")


def _finish(
    name: str,
    task: str,
    X: pd.DataFrame,
    y: pd.Series,
    categorical: list[str],
    openml_id: int | None,
) -> Dataset:
    """Shared normalisation for local and OpenML data: categoricals, then label dtype."""
    categorical = list(dict.fromkeys(categorical))
    # Text columns not declared categorical are still non-numeric; treat them as categoricals too.
    for col in X.columns:
        if (
            col not in categorical
            and not pd.api.types.is_numeric_dtype(X[col].dtype)
            and not pd.api.types.is_bool_dtype(X[col].dtype)
        ):
            categorical.append(col)
    X = X.copy()
    for col in categorical:
        X[col] = _as_string_categories(X[col])
    categorical = [c for c in X.columns if c in set(categorical)]  # keep column order
    if task == "regression":
        y = pd.to_numeric(y.astype(object) if isinstance(y.dtype, pd.CategoricalDtype) else y)
        y = y.astype(float)
    y = y.rename(TARGET)
    return Dataset(name, task, X, y, categorical, openml_id)


def _sha256_of_gzip(path: Path) -> str:
    """sha256 of the uncompressed bytes, which is what the sidecar records."""
    h = hashlib.sha256()
    with gzip.open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def load(name: str, folder: str | os.PathLike[str] | None = None, verify: bool = False) -> Dataset:
    """Load ``<folder>/<name>.csv.gz`` with its ``<name>.json`` sidecar.

    The sidecar, not the CSV, says which columns are categorical: nominal values such as 0/1/2
    look numeric to a CSV reader. ``verify=True`` checks the sidecar's ``csv_sha256`` (off by
    default because hashing large files costs time).
    """
    entry = _catalog_entry(name)
    path = _resolve_folder(folder)
    openml_id = None if pd.isna(entry["openml_id"]) else int(entry["openml_id"])
    return read_dataset(
        path, name, verify=verify, openml_id=openml_id, default_task=str(entry["task"])
    )


def read_dataset(
    folder: str | os.PathLike[str],
    name: str,
    *,
    verify: bool = False,
    openml_id: int | None = None,
    default_task: str | None = None,
) -> Dataset:
    """Read ``<folder>/<name>.csv.gz`` and its sidecar, catalogued or not (the metabase
    builder takes any folder of datasets in this format)."""
    path = Path(folder)
    csv_path, json_path = path / f"{name}.csv.gz", path / f"{name}.json"
    for p in (csv_path, json_path):
        if not p.is_file():
            raise FileNotFoundError(f"Dataset {name!r}: {p.name} is missing from {str(path)!r}.")
    meta: dict[str, Any] = json.loads(json_path.read_text(encoding="utf-8"))
    if verify:
        expected, actual = meta.get("csv_sha256"), _sha256_of_gzip(csv_path)
        if expected != actual:
            raise ValueError(f"{csv_path} sha256 {actual} does not match sidecar {expected}.")
    categorical = list(meta.get("categorical_columns", []))
    # Read categoricals as text so "01" or "1" survive verbatim; only empty fields are missing
    # (pandas' default NA tokens would turn legitimate values like "NA" or "None" into gaps).
    df = pd.read_csv(
        csv_path, dtype={c: str for c in categorical}, keep_default_na=False, na_values=[""]
    )
    if df.columns[-1] != TARGET:
        raise ValueError(f"{csv_path}: last column must be {TARGET!r}, got {df.columns[-1]!r}.")
    task = meta.get("task", default_task)
    if task not in TASKS:
        raise ValueError(f"{json_path}: task must be one of {TASKS}, got {task!r}.")
    return _finish(name, str(task), df.iloc[:, :-1], df[TARGET], categorical, openml_id)


def dataset_from_frame(
    name: str, task: str, X: pd.DataFrame, y: pd.Series, categorical: list[str] | None = None
) -> Dataset:
    """A :class:`Dataset` from data already in memory, normalised as :func:`read_dataset`
    normalises a file (non-numeric columns become string categories)."""
    if task not in TASKS:
        raise ValueError(f"Dataset {name!r}: task must be one of {TASKS}, got {task!r}.")
    return _finish(name, task, X, y, list(categorical or []), None)


def fetch_openml(name_or_id: str | int, **kwargs: Any) -> Dataset:
    """Fetch a dataset from OpenML by catalog name or OpenML id (needs network).

    A catalog name uses its ``openml_id`` and task. A bare id not in the catalog gets its task
    inferred from the target. Extra keyword arguments go to ``sklearn.datasets.fetch_openml``
    (e.g. ``data_home``, ``target_column``). OpenML copies can differ from the local files
    (other target, row count, or a classification target used here for regression).
    """
    import sklearn.datasets  # lazy: only this function needs it; lookup at call time eases testing

    if isinstance(name_or_id, str) and not name_or_id.isdigit():
        entry = _catalog_entry(name_or_id)
        if pd.isna(entry["openml_id"]):
            raise ValueError(f"Dataset {name_or_id!r} has no known OpenML id; use load() instead.")
        data_id, name, task = int(entry["openml_id"]), name_or_id, str(entry["task"])
    else:
        data_id = int(name_or_id)
        cat = _catalog()
        hits = cat[cat["openml_id"] == data_id]
        name, task = (
            (hits.iloc[0]["name"], hits.iloc[0]["task"]) if len(hits) else (f"openml-{data_id}", "")
        )
    try:
        bunch = sklearn.datasets.fetch_openml(data_id=data_id, as_frame=True, **kwargs)
    except OSError as exc:  # URLError, HTTPError, socket timeouts are all OSErrors
        raise RuntimeError(
            f"Could not download OpenML dataset {data_id} ({name}): {exc}. Are you offline? "
            f"Use load({name!r}, folder=...) with a local copy (or set {ENV_VAR})."
        ) from exc
    X, y = bunch.data, bunch.target
    if not isinstance(y, pd.Series):
        raise ValueError(
            f"OpenML dataset {data_id} has {0 if y is None else y.shape[1]} target "
            "columns; pass target_column=... to pick exactly one."
        )
    if not task:
        numeric = pd.api.types.is_numeric_dtype(y.dtype) and not isinstance(
            y.dtype, pd.CategoricalDtype
        )
        task = "regression" if numeric else ("binary" if y.nunique() == 2 else "multiclass")
    categorical = [c for c in X.columns if isinstance(X[c].dtype, pd.CategoricalDtype)]
    return _finish(str(name), str(task), X, y, categorical, data_id)
