"""The systems ``benchmarks.run`` compares, and how each one is fitted.

A system is a fit function plus what the benchmark needs to know about it: whether it gets the
time budget, how the report names it, and an optional package it needs. To compare another
system, write its fit function and add it to ``SYSTEMS``; the run, the CSV and the report
pick it up from there.

The baselines get the data exactly as loaded, with only what they need to run at all (see
``lightgbm_frame`` and ``HGBPrep``); such changes are returned as notes.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from benchmarks.common import METRIC_FOR_TASK, unseen_metabase

HGB_MAX_CATEGORIES = 255  # HistGradientBoosting's limit on a native categorical feature


@dataclass
class Fitted:
    """A fitted system. ``predict(X_test)`` returns (classes, predict_proba) for classification
    and (None, predict) for regression."""

    predict: Callable[[Any], tuple[Any, Any]]
    n_trials: int | None = None
    best_score: float | None = None  # the system's own validation score (FLAML: its loss)
    best_config: str | None = None  # JSON, cut at 1000 characters
    notes: str | None = None  # what was changed to make it run
    final_model: str | None = None  # automl: what the final model is, and its members


FitFunction = Callable[..., Fitted]  # (task, X, y, *, dataset, seed, budget, n_jobs) -> Fitted


@dataclass(frozen=True)
class System:
    name: str
    label: str  # how the report names it as a baseline
    fit: FitFunction
    budgeted: bool  # receives the time budget (the others are fitted once, untuned)
    requires: str | None = None  # a module that must be importable, else the system is skipped
    # a peer virtual environment (../shared/peers/setup_peers.sh) to run it in, when it exists
    peer: str | None = None


def _budget_value(budget: float) -> float | int:
    return int(budget) if float(budget).is_integer() else budget


def _predictor(
    model: Any, classification: bool, prepare: Callable[[Any], Any] = lambda X: X
) -> Callable[[Any], tuple[Any, Any]]:
    def predict(X: Any) -> tuple[Any, Any]:
        X = prepare(X)
        if classification:
            return model.classes_, model.predict_proba(X)
        return None, model.predict(X)

    return predict


def short_json(obj: Any, limit: int = 1000) -> str | None:
    if obj is None:
        return None
    try:
        text = json.dumps(obj, default=str, sort_keys=True)
    except Exception:  # noqa: BLE001 - best effort, it is only a note
        text = repr(obj)
    return text if len(text) <= limit else text[: limit - 3] + "..."


# ------------------------------------------------------------------ automl


def fit_automl(
    task: str,
    X: Any,
    y: Any,
    *,
    dataset: str,
    seed: int,
    budget: float,
    n_jobs: int,
    preset: str = "default",
    **params: Any,
) -> Fitted:
    from automl import AutoMLClassifier, AutoMLRegressor

    classification = task != "regression"
    cls = AutoMLClassifier if classification else AutoMLRegressor
    model = cls(
        time_budget=_budget_value(budget),
        preset=preset,
        n_jobs=n_jobs,
        random_state=seed,
        verbose=0,
        history=None,  # each run independent: no resuming from earlier runs
        warm_start=unseen_metabase(dataset),
        **params,
    )
    model.fit(X, y)
    return Fitted(
        _predictor(model, classification),
        n_trials=len(getattr(model, "trials_", []) or []),
        best_score=getattr(model, "best_score_", None),
        best_config=short_json(getattr(model, "best_config_", None)),
        final_model=final_model_summary(model),
    )


def final_model_summary(model: Any) -> str:
    """``refit_`` in words, then each member's family and weight: where a score came from."""
    members = ", ".join(
        f"{m['model']} {m['weight']:.2f}" for m in (getattr(model, "ensemble_", None) or [])
    )
    return f"{model.refit_}; members: {members}" if members else str(model.refit_)


# ------------------------------------------------------------------ default LightGBM


def text_to_category(X: Any) -> Any:
    """Guard: any remaining text column becomes ``category`` (the loader should already do it)."""
    import pandas as pd

    X = X.copy()
    for col in X.columns:
        dtype = X[col].dtype
        if (
            not isinstance(dtype, pd.CategoricalDtype)
            and not pd.api.types.is_numeric_dtype(dtype)
            and not pd.api.types.is_bool_dtype(dtype)
        ):
            X[col] = X[col].astype("category")
    return X


def lightgbm_frame(X: Any) -> Any:
    """LightGBM refuses feature names with JSON special characters (``"`` ``,`` ``:`` ``[``
    ``]`` ``{`` ``}``; e.g. spambase has ``char_freq_[``). Rename such columns, keeping them
    unique; nothing else is changed, so this is still LightGBM's default behaviour."""
    import re

    bad = re.compile(r'[\[\]{}",:]')
    if not any(bad.search(str(c)) for c in X.columns):
        return X
    names, seen = [], set()
    for i, c in enumerate(X.columns):
        new = bad.sub("_", str(c))
        if new in seen:
            new = f"{new}_{i}"
        seen.add(new)
        names.append(new)
    X = X.copy()
    X.columns = names
    return X


def fit_lightgbm(
    task: str, X: Any, y: Any, *, dataset: str, seed: int, budget: float, n_jobs: int
) -> Fitted:
    import lightgbm

    classification = task != "regression"
    cls = lightgbm.LGBMClassifier if classification else lightgbm.LGBMRegressor
    model = cls(random_state=seed, n_jobs=n_jobs, verbose=-1)
    model.fit(lightgbm_frame(text_to_category(X)), y)
    return Fitted(
        _predictor(model, classification, lambda Xt: lightgbm_frame(text_to_category(Xt)))
    )


# ------------------------------------------------------------------ default HistGradientBoosting


class HGBPrep:
    """Make a DataFrame acceptable to ``HistGradientBoosting*(categorical_features="from_dtype")``.

    HGB raises on (a) a ``category`` column with more than 255 categories ("expected to have a
    cardinality <= 255") and (b) a column whose values are all missing (numeric all-NaN columns
    fail inside the binner). So, decided on the training data only:
    (a) such high-cardinality categoricals are replaced by their float category codes (missing
        stays NaN; the codes are consistent between train and test because both share the same
        ``CategoricalDtype``), i.e. HGB treats them as ordinal numeric features;
    (b) all-missing columns are dropped (they carry no information).
    Low-cardinality categoricals stay ``category`` and are handled natively by HGB.
    """

    def fit(self, X: Any) -> HGBPrep:
        import pandas as pd

        self.drop_ = [c for c in X.columns if X[c].isna().all()]
        self.ordinal_ = [
            c
            for c in X.columns
            if c not in self.drop_
            and isinstance(X[c].dtype, pd.CategoricalDtype)
            and len(X[c].cat.categories) > HGB_MAX_CATEGORIES
        ]
        return self

    def transform(self, X: Any) -> Any:
        import numpy as np

        X = X.drop(columns=self.drop_)
        if self.ordinal_:
            X = X.copy()
            for c in self.ordinal_:
                codes = X[c].cat.codes.astype("float64")
                X[c] = codes.where(codes >= 0, np.nan)
        return X

    def notes(self) -> str:
        parts = []
        if self.drop_:
            parts.append(f"hgb dropped all-missing {self.drop_}")
        if self.ordinal_:
            parts.append(f"hgb ordinal-encoded >255-category {self.ordinal_}")
        return "; ".join(parts)


def fit_hgb(
    task: str, X: Any, y: Any, *, dataset: str, seed: int, budget: float, n_jobs: int
) -> Fitted:
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
    from threadpoolctl import threadpool_limits

    classification = task != "regression"
    X = text_to_category(X)
    prep = HGBPrep().fit(X)
    cls = HistGradientBoostingClassifier if classification else HistGradientBoostingRegressor
    model = cls(random_state=seed, categorical_features="from_dtype")
    # HGB has no n_jobs: it uses every OpenMP thread. Cap it at n_jobs for a fair comparison.
    with threadpool_limits(limits=n_jobs, user_api="openmp"):
        model.fit(prep.transform(X), y)
    predict = _predictor(model, classification, lambda Xt: prep.transform(text_to_category(Xt)))

    def capped_predict(Xt: Any) -> tuple[Any, Any]:
        with threadpool_limits(limits=n_jobs, user_api="openmp"):
            return predict(Xt)

    return Fitted(capped_predict, notes=prep.notes())


# ------------------------------------------------------------------ FLAML


def fit_flaml(
    task: str, X: Any, y: Any, *, dataset: str, seed: int, budget: float, n_jobs: int
) -> Fitted:
    from flaml import AutoML

    classification = task != "regression"
    model = AutoML()
    model.fit(
        X,
        y,
        task="classification" if classification else "regression",
        time_budget=_budget_value(budget),
        n_jobs=n_jobs,
        metric=METRIC_FOR_TASK[task],
        seed=seed,
        verbose=0,
    )
    history = getattr(model, "config_history", None)
    return Fitted(
        _predictor(model, classification),
        n_trials=len(history) if history is not None else None,
        best_score=getattr(model, "best_loss", None),  # a loss, e.g. 1 - roc_auc
        best_config=short_json(
            {
                "estimator": getattr(model, "best_estimator", None),
                "config": getattr(model, "best_config", None),
            }
        ),
    )


# ------------------------------------------------------------------ AutoGluon


AUTOGLUON_METRIC = {
    "binary": "roc_auc",
    "multiclass": "log_loss",
    "regression": "root_mean_squared_error",
}


def _autogluon(preset: str) -> FitFunction:
    def fit_autogluon(
        task: str, X: Any, y: Any, *, dataset: str, seed: int, budget: float, n_jobs: int
    ) -> Fitted:
        import atexit
        import shutil
        import tempfile

        from autogluon.tabular import TabularPredictor

        label = "__target__"
        while label in X.columns:
            label += "_"
        train = X.copy()
        train[label] = y.to_numpy() if hasattr(y, "to_numpy") else y
        path = tempfile.mkdtemp(prefix="autogluon-")  # it writes its models there
        atexit.register(shutil.rmtree, path, True)
        predictor = TabularPredictor(
            label=label,
            problem_type=task,
            eval_metric=AUTOGLUON_METRIC[task],
            path=path,
            verbosity=0,
        )
        predictor.fit(
            train, time_limit=_budget_value(budget), presets=preset, num_cpus=n_jobs, num_gpus=0
        )

        def predict(Xt: Any) -> tuple[Any, Any]:
            if task == "regression":
                return None, predictor.predict(Xt).to_numpy()
            proba = predictor.predict_proba(Xt, as_multiclass=True)
            return list(proba.columns), proba.to_numpy()

        board = predictor.leaderboard(silent=True)
        return Fitted(
            predict,
            n_trials=len(board),
            best_score=float(board["score_val"].iloc[0]) if len(board) else None,
            best_config=short_json({"best": predictor.model_best, "preset": preset}),
        )

    fit_autogluon.__name__ = f"fit_autogluon_{preset}"
    return fit_autogluon


SYSTEMS: dict[str, System] = {
    s.name: s
    for s in [
        System("automl", "automl", fit_automl, budgeted=True),
        System(
            "automl_fast",
            "automl preset fast_predict",
            partial(fit_automl, preset="fast_predict"),
            budgeted=True,
        ),
        System(
            "automl_best",
            "automl preset best_quality",
            partial(fit_automl, preset="best_quality"),
            budgeted=True,
        ),
        System(
            "automl_uncapped",
            "automl without the default's latency cap",
            partial(fit_automl, ensemble_max_latency=None),
            budgeted=True,
        ),
        System(
            "automl_rs",
            "automl with reshuffle_splits=True",
            partial(fit_automl, reshuffle_splits=True),
            budgeted=True,
        ),
        System("lightgbm", "default LightGBM", fit_lightgbm, budgeted=False),
        System("hgb", "default HistGradientBoosting", fit_hgb, budgeted=False),
        System(
            "flaml", "FLAML (same budget)", fit_flaml, budgeted=True, requires="flaml", peer="flaml"
        ),
        System(
            "autogluon",
            "AutoGluon medium_quality (same budget)",
            _autogluon("medium_quality"),
            budgeted=True,
            requires="autogluon.tabular",
            peer="autogluon",
        ),
        System(
            "autogluon_best",
            "AutoGluon best_quality (same budget)",
            _autogluon("best_quality"),
            budgeted=True,
            requires="autogluon.tabular",
            peer="autogluon",
        ),
    ]
}
BUDGETED = tuple(name for name, s in SYSTEMS.items() if s.budgeted)
BASELINES = tuple(name for name in SYSTEMS if not name.startswith("automl"))
