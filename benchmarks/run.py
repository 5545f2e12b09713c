#!/usr/bin/env python
"""Benchmark ``automl`` against default LightGBM, default HistGradientBoosting and (optionally) FLAML.

Usage (from the repo root; see benchmarks/README.md for details)::

    AUTOML_DATASETS=/path/to/datasets python benchmarks/run.py --datasets all --budget 60 --n-jobs 2
    python benchmarks/run.py --table-only            # rebuild the markdown table from the CSV

For every (dataset, seed) there is one fixed 75/25 split (stratified for classification). Every
(dataset, seed, system) is fitted and scored in a fresh child process (this script re-run in the
hidden ``--one`` mode), so that

* peak memory can be measured from outside: the parent polls the summed RSS of the child's process
  tree every 0.1 s;
* a crash (exception, segfault, out-of-memory kill) or a hang only loses that one run: it is
  recorded as a row with ``status`` ``crashed`` or ``timeout`` (hard limit ``budget*3+60`` s, after
  which the whole process tree is killed) and the benchmark goes on.

Rows are appended to the CSV one at a time; a rerun skips every (dataset, seed, system, budget,
n_jobs) that already has an ``ok`` row, so an interrupted benchmark resumes where it stopped and
failed runs are retried.

The markdown table is written by ``benchmarks/tables.py`` (``write_table``).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import math
import os
import shlex
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
# `python benchmarks/run.py` puts benchmarks/ first on sys.path; drop it so that tables.py here can
# never shadow a third-party module of the same name (PyTables is imported as `tables`).
if sys.path and sys.path[0] and Path(sys.path[0]).resolve() == HERE:
    sys.path.pop(0)
# Benchmark the working copy of the package, not whatever version happens to be installed.
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

ALL_SYSTEMS = ("automl", "lightgbm", "hgb", "flaml")
BUDGETED_SYSTEMS = ("automl", "flaml")  # systems that receive the time budget
TASKS = ("binary", "multiclass", "regression")
METRIC_FOR_TASK = {"binary": "roc_auc", "multiclass": "log_loss", "regression": "rmse"}
DEFAULT_OUT = REPO / "benchmarks" / "results" / "results.csv"
DEFAULT_TABLE = REPO / "benchmarks" / "RESULTS.md"
POLL_SECONDS = 0.1
HGB_MAX_CATEGORIES = 255  # HistGradientBoosting's limit on a native categorical feature

COLUMNS = [
    "dataset", "task", "n_rows", "n_features", "n_train", "n_test", "seed", "system",
    "budget", "n_jobs", "metric", "score", "status", "fit_time", "overrun", "over_limit",
    "predict_time", "peak_rss_mb", "base_rss_mb", "wall_time", "n_trials", "best_score",
    "best_config", "notes", "error", "git_rev", "timestamp",
]


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def over_limit_threshold(budget: float) -> float:
    """A budgeted fit taking longer than this counts as over its time limit."""
    return budget * 1.1 + 5


def hard_timeout(budget: float) -> float:
    """Wall-clock limit of one child process; past it the process tree is killed."""
    return budget * 3 + 60


# --------------------------------------------------------------------------------------------
# Child side: fit and score one system on one (dataset, seed) split.
# --------------------------------------------------------------------------------------------

def _is_categorical(s) -> bool:
    import pandas as pd

    return isinstance(s.dtype, pd.CategoricalDtype)


def _text_to_category(X):
    """Guard: any remaining text column becomes ``category`` (the loader should already do it)."""
    import pandas as pd

    X = X.copy()
    for col in X.columns:
        dtype = X[col].dtype
        if not isinstance(dtype, pd.CategoricalDtype) and not pd.api.types.is_numeric_dtype(dtype) \
                and not pd.api.types.is_bool_dtype(dtype):
            X[col] = X[col].astype("category")
    return X


def _lightgbm_frame(X):
    """LightGBM refuses feature names with JSON special characters (``"`` ``,`` ``:`` ``[`` ``]``
    ``{`` ``}``; e.g. spambase has ``char_freq_[``). Rename such columns, keeping them unique;
    nothing else is changed, so this is still LightGBM's default behaviour on the data."""
    import re

    bad = re.compile(r'[\[\]{}",:]')
    if not any(bad.search(str(c)) for c in X.columns):
        return X
    names, seen = [], set()
    for i, c in enumerate(X.columns):
        new = bad.sub("_", str(c))
        if new in seen:
            new = f"{new}_{i}"
        seen.add(new)
        names.append(new)
    X = X.copy()
    X.columns = names
    return X


class _HGBPrep:
    """Make a DataFrame acceptable to ``HistGradientBoosting*(categorical_features="from_dtype")``.

    HGB raises on (a) a ``category`` column with more than 255 categories ("expected to have a
    cardinality <= 255") and (b) a column whose values are all missing (numeric all-NaN columns
    fail inside the binner). So, decided on the training data only:
    (a) such high-cardinality categoricals are replaced by their float category codes (missing
        stays NaN; the codes are consistent between train and test because both share the same
        ``CategoricalDtype``), i.e. HGB treats them as ordinal numeric features;
    (b) all-missing columns are dropped (they carry no information).
    Low-cardinality categoricals stay ``category`` and are handled natively by HGB.
    """

    def fit(self, X):
        self.drop_ = [c for c in X.columns if X[c].isna().all()]
        self.ordinal_ = [c for c in X.columns if c not in self.drop_ and _is_categorical(X[c])
                         and len(X[c].cat.categories) > HGB_MAX_CATEGORIES]
        return self

    def transform(self, X):
        import numpy as np

        X = X.drop(columns=self.drop_)
        if self.ordinal_:
            X = X.copy()
            for c in self.ordinal_:
                codes = X[c].cat.codes.astype("float64")
                X[c] = codes.where(codes >= 0, np.nan)
        return X

    def notes(self) -> str:
        parts = []
        if self.drop_:
            parts.append(f"hgb dropped all-missing {self.drop_}")
        if self.ordinal_:
            parts.append(f"hgb ordinal-encoded >255-category {self.ordinal_}")
        return "; ".join(parts)


def unseen_metabase(dataset: str) -> Any:
    """The shipped metabase without ``dataset``, for automl's default warm start. The metabase
    was built on the shared datasets, every row included (this split's test rows too): left in,
    the warm start would start from configurations chosen on the test data."""
    from metalearning.metabase import load_metabase

    return load_metabase().without([dataset])


def _fit_system(system: str, task: str, X, y, seed: int, budget: float, n_jobs: int, *,
                dataset: str):
    """Fit one system. Returns (predict_fn, info); predict_fn(X_test) -> (classes, output)
    where output is predict_proba for classification and predict for regression."""
    info: dict[str, Any] = {}
    classif = task != "regression"
    int_budget = int(budget) if float(budget).is_integer() else budget

    if system == "automl":
        from automl import AutoMLClassifier, AutoMLRegressor

        cls = AutoMLClassifier if classif else AutoMLRegressor
        model = cls(time_budget=int_budget, n_jobs=n_jobs, random_state=seed, verbose=0,
                    history=None,  # each run independent: no resuming from earlier runs
                    warm_start=unseen_metabase(dataset))
        model.fit(X, y)

        def after_fit():
            info["n_trials"] = len(getattr(model, "trials_", []) or [])
            info["best_score"] = getattr(model, "best_score_", None)
            cfg = getattr(model, "best_config_", None)
            info["best_config"] = _short_json(cfg)

        after_fit()

        def predict(Xt):
            return (model.classes_, model.predict_proba(Xt)) if classif else (None, model.predict(Xt))

        return predict, info

    if system == "lightgbm":
        import lightgbm

        X = _lightgbm_frame(_text_to_category(X))
        cls = lightgbm.LGBMClassifier if classif else lightgbm.LGBMRegressor
        model = cls(random_state=seed, n_jobs=n_jobs, verbose=-1)
        model.fit(X, y)

        def predict(Xt):
            Xt = _lightgbm_frame(_text_to_category(Xt))
            return (model.classes_, model.predict_proba(Xt)) if classif else (None, model.predict(Xt))

        return predict, info

    if system == "hgb":
        from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
        from threadpoolctl import threadpool_limits

        X = _text_to_category(X)
        prep = _HGBPrep().fit(X)
        info["notes"] = prep.notes()
        cls = HistGradientBoostingClassifier if classif else HistGradientBoostingRegressor
        model = cls(random_state=seed, categorical_features="from_dtype")
        # HGB has no n_jobs: it uses every OpenMP thread. Cap it at n_jobs for a fair comparison.
        with threadpool_limits(limits=n_jobs, user_api="openmp"):
            model.fit(prep.transform(X), y)

        def predict(Xt):
            Xt = prep.transform(_text_to_category(Xt))
            with threadpool_limits(limits=n_jobs, user_api="openmp"):
                return (model.classes_, model.predict_proba(Xt)) if classif else (None, model.predict(Xt))

        return predict, info

    if system == "flaml":
        from flaml import AutoML

        model = AutoML()
        model.fit(X, y, task="classification" if classif else "regression", time_budget=int_budget,
                  n_jobs=n_jobs, metric=METRIC_FOR_TASK[task], seed=seed, verbose=0)
        history = getattr(model, "config_history", None)
        info["n_trials"] = len(history) if history is not None else None
        loss = getattr(model, "best_loss", None)
        info["best_score"] = loss  # FLAML reports a loss (e.g. 1 - roc_auc), not a score
        info["best_config"] = _short_json({"estimator": getattr(model, "best_estimator", None),
                                           "config": getattr(model, "best_config", None)})

        def predict(Xt):
            return (model.classes_, model.predict_proba(Xt)) if classif else (None, model.predict(Xt))

        return predict, info

    raise ValueError(f"unknown system {system!r}")


def _short_json(obj: Any, limit: int = 1000) -> str | None:
    if obj is None:
        return None
    try:
        text = json.dumps(obj, default=str, sort_keys=True)
    except Exception:  # noqa: BLE001 - best effort, it is only a note
        text = repr(obj)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _score(task: str, y_test, classes, output, all_classes) -> float:
    """Test metric: roc_auc (binary, on P(classes[1])), log_loss (multiclass, over all classes of
    the dataset), rmse (regression)."""
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


def _tree_rss_mb(pid: int) -> float | None:
    try:
        import psutil

        p = psutil.Process(pid)
        total = p.memory_info().rss
        for c in p.children(recursive=True):
            try:
                total += c.memory_info().rss
            except psutil.Error:
                pass
        return total / 2**20
    except Exception:  # noqa: BLE001
        return None


def run_one(spec: dict[str, Any], result_file: str) -> int:
    """Hidden ``--one`` mode: load, split, fit, predict, score; write one JSON result."""
    res: dict[str, Any] = {"status": "crashed"}
    notes: list[str] = []

    def write() -> None:
        res["notes"] = "; ".join(n for n in notes if n) or None
        tmp = result_file + ".tmp"
        with open(tmp, "w") as f:
            json.dump(res, f, default=str)
        os.replace(tmp, result_file)

    import faulthandler

    faulthandler.enable()  # a segfault in native code (LightGBM, XGBoost, ...) leaves a stack in the log
    try:
        import numpy as np
        from sklearn.model_selection import train_test_split

        from automl.datasets import load

        ds = load(spec["dataset"])
        X, y, task = ds.X, ds.y, ds.task
        res.update(task=task, n_rows=int(len(X)), n_features=int(X.shape[1]))
        seed = int(spec["seed"])
        classif = task != "regression"
        try:
            X_tr, X_te, y_tr, y_te = train_test_split(
                X, y, test_size=0.25, random_state=seed, stratify=y if classif else None)
        except ValueError as exc:  # a class with a single row cannot be stratified
            notes.append(f"unstratified split ({exc})")
            X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.25, random_state=seed)
        res.update(n_train=int(len(X_tr)), n_test=int(len(X_te)))
        all_classes = np.unique(np.asarray(y)) if classif else None

        res["base_rss_mb"] = _tree_rss_mb(os.getpid())
        Path(result_file + ".fit").write_text("fit")  # tells the parent that fit starts now
        t0 = time.perf_counter()
        try:
            predict, info = _fit_system(spec["system"], task, X_tr, y_tr, seed,
                                        float(spec["budget"]), int(spec["n_jobs"]),
                                        dataset=spec["dataset"])
        finally:
            res["fit_time"] = time.perf_counter() - t0
        notes.append(info.pop("notes", None))
        res.update(info)
        t1 = time.perf_counter()
        try:
            classes, output = predict(X_te)
        finally:
            res["predict_time"] = time.perf_counter() - t1
        # The parent samples every 0.1 s and can miss a fit+predict shorter than that: also take
        # one sample here, at the end of predict (the model and data are still alive).
        # (ru_maxrss is no use: on Linux the child inherits the parent's high-water mark.)
        res["end_rss_mb"] = _tree_rss_mb(os.getpid())
        res["score"] = _score(task, y_te, classes, output, all_classes)
        if not math.isfinite(res["score"]):
            raise ValueError(f"non-finite test score {res['score']}")
        res["status"] = "ok"
    except BaseException as exc:  # noqa: BLE001 - everything is recorded, nothing escapes
        traceback.print_exc()
        res["error"] = f"{type(exc).__name__}: {exc}"[:1000]
    write()
    return 0


# --------------------------------------------------------------------------------------------
# Parent side: run children, measure memory, append rows.
# --------------------------------------------------------------------------------------------

def _kill_tree(pid: int, known: dict[int, Any]) -> None:
    """Kill the child's process group and every descendant seen (some may have left the group)."""
    import psutil

    procs = dict(known)
    try:
        root = psutil.Process(pid)
        procs[pid] = root
        for c in root.children(recursive=True):
            procs[c.pid] = c
    except psutil.Error:
        pass
    try:
        os.killpg(pid, signal.SIGKILL)  # started with start_new_session=True: pgid == pid
    except (ProcessLookupError, PermissionError):
        pass
    alive = []
    for p in procs.values():
        try:
            if p.is_running():  # also guards against pid reuse (compares create time)
                p.kill()
                alive.append(p)
        except psutil.Error:
            pass
    psutil.wait_procs(alive, timeout=5)


def run_child(spec: dict[str, Any], log_path: Path, timeout_s: float) -> dict[str, Any]:
    """Run ``--one`` in a fresh process; poll tree RSS every 0.1 s; enforce the hard timeout."""
    import psutil

    fd, result_file = tempfile.mkstemp(prefix="automl-bench-", suffix=".json")
    os.close(fd)
    os.unlink(result_file)
    fit_flag = result_file + ".fit"
    cmd = [sys.executable, str(Path(__file__).resolve()), "--one", json.dumps(spec),
           "--result-file", result_file]
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    log_path.parent.mkdir(parents=True, exist_ok=True)
    start = time.monotonic()
    with open(log_path, "w") as logf:
        proc = subprocess.Popen(cmd, stdout=logf, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True, env=env, cwd=str(REPO))
    known: dict[int, Any] = {}
    peak_fit = peak_all = 0.0
    timed_out = False
    try:
        root = psutil.Process(proc.pid)
        known[proc.pid] = root
        while True:
            in_fit = os.path.exists(fit_flag)  # check before sampling: the sample is then in fit
            total = 0
            try:
                kids = root.children(recursive=True)
            except psutil.Error:
                kids = []
            for p in [root, *kids]:
                known.setdefault(p.pid, p)
                try:
                    total += p.memory_info().rss
                except psutil.Error:
                    pass
            mb = total / 2**20
            peak_all = max(peak_all, mb)
            if in_fit:
                peak_fit = max(peak_fit, mb)
            try:
                proc.wait(timeout=POLL_SECONDS)
                break
            except subprocess.TimeoutExpired:
                pass
            if time.monotonic() - start > timeout_s:
                timed_out = True
                _kill_tree(proc.pid, known)
                proc.wait()
                break
    except BaseException:  # KeyboardInterrupt included: never leave a child running
        _kill_tree(proc.pid, known)
        proc.wait()
        raise
    finally:
        # Worker processes that outlived the child (e.g. a joblib/loky pool) would keep memory
        # and CPU busy during the next run: end whatever is left of this child's tree.
        if proc.returncode is not None:
            _kill_tree(proc.pid, known)
    wall = time.monotonic() - start

    res: dict[str, Any] = {}
    try:
        with open(result_file) as f:
            res = json.load(f)
    except (OSError, ValueError):
        res = {}
    for path in (result_file, fit_flag, result_file + ".tmp"):
        try:
            os.unlink(path)
        except OSError:
            pass

    if timed_out:
        res["status"] = "timeout"
        res["error"] = f"hard timeout: killed after {wall:.0f} s (limit {timeout_s:.0f} s)"
    elif not res:
        rc = proc.returncode
        why = f"killed by signal {-rc}" + (" (out of memory?)" if rc == -signal.SIGKILL else "") \
            if rc is not None and rc < 0 else f"exit code {rc}"
        res = {"status": "crashed", "error": f"child died without a result: {why}; "
                                             f"last output: {_tail(log_path)}"}
    res["wall_time"] = wall
    # Peak during fit+predict: the parent's samples plus the child's own end-of-predict sample;
    # a run that died before fit started reports its peak over its whole life instead.
    end_rss = res.pop("end_rss_mb", None) or 0.0
    peak = max(peak_fit, end_rss) or peak_all
    res["peak_rss_mb"] = peak or None
    return res


def _tail(path: Path, n_chars: int = 400) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return ""
    return " | ".join(text[-n_chars:].strip().splitlines())


# --------------------------------------------------------------------------------------------
# CSV handling (append-only, resumable).
# --------------------------------------------------------------------------------------------

def _key(dataset, seed, system, budget, n_jobs) -> tuple:
    return (str(dataset), int(float(seed)), str(system), float(budget), int(float(n_jobs)))


def ensure_csv(path: Path) -> None:
    """Create the CSV with a header, or migrate an older header to the current columns."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists() or path.stat().st_size == 0:
        with open(path, "w", newline="") as f:
            csv.writer(f).writerow(COLUMNS)
        return
    with open(path, newline="") as f:
        header = next(csv.reader(f), [])
    if header != COLUMNS:
        with open(path, newline="") as f:
            rows = list(csv.DictReader(f))
        tmp = path.with_suffix(path.suffix + ".tmp")
        with open(tmp, "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=COLUMNS, extrasaction="ignore")
            w.writeheader()
            w.writerows(rows)
        os.replace(tmp, path)
        log(f"note: migrated {path} to the current columns")


def done_keys(path: Path) -> set[tuple]:
    keys = set()
    if not path.exists():
        return keys
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            if row.get("status") == "ok":
                try:
                    keys.add(_key(row["dataset"], row["seed"], row["system"], row["budget"],
                                  row["n_jobs"]))
                except (KeyError, ValueError):
                    pass
    return keys


def append_row(path: Path, row: dict[str, Any]) -> None:
    def fmt(v):
        if v is None:
            return ""
        if isinstance(v, float):
            return "" if math.isnan(v) else repr(round(v, 6)) if abs(v) < 1e15 else repr(v)
        return v

    with open(path, "a", newline="") as f:
        csv.DictWriter(f, fieldnames=COLUMNS, extrasaction="ignore").writerow(
            {k: fmt(row.get(k)) for k in COLUMNS})
        f.flush()
        os.fsync(f.fileno())


# --------------------------------------------------------------------------------------------
# Orchestration.
# --------------------------------------------------------------------------------------------

def git_rev() -> str:
    try:
        rev = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True,
                             text=True, timeout=10)
        if rev.returncode != 0:
            return "unknown"
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=REPO,
                               capture_output=True, text=True, timeout=10).stdout.strip()
        return rev.stdout.strip() + ("-dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def _csv_list(text: str | None) -> list[str]:
    return [t.strip() for t in (text or "").split(",") if t.strip()]


def select_datasets(args) -> "Any":
    """Catalog rows to run, smallest first. Filters (--tasks, --max-rows, --exclude-smoke) apply
    to ``all``; explicitly named datasets are taken as given."""
    from automl.datasets import list_datasets

    cat = list_datasets()
    tasks = _csv_list(args.tasks) or list(TASKS)
    bad = [t for t in tasks if t not in TASKS]
    if bad:
        raise SystemExit(f"error: unknown task(s) {bad}; choose from {', '.join(TASKS)}")
    if args.datasets.strip().lower() == "all":
        max_rows = args.max_rows if args.max_rows and args.max_rows > 0 else None
        sel = list_datasets(max_rows=max_rows, include_smoke=not args.exclude_smoke)
        sel = sel[sel["task"].isin(tasks)]
    else:
        names = _csv_list(args.datasets)
        unknown = [n for n in names if n not in set(cat["name"])]
        if unknown:
            raise SystemExit(f"error: unknown dataset(s) {unknown}; known: {', '.join(cat['name'])}")
        sel = cat[cat["name"].isin(names)]
    return sel.sort_values(["n_rows", "name"]).reset_index(drop=True)


def resolve_systems(args) -> tuple[list[str], list[str]]:
    systems = _csv_list(args.systems)
    bad = [s for s in systems if s not in ALL_SYSTEMS]
    if bad:
        raise SystemExit(f"error: unknown system(s) {bad}; choose from {', '.join(ALL_SYSTEMS)}")
    notes = []
    if "flaml" in systems:
        try:
            from flaml import AutoML  # noqa: F401
        except Exception as exc:  # noqa: BLE001 - optional extra
            systems.remove("flaml")
            notes.append(f"flaml skipped: not importable ({type(exc).__name__}: {exc}); "
                         "install it with `pip install \".[benchmark]\"`")
    if "automl" in systems:
        try:
            from automl import AutoMLClassifier, AutoMLRegressor  # noqa: F401
        except Exception as exc:  # noqa: BLE001
            raise SystemExit(f"error: cannot import AutoMLClassifier/AutoMLRegressor from automl "
                             f"({type(exc).__name__}: {exc})")
    for n in notes:
        log(f"note: {n}")
    return systems, notes


def resolve_data_dir(args) -> None:
    """The loader reads $AUTOML_DATASETS; children inherit it."""
    if args.data_dir:
        os.environ["AUTOML_DATASETS"] = str(Path(args.data_dir).resolve())
    elif not os.environ.get("AUTOML_DATASETS"):
        guess = REPO.parent / "shared" / "datasets"
        if guess.is_dir():
            os.environ["AUTOML_DATASETS"] = str(guess)
            log(f"note: AUTOML_DATASETS not set; using {guess}")
        else:
            raise SystemExit("error: set AUTOML_DATASETS (or pass --data-dir) to the folder "
                             "holding <name>.csv.gz and <name>.json")


def run_benchmark(args, datasets, systems, seeds) -> None:
    out = Path(args.out)
    ensure_csv(out)
    done = done_keys(out)
    rev = git_rev()
    logs_dir = out.parent / "logs"
    plan = [(d, s, sysname) for d in datasets.itertuples() for s in seeds for sysname in systems]
    todo = [p for p in plan if _key(p[0].name, p[1], p[2], args.budget, args.n_jobs) not in done]
    log(f"benchmark: {len(datasets)} datasets x {len(seeds)} seeds x {len(systems)} systems = "
        f"{len(plan)} runs; {len(plan) - len(todo)} already done in {out}; {len(todo)} to run "
        f"(budget {args.budget:g} s, n_jobs {args.n_jobs})")
    for i, (d, seed, system) in enumerate(todo, 1):
        spec = {"dataset": d.name, "seed": seed, "system": system, "budget": args.budget,
                "n_jobs": args.n_jobs}
        log_path = logs_dir / f"{d.name}__seed{seed}__{system}__b{args.budget:g}__j{args.n_jobs}.log"
        log(f"[{i}/{len(todo)}] {d.name} ({d.task}, {d.n_rows} rows) seed={seed} {system} ...")
        res = run_child(spec, log_path, hard_timeout(args.budget))
        row: dict[str, Any] = {"dataset": d.name, "task": d.task, "n_rows": int(d.n_rows),
                               "seed": seed, "system": system, "budget": float(args.budget),
                               "n_jobs": args.n_jobs, "metric": METRIC_FOR_TASK[d.task],
                               "git_rev": rev,
                               "timestamp": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")}
        row.update({k: v for k, v in res.items() if k in COLUMNS and v is not None})
        if "n_features" not in row and "n_features" in d._fields:
            row["n_features"] = int(d.n_features)
        fit_time = row.get("fit_time")
        if row["status"] == "timeout":
            row["over_limit"] = True
        elif fit_time is not None:
            row["overrun"] = fit_time - args.budget
            row["over_limit"] = bool(fit_time > over_limit_threshold(args.budget))
        append_row(out, row)
        if row["status"] == "ok":
            extra = f" trials={row['n_trials']}" if row.get("n_trials") is not None else ""
            flag = "  OVER LIMIT" if row.get("over_limit") and system in BUDGETED_SYSTEMS else ""
            log(f"    ok {row['metric']}={row['score']:.5g} fit={fit_time:.1f}s "
                f"predict={row.get('predict_time', float('nan')):.2f}s "
                f"peak={row.get('peak_rss_mb') or float('nan'):.0f}MB{extra}{flag}")
        else:
            log(f"    {row['status'].upper()}: {row.get('error', '')[:300]}  (log: {log_path})")


def _load_tables():
    """Import benchmarks/tables.py by path (under a name that cannot clash with PyTables)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("automl_benchmark_tables", HERE / "tables.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        description="Benchmark automl against default LightGBM, HistGradientBoosting and FLAML.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--datasets", default="all", help="'all' or comma-separated names")
    p.add_argument("--max-rows", type=int, default=20000,
                   help="with --datasets all: skip datasets with more rows (0 = no limit)")
    p.add_argument("--tasks", default=",".join(TASKS), help="with --datasets all: tasks to keep")
    p.add_argument("--exclude-smoke", action="store_true",
                   help="with --datasets all: drop the trivially solved smoke-test datasets")
    p.add_argument("--budget", type=float, default=60.0, help="time budget (s) of automl/flaml")
    p.add_argument("--n-jobs", type=int, default=2)
    p.add_argument("--seeds", default="0", help="comma-separated split/model seeds")
    p.add_argument("--systems", default=",".join(ALL_SYSTEMS))
    p.add_argument("--out", default=str(DEFAULT_OUT), help="results CSV (appended to)")
    p.add_argument("--table", default=str(DEFAULT_TABLE), help="markdown table to write")
    p.add_argument("--table-only", action="store_true", help="only rebuild the table from --out")
    p.add_argument("--data-dir", default=None, help="datasets folder (default: $AUTOML_DATASETS)")
    p.add_argument("--list", action="store_true", help="print the selected datasets and exit")
    p.add_argument("--one", default=None, help=argparse.SUPPRESS)
    p.add_argument("--result-file", default=None, help=argparse.SUPPRESS)
    args = p.parse_args(argv)

    if args.one is not None:
        return run_one(json.loads(args.one), args.result_file)

    if args.budget <= 0 or args.n_jobs == 0:
        raise SystemExit("error: --budget must be > 0 and --n-jobs non-zero")
    try:
        seeds = [int(s) for s in _csv_list(args.seeds)]
    except ValueError:
        raise SystemExit(f"error: --seeds must be comma-separated integers, got {args.seeds!r}")
    if not seeds:
        raise SystemExit("error: no seeds given")
    resolve_data_dir(args)
    datasets = select_datasets(args)
    if datasets.empty:
        raise SystemExit("error: no dataset selected")
    if args.list:
        print(datasets[["name", "task", "n_rows", "n_features"]].to_string(index=False))
        return 0

    if args.table_only:
        systems, notes = _csv_list(args.systems), []
    else:
        systems, notes = resolve_systems(args)
        if not systems:
            raise SystemExit("error: no system left to run")
        try:
            run_benchmark(args, datasets, systems, seeds)
        except KeyboardInterrupt:
            log("interrupted: rows written so far are kept; rerun the same command to resume")
            return 130

    write_table = _load_tables().write_table
    command = "python " + " ".join(shlex.quote(a) for a in
                                   ([os.path.relpath(sys.argv[0], REPO)] + sys.argv[1:]))
    summary = write_table(
        csv_path=Path(args.out), table_path=Path(args.table), datasets=datasets, seeds=seeds,
        systems=systems, budget=args.budget, n_jobs=args.n_jobs, command=command, notes=notes,
        git_rev=git_rev())
    log(summary)
    log(f"table written to {args.table}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
