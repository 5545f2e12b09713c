"""Families outside the boosting, tree and linear groups: k-nearest neighbours, a multilayer
perceptron, a kernel SVM and Gaussian naive Bayes."""

from __future__ import annotations

from typing import Any

from ConfigSpace import Categorical, Float, Integer
from ConfigSpace.hyperparameters import Hyperparameter

from automl.data import REGRESSION
from automl.space.families.common import class_weight, class_weight_space, scaled_target
from automl.space.family import BuildContext, ModelFamily


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
    return scaled_target(neural_network.MLPRegressor(**options))


def _svm_space(task: str) -> list[Hyperparameter]:
    hps: list[Hyperparameter] = [
        Float("C", (0.03, 1000.0), default=1.0, log=True),
        # gamma = multiplier / n_features: 1.0 is scikit-learn's "scale" on standardized data
        Float("gamma_multiplier", (1e-3, 1e3), default=1.0, log=True),
        *class_weight_space(task),
    ]
    if task == REGRESSION:
        hps.append(Float("epsilon", (1e-3, 1.0), default=0.1, log=True))
    return hps


def _build_svm(p: dict[str, Any], ctx: BuildContext) -> Any:
    from automl.space.families.svm_prediction import FastSVC, FastSVR

    gamma = p["gamma_multiplier"] / max(1, ctx.n_features)
    if ctx.is_classification:
        return FastSVC(
            C=p["C"],
            gamma=gamma,
            probability=True,
            random_state=ctx.random_state,
            **class_weight(p),
        )
    return scaled_target(FastSVR(C=p["C"], gamma=gamma, epsilon=p["epsilon"]))


def _naive_bayes_space(task: str) -> list[Hyperparameter]:
    return [Float("var_smoothing", (1e-12, 1e-1), default=1e-9, log=True)]


def _build_naive_bayes(p: dict[str, Any], ctx: BuildContext) -> Any:
    from sklearn.naive_bayes import GaussianNB

    return GaussianNB(var_smoothing=p["var_smoothing"])


KNN = ModelFamily(
    "knn",
    True,
    True,
    _knn_space,
    _build_knn,
    needs_scaling=True,
    max_rows=100_000,
    low_cost={"n_neighbors": 5},
    preload=("sklearn.neighbors",),
    sample_weight=False,  # KNeighbors* fit takes no weights
    sparse_input=True,
)
MLP = ModelFamily(
    "mlp",
    True,
    True,
    _mlp_space,
    _build_mlp,
    needs_scaling=True,
    low_cost={"hidden_units": 16},
    preload=("sklearn.neural_network",),
    sparse_input=True,
)
SVM = ModelFamily(
    "svm",
    True,
    True,
    _svm_space,
    _build_svm,
    needs_scaling=True,
    max_rows=5_000,
    preload=("automl.space.families.svm_prediction",),
    sparse_input=True,
)
NAIVE_BAYES = ModelFamily(
    "naive_bayes",
    True,
    False,
    _naive_bayes_space,
    _build_naive_bayes,
    preload=("sklearn.naive_bayes",),
)
