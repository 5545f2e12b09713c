"""Helpers shared by the built-in families' builders."""

from __future__ import annotations

from typing import Any

# Regularization values at the bottom of their (log) range mean "none": a log scale cannot hold 0.
OFF = 1e-10


def off(value: float) -> float:
    """A regularization value, with the bottom of its log range read as 0."""
    return 0.0 if value <= 1e-8 else float(value)


def scaled_target(regressor: Any) -> Any:
    """Standardize y for models whose fit depends on the target's scale."""
    from sklearn.compose import TransformedTargetRegressor
    from sklearn.preprocessing import StandardScaler

    return TransformedTargetRegressor(regressor=regressor, transformer=StandardScaler())
