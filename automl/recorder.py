"""Write a fit and each of its trials to the history store while the search runs.

A trial is written the moment it finishes, so a killed process loses at most the trials in
flight. The store is a help, not the point of the fit: if it fails mid-run the fit goes on
with one warning and stops writing (``history_strict=True`` makes the failure an error).
"""

from __future__ import annotations

import getpass
import logging
import socket
import warnings
from typing import TYPE_CHECKING, Any

from automl.trials.result import TrialResult

if TYPE_CHECKING:
    from automl.history import HistoryStore

log = logging.getLogger("automl")


class HistoryWarning(UserWarning):
    """The history store failed during a fit; the fit went on without it."""


class RunRecorder:
    def __init__(self, store: HistoryStore, *, strict: bool = False) -> None:
        self.store = store
        self.strict = strict
        self.run_id: str | None = None
        self.failed = False

    def start(self, **run: Any) -> None:
        run.setdefault("user", _user())
        run.setdefault("host", socket.gethostname())
        self._guard("start the run", lambda: setattr(self, "run_id", self.store.start_run(**run)))

    def trial(self, result: TrialResult) -> None:
        if self.run_id is None:
            return
        row = {k: v for k, v in result.summary().items() if k != "model"}
        self._guard("record a trial", lambda: self.store.record_trial(self.run_id, row))

    def card(self, card: dict[str, Any]) -> None:
        """The run card, once the fit has made it (after the run ended: the final model and
        its measured latency are part of it)."""
        if self.run_id is None:
            return
        self._guard("record the run card", lambda: self.store.record_card(self.run_id, card))

    def end(self, status: str) -> None:
        if self.run_id is None:
            return
        if status == "failed":  # the fit is already raising: that error is the one to see
            try:
                self.store.end_run(self.run_id, status)
            except Exception:
                log.debug("could not mark the run as failed in the history", exc_info=True)
            return
        self._guard("end the run", lambda: self.store.end_run(self.run_id, status))

    def _guard(self, what: str, action: Any) -> None:
        if self.failed:
            return
        try:
            action()
        except Exception as error:
            if self.strict:
                raise
            self.failed = True
            warnings.warn(
                f"The history store {getattr(self.store, 'url', '')} failed to {what} "
                f"({error}); the fit goes on without recording. Pass history_strict=True to "
                "make this an error.",
                HistoryWarning,
                stacklevel=2,
            )


def _user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no user name in some containers
        return "unknown"
