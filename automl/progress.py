"""Progress of a fit where the user is looking: time left, trials, best score so far.

On a terminal, one stderr line redrawn in place; in a Jupyter notebook, one output cell
updated in place (IPython's display, already there in any notebook, so no widget library is
needed); elsewhere (a log file, a pipe) nothing, because redrawn lines make unreadable logs.
``verbose=0`` prints nothing anywhere.
"""

from __future__ import annotations

import html
import sys
import time
from typing import Any, TextIO

from automl.ledger import TrialLedger

NOTEBOOK_SHELLS = ("ZMQInteractiveShell",)  # Jupyter's kernel; terminal IPython is a tty
NOTEBOOK_INTERVAL = 0.5  # seconds between notebook redraws: each one is a message to the browser


class ProgressBar:
    """Draws the fit's progress on a terminal line or a notebook cell; silent when disabled."""

    def __init__(
        self,
        budget: float,
        *,
        enabled: bool,
        stream: TextIO | None = None,
        width: int = 30,
        notebook: Any = None,
    ) -> None:
        """``notebook``: a callable like ``IPython.display.display`` (draw in a notebook cell
        instead of on ``stream``)."""
        self.budget = budget
        self.enabled = enabled
        self.stream = stream or sys.stderr
        self.width = width
        self._notebook = notebook
        self._handle: Any = None
        self._drawn = False
        self._last_drawn = 0.0
        self._pending: str | None = None

    @classmethod
    def for_fit(cls, budget: float, verbose: int) -> ProgressBar:
        """The display a fit gets: the terminal, else a notebook cell, else none."""
        if verbose <= 0:
            return cls(budget, enabled=False)
        if _isatty(sys.stderr):
            return cls(budget, enabled=True)
        display = notebook_display()
        return cls(budget, enabled=display is not None, notebook=display)

    def text(self, elapsed: float, ledger: TrialLedger) -> str:
        best = ledger.best()
        best_text = "-" if best is None else f"{best.score:.5g}"
        left = max(0.0, self.budget - elapsed)
        return (
            f"{elapsed:4.0f}/{self.budget:.0f}s ({left:.0f}s left)  trials {len(ledger)}"
            f" ({ledger.n_failed} failed)  best {best_text}"
        )

    def update(self, elapsed: float, ledger: TrialLedger) -> None:
        if not self.enabled:
            return
        fraction = min(1.0, elapsed / self.budget)
        if self._notebook is not None:
            self._pending = _progress_html(fraction, self.text(elapsed, ledger))
            if time.monotonic() - self._last_drawn >= NOTEBOOK_INTERVAL:
                self._draw_notebook()
            return
        filled = int(self.width * fraction)
        bar = "#" * filled + "-" * (self.width - filled)
        self.stream.write(f"\r[{bar}] {self.text(elapsed, ledger)}")
        self.stream.flush()
        self._drawn = True

    def close(self) -> None:
        if self._notebook is not None:
            if self._pending is not None:
                self._draw_notebook()  # the last state, whatever the throttle said
            return
        if self._drawn:
            self.stream.write("\n")
            self.stream.flush()

    def _draw_notebook(self) -> None:
        content = _Html(self._pending or "")
        if self._handle is None:
            self._handle = self._notebook(content, display_id=True)
        else:
            self._handle.update(content)
        self._pending = None
        self._last_drawn = time.monotonic()


class _Html:
    """What IPython's display renders as HTML (its ``_repr_html_`` protocol), with a text
    form for front ends that show plain text."""

    def __init__(self, markup: str) -> None:
        self.markup = markup

    def _repr_html_(self) -> str:
        return self.markup

    def __repr__(self) -> str:
        return html.unescape(self.markup.split("</progress>")[-1]).strip()


def _progress_html(fraction: float, text: str) -> str:
    return (
        f'<progress value="{fraction:.3f}" max="1" style="width:18em"></progress> '
        f"<code>{html.escape(text)}</code>"
    )


def notebook_display() -> Any:
    """IPython's ``display`` when this process is a Jupyter kernel, else None."""
    ipython = sys.modules.get("IPython")  # never imported here: only a kernel has it loaded
    if ipython is None:
        return None
    try:
        shell = ipython.get_ipython()
        if shell is None or type(shell).__name__ not in NOTEBOOK_SHELLS:
            return None
        from IPython.display import display
    except Exception:  # an unusual IPython: no progress is better than a failed fit
        return None
    return display


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # replaced or closed streams
        return False
