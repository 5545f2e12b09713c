"""The entry points pyproject.toml declares, as automl would find them once installed.

Tests run from a source tree whose installed metadata may predate a change to those
declarations; patching ``automl.plugins.installed`` with what pyproject.toml says tests the
declarations themselves, and how automl uses them, without reinstalling.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from importlib.metadata import EntryPoint
from pathlib import Path

import pytest
import tomllib

from automl import plugins
from automl.warm_start import installed_source

PYPROJECT = Path(__file__).resolve().parent.parent / "pyproject.toml"


def declared(group: str) -> dict[str, EntryPoint]:
    groups = tomllib.loads(PYPROJECT.read_text())["project"].get("entry-points", {})
    return {name: EntryPoint(name, value, group) for name, value in groups.get(group, {}).items()}


@contextmanager
def installed_as_declared() -> Iterator[None]:
    """automl sees the entry points of pyproject.toml (and loads its sources afresh)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(plugins, "installed", declared)
        installed_source.cache_clear()
        try:
            yield
        finally:
            installed_source.cache_clear()
