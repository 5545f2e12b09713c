"""Resampling rules and evaluating one configuration."""

import numpy as np
import pandas as pd
import pytest
from sklearn.model_selection import GroupKFold, KFold

from automl.metrics import get_metric
from automl.space import PipelineSpace
from automl.training_data import prepare_training_data
from automl.trials.evaluation import evaluate
from automl.trials.resampling import (
    CV_FOLDS,
    CV_MAX_ROWS,
    Resampling,
    make_resampling,
    trial_split_seed,
)


def test_auto_resampling_uses_cv_on_small_data_and_holdout_on_large():
    small = make_resampling("auto", task="binary", y=np.arange(CV_MAX_ROWS) % 2)
    assert len(small.splits) == CV_FOLDS and "stratified cross-validation" in small.description
    large = make_resampling("auto", task="regression", y=np.zeros(CV_MAX_ROWS + 1))
    assert len(large.splits) == 1 and "holdout" in large.description


def test_repeated_cv_validates_every_row_once_per_repeat_with_new_shuffles():
    y = np.arange(60) % 3
    repeated = make_resampling("cv4x3", task="multiclass", y=y, random_state=7)
    plain = make_resampling(4, task="multiclass", y=y, random_state=7)
    assert len(repeated.splits) == 12
    assert repeated.description == "4-fold stratified cross-validation, repeated 3 times"
    for a, b in zip(repeated.splits[:4], plain.splits):  # the first repeat is the plain split
        assert np.array_equal(a[1], b[1])
    validations = []
    for repeat in range(3):
        folds = repeated.splits[4 * repeat : 4 * repeat + 4]
        rows = np.concatenate([val for _, val in folds])
        assert np.array_equal(np.sort(rows), np.arange(60))  # a partition of the rows
        for train, val in folds:
            assert not set(train) & set(val)
        validations.append(sorted(map(tuple, (np.sort(val) for _, val in folds))))
    assert validations[0] != validations[1] != validations[2]
    assert make_resampling("cv4x1", task="multiclass", y=y).description.endswith("validation")


def test_repeated_grouped_cv_keeps_groups_apart_and_reshuffles_them():
    y = np.arange(60) % 2
    groups = np.repeat(np.arange(12), 5)
    resampling = make_resampling("cv3x2", task="binary", y=y, groups=groups)
    assert len(resampling.splits) == 6
    for train, val in resampling.splits:
        assert not set(groups[train]) & set(groups[val])
    first = {frozenset(groups[val]) for _, val in resampling.splits[:3]}
    second = {frozenset(groups[val]) for _, val in resampling.splits[3:]}
    assert first != second


def test_reshuffled_folds_partition_the_rows_anew_and_keep_groups_apart():
    y = np.arange(60) % 3
    base = make_resampling("cv4", task="multiclass", y=y, random_state=7)
    seeds = [trial_split_seed(7, t) for t in (1, 2)]
    assert seeds[0] != seeds[1] and seeds[0] == trial_split_seed(7, 1)
    shuffles = [base.reshuffled(seed, y) for seed in seeds]
    layouts = set()
    for resampling in (base, *shuffles):
        assert resampling.description == base.description and len(resampling.splits) == 4
        rows = np.concatenate([val for _, val in resampling.splits])
        assert np.array_equal(np.sort(rows), np.arange(60))  # every row validated once
        for _, val in resampling.splits:
            assert np.bincount(y[val], minlength=3).min() >= 4  # still stratified
        layouts.add(frozenset(frozenset(val) for _, val in resampling.splits))
    assert len(layouts) == 3
    groups = np.repeat(np.arange(12), 5)
    grouped = make_resampling("cv", task="binary", y=y % 2, groups=groups)
    again = grouped.reshuffled(seeds[0], y % 2)
    for train, val in again.splits:
        assert not set(groups[train]) & set(groups[val])
    assert {frozenset(groups[v]) for _, v in again.splits} != {
        frozenset(groups[v]) for _, v in grouped.splits
    }
    for fixed in ("holdout", KFold(3)):
        with pytest.raises(ValueError, match="only k-fold"):
            make_resampling(fixed, task="binary", y=y % 2).reshuffled(1, y % 2)


def test_stratified_folds_keep_class_balance():
    y = np.array([0] * 90 + [1] * 10)
    for _, val in make_resampling(5, task="binary", y=y).splits:
        assert np.sum(y[val] == 1) == 2


def test_groups_never_cross_a_split():
    y = np.arange(60) % 2
    groups = np.repeat(np.arange(12), 5)
    for resampling in ("cv", "holdout", GroupKFold(3)):
        for train, val in make_resampling(resampling, task="binary", y=y, groups=groups).splits:
            assert not set(groups[train]) & set(groups[val])


def test_custom_splitter_and_bad_values():
    custom = make_resampling(KFold(3), task="regression", y=np.zeros(30))
    assert len(custom.splits) == 3 and "KFold" in custom.description
    for bad in ("sometimes", 1, 2.5, "cv1x3", "cv5x0", "cvx", "cv5x"):
        with pytest.raises(ValueError, match="resampling"):
            make_resampling(bad, task="binary", y=np.arange(20) % 2)


def test_evaluate_keeps_out_of_fold_predictions_and_scores_them():
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=200), "b": rng.normal(size=200)})
    y = (X["a"] > 0).astype(int)
    prepared = prepare_training_data(X, y, classification=True)
    resampling = make_resampling("cv", task="binary", y=prepared.y)
    metric = get_metric("roc_auc", "binary")
    config = PipelineSpace("binary", 200).default_config("logistic_regression")
    result = evaluate(
        0,
        config,
        prepared.X,
        prepared.y,
        task="binary",
        categorical=[],
        n_classes=2,
        resampling=resampling,
        metric=metric,
    )
    assert result.status == "ok"
    assert result.predictions.shape == (200, 2)
    assert np.allclose(result.predictions.sum(axis=1), 1.0)
    assert result.score == pytest.approx(metric.score(prepared.y, result.predictions))
    assert result.score > 0.95 and result.loss == -result.score


def test_evaluate_averages_a_rows_predictions_over_the_repeats():
    rng = np.random.default_rng(1)
    X = pd.DataFrame({"a": rng.normal(size=120), "b": rng.normal(size=120)})
    y = X["a"] + 0.5 * rng.normal(size=120)
    prepared = prepare_training_data(X, y, classification=False)
    repeated = make_resampling("cv3x2", task="regression", y=prepared.y)
    metric = get_metric(None, "regression")
    config = PipelineSpace("regression", 120).default_config("ridge")

    def run(resampling):
        return evaluate(
            0,
            config,
            prepared.X,
            prepared.y,
            task="regression",
            categorical=[],
            n_classes=0,
            resampling=resampling,
            metric=metric,
        )

    both = run(repeated)
    first = run(Resampling(repeated.splits[:3], "first repeat"))
    second = run(Resampling(repeated.splits[3:], "second repeat"))
    assert not np.allclose(first.predictions, second.predictions)
    average = (first.predictions.astype(float) + second.predictions) / 2
    assert np.allclose(both.predictions, average, rtol=1e-5)
    assert both.loss == pytest.approx(metric.loss(prepared.y, both.predictions), rel=1e-5)


def test_a_fold_missing_a_class_still_gets_full_width_predictions():
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=40)})
    y = np.array([0, 1] * 19 + [2, 2])  # class 2 appears in only two rows
    prepared = prepare_training_data(X, y, classification=True)
    resampling = make_resampling(KFold(2), task="multiclass", y=prepared.y)  # unshuffled
    config = PipelineSpace("multiclass", 40).default_config("xgboost")
    result = evaluate(
        0,
        config,
        prepared.X,
        prepared.y,
        task="multiclass",
        categorical=[],
        n_classes=3,
        resampling=resampling,
        metric=get_metric(None, "multiclass"),
    )
    assert result.predictions.shape == (40, 3)
    assert np.all(result.predictions[20:, 2] == 0)  # trained on the first half: no class 2
