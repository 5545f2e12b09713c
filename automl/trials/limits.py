"""Run a function in a forked child process that can really be stopped.

A trial that hangs, eats memory or segfaults must not take the search down, and Python cannot
interrupt a running C extension, so each trial runs in its own child: past its time or memory
limit the child is killed and the outcome recorded. The child is forked from a worker process
that never runs models itself, so the fork never inherits a busy OpenMP thread pool.
"""

from __future__ import annotations

import ctypes
import faulthandler
import os
import pickle
import select
import signal
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import psutil

from automl.scratch import scratch_prefix
from automl.trials.status import TrialStatus

_POLL_MIN, _POLL_MAX = 0.002, 0.05
_PR_SET_PDEATHSIG = 1  # prctl option (linux/prctl.h)


@dataclass
class Outcome:
    """What happened to a limited call. The return value stays pickled: in ``payload``, or
    on disk in ``payload_file`` from ``payload_offset`` on (a call given a ``results_folder``).

    The process that watches the child must never unpickle it: a fitted LightGBM model runs
    OpenMP code while loading, and a process whose OpenMP pool is running forks children that
    hang. Only the main process, which never forks, calls ``value()`` (once: it takes the
    file). On disk, the value passes no process between the child and the main one: a refit
    forest of a hundred MB is not copied through its worker.
    """

    status: TrialStatus
    payload: bytes | None = None
    error: str | None = None
    elapsed: float = 0.0
    peak_memory_mb: float | None = None
    worker: str | None = None  # "host:pid" of the worker process that ran it, when known
    payload_file: str | None = None
    payload_offset: int = 0

    def value(self) -> Any:
        if self.payload_file is not None:
            try:
                with open(self.payload_file, "rb") as handle:
                    handle.seek(self.payload_offset)
                    value = pickle.load(handle)
                    release_free_memory(handle.tell())
                    return value
            finally:
                remove_file(self.payload_file)
                self.payload_file = None
        return None if self.payload is None else pickle.loads(self.payload)


# Loading a large model leaves as much again freed but still held by the C allocator (the
# pickled arrays' buffers): handed back to the system after a load of more than this.
RELEASE_AFTER_BYTES = 8 * 2**20


def release_free_memory(loaded_bytes: int) -> None:
    """After a load of more than ``RELEASE_AFTER_BYTES``, give the memory the C allocator
    holds free back to the system (glibc's ``malloc_trim``; nothing elsewhere)."""
    if loaded_bytes <= RELEASE_AFTER_BYTES:
        return
    try:
        ctypes.CDLL(None).malloc_trim(0)
    except (AttributeError, OSError):
        pass


def run_limited(
    function: Callable[..., Any],
    *args: Any,
    time_limit: float | None = None,
    memory_limit_mb: float | None = None,
    time_limit_name: str = "time limit",
    own_memory_limit_mb: float | None = None,
    results_folder: str | None = None,
    **kwargs: Any,
) -> Outcome:
    """Call ``function(*args, **kwargs)`` in a child process under the given limits.

    ``time_limit_name`` says in the error of a stopped call what its time limit was.
    ``memory_limit_mb`` bounds the child's resident memory (its tree's RSS, pages it still
    shares with this process included); ``own_memory_limit_mb`` bounds the memory that is
    its own (its tree's USS): its share of ``fit_memory_limit``. With ``results_folder`` (a
    folder the caller of ``value()`` can read) a returned value stays in a file there.
    """
    if time_limit is not None and time_limit <= 0:
        return Outcome(TrialStatus.TIMEOUT, error="no time left to start the trial")
    fd, result_path = tempfile.mkstemp(
        prefix=scratch_prefix("trial"), suffix=".pkl", dir=results_folder
    )
    os.close(fd)
    started = time.monotonic()
    parent = os.getpid()
    outcome = None
    try:
        pid = os.fork()
        if pid == 0:  # the child: never returns
            _child(result_path, parent, function, args, kwargs)
        limits = _Limits(time_limit, memory_limit_mb, time_limit_name, own_memory_limit_mb)
        outcome = _watch(pid, result_path, started, limits, keep_file=results_folder is not None)
        return outcome
    finally:
        if outcome is None or outcome.payload_file is None:
            remove_file(result_path)


def remove_file(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def _unnamed_locks() -> None:
    """Make this child's ``multiprocessing`` locks (a thread pool's queue: a forest's
    ``n_jobs`` threads) plain forked ones. In a loky worker the default context is loky's,
    whose locks are named semaphores registered with the fit's resource tracker; this child
    ends with ``os._exit`` or a kill, never unregisters them, and the tracker warned of
    "leaked semlock objects" when the program exited."""
    import multiprocessing

    multiprocessing.set_start_method("fork", force=True)


def _child(path: str, parent: int, function: Callable, args: tuple, kwargs: dict) -> None:
    code = 1
    try:
        faulthandler.disable()  # a crash is reported as a status, not a traceback dump
        os.setpgid(0, 0)  # its own process group, so helpers it starts die with it
        _die_with(parent)
        _unnamed_locks()
        try:
            value = function(*args, **kwargs)
            # the status, then the value streamed after it (no pickled copy in memory)
            with open(path, "wb") as handle:
                pickle.dump(TrialStatus.OK, handle, protocol=pickle.HIGHEST_PROTOCOL)
                pickle.dump(value, handle, protocol=pickle.HIGHEST_PROTOCOL)
        except BaseException as error:  # everything must be reported, even SystemExit
            with open(path, "wb") as handle:  # over a value half written
                pickle.dump(TrialStatus.CRASHED, handle, protocol=pickle.HIGHEST_PROTOCOL)
                error_text = f"{type(error).__name__}: {error}\n{traceback.format_exc(limit=8)}"
                pickle.dump(error_text, handle, protocol=pickle.HIGHEST_PROTOCOL)
        code = 0
    finally:
        os._exit(code)


def _find_prctl() -> Callable[..., int] | None:
    """libc's ``prctl`` on Linux, looked up here, before any fork: a forked child of a
    multi-threaded worker should not have to take the dynamic loader's lock."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None


_prctl = _find_prctl()


def _die_with(parent: int) -> None:
    """Have the system kill this child when the worker that forked it dies (Linux): in its
    own process group it outlives a killed worker, unwatched, for as long as its model runs
    (for ever if it hangs)."""
    if _prctl is None:
        return
    _prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the worker died before the call above
        os._exit(1)


@dataclass(frozen=True)
class _Limits:
    """What a watched child may use; ``time_limit_name`` says which limit stopped it."""

    time_limit: float | None
    memory_limit_mb: float | None
    time_limit_name: str
    own_memory_limit_mb: float | None = None


def _watch(pid: int, path: str, started: float, limits: _Limits, keep_file: bool) -> Outcome:
    try:
        process = psutil.Process(pid)
    except psutil.Error:
        process = None
    exited = _exit_notice(pid)
    peak = 0.0
    delay = _POLL_MIN
    try:
        while True:
            done, status = os.waitpid(pid, os.WNOHANG)
            elapsed = time.monotonic() - started
            if done:
                return _finished(status, path, elapsed, peak or None, keep_file)
            memory = process_tree_rss_mb(process)
            peak = max(peak, memory)
            stopped = _breach(limits, process, elapsed, memory)
            if stopped is not None:
                _kill(pid)
                return Outcome(
                    stopped[0], error=stopped[1], elapsed=elapsed, peak_memory_mb=peak or None
                )
            _wait(exited, delay)
            delay = min(_POLL_MAX, delay * 2)
    finally:
        if exited is not None:
            os.close(exited)


def _breach(
    limits: _Limits, process: psutil.Process | None, elapsed: float, memory: float
) -> tuple[TrialStatus, str] | None:
    """The status and error of a child over one of its limits, None while it is within them."""
    if limits.time_limit is not None and elapsed > limits.time_limit:
        return (
            TrialStatus.TIMEOUT,
            f"stopped after {limits.time_limit:.1f} s ({limits.time_limit_name})",
        )
    if limits.memory_limit_mb is not None and memory > limits.memory_limit_mb:
        return (
            TrialStatus.MEMOUT,
            f"stopped at {memory:.0f} MB (memory limit {limits.memory_limit_mb:.0f} MB)",
        )
    if limits.own_memory_limit_mb is not None:
        own = process_tree_uss_mb(process)
        if own > limits.own_memory_limit_mb:
            return (
                TrialStatus.MEMOUT,
                f"stopped at {own:.0f} MB of its own memory (its share of the fit memory "
                f"limit, {limits.own_memory_limit_mb:.0f} MB)",
            )
    return None


def _exit_notice(pid: int) -> int | None:
    """A descriptor that becomes readable when the child exits (Linux 5.3+), so that its end
    is seen at once rather than at the next look at its memory; None where there is none."""
    try:
        return os.pidfd_open(pid)
    except (AttributeError, OSError):
        return None


def _wait(exited: int | None, seconds: float) -> None:
    if exited is None:
        time.sleep(seconds)
    else:
        select.select([exited], [], [], seconds)


def _finished(
    status: int, path: str, elapsed: float, peak: float | None, keep_file: bool = False
) -> Outcome:
    if os.WIFSIGNALED(status):
        signum = os.WTERMSIG(status)
        name = signal.Signals(signum).name if signum in signal.valid_signals() else str(signum)
        hint = " (often the system running out of memory)" if signum == signal.SIGKILL else ""
        return Outcome(
            TrialStatus.CRASHED,
            error=f"the trial process was killed by {name}{hint}",
            elapsed=elapsed,
            peak_memory_mb=peak,
        )
    try:
        with open(path, "rb") as handle:
            kind = pickle.load(handle)
            if kind == TrialStatus.OK and keep_file:  # the value stays where it is
                return Outcome(
                    TrialStatus.OK,
                    elapsed=elapsed,
                    peak_memory_mb=peak,
                    payload_file=path,
                    payload_offset=handle.tell(),
                )
            # the value's pickle as it is, or the error's text
            value = handle.read() if kind == TrialStatus.OK else pickle.load(handle)
    except (OSError, EOFError, pickle.UnpicklingError) as error:
        code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else status
        return Outcome(
            TrialStatus.CRASHED,
            error=f"the trial process exited with code {code} and no "
            f"result ({type(error).__name__})",
            elapsed=elapsed,
            peak_memory_mb=peak,
        )
    if kind == TrialStatus.OK:
        return Outcome(TrialStatus.OK, payload=value, elapsed=elapsed, peak_memory_mb=peak)
    return Outcome(TrialStatus.CRASHED, error=value, elapsed=elapsed, peak_memory_mb=peak)


def process_tree_rss_mb(process: psutil.Process | None) -> float:
    """Resident memory of a process and all its descendants, in MB (0 if it is gone)."""
    return _tree_mb(process, lambda p: p.memory_info().rss)


def process_tree_uss_mb(process: psutil.Process | None) -> float:
    """Unique memory of a process and its descendants, in MB: the pages only they map (for
    a forked child, what it allocated or copied since the fork). Linux only."""
    return _tree_mb(process, lambda p: p.memory_full_info().uss)


def process_tree_pss_mb(process: psutil.Process | None) -> float:
    """Proportional memory of a process and its descendants, in MB: a page shared by n
    processes counts 1/n in each, so the sum over a tree counts each page once. Summed RSS
    counts a page once per process mapping it: a forked child's inherited pages, and the
    libraries every worker loads, again and again. Linux only (psutil reads smaps)."""
    return _tree_mb(process, lambda p: p.memory_full_info().pss)


def _tree_mb(process: psutil.Process | None, measure: Callable[[psutil.Process], int]) -> float:
    if process is None:
        return 0.0
    try:
        total = measure(process)
        for child in process.children(recursive=True):
            try:
                total += measure(child)
            except psutil.Error:
                pass
        return total / 2**20
    except psutil.Error:
        return 0.0


def _kill(pid: int) -> None:
    for target in (lambda: os.killpg(pid, signal.SIGKILL), lambda: os.kill(pid, signal.SIGKILL)):
        try:
            target()
        except (ProcessLookupError, PermissionError):
            pass
    try:
        os.waitpid(pid, 0)
    except ChildProcessError:
        pass
