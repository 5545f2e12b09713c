"""A fit's scratch files in the temporary folder, and what is left of fits that were killed.

A fit removes its scratch (the training data for its workers, the best trials' fold models, a
trial's pickled result) when it ends, whatever way it ends in Python. A process killed outright
(``SIGKILL``, the system out of memory, a notebook kernel restarted) cannot, and fold models
can take gigabytes. So every scratch name carries the host and the process id of its owner,
and a new fit removes the scratch of owners on this host that no longer run. Another host's
(a temporary folder shared over the network) or another process namespace's (a container
whose host name is the same) is never touched unless its owner is gone from this machine's
view *and* the entry is older than ``STALE_AFTER``.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import socket
import tempfile
import time

log = logging.getLogger("automl")

KINDS = ("data", "folds", "trial")
STALE_AFTER = 6 * 3600.0  # seconds: even with its owner gone, younger scratch is left alone
_HOST = re.sub(r"[^A-Za-z0-9.]", "_", socket.gethostname())[:40] or "host"
_NAME = re.compile(rf"^automl-({'|'.join(KINDS)})-(.+)-(\d+)-")


def scratch_prefix(kind: str) -> str:
    """The start of a scratch name of ``kind`` owned by this process."""
    if kind not in KINDS:
        raise ValueError(f"unknown scratch kind {kind!r}; one of {KINDS}")
    return f"automl-{kind}-{_HOST}-{os.getpid()}-"


def make_scratch_folder(kind: str) -> str:
    """A new folder for this process's scratch of ``kind``."""
    return tempfile.mkdtemp(prefix=scratch_prefix(kind))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: it runs
        return True
    return True


def remove_stale_scratch(folder: str | None = None, *, now: float | None = None) -> int:
    """Remove the scratch in ``folder`` (the temporary folder) whose owner on this host no
    longer runs and that is older than ``STALE_AFTER``; how many entries went."""
    folder = folder or tempfile.gettempdir()
    now = time.time() if now is None else now
    removed = 0
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return 0
    for entry in entries:
        match = _NAME.match(entry.name)
        if match is None or match.group(2) != _HOST or _alive(int(match.group(3))):
            continue
        try:
            if now - entry.stat(follow_symlinks=False).st_mtime < STALE_AFTER:
                continue
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(entry.path)
            else:
                os.unlink(entry.path)
            removed += 1
        except OSError:  # not ours to remove, or gone meanwhile
            continue
    if removed:
        log.info("removed %d scratch folder(s) left by killed fits in %s", removed, folder)
    return removed
