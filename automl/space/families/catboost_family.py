"""CatBoost: gradient boosting on oblivious trees with ordered target statistics for
categorical columns. An optional extra (``pip install automl[catboost]``): searched when the
``catboost`` package is installed, left out of the space otherwise."""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
import pandas as pd
from ConfigSpace import Float, Integer
from ConfigSpace.hyperparameters import Hyperparameter
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin

from automl.space.families.common import class_weight_space, own_watched_fit
from automl.space.family import BuildContext, EarlyStopping, ModelFamily

MISSING = "__missing__"  # CatBoost refuses missing values in a categorical feature


def _catboost_space(task: str) -> list[Hyperparameter]:
    return [
        # fewer rounds than CatBoost's own 1,000 by default: a trial is fitted once per fold
        Integer("iterations", (10, 3000), default=300, log=True),
        Float("learning_rate", (0.01, 0.5), default=0.1, log=True),
        Integer("depth", (2, 10), default=6),
        Float("l2_leaf_reg", (0.1, 30.0), default=3.0, log=True),
        Float("colsample", (0.3, 1.0), default=1.0),
        *class_weight_space(task),
    ]


def _build_catboost(p: dict[str, Any], ctx: BuildContext) -> Any:
    params = {
        "iterations": p["iterations"],
        "learning_rate": p["learning_rate"],
        "depth": p["depth"],
        "l2_leaf_reg": p["l2_leaf_reg"],
        "rsm": p["colsample"],
        "thread_count": ctx.n_threads,
        "random_seed": ctx.random_state,
    }
    if p.get("class_weight") == "balanced":
        params["auto_class_weights"] = "Balanced"
    cls = CatBoostClassifierModel if ctx.is_classification else CatBoostRegressorModel
    return cls(**params)


class _CatBoostModel(BaseEstimator):
    """A scikit-learn estimator around CatBoost that takes the native path's frame as it is:
    pandas categorical columns become CatBoost's categorical features (missing values as
    their own category), the others stay numeric with their missing values."""

    library = "catboost"  # what it calls (the module a trial worker preloads for it)

    def __init__(
        self,
        iterations: int = 300,
        learning_rate: float = 0.1,
        depth: int = 6,
        l2_leaf_reg: float = 3.0,
        rsm: float = 1.0,
        auto_class_weights: str | None = None,
        thread_count: int = 1,
        random_seed: int = 0,
    ) -> None:
        self.iterations = iterations
        self.learning_rate = learning_rate
        self.depth = depth
        self.l2_leaf_reg = l2_leaf_reg
        self.rsm = rsm
        self.auto_class_weights = auto_class_weights
        self.thread_count = thread_count
        self.random_seed = random_seed

    def _model(self, categorical: list[str], **extra: Any) -> Any:
        import catboost

        cls = catboost.CatBoostClassifier if self._classifies else catboost.CatBoostRegressor
        # a regressor takes no auto_class_weights argument, not even None
        weights = {} if self.auto_class_weights is None else {"auto_class_weights": "Balanced"}
        return cls(
            iterations=self.iterations,
            learning_rate=self.learning_rate,
            depth=self.depth,
            l2_leaf_reg=self.l2_leaf_reg,
            rsm=self.rsm,
            thread_count=self.thread_count,
            random_seed=self.random_seed,
            cat_features=categorical or None,
            verbose=False,
            allow_writing_files=False,  # else it writes a catboost_info folder per fit
            **weights,
            **extra,
        )

    def fit(self, X: Any, y: Any, sample_weight: np.ndarray | None = None) -> _CatBoostModel:
        X = self._start(X)
        self.model_ = self._model(self.categorical_)
        self.model_.fit(self._input(X), np.asarray(y), sample_weight=sample_weight)
        return self._fitted()

    def fit_watched(
        self,
        X: Any,
        y: Any,
        X_val: Any,
        y_val: Any,
        weight: np.ndarray | None,
        weight_val: np.ndarray | None,
        patience: int,
    ) -> int:
        """Fit while watching a validation set; stop after ``patience`` rounds without
        improvement and keep the best round. Returns the rounds kept."""
        import catboost

        X = self._start(X)
        self.model_ = self._model(self.categorical_, early_stopping_rounds=patience)
        watched = catboost.Pool(
            self._input(_frame(X_val)),
            np.asarray(y_val),
            cat_features=self.categorical_ or None,
            weight=weight_val,
        )
        self.model_.fit(self._input(X), np.asarray(y), sample_weight=weight, eval_set=watched)
        self._fitted()
        return int(self.model_.get_best_iteration()) + 1

    def _start(self, X: Any) -> pd.DataFrame:
        """``X`` as a frame, its categorical columns noted (CatBoost's ``cat_features``)."""
        X = _frame(X)
        self.categorical_ = [c for c in X.columns if isinstance(X[c].dtype, pd.CategoricalDtype)]
        self.n_features_in_ = X.shape[1]
        return X

    def _fitted(self) -> _CatBoostModel:
        if self._classifies:
            self.classes_ = np.asarray(self.model_.classes_)
        return self

    def predict(self, X: Any) -> np.ndarray:
        prediction = self.model_.predict(self._input(_frame(X)))
        if self._classifies:
            return np.asarray(prediction).reshape(-1)
        return np.asarray(prediction, dtype=float)

    def _input(self, X: pd.DataFrame) -> pd.DataFrame:
        if not self.categorical_:
            return X
        X = X.copy()
        for column in self.categorical_:
            values = X[column]
            if isinstance(values.dtype, pd.CategoricalDtype):
                categories = values.dtype.categories
                labels = _category_labels(str(categories.dtype), tuple(categories))
                X[column] = labels[values.array.codes]
            else:
                X[column] = values.astype(object).where(values.notna(), MISSING).astype(str)
        return X


@functools.lru_cache(maxsize=1024)
def _category_labels(kind: str, categories: tuple[Any, ...]) -> np.ndarray:
    """Each category's string, then MISSING (code -1): a column's strings by lookup, not
    converted row by row on every prediction. Keyed by the categories in order (unordered
    dtypes with the same categories in another order compare equal) and their dtype ``kind``
    ((True,) == (1,) but they print apart)."""
    labels = np.array([str(c) for c in categories] + [MISSING], dtype=object)
    labels.flags.writeable = False
    return labels


class CatBoostClassifierModel(ClassifierMixin, _CatBoostModel):
    _classifies = True

    def predict_proba(self, X: Any) -> np.ndarray:
        return self.model_.predict_proba(self._input(_frame(X)))


class CatBoostRegressorModel(RegressorMixin, _CatBoostModel):
    _classifies = False


def _frame(X: Any) -> pd.DataFrame:
    return X if isinstance(X, pd.DataFrame) else pd.DataFrame(X)


CATBOOST = ModelFamily(
    "catboost",
    True,
    True,
    _catboost_space,
    _build_catboost,
    native_categorical=True,
    low_cost={"iterations": 10, "depth": 2},
    preload=("catboost",),
    group="gbm",
    requires="catboost",
    early_stopping=EarlyStopping("iterations", own_watched_fit),
)
