"""The built-in model families, defined in one module per kind of model.

The order they are offered in lives in ``automl.space.registry``, which refuses to import if a
family defined here is missing from it.
"""

from __future__ import annotations

import importlib
import pkgutil

from automl.space.family import ModelFamily


def defined_families() -> list[ModelFamily]:
    """Every ModelFamily defined at module level in this package (in no particular order)."""
    found: dict[int, ModelFamily] = {}
    for info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{info.name}")
        for value in vars(module).values():
            if isinstance(value, ModelFamily):
                found[id(value)] = value
    return list(found.values())
