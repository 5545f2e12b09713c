"""Model families: each one's own hyperparameter names, ranges, defaults and builder.

A family's hyperparameter names are ours, not the library's: the builder translates them, so a
library renaming an argument changes one builder, never a stored configuration.
Each family carries a good default (tried first) and a low-cost start (few trees, few leaves)
for search strategies that grow cost gradually.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from ConfigSpace import Categorical, Float, Integer
from ConfigSpace.hyperparameters import Hyperparameter

from automl.data import REGRESSION

# Regularization values at the bottom of their (log) range mean "none": a log scale cannot hold 0.
_OFF = 1e-10


def _off(value: float) -> float:
    return 0.0 if value <= 1e-8 else float(value)


@dataclass(frozen=True)
class BuildContext:
    """What a builder may know about the data and the machine (never about budgets)."""

    task: str
    n_rows: int
    n_features: int
    n_threads: int = 1
    random_state: int = 0

    @property
    def is_classification(self) -> bool:
        return self.task != REGRESSION


@dataclass(frozen=True)
class ModelFamily:
    """One model family as the pipeline space sees it."""

    name: str
    classification: bool
    regression: bool
    hyperparameters: Callable[[str], list[Hyperparameter]]  # task -> our own hyperparameters
    build: Callable[[dict[str, Any], BuildContext], Any]  # our values -> unfitted estimator
    native_categorical: bool = False  # takes pandas categories as they are
    needs_scaling: bool = False
    max_rows: int | None = None  # offered only on data up to this size
    low_cost: dict[str, Any] = field(default_factory=dict)

    def supports(self, task: str) -> bool:
        return self.regression if task == REGRESSION else self.classification


# ------------------------------------------------------------------------ gradient boosting


def _lightgbm_space(task: str) -> list[Hyperparameter]:
    return [
        Integer("n_estimators", (10, 4000), default=100, log=True),
        Float("learning_rate", (0.005, 0.5), default=0.1, log=True),
        Integer("num_leaves", (4, 1024), default=31, log=True),
        Integer("min_child_samples", (2, 200), default=20, log=True),
        Float("subsample", (0.5, 1.0), default=1.0),
        Float("colsample", (0.3, 1.0), default=1.0),
        Float("reg_alpha", (_OFF, 10.0), default=_OFF, log=True),
        Float("reg_lambda", (_OFF, 10.0), default=_OFF, log=True),
    ]


def _build_lightgbm(p: dict[str, Any], ctx: BuildContext) -> Any:
    import lightgbm

    cls = lightgbm.LGBMClassifier if ctx.is_classification else lightgbm.LGBMRegressor
    return cls(
        n_estimators=p["n_estimators"],
        learning_rate=p["learning_rate"],
        num_leaves=p["num_leaves"],
        min_child_samples=p["min_child_samples"],
        subsample=p["subsample"],
        subsample_freq=1 if p["subsample"] < 1.0 else 0,
        colsample_bytree=p["colsample"],
        reg_alpha=_off(p["reg_alpha"]),
        reg_lambda=_off(p["reg_lambda"]),
        n_jobs=ctx.n_threads,
        random_state=ctx.random_state,
        verbose=-1,
    )


def _xgboost_space(task: str) -> list[Hyperparameter]:
    return [
        Integer("n_estimators", (10, 4000), default=100, log=True),
        Float("learning_rate", (0.005, 1.0), default=0.3, log=True),
        Integer("max_depth", (1, 12), default=6),
        Float("min_child_weight", (0.01, 100.0), default=1.0, log=True),
        Float("subsample", (0.5, 1.0), default=1.0),
        Float("colsample", (0.3, 1.0), default=1.0),
        Float("reg_alpha", (_OFF, 10.0), default=_OFF, log=True),
        Float("reg_lambda", (0.001, 100.0), default=1.0, log=True),
    ]


def _build_xgboost(p: dict[str, Any], ctx: BuildContext) -> Any:
    import xgboost

    cls = xgboost.XGBClassifier if ctx.is_classification else xgboost.XGBRegressor
    return cls(
        n_estimators=p["n_estimators"],
        learning_rate=p["learning_rate"],
        max_depth=p["max_depth"],
        min_child_weight=p["min_child_weight"],
        subsample=p["subsample"],
        colsample_bytree=p["colsample"],
        reg_alpha=_off(p["reg_alpha"]),
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
        Float("l2_regularization", (_OFF, 10.0), default=_OFF, log=True),
        Float("max_features", (0.3, 1.0), default=1.0),
    ]


def _build_hgb(p: dict[str, Any], ctx: BuildContext) -> Any:
    from sklearn import ensemble

    cls = (
        ensemble.HistGradientBoostingClassifier
        if ctx.is_classification
        else ensemble.HistGradientBoostingRegressor
    )
    return cls(
        max_iter=p["max_iter"],
        learning_rate=p["learning_rate"],
        max_leaf_nodes=p["max_leaf_nodes"],
        min_samples_leaf=p["min_samples_leaf"],
        l2_regularization=_off(p["l2_regularization"]),
        max_features=p["max_features"],
        categorical_features="from_dtype",
        # scikit-learn's default ("auto") switches early stopping on above 10,000 rows: a refit
        # on all rows would then build another model than the folds validated, and its
        # absolute tolerance (1e-7) stops a target on a 1e-4 scale after ~10 rounds.
        early_stopping=False,
        random_state=ctx.random_state,
    )


# ------------------------------------------------------------------------ bagged trees


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
        return hps

    return space


def _forest_builder(kind: str) -> Callable[[dict[str, Any], BuildContext], Any]:
    def build(p: dict[str, Any], ctx: BuildContext) -> Any:
        from sklearn import ensemble

        names = {
            ("rf", True): ensemble.RandomForestClassifier,
            ("rf", False): ensemble.RandomForestRegressor,
            ("et", True): ensemble.ExtraTreesClassifier,
            ("et", False): ensemble.ExtraTreesRegressor,
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
        )

    return build


# ------------------------------------------------------------------------ linear


def _logistic_space(task: str) -> list[Hyperparameter]:
    return [
        Float("C", (1e-4, 1e4), default=1.0, log=True),
        Categorical("class_weight", ["none", "balanced"], default="none"),
    ]


def _build_logistic(p: dict[str, Any], ctx: BuildContext) -> Any:
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(
        C=p["C"],
        class_weight=None if p["class_weight"] == "none" else "balanced",
        max_iter=1000,
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

    return _scaled_target(
        ElasticNet(alpha=p["alpha"], l1_ratio=p["l1_ratio"], max_iter=5000, random_state=0)
    )


# ------------------------------------------------------------------------ other families


def _knn_space(task: str) -> list[Hyperparameter]:
    return [
        Integer("n_neighbors", (1, 100), default=5, log=True),
        Categorical("weights", ["uniform", "distance"], default="uniform"),
        Categorical("p", [1, 2], default=2),
    ]


def _build_knn(p: dict[str, Any], ctx: BuildContext) -> Any:
    from sklearn import neighbors

    cls = neighbors.KNeighborsClassifier if ctx.is_classification else neighbors.KNeighborsRegressor
    # more neighbours than training rows is an error; small folds must still work
    n_neighbors = max(1, min(p["n_neighbors"], int(ctx.n_rows * 0.6)))
    return cls(n_neighbors=n_neighbors, weights=p["weights"], p=p["p"], n_jobs=ctx.n_threads)


def _mlp_space(task: str) -> list[Hyperparameter]:
    return [
        Integer("hidden_units", (16, 512), default=100, log=True),
        Integer("n_layers", (1, 3), default=1),
        Float("alpha", (1e-7, 1e-1), default=1e-4, log=True),
        Float("learning_rate_init", (1e-4, 1e-1), default=1e-3, log=True),
    ]


def _build_mlp(p: dict[str, Any], ctx: BuildContext) -> Any:
    from sklearn import neural_network

    options = dict(
        hidden_layer_sizes=(p["hidden_units"],) * p["n_layers"],
        alpha=p["alpha"],
        learning_rate_init=p["learning_rate_init"],
        # No early stopping: it was on from 500 rows, so cross-validation folds (460 rows of
        # diabetes) trained without it and the refit on all rows (576) with it -- and with a
        # small learning rate, early stopping ends training after a few epochs: CV AUC 0.79,
        # refit test AUC 0.19. A model must be built the same way for every fit of a trial.
        early_stopping=False,
        max_iter=200,
        random_state=ctx.random_state,
    )
    if ctx.is_classification:
        return neural_network.MLPClassifier(**options)
    return _scaled_target(neural_network.MLPRegressor(**options))


def _svm_space(task: str) -> list[Hyperparameter]:
    hps: list[Hyperparameter] = [
        Float("C", (0.03, 1000.0), default=1.0, log=True),
        # gamma = multiplier / n_features: 1.0 is scikit-learn's "scale" on standardized data
        Float("gamma_multiplier", (1e-3, 1e3), default=1.0, log=True),
    ]
    if task == REGRESSION:
        hps.append(Float("epsilon", (1e-3, 1.0), default=0.1, log=True))
    return hps


def _build_svm(p: dict[str, Any], ctx: BuildContext) -> Any:
    from sklearn import svm

    gamma = p["gamma_multiplier"] / max(1, ctx.n_features)
    if ctx.is_classification:
        return svm.SVC(C=p["C"], gamma=gamma, probability=True, random_state=ctx.random_state)
    return _scaled_target(svm.SVR(C=p["C"], gamma=gamma, epsilon=p["epsilon"]))


def _naive_bayes_space(task: str) -> list[Hyperparameter]:
    return [Float("var_smoothing", (1e-12, 1e-1), default=1e-9, log=True)]


def _build_naive_bayes(p: dict[str, Any], ctx: BuildContext) -> Any:
    from sklearn.naive_bayes import GaussianNB

    return GaussianNB(var_smoothing=p["var_smoothing"])


def _scaled_target(regressor: Any) -> Any:
    """Standardize y for models whose fit depends on the target's scale."""
    from sklearn.compose import TransformedTargetRegressor
    from sklearn.preprocessing import StandardScaler

    return TransformedTargetRegressor(regressor=regressor, transformer=StandardScaler())


# ------------------------------------------------------------------------ registry

FAMILIES: dict[str, ModelFamily] = {
    family.name: family
    for family in [
        ModelFamily(
            "lightgbm", True, True, _lightgbm_space, _build_lightgbm,
            native_categorical=True, low_cost={"n_estimators": 10, "num_leaves": 4},
        ),
        ModelFamily(
            "hist_gradient_boosting", True, True, _hgb_space, _build_hgb,
            native_categorical=True, low_cost={"max_iter": 10, "max_leaf_nodes": 4},
        ),
        ModelFamily(
            "xgboost", True, True, _xgboost_space, _build_xgboost,
            native_categorical=True, low_cost={"n_estimators": 10, "max_depth": 2},
        ),
        ModelFamily(
            "random_forest", True, True, _forest_space(True), _forest_builder("rf"),
            low_cost={"n_estimators": 10},
        ),
        ModelFamily(
            "extra_trees", True, True, _forest_space(False), _forest_builder("et"),
            low_cost={"n_estimators": 10},
        ),
        ModelFamily(
            "logistic_regression", True, False, _logistic_space, _build_logistic,
            needs_scaling=True,
        ),
        ModelFamily("ridge", False, True, _ridge_space, _build_ridge, needs_scaling=True),
        ModelFamily(
            "elastic_net", False, True, _elastic_net_space, _build_elastic_net, needs_scaling=True
        ),
        ModelFamily(
            "knn", True, True, _knn_space, _build_knn, needs_scaling=True, max_rows=100_000,
            low_cost={"n_neighbors": 5},
        ),
        ModelFamily(
            "mlp", True, True, _mlp_space, _build_mlp, needs_scaling=True,
            low_cost={"hidden_units": 16},
        ),
        ModelFamily(
            "svm", True, True, _svm_space, _build_svm, needs_scaling=True, max_rows=5_000,
        ),
        ModelFamily("naive_bayes", True, False, _naive_bayes_space, _build_naive_bayes),
    ]
}

# Group names users may write in include/exclude, expanded to families.
FAMILY_GROUPS: dict[str, tuple[str, ...]] = {
    "linear": ("logistic_regression", "ridge", "elastic_net"),
    "gbm": ("lightgbm", "xgboost", "hist_gradient_boosting"),
    "trees": ("random_forest", "extra_trees"),
}

# The order defaults are tried in: strongest on typical tabular data first.
DEFAULT_ORDER: tuple[str, ...] = (
    "lightgbm",
    "hist_gradient_boosting",
    "xgboost",
    "extra_trees",
    "random_forest",
    "logistic_regression",
    "ridge",
    "mlp",
    "svm",
    "knn",
    "elastic_net",
    "naive_bayes",
)

BUILTIN_FAMILIES: frozenset[str] = frozenset(FAMILIES)
_registered_order: list[str] = []


def family_order() -> list[str]:
    """Every known family, built-in defaults order first, then registered ones as added."""
    return list(DEFAULT_ORDER) + _registered_order


def register_family(family: ModelFamily) -> None:
    """Offer an extra model family in every search from now on.

    ``family.build`` and ``family.hyperparameters`` must be importable module-level
    functions: trials run in other processes (or on other machines) and receive the family
    by reference. Registering the same family again is a no-op; another family under a
    taken name is an error.
    """
    if not isinstance(family, ModelFamily):
        raise TypeError(f"register_family expects a ModelFamily, got {type(family).__name__}.")
    known = FAMILIES.get(family.name)
    if known is not None:
        if known == family:
            return
        raise ValueError(f"A model family named {family.name!r} already exists.")
    if ":" in family.name or family.name in FAMILY_GROUPS:
        raise ValueError(f"{family.name!r} cannot be a family name (no ':' or group names).")
    FAMILIES[family.name] = family
    _registered_order.append(family.name)


def unregister_family(name: str) -> None:
    """Remove a family added with ``register_family`` (built-in families stay)."""
    if name in BUILTIN_FAMILIES:
        raise ValueError(f"{name!r} is a built-in model family and cannot be removed.")
    FAMILIES.pop(name, None)
    if name in _registered_order:
        _registered_order.remove(name)
