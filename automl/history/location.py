"""Where the history lives: the ``history=`` setting turned into a database URL.

* ``None`` (or ``False``): no history.
* ``"auto"``: the URL or path in the ``AUTOML_HISTORY`` environment variable, so a team sets
  its shared store once per machine or CI job; without it, a SQLite file in the user's data
  directory, so a laptop keeps history with no setup. ``AUTOML_HISTORY=off`` turns it off.
* Anything containing ``://``: a SQLAlchemy URL, used as it is
  (``postgresql://user@db.example.org/automl``, ``sqlite:////shared/history.sqlite``).
* Anything else: a file path for a SQLite store.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ENV_VARIABLE = "AUTOML_HISTORY"
FILE_NAME = "history.sqlite"
_OFF = ("", "off", "none", "false", "0")


def resolve_history(setting: str | os.PathLike[str] | None | bool) -> str | None:
    """The database URL for a ``history=`` setting, or None when history is off."""
    if setting is None or setting is False:
        return None
    if setting is True:
        setting = "auto"
    text = os.fspath(setting)
    if text == "auto":
        from_env = os.environ.get(ENV_VARIABLE)
        if from_env is None:
            return sqlite_url(default_path())
        if from_env.strip().lower() in _OFF:
            return None
        text = from_env.strip()
    if "://" in text:
        return text
    return sqlite_url(Path(text))


def is_default(setting: str | os.PathLike[str] | None | bool) -> bool:
    """Whether the setting names the per-user default file, which nobody asked for by name:
    ``"auto"`` (or True) without ``AUTOML_HISTORY``."""
    return (setting is True or setting == "auto") and os.environ.get(ENV_VARIABLE) is None


def default_path() -> Path:
    """The per-user SQLite file: ``$XDG_DATA_HOME/automl`` or ``~/.local/share/automl`` on
    Linux, ``~/Library/Application Support/automl`` on macOS, ``%LOCALAPPDATA%\\automl`` on
    Windows (the places platformdirs would choose, without the dependency)."""
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or str(Path.home() / "AppData" / "Local")
    elif sys.platform == "darwin":
        base = str(Path.home() / "Library" / "Application Support")
    else:
        xdg = os.environ.get("XDG_DATA_HOME", "")
        base = xdg if os.path.isabs(xdg) else str(Path.home() / ".local" / "share")
    return Path(base) / "automl" / FILE_NAME


def sqlite_url(path: Path) -> str:
    """A SQLAlchemy URL for the SQLite file at ``path`` (made absolute)."""
    return "sqlite:///" + str(path.expanduser().resolve())
