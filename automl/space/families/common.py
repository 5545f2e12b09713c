"""Helpers shared by the built-in families' builders."""

from __future__ import annotations

from typing import Any

from ConfigSpace import Categorical
from ConfigSpace.hyperparameters import Hyperparameter

from automl.data import REGRESSION

# Regularization values at the bottom of their (log) range mean "none": a log scale cannot hold 0.
OFF = 1e-10


def off(value: float) -> float:
    """A regularization value, with the bottom of its log range read as 0."""
    return 0.0 if value <= 1e-8 else float(value)


def own_watched_fit(
    model: Any, X: Any, y: Any, X_val: Any, y_val: Any, weight: Any, weight_val: Any, patience: int
) -> int:
    """``EarlyStopping.fit`` for a model that watches a validation set itself (its own
    ``fit_watched`` method with the same arguments)."""
    return model.fit_watched(X, y, X_val, y_val, weight, weight_val, patience)


def class_weight_space(task: str) -> list[Hyperparameter]:
    """``class_weight`` for a classifier: "balanced" weighs each class inversely to its
    frequency, which a rare class (and a metric on labels) often needs."""
    if task == REGRESSION:
        return []
    return [Categorical("class_weight", ["none", "balanced"], default="none")]


def class_weight(p: dict[str, Any]) -> dict[str, Any]:
    """The model's ``class_weight`` argument: none for a regressor."""
    if "class_weight" not in p:
        return {}
    return {"class_weight": None if p["class_weight"] == "none" else "balanced"}


def scaled_target(regressor: Any) -> Any:
    """Standardize y for models whose fit depends on the target's scale."""
    from sklearn.compose import TransformedTargetRegressor
    from sklearn.preprocessing import StandardScaler

    return TransformedTargetRegressor(regressor=regressor, transformer=StandardScaler())
