"""One product-benchmark run in a fresh process, watched from outside.

The parent (``run_child``) starts ``python -m benchmarks.run --one SPEC --result-file F`` and
polls the summed RSS of the child's whole process tree every 0.1 s, so that peak memory is
measured from outside and a crash (exception, segfault, out-of-memory kill) or a hang only
loses that one run: past the hard timeout the whole tree is killed and the run recorded as a
``timeout``. The child (``run_one``) loads the split, fits the system, predicts and scores, and
writes its result as JSON to the result file.
"""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import tempfile
import time
import traceback
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from benchmarks.common import REPO, child_env, interpreter, split, test_score
from benchmarks.systems import SYSTEMS

POLL_SECONDS = 0.1


@dataclass(frozen=True)
class RunSpec:
    """One run: a system on the split of (dataset, seed), with a budget and cores."""

    dataset: str
    seed: int
    system: str
    budget: float
    n_jobs: int
    omp_wait_policy: str = ""  # "" leaves the environment's setting as it is

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> RunSpec:
        return cls(**json.loads(text))


# ------------------------------------------------------------------ child side


def run_one(spec: RunSpec, result_file: str) -> int:
    """Load, split, fit, predict, score; write one JSON result. Never raises."""
    res: dict[str, Any] = {"status": "crashed"}
    notes: list[str | None] = []

    def write() -> None:
        res["notes"] = "; ".join(n for n in notes if n) or None
        tmp = result_file + ".tmp"
        with open(tmp, "w") as f:
            json.dump(res, f, default=str)
        os.replace(tmp, result_file)

    import faulthandler

    faulthandler.enable()  # a segfault in native code (LightGBM, XGBoost, ...) leaves a stack
    try:
        data = split(spec.dataset, spec.seed)
        notes.append(data.note)
        res.update(
            task=data.task,
            n_rows=data.n_rows,
            n_features=data.n_features,
            n_train=int(len(data.X_train)),
            n_test=int(len(data.X_test)),
        )
        rss = _own_tree_rss()
        res["base_rss_mb"] = rss()
        Path(result_file + ".fit").write_text("fit")  # tells the parent that fit starts now
        t0 = time.perf_counter()
        try:
            fitted = SYSTEMS[spec.system].fit(
                data.task,
                data.X_train,
                data.y_train,
                dataset=spec.dataset,
                seed=spec.seed,
                budget=float(spec.budget),
                n_jobs=spec.n_jobs,
            )
        finally:
            res["fit_time"] = time.perf_counter() - t0
        notes.append(fitted.notes)
        res.update(
            {
                k: v
                for k, v in (
                    ("n_trials", fitted.n_trials),
                    ("best_score", fitted.best_score),
                    ("best_config", fitted.best_config),
                    ("final_model", fitted.final_model),
                )
                if v is not None
            }
        )
        t1 = time.perf_counter()
        try:
            classes, output = fitted.predict(data.X_test)
        finally:
            res["predict_time"] = time.perf_counter() - t1
        # The parent samples every 0.1 s and can miss a fit+predict shorter than that: also take
        # one sample here, at the end of predict (the model and data are still alive).
        # (ru_maxrss is no use: on Linux the child inherits the parent's high-water mark.)
        res["end_rss_mb"] = rss()
        res["score"] = test_score(data.task, data.y_test, classes, output, data.all_classes)
        if not math.isfinite(res["score"]):
            raise ValueError(f"non-finite test score {res['score']}")
        res["status"] = "ok"
    except BaseException as exc:  # noqa: BLE001 - everything is recorded, nothing escapes
        traceback.print_exc()
        res["error"] = f"{type(exc).__name__}: {exc}"[:1000]
    write()
    return 0


def _own_tree_rss() -> Any:
    """A function giving this process tree's RSS in MB (None where psutil is missing: a peer's
    environment may lack it; the parent measures peak memory from outside anyway)."""
    try:
        import psutil

        from automl.trials.limits import process_tree_rss_mb
    except ImportError:
        return lambda: None
    me = psutil.Process()
    return lambda: process_tree_rss_mb(me)


# ------------------------------------------------------------------ parent side


def kill_tree(pid: int, known: dict[int, Any]) -> None:
    """Kill the child's process group and every descendant seen (some may have left it)."""
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


def run_child(spec: RunSpec, log_path: Path, timeout_s: float) -> dict[str, Any]:
    """Run ``spec`` in a fresh process; poll its tree's RSS; enforce the hard timeout.

    Returns the child's result, with ``wall_time`` and ``peak_rss_mb`` added."""
    import psutil

    from automl.trials.limits import process_tree_pss_mb, process_tree_rss_mb

    fd, result_file = tempfile.mkstemp(prefix="automl-bench-", suffix=".json")
    os.close(fd)
    os.unlink(result_file)
    fit_flag = result_file + ".fit"
    cmd = [
        interpreter(SYSTEMS[spec.system].peer),
        "-m",
        "benchmarks.run",
        "--one",
        spec.to_json(),
        "--result-file",
        result_file,
    ]
    log_path.parent.mkdir(parents=True, exist_ok=True)
    start = time.monotonic()
    with open(log_path, "w") as logf:
        proc = subprocess.Popen(
            cmd,
            stdout=logf,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            env=child_env(spec.omp_wait_policy),
            cwd=str(REPO),
        )
    known: dict[int, Any] = {}
    peak_fit = peak_all = pss_fit = pss_all = 0.0
    timed_out = False
    try:
        root = psutil.Process(proc.pid)
        known[proc.pid] = root
        while True:
            in_fit = os.path.exists(fit_flag)  # check before sampling: the sample is then in fit
            try:
                for p in root.children(recursive=True):
                    known.setdefault(p.pid, p)
            except psutil.Error:
                pass
            mb, pss = process_tree_rss_mb(root), process_tree_pss_mb(root)
            peak_all, pss_all = max(peak_all, mb), max(pss_all, pss)
            if in_fit:
                peak_fit, pss_fit = max(peak_fit, mb), max(pss_fit, pss)
            try:
                proc.wait(timeout=POLL_SECONDS)
                break
            except subprocess.TimeoutExpired:
                pass
            if time.monotonic() - start > timeout_s:
                timed_out = True
                kill_tree(proc.pid, known)
                proc.wait()
                break
    except BaseException:  # KeyboardInterrupt included: never leave a child running
        kill_tree(proc.pid, known)
        proc.wait()
        raise
    finally:
        # Worker processes that outlived the child (e.g. a joblib/loky pool) would keep memory
        # and CPU busy during the next run: end whatever is left of this child's tree.
        if proc.returncode is not None:
            kill_tree(proc.pid, known)
    wall = time.monotonic() - start

    try:
        with open(result_file) as f:
            res: dict[str, Any] = json.load(f)
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
        why = (
            f"killed by signal {-rc}" + (" (out of memory?)" if rc == -signal.SIGKILL else "")
            if rc is not None and rc < 0
            else f"exit code {rc}"
        )
        res = {
            "status": "crashed",
            "error": f"child died without a result: {why}; last output: {_tail(log_path)}",
        }
    res["wall_time"] = wall
    # Peak during fit+predict: the parent's samples plus the child's own end-of-predict sample;
    # a run that died before fit started reports its peak over its whole life instead.
    end_rss = res.pop("end_rss_mb", None) or 0.0
    peak = max(peak_fit, end_rss) or peak_all
    res["peak_rss_mb"] = peak or None
    res["peak_pss_mb"] = (pss_fit if peak_fit else pss_all) or None  # sampled by the parent only
    return res


def _tail(path: Path, n_chars: int = 400) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return ""
    return " | ".join(text[-n_chars:].strip().splitlines())
