"""Gradient boosting families: LightGBM, XGBoost and scikit-learn's HistGradientBoosting."""

from __future__ import annotations

from typing import Any

from ConfigSpace import Float, Integer
from ConfigSpace.hyperparameters import Hyperparameter

from automl.space.families.common import OFF, class_weight, class_weight_space, off
from automl.space.family import BuildContext, EarlyStopping, ModelFamily


def _lightgbm_space(task: str) -> list[Hyperparameter]:
    return [
        Integer("n_estimators", (10, 4000), default=100, log=True),
        Float("learning_rate", (0.005, 0.5), default=0.1, log=True),
        Integer("num_leaves", (4, 1024), default=31, log=True),
        Integer("min_child_samples", (2, 200), default=20, log=True),
        Float("subsample", (0.5, 1.0), default=1.0),
        Float("colsample", (0.3, 1.0), default=1.0),
        Float("reg_alpha", (OFF, 10.0), default=OFF, log=True),
        Float("reg_lambda", (OFF, 10.0), default=OFF, log=True),
        *class_weight_space(task),
    ]


def _build_lightgbm(p: dict[str, Any], ctx: BuildContext) -> Any:
    from automl.space.families import lightgbm_prediction as fast

    cls = fast.FastLGBMClassifier if ctx.is_classification else fast.FastLGBMRegressor
    return cls(
        n_estimators=p["n_estimators"],
        learning_rate=p["learning_rate"],
        num_leaves=_reachable_leaves(p["num_leaves"], p["min_child_samples"], ctx.n_rows),
        min_child_samples=p["min_child_samples"],
        subsample=p["subsample"],
        subsample_freq=1 if p["subsample"] < 1.0 else 0,
        colsample_bytree=p["colsample"],
        reg_alpha=off(p["reg_alpha"]),
        reg_lambda=off(p["reg_lambda"]),
        n_jobs=ctx.n_threads,
        random_state=ctx.random_state,
        verbose=-1,
        **class_weight(p),
    )


def _reachable_leaves(num_leaves: int, min_child_samples: int, n_rows: int) -> int:
    """``num_leaves`` cut to the most leaves a tree of ``n_rows`` rows can grow (each holds
    at least ``min_child_samples``): the same trees, but LightGBM allocates every tree's
    arrays for ``num_leaves`` leaves, and thousands of trees of 1,024 would-be leaves on a
    few hundred rows take gigabytes for nothing."""
    return max(2, min(num_leaves, n_rows // max(1, min_child_samples)))


def _xgboost_space(task: str) -> list[Hyperparameter]:
    return [
        Integer("n_estimators", (10, 4000), default=100, log=True),
        Float("learning_rate", (0.005, 1.0), default=0.3, log=True),
        Integer("max_depth", (1, 12), default=6),
        Float("min_child_weight", (0.01, 100.0), default=1.0, log=True),
        Float("subsample", (0.5, 1.0), default=1.0),
        Float("colsample", (0.3, 1.0), default=1.0),
        Float("reg_alpha", (OFF, 10.0), default=OFF, log=True),
        Float("reg_lambda", (0.001, 100.0), default=1.0, log=True),
    ]


def _build_xgboost(p: dict[str, Any], ctx: BuildContext) -> Any:
    from automl.space.families import xgboost_prediction as fast

    cls = fast.FastXGBClassifier if ctx.is_classification else fast.FastXGBRegressor
    return cls(
        n_estimators=p["n_estimators"],
        learning_rate=p["learning_rate"],
        max_depth=p["max_depth"],
        min_child_weight=p["min_child_weight"],
        subsample=p["subsample"],
        colsample_bytree=p["colsample"],
        reg_alpha=off(p["reg_alpha"]),
        reg_lambda=p["reg_lambda"],
        tree_method="hist",
        enable_categorical=True,
        max_cat_to_onehot=8,
        n_jobs=ctx.n_threads,
        random_state=ctx.random_state,
        verbosity=0,
    )


def _hgb_space(task: str) -> list[Hyperparameter]:
    return [
        Integer("max_iter", (10, 2000), default=100, log=True),
        Float("learning_rate", (0.01, 1.0), default=0.1, log=True),
        Integer("max_leaf_nodes", (4, 512), default=31, log=True),
        Integer("min_samples_leaf", (1, 200), default=20, log=True),
        Float("l2_regularization", (OFF, 10.0), default=OFF, log=True),
        Float("max_features", (0.3, 1.0), default=1.0),
        *class_weight_space(task),
    ]


def _build_hgb(p: dict[str, Any], ctx: BuildContext) -> Any:
    from automl.space.families import hist_boosting

    cls = (
        hist_boosting.FastHistGradientBoostingClassifier
        if ctx.is_classification
        else hist_boosting.FastHistGradientBoostingRegressor
    )
    return cls(
        max_iter=p["max_iter"],
        learning_rate=p["learning_rate"],
        max_leaf_nodes=p["max_leaf_nodes"],
        min_samples_leaf=p["min_samples_leaf"],
        l2_regularization=off(p["l2_regularization"]),
        max_features=p["max_features"],
        categorical_features="from_dtype",
        # scikit-learn's default ("auto") switches early stopping on above 10,000 rows: a refit
        # on all rows would then build another model than the folds validated, and its
        # absolute tolerance (1e-7) stops a target on a 1e-4 scale after ~10 rounds.
        early_stopping=False,
        random_state=ctx.random_state,
        **class_weight(p),
    )


def _lightgbm_watched(
    model: Any, X: Any, y: Any, X_val: Any, y_val: Any, weight: Any, weight_val: Any, patience: int
) -> int:
    import lightgbm

    model.fit(
        X,
        y,
        sample_weight=weight,
        eval_set=[(X_val, y_val)],
        eval_sample_weight=None if weight_val is None else [weight_val],
        callbacks=[lightgbm.early_stopping(patience, first_metric_only=True, verbose=False)],
    )
    return int(model.best_iteration_ or model.n_estimators)


def _xgboost_watched(
    model: Any, X: Any, y: Any, X_val: Any, y_val: Any, weight: Any, weight_val: Any, patience: int
) -> int:
    model.set_params(early_stopping_rounds=patience)
    model.fit(
        X,
        y,
        sample_weight=weight,
        eval_set=[(X_val, y_val)],
        sample_weight_eval_set=None if weight_val is None else [weight_val],
        verbose=False,
    )
    return int(model.best_iteration) + 1  # predictions stop there too


def _hgb_watched(
    model: Any, X: Any, y: Any, X_val: Any, y_val: Any, weight: Any, weight_val: Any, patience: int
) -> int:
    # tol 0: the default absolute tolerance would stop a target on a small scale at once
    model.set_params(early_stopping=True, n_iter_no_change=patience, tol=0.0, scoring="loss")
    model.fit(X, y, sample_weight=weight, X_val=X_val, y_val=y_val, sample_weight_val=weight_val)
    return int(model.n_iter_)


LIGHTGBM = ModelFamily(
    "lightgbm",
    True,
    True,
    _lightgbm_space,
    _build_lightgbm,
    native_categorical=True,
    low_cost={"n_estimators": 10, "num_leaves": 4},
    openmp=True,
    preload=("lightgbm", "automl.space.families.lightgbm_prediction"),
    group="gbm",
    sparse_input=True,
    early_stopping=EarlyStopping("n_estimators", _lightgbm_watched),
)
HIST_GRADIENT_BOOSTING = ModelFamily(
    "hist_gradient_boosting",
    True,
    True,
    _hgb_space,
    _build_hgb,
    native_categorical=True,
    low_cost={"max_iter": 10, "max_leaf_nodes": 4},
    native_category_limit=255,  # scikit-learn refuses wider categorical features
    openmp=True,
    preload=("automl.space.families.hist_boosting",),
    group="gbm",
    early_stopping=EarlyStopping("max_iter", _hgb_watched),
)
XGBOOST = ModelFamily(
    "xgboost",
    True,
    True,
    _xgboost_space,
    _build_xgboost,
    native_categorical=True,
    low_cost={"n_estimators": 10, "max_depth": 2},
    openmp=True,
    preload=("xgboost", "automl.space.families.xgboost_prediction"),
    group="gbm",
    sparse_input=True,
    early_stopping=EarlyStopping("n_estimators", _xgboost_watched),
)
