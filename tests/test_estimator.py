"""The estimators end to end, with small data and a handful of trials."""

import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.datasets import load_breast_cancer, load_diabetes
from sklearn.model_selection import GroupKFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from automl import AutoMLClassifier, AutoMLRegressor

QUICK = dict(n_jobs=1, random_state=0, verbose=0)
# Only the search's deadline stops a trial: on 240 rows a timeout would be load, not the model.
REPRODUCIBLE = dict(
    time_budget=60, max_trials=4, random_state=0, verbose=0, per_trial_time_limit=None
)


@pytest.fixture(scope="module")
def cancer():
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    X, y = X.iloc[:240, :10], y.iloc[:240]
    return X, y.map({0: "malignant", 1: "benign"})


@pytest.fixture(scope="module")
def fitted(cancer):
    X, y = cancer
    return AutoMLClassifier(n_jobs=1, **REPRODUCIBLE).fit(X, y)


@pytest.mark.slow
def test_classifier_fits_ranks_trials_and_predicts_original_labels(fitted, cancer):
    X, y = cancer
    assert set(fitted.classes_) == {"benign", "malignant"}
    assert set(fitted.predict(X.head(20))) <= {"benign", "malignant"}
    proba = fitted.predict_proba(X.head(20))
    assert proba.shape == (20, 2) and np.allclose(proba.sum(axis=1), 1)
    board = fitted.leaderboard()
    assert len(board) == 4 and list(board["rank"]) == [1, 2, 3, 4]
    assert board["roc_auc"].iloc[0] == fitted.best_score_ == board["roc_auc"].max()
    assert board["config"].iloc[0] == fitted.best_config_
    assert fitted.best_config_["model"] == "lightgbm" or fitted.best_score_ > 0.9
    assert fitted.score(X, y) > 0.9
    assert list(fitted.feature_names_in_) == list(X.columns) and fitted.n_features_in_ == 10
    assert "cross-validation" in fitted.resampling_
    for trial in fitted.trials_:  # a result reaches the search after its trial ran
        assert trial["finished"] >= trial["started"] + trial["duration"] - 0.05


@pytest.mark.slow
def test_trials_are_reproducible_with_random_state_and_max_trials(cancer, fitted):
    X, y = cancer
    again = AutoMLClassifier(n_jobs=2, **REPRODUCIBLE).fit(X, y)
    assert [t["config"] for t in fitted.trials_] == [t["config"] for t in again.trials_]
    assert [t["status"] for t in fitted.trials_ + again.trials_] == ["ok"] * 8
    assert [t["score"] for t in again.trials_] == pytest.approx(
        [t["score"] for t in fitted.trials_], rel=1e-9
    )


@pytest.mark.slow
def test_reshuffled_splits_give_the_same_configurations_other_folds(cancer, fitted):
    """Trial 0 keeps the fit's own folds; each later trial is scored on its own shuffle."""
    X, y = cancer
    reshuffled = AutoMLClassifier(n_jobs=1, reshuffle_splits=True, **REPRODUCIBLE).fit(X, y)
    plain, shuffled = fitted.trials_, reshuffled.trials_
    assert [t["status"] for t in shuffled] == ["ok"] * 4
    assert shuffled[0]["config"] == plain[0]["config"]
    assert shuffled[0]["score"] == pytest.approx(plain[0]["score"], rel=1e-9)
    same = [(a, b) for a, b in zip(plain[1:], shuffled[1:]) if a["config"] == b["config"]]
    assert same and any(a["score"] != pytest.approx(b["score"], rel=1e-9) for a, b in same)
    with pytest.raises(ValueError, match="reshuffle_splits=True .* resampling='holdout'"):
        AutoMLClassifier(reshuffle_splits=True, resampling="holdout").fit(X, y)
    with pytest.raises(ValueError, match="reshuffle_splits must be True or False"):
        AutoMLClassifier(reshuffle_splits="yes").fit(X, y)


@pytest.mark.slow
def test_regressor_on_real_data_beats_predicting_the_mean():
    X, y = load_diabetes(return_X_y=True)
    model = AutoMLRegressor(time_budget=60, max_trials=3, **QUICK).fit(X[:300], y[:300])
    assert model.metric_ == "rmse" and model.best_score_ < np.std(y[:300])
    assert model.score(X[300:], y[300:]) > 0.2
    assert not hasattr(model, "feature_names_in_")  # fitted on numpy, as in scikit-learn


@pytest.mark.slow
def test_time_budget_is_kept():
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(3000, 20)))
    y = (X[0] + rng.normal(size=3000) > 0).astype(int)
    budget = 8
    model = AutoMLClassifier(time_budget=budget, n_jobs=2, random_state=0, verbose=0).fit(X, y)
    # no trial is handed out once the budget is spent, and the fit returns within the budget
    # plus its 10 % overrun allowance and 5 s of slack for process start-up and scheduling
    assert model.trials_ and all(t["started"] < budget for t in model.trials_)
    assert model.fit_time_ <= budget * 1.1 + 5
    assert any(t["status"] == "ok" for t in model.trials_) and model.best_config_ is not None


@pytest.mark.slow
def test_missing_columns_at_predict_are_named_and_reordering_is_silent(fitted, cancer):
    X, _ = cancer
    assert np.array_equal(fitted.predict_proba(X[X.columns[::-1]]), fitted.predict_proba(X))
    with pytest.raises(ValueError, match="mean radius"):
        fitted.predict(X.drop(columns=["mean radius"]))


@pytest.mark.slow
def test_pickle_round_trip_gives_identical_predictions(fitted, cancer):
    X, _ = cancer
    restored = pickle.loads(pickle.dumps(fitted))
    assert np.array_equal(restored.predict_proba(X), fitted.predict_proba(X))


@pytest.mark.slow
def test_categorical_and_missing_data_with_unseen_categories():
    rng = np.random.default_rng(0)
    n = 300
    X = pd.DataFrame(
        {
            "colour": rng.choice(["red", "green", "blue"], size=n),
            "size": rng.normal(size=n),
            "when": pd.date_range("2021-01-01", periods=n, freq="D"),
        }
    )
    X.loc[::9, "size"] = np.nan
    y = np.where((X["colour"] == "red") | (X["size"] > 1), "yes", "no")
    model = AutoMLClassifier(time_budget=60, max_trials=3, **QUICK).fit(X, y)
    assert model.best_config_ is not None  # a searched model, not the constant fallback
    new = X.head(4).assign(colour=["purple", "red", None, "blue"])
    assert len(model.predict(new)) == 4


@pytest.mark.slow
def test_works_in_sklearn_tooling(cancer):
    X, y = cancer
    estimator = AutoMLClassifier(
        time_budget=30, max_trials=1, include="logistic_regression", **QUICK
    )
    assert clone(estimator).get_params() == estimator.get_params()
    scores = cross_val_score(make_pipeline(StandardScaler(), estimator), X, y, cv=2)
    assert scores.min() > 0.85
    estimator.set_params(max_trials=2)
    assert estimator.max_trials == 2


@pytest.mark.slow
def test_group_resampling(cancer):
    X, y = cancer
    groups = np.arange(len(y)) // 10
    model = AutoMLClassifier(
        time_budget=30,
        max_trials=1,
        resampling=GroupKFold(3),
        include="logistic_regression",
        **QUICK,
    ).fit(X, y, groups=groups)
    assert "GroupKFold" in model.resampling_
    assert [t["status"] for t in model.trials_] == ["ok"] and model.score(X, y) > 0.85


@pytest.mark.slow
def test_include_restricts_the_families_tried(cancer):
    X, y = cancer
    model = AutoMLClassifier(
        time_budget=30, max_trials=3, include=["knn", "naive_bayes"], **QUICK
    ).fit(X, y)
    assert [t["status"] for t in model.trials_] == ["ok"] * 3
    assert {t["config"]["model"] for t in model.trials_} <= {"knn", "naive_bayes"}
    assert model.best_config_["model"] in {"knn", "naive_bayes"}


@pytest.mark.parametrize(
    "params, error, message",
    [
        ({"time_budget": 0}, ValueError, "time_budget"),
        ({"n_jobs": 0}, ValueError, "n_jobs"),
        ({"max_trials": -1}, ValueError, "max_trials"),
        ({"strategy": "genetic"}, ValueError, "strategy must be one of"),
        ({"successive_halving": "sometimes"}, ValueError, "successive_halving"),
        ({"metric": "rmse"}, ValueError, "for regression"),
        ({"metric": "nonsense"}, ValueError, "Unknown metric"),
        ({"resampling": "sometimes"}, ValueError, "resampling"),
        ({"include": ["lgbm"]}, ValueError, "unknown model family"),
        ({"random_state": -3}, ValueError, "random_state"),
        ({"per_trial_time_limit": "long"}, ValueError, "per_trial_time_limit"),
        ({"ensemble_size": 0}, ValueError, "ensemble_size"),
        ({"ensemble_max_members": 0}, ValueError, "ensemble_max_members"),
        ({"ensemble_max_latency": -1}, ValueError, "ensemble_max_latency"),
    ],
)
def test_bad_parameters_are_explained(params, error, message):
    X = np.random.default_rng(0).normal(size=(20, 2))
    with pytest.raises(error, match=message):
        AutoMLClassifier(**{**QUICK, "time_budget": 10, **params}).fit(X, np.arange(20) % 2)


def test_predict_before_fit_is_a_not_fitted_error():
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        AutoMLRegressor().predict(np.ones((2, 2)))


@pytest.mark.slow
@pytest.mark.parametrize("strategy", ["bo", "evolution"])
def test_search_beyond_the_defaults_is_reproducible_with_parallel_workers(cancer, strategy):
    X, y = cancer
    runs = [
        AutoMLClassifier(
            time_budget=120,
            max_trials=14,
            n_jobs=2,
            random_state=3,
            strategy=strategy,
            include=["logistic_regression", "naive_bayes", "knn"],
            verbose=0,
        ).fit(X, y)
        for _ in range(2)
    ]
    first, second = ([t["config"] for t in run.trials_] for run in runs)
    assert len(first) == 14
    assert sorted(first, key=str) == sorted(second, key=str)
    # trial ids name the same configurations, whatever order they finished in
    by_id = [{t["trial_id"]: t["config"] for t in run.trials_} for run in runs]
    assert by_id[0] == by_id[1]


@pytest.mark.slow
def test_successive_halving_runs_low_fidelity_trials_and_refits_a_full_one(monkeypatch):
    from automl.search import halving

    monkeypatch.setattr(halving, "MIN_RUNG_ROWS", 150)  # rungs of 1/9, 1/3 and all of ~1,400 rows
    rng = np.random.default_rng(0)
    X = rng.normal(size=(1800, 6))
    y = (X[:, 0] + X[:, 1] ** 2 + rng.normal(scale=0.5, size=1800) > 1).astype(int)
    model = AutoMLClassifier(
        time_budget=60,
        max_trials=30,
        n_jobs=2,
        random_state=0,
        successive_halving=True,
        resampling="holdout",
        include=["lightgbm", "logistic_regression", "naive_bayes"],
        verbose=0,
    ).fit(X, y)
    fidelities = [t["fidelity"] for t in model.trials_]
    assert set(fidelities) == {1 / 9, 1 / 3, 1.0}
    assert fidelities.count(1 / 9) > fidelities.count(1 / 3) > fidelities.count(1.0) >= 1
    board = model.leaderboard()
    assert board["fidelity"].iloc[0] == 1.0
    full = [t for t in model.trials_ if t["fidelity"] == 1.0 and t["status"] == "ok"]
    assert model.best_config_ == min(full, key=lambda t: t["loss"])["config"]
    assert model.score(X, y) > 0.8
