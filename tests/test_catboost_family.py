"""The CatBoost family: its scikit-learn wrapper, and how an optional family is offered."""

import pickle

import numpy as np
import pandas as pd
import pytest

from automl import AutoMLClassifier
from automl.metrics import get_metric
from automl.space import PipelineSpace, build_pipeline, preload_modules
from automl.space import family as family_module
from automl.training_data import prepare_training_data
from automl.trials.evaluation import describe_data, evaluate
from automl.trials.resampling import make_resampling


def _frame(n: int = 300, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(
        {
            "a": rng.normal(size=n),
            "b": rng.normal(size=n),
            "colour": rng.choice(["red", "green", "blue", None], size=n),
        }
    )
    X.loc[::9, "a"] = np.nan
    y = np.where((X["colour"] == "red") ^ (X["b"] > 0.3), "yes", "no")
    return X, y


def _catboost_pipeline(task, prepared, **values):
    config = {**PipelineSpace(task, len(prepared.y)).default_config("catboost"), **values}
    data = describe_data(prepared.X, task, prepared.schema.categorical)
    return build_pipeline(config, data, n_threads=1, random_state=0)


def test_the_wrapper_takes_categories_with_missing_values_and_pickles(tmp_path, monkeypatch):
    pytest.importorskip("catboost")
    monkeypatch.chdir(tmp_path)
    X, y = _frame()
    prepared = prepare_training_data(X, pd.Series(y), classification=True)
    pipeline = _catboost_pipeline("binary", prepared, **{"catboost:iterations": 60})
    pipeline.fit(prepared.X, prepared.y)
    model = pipeline[-1]
    assert model.categorical_ == ["colour"]
    assert list(model.classes_) == [0, 1]
    proba = pipeline.predict_proba(prepared.X)
    assert proba.shape == (300, 2) and np.allclose(proba.sum(axis=1), 1)
    # it learned the categorical interaction (a constant would sit at 0.5)
    assert get_metric("roc_auc", "binary").score(prepared.y, proba) > 0.9
    # category codes are looked up as strings; the same column as strings gives the same
    as_strings = prepared.X.astype({"colour": object})
    assert np.array_equal(pipeline.predict_proba(as_strings), proba)
    again = pickle.loads(pickle.dumps(pipeline))
    assert np.array_equal(again.predict_proba(prepared.X), proba)
    assert list(tmp_path.iterdir()) == []  # no catboost_info folder left behind


def test_catboost_trials_score_weights_and_stop_early():
    pytest.importorskip("catboost")
    rng = np.random.default_rng(1)
    X = pd.DataFrame({"a": rng.normal(size=600), "c": rng.choice(list("pqr"), size=600)})
    y = X["a"] * 3 + (X["c"] == "p") + rng.normal(scale=0.5, size=600)
    prepared = prepare_training_data(X, y, classification=False)
    config = PipelineSpace("regression", 600).default_config("catboost")
    config["catboost:iterations"] = 2000
    config["catboost:learning_rate"] = 0.3

    def run(**options):
        return evaluate(
            0,
            config,
            prepared.X,
            prepared.y,
            task="regression",
            categorical=prepared.schema.categorical,
            n_classes=0,
            resampling=make_resampling(3, task="regression", y=prepared.y),
            metric=get_metric(None, "regression"),
            **options,
        )

    stopped = run(early_stopping=True)
    assert stopped.status == "ok" and stopped.loss < 1.0  # the noise's RMSE is 0.5
    assert stopped.rounds is not None and stopped.rounds < 2000
    weights = np.ones(600)
    weights[:100] = 0.0
    weighted = run(sample_weight=weights)
    assert weighted.status == "ok" and np.isfinite(weighted.loss)


def test_an_uninstalled_family_is_not_offered_and_naming_it_says_how_to_install(monkeypatch):
    real = family_module.importlib.util.find_spec
    monkeypatch.setattr(
        family_module.importlib.util,
        "find_spec",
        lambda name, *a: None if name == "catboost" else real(name, *a),
    )
    space = PipelineSpace("binary", 500)
    assert "catboost" not in space.family_names and "lightgbm" in space.family_names
    assert "catboost" not in preload_modules()
    grouped = PipelineSpace("binary", 500, include="gbm")  # a group: its installed families
    assert grouped.family_names == ["lightgbm", "hist_gradient_boosting", "xgboost"]
    with pytest.raises(ValueError, match=r"names catboost, whose package is not installed: pip"):
        PipelineSpace("binary", 500, include=["catboost", "lightgbm"])


@pytest.mark.slow
def test_a_catboost_only_search_fits_and_predicts(tmp_path, monkeypatch):
    pytest.importorskip("catboost")
    monkeypatch.chdir(tmp_path)
    X, y = _frame(400, seed=2)
    model = AutoMLClassifier(
        include=["catboost"],
        max_trials=3,
        time_budget=60,
        resampling=3,
        n_jobs=1,
        random_state=0,
        history=None,
        warm_start=None,
        verbose=0,
    ).fit(X, y)
    assert {t["model"] for t in model.trials_} == {"catboost"}
    assert model.score(X, y) > 0.85
    assert set(model.predict(X.head(5))) <= {"yes", "no"}
    assert list(tmp_path.iterdir()) == []
