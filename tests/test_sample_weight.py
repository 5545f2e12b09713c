"""fit(X, y, sample_weight=...): weights reach the fits and the scores, never the splits.

Weight 0 on some rows gives exactly the trials of the data without them (same splits); integer
weights give nearly the trials of the data with rows repeated that many times; bad weights are
a clear error before any search starts.
"""

import joblib
import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer, TransformedTargetRegressor
from sklearn.datasets import load_breast_cancer, load_diabetes
from sklearn.impute import SimpleImputer
from sklearn.linear_model import Ridge
from sklearn.model_selection import PredefinedSplit
from sklearn.neighbors import KNeighborsRegressor
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from automl import AutoMLClassifier, AutoMLRegressor
from automl.cli import main
from automl.fingerprint import dataset_fingerprint, fingerprint_and_row_hashes
from automl.metrics import get_metric
from automl.space import PipelineSpace
from automl.trials.evaluation import evaluate, step_weights
from automl.trials.resampling import Resampling

# Only max_trials ends these searches: a trial cut off by a loaded machine would change them.
REPRODUCIBLE = dict(
    time_budget=120,
    max_trials=4,
    random_state=0,
    verbose=0,
    per_trial_time_limit=None,
    history=None,
    warm_start=None,  # the meta-features see every row, weighted or not
    n_jobs=1,
)
# Losses of the same fits on the same rows, summed in another order at most.
SAME = dict(rtol=1e-12, atol=0)
# Integer weights vs repeated rows: the families below (and the standard scaler before ridge)
# weigh a row as its copies; XGBoost's quantile sketch differs slightly (relative loss
# differences up to about 2e-5 here, while ignoring the weights moves these losses by 0.2 % to
# 4 %).
CLOSE_TO_REPEATED = dict(rtol=1e-3, atol=0)


@pytest.fixture(scope="module")
def diabetes():
    X, y = load_diabetes(return_X_y=True)
    return X[:150], y[:150]


@pytest.fixture(scope="module")
def cancer():
    X, y = load_breast_cancer(return_X_y=True)
    return X[:180, :8], y[:180]


def losses(model):
    return [t["loss"] for t in model.trials_]


def configs(model):
    return [t["config"] for t in model.trials_]


# ------------------------------------------------------------------ invalid weights


@pytest.mark.parametrize(
    ("weights", "error", "message"),
    [
        (lambda n: np.r_[-1.0, np.ones(n - 1)], ValueError, r"1 negative value\(s\) \(rows 0\)"),
        (lambda n: np.r_[np.ones(n - 1), np.nan], ValueError, r"missing or infinite value"),
        (lambda n: np.r_[np.inf, np.ones(n - 1)], ValueError, r"missing or infinite value"),
        (lambda n: np.zeros(n), ValueError, r"zero for every row"),
        (lambda n: np.ones(n - 1), ValueError, r"has \d+ values but X has \d+ rows"),
        (lambda n: np.ones((n, 2)), ValueError, r"must be 1-D"),
        (lambda n: ["heavy"] * n, TypeError, r"must hold numbers"),
        (lambda n: 2.0, TypeError, r"array-like of numbers, one per row of X, got float"),
    ],
    ids=["negative", "nan", "inf", "all-zero", "wrong-length", "2-D", "text", "scalar"],
)
def test_bad_weights_are_a_clear_error(diabetes, weights, error, message):
    X, y = diabetes
    with pytest.raises(error, match=message):
        AutoMLRegressor(**REPRODUCIBLE).fit(X, y, sample_weight=weights(len(y)))


def test_weights_that_leave_one_class_are_an_error(cancer):
    X, y = cancer
    with pytest.raises(ValueError, match="zero for every row of class 0; a classifier learns"):
        AutoMLClassifier(**REPRODUCIBLE).fit(X, y, sample_weight=(y == 1).astype(float))
    three = np.where(np.arange(len(y)) < 20, "rare", y.astype(str))  # a third class...
    with pytest.raises(ValueError, match="zero for every row of class 'rare'"):  # ...unweighted
        AutoMLClassifier(**REPRODUCIBLE).fit(X, three, sample_weight=(three != "rare") * 1.0)


def test_weights_that_leave_the_validation_rows_nothing_to_score_are_an_error(diabetes):
    X, y = diabetes
    fold = np.where(np.arange(len(y)) < 30, 0, -1)  # one holdout split: rows 0..29 validate
    weights = np.where(fold == 0, 0.0, 1.0)
    with pytest.raises(ValueError, match="every validation row has sample_weight 0"):
        AutoMLRegressor(resampling=PredefinedSplit(fold), **REPRODUCIBLE).fit(
            X, y, sample_weight=weights
        )
    with pytest.raises(ValueError, match="every training row of split 0 has sample_weight 0"):
        AutoMLRegressor(resampling=PredefinedSplit(fold), **REPRODUCIBLE).fit(
            X, y, sample_weight=1.0 - weights
        )


def test_a_metric_that_takes_no_weights_is_an_error_with_weights(diabetes):
    X, y = diabetes

    def negative_max_error(estimator, X, y):
        return -float(np.max(np.abs(estimator.predict(X) - y)))

    with pytest.raises(ValueError, match="'negative_max_error' takes no sample_weight"):
        AutoMLRegressor(metric=negative_max_error, **REPRODUCIBLE).fit(
            X, y, sample_weight=np.ones(len(y))
        )


def test_families_whose_model_takes_no_weights_are_left_out(diabetes):
    X, y = diabetes
    with pytest.raises(ValueError, match=r"\['knn'\] take no sample_weight"):
        AutoMLRegressor(include=["knn"], **REPRODUCIBLE).fit(X, y, sample_weight=np.ones(len(y)))
    assert PipelineSpace("regression", 150, include=["knn", "ridge"]).family_names == [
        "ridge",
        "knn",
    ]
    weighted = PipelineSpace("regression", 150, include=["knn", "ridge"], weighted=True)
    assert weighted.family_names == ["ridge"] and weighted.left_out_for_weights == ["knn"]


def test_weights_reach_the_model_and_the_preprocessing_that_names_them():
    pipeline = Pipeline(
        [
            ("encode", ColumnTransformer([("numbers", SimpleImputer(), [0])])),
            ("scale", StandardScaler()),
            ("model", TransformedTargetRegressor(regressor=Ridge())),  # hands **fit_params on
        ]
    )
    weights = np.ones(3)
    assert list(step_weights(pipeline, weights)) == ["model__sample_weight", "scale__sample_weight"]
    pipeline.steps[-1] = ("model", KNeighborsRegressor())
    with pytest.raises(TypeError, match=r"KNeighborsRegressor.fit takes no sample_weight; decl"):
        step_weights(pipeline, weights)


# ------------------------------------------------------------------ metrics and fingerprint


@pytest.mark.parametrize(
    ("name", "task"),
    [
        ("roc_auc", "binary"),
        ("log_loss", "binary"),
        ("accuracy", "binary"),
        ("balanced_accuracy", "binary"),
        ("f1_macro", "binary"),
        ("average_precision", "binary"),  # a scikit-learn scorer
        ("rmse", "regression"),
        ("mae", "regression"),
        ("r2", "regression"),
        ("explained_variance", "regression"),  # a scikit-learn scorer
    ],
)
def test_a_weighted_score_is_the_score_of_repeated_rows(name, task):
    rng = np.random.default_rng(3)
    n = 60
    counts = rng.integers(1, 4, size=n)
    if task == "binary":
        y = rng.integers(0, 2, size=n)
        positive = np.clip(0.3 * y + rng.uniform(0, 0.7, size=n), 0.01, 0.99)
        prediction = np.column_stack([1 - positive, positive])
    else:
        y = rng.normal(size=n)
        prediction = y + rng.normal(scale=0.5, size=n)
    metric = get_metric(name, task)
    repeated = np.repeat(np.arange(n), counts)
    weighted = metric.score(y, prediction, sample_weight=counts.astype(float))
    assert weighted == pytest.approx(metric.score(y[repeated], prediction[repeated]), rel=1e-12)
    assert weighted != pytest.approx(metric.score(y, prediction), rel=1e-6)


def test_weights_are_part_of_the_fingerprint_and_not_of_the_row_hashes(diabetes):
    X, y = diabetes
    weights = np.linspace(0.5, 2.0, len(y))
    plain, rows = fingerprint_and_row_hashes(X, y)
    assert plain == dataset_fingerprint(X, y)  # without weights: as before
    heavy, heavy_rows = fingerprint_and_row_hashes(X, y, sample_weight=weights)
    other, _ = fingerprint_and_row_hashes(X, y, sample_weight=weights[::-1])
    assert len({plain, heavy, other}) == 3 and np.array_equal(rows, heavy_rows)


# ------------------------------------------------------------------ trials


def test_successive_halving_draws_its_share_from_the_rows_of_positive_weight(cancer):
    """A trial at fidelity 0.5 with weight 0 on some rows is the trial without those rows."""
    X, y = cancer
    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(X.shape[1])])
    weights = np.random.default_rng(0).uniform(0.5, 2.0, size=len(y))
    weights[50:90] = 0.0
    keep = weights > 0
    fold = np.arange(len(y)) % 3
    config = PipelineSpace("binary", int(keep.sum())).default_config("lightgbm")

    def trial(rows, sample_weight):
        splits = list(PredefinedSplit(fold[rows]).split())
        return evaluate(
            0,
            config,
            frame[rows].reset_index(drop=True),
            y[rows],
            task="binary",
            categorical=[],
            n_classes=2,
            resampling=Resampling(splits, "predefined"),
            metric=get_metric("log_loss", "binary"),
            fidelity=0.5,
            sample_weight=sample_weight,
        )

    everything = np.ones(len(y), dtype=bool)
    zero_weighted, dropped = trial(everything, weights), trial(keep, weights[keep])
    assert np.isclose(zero_weighted.loss, dropped.loss, **SAME)
    rows = np.flatnonzero(keep)  # the kept rows' out-of-fold predictions are the same too
    assert np.allclose(zero_weighted.predictions[rows], dropped.predictions, rtol=1e-6, atol=0)
    unweighted = trial(everything, None)
    assert unweighted.loss != pytest.approx(dropped.loss, rel=1e-6)


@pytest.mark.slow
def test_weight_zero_on_a_block_gives_the_trials_of_dropping_it(cancer):
    X, y = cancer
    weights = np.random.default_rng(1).uniform(0.5, 2.0, size=len(y))
    weights[60:100] = 0.0
    keep = weights > 0
    fold = np.arange(len(y)) % 3  # the block is spread over every split
    params = dict(
        REPRODUCIBLE,
        max_trials=6,  # four starting configurations, then two proposed from their losses
        include=["lightgbm", "extra_trees", "logistic_regression"],
        ensemble_size=4,
    )
    weighted = AutoMLClassifier(resampling=PredefinedSplit(fold), **params).fit(
        X, y, sample_weight=weights
    )
    dropped = AutoMLClassifier(resampling=PredefinedSplit(fold[keep]), **params).fit(
        X[keep], y[keep], sample_weight=weights[keep]
    )
    assert configs(weighted) == configs(dropped)
    assert [t["status"] for t in weighted.trials_] == ["ok"] * 6
    assert np.allclose(losses(weighted), losses(dropped), **SAME)
    assert str(weighted.refit_) == str(dropped.refit_)
    assert weighted.refit_.kind.value == "ensemble"  # selection ran on the weighted scores
    assert weighted.refit_.validation_score == dropped.refit_.validation_score
    assert np.allclose(weighted.predict_proba(X), dropped.predict_proba(X), rtol=1e-9, atol=1e-12)
    assert weighted.run_card_.data.weighted and dropped.run_card_.data.weighted


@pytest.mark.slow
def test_integer_weights_give_losses_close_to_repeated_rows(diabetes):
    X, y = diabetes
    counts = np.random.default_rng(0).integers(1, 4, size=len(y))
    repeated = np.repeat(np.arange(len(y)), counts)
    fold = np.arange(len(y)) % 3  # a row's copies stay in its split
    params = dict(REPRODUCIBLE, include=["xgboost", "extra_trees", "ridge"])
    weighted = AutoMLRegressor(resampling=PredefinedSplit(fold), **params).fit(
        X, y, sample_weight=counts
    )
    copies = AutoMLRegressor(resampling=PredefinedSplit(fold[repeated]), **params).fit(
        X[repeated], y[repeated]
    )
    assert configs(weighted) == configs(copies)
    assert {c["model"] for c in configs(weighted)} == {"xgboost", "extra_trees", "ridge"}
    assert np.allclose(losses(weighted), losses(copies), **CLOSE_TO_REPEATED)


@pytest.mark.slow
def test_the_weight_column_of_the_command_line_weights_the_fit(tmp_path):
    rng = np.random.default_rng(2)
    n = 120
    frame = pd.DataFrame({"area": rng.normal(80, 20, size=n), "weight": rng.uniform(0, 2, n)})
    frame["price"] = 3 * frame["area"] + rng.normal(0, 5, size=n)
    data, out = tmp_path / "houses.csv", tmp_path / "model.joblib"
    frame.to_csv(data, index=False)
    options = ["--time-budget", "60", "--max-trials", "2", "--n-jobs", "1", "--history", "none"]
    code = main(
        ["fit", str(data), "--target", "price", "--weight-column", "weight", *options]
        + ["--random-state", "0", "--warm-start", "none", "--out", str(out), "-q"]
    )
    assert code == 0
    model = joblib.load(out)
    assert model.run_card_.data.weighted and list(model.feature_names_in_) == ["area"]


@pytest.mark.slow
def test_feature_importance_weighs_the_losses(diabetes):
    X, y = diabetes
    model = AutoMLRegressor(**dict(REPRODUCIBLE, max_trials=1, include=["ridge"])).fit(X, y)
    weights = np.random.default_rng(4).uniform(0.5, 2.0, size=len(y))
    weights[:50] = 0.0
    keep = weights > 0
    options = dict(n_repeats=2, random_state=0)
    zero_weighted = model.feature_importance(X, y, sample_weight=weights, **options)
    dropped = model.feature_importance(X[keep], y[keep], sample_weight=weights[keep], **options)
    pd.testing.assert_frame_equal(zero_weighted, dropped)
    assert zero_weighted.attrs["rows"] == int(keep.sum())
    unweighted = model.feature_importance(X[keep], y[keep], **options)
    assert not np.allclose(unweighted["importance"], dropped["importance"])
    with pytest.raises(ValueError, match="sample_weight has 3 values but X has 150 rows"):
        model.feature_importance(X, y, sample_weight=[1, 2, 3])
