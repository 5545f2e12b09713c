"""Ctrl-C during the search, taken at a safe point.

A KeyboardInterrupt raised at an arbitrary line can land inside a history write or a library's
cleanup code, where it may be swallowed or leave a half-finished transaction. During the search
loop, SIGINT only sets a flag; the loop checks it between steps and stops there. A second
Ctrl-C raises at once, so a stuck step can still be broken out of.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def deferred_interrupt() -> Iterator[threading.Event]:
    """An event set by SIGINT while the block runs (only in the main thread: elsewhere signal
    handlers cannot be installed, and the default behaviour stays)."""
    pressed = threading.Event()
    if threading.current_thread() is not threading.main_thread():
        yield pressed
        return

    def handler(signum: int, frame: object) -> None:
        if pressed.is_set():
            raise KeyboardInterrupt
        pressed.set()

    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield pressed
    finally:
        signal.signal(signal.SIGINT, previous)
