"""Linear families: logistic regression, ridge and elastic net."""

from __future__ import annotations

from typing import Any

from ConfigSpace import Float
from ConfigSpace.hyperparameters import Hyperparameter

from automl.space.families.common import class_weight, class_weight_space, scaled_target
from automl.space.family import BuildContext, ModelFamily


def _logistic_space(task: str) -> list[Hyperparameter]:
    return [
        Float("C", (1e-4, 1e4), default=1.0, log=True),
        *class_weight_space(task),
    ]


def _build_logistic(p: dict[str, Any], ctx: BuildContext) -> Any:
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(
        C=p["C"],
        max_iter=1000,
        **class_weight(p),
    )


def _ridge_space(task: str) -> list[Hyperparameter]:
    return [Float("alpha", (1e-4, 1e4), default=1.0, log=True)]


def _build_ridge(p: dict[str, Any], ctx: BuildContext) -> Any:
    from sklearn.linear_model import Ridge

    return Ridge(alpha=p["alpha"])


def _elastic_net_space(task: str) -> list[Hyperparameter]:
    return [
        Float("alpha", (1e-5, 10.0), default=0.01, log=True),
        Float("l1_ratio", (0.0, 1.0), default=0.5),
    ]


def _build_elastic_net(p: dict[str, Any], ctx: BuildContext) -> Any:
    from sklearn.linear_model import ElasticNet

    return scaled_target(
        ElasticNet(alpha=p["alpha"], l1_ratio=p["l1_ratio"], max_iter=5000, random_state=0)
    )


LOGISTIC_REGRESSION = ModelFamily(
    "logistic_regression",
    True,
    False,
    _logistic_space,
    _build_logistic,
    needs_scaling=True,
    preload=("sklearn.linear_model",),
    group="linear",
    sparse_input=True,
)
RIDGE = ModelFamily(
    "ridge",
    False,
    True,
    _ridge_space,
    _build_ridge,
    needs_scaling=True,
    preload=("sklearn.linear_model",),
    group="linear",
    sparse_input=True,
)
ELASTIC_NET = ModelFamily(
    "elastic_net",
    False,
    True,
    _elastic_net_space,
    _build_elastic_net,
    needs_scaling=True,
    preload=("sklearn.linear_model",),
    group="linear",
    sparse_input=True,
)
