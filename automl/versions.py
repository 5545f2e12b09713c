"""The library versions a model was made with, and a warning when it is loaded under others.

A pickled pipeline is only guaranteed to behave the same under the versions that made it
(scikit-learn, LightGBM and XGBoost change their model formats and defaults); a silent change
in predictions after an upgrade is worse than a loud warning.
"""

from __future__ import annotations

import platform
import warnings
from importlib import metadata

_TRACKED = ("automl", "scikit-learn", "lightgbm", "xgboost", "numpy", "pandas", "ConfigSpace")


class VersionWarning(UserWarning):
    """A saved model is being loaded under library versions other than those it was made with."""


def library_versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for name in _TRACKED:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def warn_if_different(saved: dict[str, str] | None, what: str = "This model") -> None:
    if not saved:
        return
    current = library_versions()
    changed = {
        name: (version, current.get(name, "not installed"))
        for name, version in saved.items()
        if current.get(name) != version
    }
    if changed:
        listing = ", ".join(
            f"{name} {old} -> {new}" for name, (old, new) in sorted(changed.items())
        )
        warnings.warn(
            f"{what} was saved under other library versions ({listing}); its predictions may "
            "differ or fail. Refit it, or load it in an environment with the saved versions.",
            VersionWarning,
            stacklevel=3,
        )
