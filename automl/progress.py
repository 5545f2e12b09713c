"""A one-line progress bar on the terminal: elapsed budget, trials, best score so far."""

from __future__ import annotations

import sys
from typing import TextIO

from automl.ledger import TrialLedger


class ProgressBar:
    """Redraws one stderr line; does nothing when disabled (``verbose=0`` or not a terminal)."""

    def __init__(
        self, budget: float, *, enabled: bool, stream: TextIO | None = None, width: int = 30
    ) -> None:
        self.budget = budget
        self.enabled = enabled
        self.stream = stream or sys.stderr
        self.width = width
        self._drawn = False

    def update(self, elapsed: float, ledger: TrialLedger) -> None:
        if not self.enabled:
            return
        best = ledger.best()
        filled = int(self.width * min(1.0, elapsed / self.budget))
        bar = "#" * filled + "-" * (self.width - filled)
        best_text = "-" if best is None else f"{best.score:.5g}"
        line = (
            f"\r[{bar}] {elapsed:5.0f}/{self.budget:.0f}s  trials {len(ledger)}"
            f" ({ledger.n_failed} failed)  best {best_text}"
        )
        self.stream.write(line)
        self.stream.flush()
        self._drawn = True

    def close(self) -> None:
        if self._drawn:
            self.stream.write("\n")
            self.stream.flush()
