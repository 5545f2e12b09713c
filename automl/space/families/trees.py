"""Bagged tree families: random forest and extra trees."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ConfigSpace import Categorical, Float, Integer
from ConfigSpace.hyperparameters import Hyperparameter

from automl.data import REGRESSION
from automl.space.families.common import class_weight, class_weight_space
from automl.space.family import BuildContext, ModelFamily


def _forest_space(bootstrap_default: bool) -> Callable[[str], list[Hyperparameter]]:
    def space(task: str) -> list[Hyperparameter]:
        hps: list[Hyperparameter] = [
            Integer("n_estimators", (10, 1000), default=100, log=True),
            # features per split = n_features ** exponent: 0.5 is sqrt (the classification
            # default), 1.0 is all features (the regression default); scale-free across datasets
            Float("max_features_exponent", (0.0, 1.0), default=0.5 if task != REGRESSION else 1.0),
            Integer("min_samples_leaf", (1, 20), default=1, log=True),
            Integer("min_samples_split", (2, 20), default=2, log=True),
            Categorical("bootstrap", [True, False], default=bootstrap_default),
        ]
        if task != REGRESSION:
            hps.append(Categorical("criterion", ["gini", "entropy"], default="gini"))
        return hps + class_weight_space(task)

    return space


def _forest_builder(kind: str) -> Callable[[dict[str, Any], BuildContext], Any]:
    def build(p: dict[str, Any], ctx: BuildContext) -> Any:
        from automl.space.families import forest_prediction as forests

        names = {
            ("rf", True): forests.FastRandomForestClassifier,
            ("rf", False): forests.FastRandomForestRegressor,
            ("et", True): forests.FastExtraTreesClassifier,
            ("et", False): forests.FastExtraTreesRegressor,
        }
        n_features = max(1, ctx.n_features)
        max_features = max(1, min(n_features, round(n_features ** p["max_features_exponent"])))
        extra = {"criterion": p["criterion"]} if ctx.is_classification else {}
        return names[(kind, ctx.is_classification)](
            n_estimators=p["n_estimators"],
            max_features=max_features,
            min_samples_leaf=p["min_samples_leaf"],
            min_samples_split=p["min_samples_split"],
            bootstrap=p["bootstrap"],
            n_jobs=ctx.n_threads,
            random_state=ctx.random_state,
            **extra,
            **class_weight(p),
        )

    return build


RANDOM_FOREST = ModelFamily(
    "random_forest",
    True,
    True,
    _forest_space(True),
    _forest_builder("rf"),
    low_cost={"n_estimators": 10},
    preload=("sklearn.ensemble", "automl.space.families.forest_prediction"),
    group="trees",
    sparse_input=True,
)
EXTRA_TREES = ModelFamily(
    "extra_trees",
    True,
    True,
    _forest_space(False),
    _forest_builder("et"),
    low_cost={"n_estimators": 10},
    preload=("sklearn.ensemble", "automl.space.families.forest_prediction"),
    group="trees",
    sparse_input=True,
)
