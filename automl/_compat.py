"""Old module paths of moved classes, so models saved by earlier versions keep loading.

A pickle names each class by module and attribute (``automl.runner.FoldModels``); when a module
moves, loading an older model would fail with ``ModuleNotFoundError``. Each old path here is
an alias of the module that took its place, imported only when something asks for it (for
``joblib.load``, pickle imports the old path by name).
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys
from collections.abc import Sequence
from types import ModuleType
from typing import Any

# old module -> the module that holds its classes now (see CHANGELOG.md)
MOVED_MODULES = {
    "automl.runner": "automl.trials.evaluation",
    "automl.limits": "automl.trials.limits",
    "automl.executor": "automl.trials.executor",
    "automl.worker": "automl.trials.worker",
}


class _AliasLoader(importlib.abc.Loader):
    def __init__(self, target: str) -> None:
        self.target = target

    def create_module(self, spec: Any) -> ModuleType:
        return importlib.import_module(self.target)

    def exec_module(self, module: ModuleType) -> None:
        """The target module is already executed."""


class _AliasFinder(importlib.abc.MetaPathFinder):
    def find_spec(self, name: str, path: Sequence[str] | None, target: Any = None) -> Any:
        if name not in MOVED_MODULES:
            return None
        return importlib.util.spec_from_loader(name, _AliasLoader(MOVED_MODULES[name]))


def install() -> None:
    if not any(isinstance(finder, _AliasFinder) for finder in sys.meta_path):
        sys.meta_path.append(_AliasFinder())
