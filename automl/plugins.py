"""What other installed packages add to automl, found through Python entry points.

automl never imports those packages by name: a package that builds on automl (``metalearning``
does) declares its additions in its own metadata, and automl finds them here. Imports then run
one way only, and automl works, only without the addition, when such a package is missing.

Groups:

- ``automl.warm_start``: a callable returning a :class:`automl.warm_start.WarmStartSource`;
  the one named ``metabase`` serves ``warm_start="auto"`` and ``"metabase"``.
- ``automl.commands``: a callable taking the ``automl`` command's subparsers and adding its own
  subcommand (which sets ``run``, a function of the parsed arguments returning the exit code).
"""

from __future__ import annotations

from importlib.metadata import EntryPoint, entry_points

WARM_START_SOURCES = "automl.warm_start"
COMMANDS = "automl.commands"


def installed(group: str) -> dict[str, EntryPoint]:
    """The entry points installed in ``group``, by name (the first one found wins a name)."""
    found: dict[str, EntryPoint] = {}
    for entry in entry_points(group=group):
        found.setdefault(entry.name, entry)
    return found
