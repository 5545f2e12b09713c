"""The lifetime of the local worker pool: kept warm between fits, or shut down cleanly.

Local trials run on a loky process pool of their own. Starting its workers costs every fit
a second or more (imports, loading the data), so by default the pool outlives ``fit`` and the
next fit reuses it; ``keep_workers=False`` or ``shutdown_workers()``
closes it. Besides its workers the pool runs two helper processes, the resource trackers of
loky and of ``multiprocessing``, which unlink shared semaphores if this process dies; a clean
shutdown stops them too, after the workers have exited, so that no child process is left.

A tracker is only stopped when no semaphore or shared memory it tracks is alive any more:
it would unlink them, and the last message about them would start a new tracker that knows
nothing of them and prints a ``KeyError`` traceback. That same noise, after "process died
unexpectedly", is what follows when someone kills the trackers (a harness cleaning up the
process tree with SIGKILL). So a dead tracker is replaced quietly: its messages go to
``os.devnull`` while the pool that used it is shut down, then a fresh tracker takes over the
resources still alive. loky's own threads may be first to find its tracker dead (the pool's
manager thread frees semaphores when it sees its workers killed), so loky's tracker is made
to mute itself too instead of relaunching at once. This reaches into private attributes of
the trackers (``_fd``, ``_pid``, ``_lock``, ``_launch``, ``_teardown_dead_process``), of loky
(its reusable executor class) and of ``multiprocessing`` (its children), which none of them
exposes; ``tests/test_worker_lifetime.py`` fails if an upgrade changes them.
"""

from __future__ import annotations

import atexit
import contextlib
import gc
import logging
import os
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

import psutil
from joblib.externals.loky.backend import resource_tracker as _loky_tracker
from joblib.externals.loky.backend.process import LokyProcess
from joblib.externals.loky.backend.synchronize import SemLock as _LokySemLock
from joblib.externals.loky.reusable_executor import _ReusablePoolExecutor

log = logging.getLogger("automl")

IDLE_TIMEOUT = 300  # seconds an idle worker waits for work before it exits by itself
_TRACKER_EXIT_WAIT = 5.0  # a tracker exits as soon as it reads the end of its pipe
_THREAD_EXIT_WAIT = 5.0  # the pool's queue thread ends once the queue is closed

_lock = threading.Lock()
_exit_hook_registered = False
# Not loky's singleton: joblib's process pool (``n_jobs`` in scikit-learn) is that one, and
# joblib expects to have set it up itself; handing it ours breaks the caller's next
# ``Parallel`` after a fit.
_pool: _ReusablePoolExecutor | None = None
_pool_args: tuple | None = None
_submit_lock = threading.RLock()


def worker_pool(n_workers: int, initializer: Callable[..., None], initargs: tuple) -> Any:
    """The shared pool with ``n_workers`` workers: the warm one when it can be reused, else
    a new one (also when a worker or a tracker was killed since the last fit)."""
    global _exit_hook_registered
    with _lock:
        dead = _mute_dead_trackers()
        if dead:
            _shutdown_pool()
            _hand_over(dead)
        _forget_reaped_workers()
        if not _exit_hook_registered:  # here, not at import: worker processes import us too
            atexit.register(_mute_dead_trackers)
            _relaunch_quietly(_loky_tracker._resource_tracker)
            _exit_hook_registered = True
        return _reusable_pool(n_workers, initializer, initargs)


def _reusable_pool(n_workers: int, initializer: Callable[..., None], initargs: tuple) -> Any:
    """The warm pool resized to ``n_workers``, or a new one when it is broken, shut down,
    too small in its queue, or was started with another initializer."""
    global _pool, _pool_args
    args = (initializer, initargs)
    pool = _pool
    if pool is not None and (
        pool._flags.broken
        or pool._flags.shutdown
        or pool.queue_size < n_workers
        or _pool_args != args
    ):
        pool.shutdown(wait=True, kill_workers=bool(pool._flags.broken))
        _pool = pool = None
    if pool is None:
        pool = _ReusablePoolExecutor(
            _submit_lock,
            max_workers=n_workers,
            timeout=IDLE_TIMEOUT,
            initializer=initializer,
            initargs=initargs,
            env=worker_environment(),
        )
        _pool, _pool_args = pool, args
    else:
        pool._resize(n_workers)
    return pool


def worker_environment() -> dict[str, str]:
    """What the workers' environment adds to this process's: OpenBLAS starting with one
    thread, unless the user chose a number.

    Every trial is a child forked from a worker, and OpenBLAS shuts its threads down before
    a fork and starts as many as it started with again at the child's first call, the
    trial's thread limit included; those threads then spin, idle, for a while (about 0.1 s
    of CPU per trial, taken from the other trials on a small machine). Started with one,
    it starts none; a trial allowed more threads still gets them (``threadpool_limits``
    raises OpenBLAS's count)."""
    if "OPENBLAS_NUM_THREADS" in os.environ:
        return {}
    return {"OPENBLAS_NUM_THREADS": "1"}


def shutdown_workers() -> None:
    """Shut down the worker processes that fits keep warm, and their helper processes.

    Returns once they have exited, so no child process is left behind. Call it when no fit
    is running (work still running on the pool is stopped); calling it again, or when there
    is no pool, does nothing. The next fit starts a new pool. joblib's own process pool
    (``n_jobs`` in scikit-learn) is a different one and is left alone.
    """
    with _lock:
        dead = _mute_dead_trackers()
        finished = _shutdown_pool()
        _hand_over(dead)
        if not finished:  # a tracker stopped now could still get messages: leave them be
            log.debug("the worker pool's queue thread has not ended; resource trackers kept")
            return
        in_use = [tracker for tracker, _, _ in _live_resources()]
        for tracker in _trackers():
            if not any(tracker is busy for busy in in_use):
                _stop_tracker(tracker)


def _shutdown_pool() -> bool:
    """Shut the pool down; True once nothing of it is left running in this process."""
    global _pool, _pool_args
    pool, _pool, _pool_args = _pool, None, None
    feeder = None
    if pool is not None:
        # the thread that feeds the workers' queue outlives shutdown(): loky does not wait for
        # it in the process that created the queue
        feeder = getattr(pool._call_queue, "_thread", None)
        # Killed rather than asked to exit: between fits they are idle, and a worker that
        # tears down its interpreter (with every model library imported) takes a second or
        # two. Either way the call returns once they have exited.
        pool.shutdown(wait=True, kill_workers=True)
    del pool
    if feeder is not None:
        # Its last moves free the queue's semaphores, which then tell their tracker: that
        # must happen before the tracker is stopped, not after.
        feeder.join(timeout=_THREAD_EXIT_WAIT)
    _forget_reaped_workers()
    gc.collect()  # the pool's semaphores tell their tracker when they are collected
    return feeder is None or not feeder.is_alive()


def _forget_reaped_workers() -> None:
    """Drop the records of loky workers that are no longer our children: someone else reaped
    them (a harness's ``psutil.wait_procs``), so ``multiprocessing`` would wait for them, and
    keep their semaphores and pipes, for ever."""
    from multiprocessing import process

    for child in list(process._children):
        if not isinstance(child, LokyProcess):
            continue
        try:
            ours = psutil.Process(child.pid).ppid() == os.getpid()
        except psutil.NoSuchProcess:
            ours = False
        if not ours:
            process._children.discard(child)


def _trackers() -> tuple[Any, Any]:
    """(loky's tracker, multiprocessing's tracker): loky tracks its semaphores; it starts
    multiprocessing's for the workers, which would register shared memory there."""
    from multiprocessing import resource_tracker

    return _loky_tracker._resource_tracker, resource_tracker._resource_tracker


def _live_resources() -> list[tuple[Any, str, str]]:
    """(tracker, name, resource type) of every semaphore or shared memory block of this
    process that a tracker is tracking."""
    from multiprocessing import synchronize

    loky, stdlib = _trackers()
    shared_memory = sys.modules.get("multiprocessing.shared_memory")
    found = []
    for obj in gc.get_objects():
        if isinstance(obj, _LokySemLock):
            found.append((loky, obj._semlock.name, "semlock"))
        elif isinstance(obj, synchronize.SemLock) and obj._semlock.name is not None:
            found.append((stdlib, obj._semlock.name, "semaphore"))
        elif shared_memory is not None and isinstance(obj, shared_memory.SharedMemory):
            found.append((stdlib, obj._name, "shared_memory"))
    return found


def _relaunch_quietly(tracker: Any) -> None:
    """Make ``tracker``, when whoever writes to it next finds it dead, mute itself (write to
    ``os.devnull``) instead of warning and relaunching: a new tracker would print a
    ``KeyError`` for every semaphore freed afterwards that it never saw registered. The next
    ``worker_pool`` or ``shutdown_workers`` hands the muted tracker over to a fresh one."""
    if getattr(tracker, "_automl_quiet", False):
        return
    launch = tracker._launch

    def launch_unless_muted() -> None:  # loky calls it right after the teardown
        if not getattr(tracker, "_automl_muted", False):
            launch()

    tracker._teardown_dead_process = lambda: _mute(tracker)  # with the lock held
    tracker._launch = launch_unless_muted
    tracker._automl_quiet = True


def _mute(tracker: Any) -> None:
    """Close the dead tracker's pipe, reap it, and point its messages at ``os.devnull``
    (with the tracker's lock held)."""
    with contextlib.suppress(OSError):
        os.close(tracker._fd)
    _reap(tracker._pid, timeout=_TRACKER_EXIT_WAIT)
    tracker._fd = os.open(os.devnull, os.O_WRONLY)
    tracker._pid = None
    tracker._automl_muted = True


def _mute_dead_trackers() -> list[Any]:
    """Point every tracker whose process has died at ``os.devnull``; return the muted ones
    (also those that muted themselves)."""
    muted = []
    for tracker in _trackers():
        with tracker._lock:
            if not getattr(tracker, "_automl_muted", False):
                if tracker._fd is None or tracker._check_alive():
                    continue
                _mute(tracker)
            muted.append(tracker)
    if muted:
        log.debug("%d resource tracker(s) had been killed; replacing them", len(muted))
    return muted


def _hand_over(muted: list[Any]) -> None:
    """Start fresh trackers for the muted ones, tracking what is still alive."""
    if not muted:
        return
    for tracker in muted:
        with tracker._lock:
            if tracker._fd is not None:
                os.close(tracker._fd)
            tracker._fd = None
            tracker._automl_muted = False
    for tracker, name, kind in _live_resources():
        if any(tracker is dead for dead in muted):
            tracker.register(name, kind)  # the first message starts the new tracker


def _stop_tracker(tracker: Any) -> None:
    """Close the tracker's pipe, which ends it, and wait for it to exit."""
    with tracker._lock:
        fd, pid = tracker._fd, tracker._pid
        tracker._fd = tracker._pid = None
    if fd is not None:
        os.close(fd)
    _reap(pid, timeout=_TRACKER_EXIT_WAIT)


def _reap(pid: int | None, *, timeout: float) -> None:
    """Wait for our child ``pid`` to exit, at most ``timeout`` seconds."""
    if pid is None:
        return
    give_up = time.monotonic() + timeout
    delay = 0.001
    try:
        while os.waitpid(pid, os.WNOHANG)[0] == 0:
            if time.monotonic() > give_up:
                # another process still holds the pipe; the tracker ends when that one does
                log.debug("resource tracker %d has not exited yet", pid)
                return
            time.sleep(delay)
            delay = min(0.05, delay * 2)
    except ChildProcessError:  # already reaped (by a harness, say)
        pass
