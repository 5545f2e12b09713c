"""Meta-features on hand-computable data, and robustness to awkward columns."""

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from automl.metafeatures import compute_metafeatures, metafeature_names


def small_frame() -> tuple[pd.DataFrame, np.ndarray]:
    X = pd.DataFrame(
        {
            "a": [1.0, 2.0, 3.0, np.nan, 5.0, 6.0, 7.0, 8.0],
            "b": [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 10.0],
            "color": pd.Categorical(["r", "g", "b", "r", "g", "b", "r", None]),
            "flat": [4.0] * 8,
        }
    )
    y = np.array([0, 1, 0, 1, 0, 1, 0, 1])
    return X, y


def test_counts_and_missing_values_match_hand_computation():
    X, y = small_frame()
    m = compute_metafeatures(X, y, "binary")
    assert m["n_rows"] == 8 and m["n_features"] == 4
    assert m["log_n_rows"] == pytest.approx(math.log(8))
    assert m["log_features_per_row"] == pytest.approx(math.log(4 / 8))
    assert (m["n_numeric"], m["n_categorical"]) == (3, 1)
    assert m["ratio_categorical"] == pytest.approx(0.25)
    assert m["symbols_min"] == m["symbols_max"] == m["symbols_sum"] == 3
    assert m["missing_cells"] == pytest.approx(2 / 32)  # one in "a", one in "color"
    assert m["missing_rows"] == pytest.approx(2 / 8)
    assert m["missing_features"] == pytest.approx(2 / 4)
    assert m["n_constant"] == 1  # "flat"


def test_class_balance_and_entropy():
    X, _ = small_frame()
    balanced = compute_metafeatures(X, np.array([0, 1] * 4), "binary")
    assert balanced["class_entropy"] == pytest.approx(1.0)
    assert balanced["class_imbalance"] == pytest.approx(1.0)
    skewed = compute_metafeatures(X, np.array(["a"] * 6 + ["b", "c"]), "multiclass")
    assert skewed["n_classes"] == 3
    probs = np.array([6, 1, 1]) / 8
    assert skewed["class_entropy"] == pytest.approx(-(probs * np.log2(probs)).sum() / np.log2(3))
    assert skewed["class_prob_min"] == pytest.approx(1 / 8)
    assert skewed["class_prob_max"] == pytest.approx(6 / 8)


def test_skewness_and_kurtosis_skip_constant_columns():
    X, y = small_frame()
    m = compute_metafeatures(X, y, "binary")
    a = np.array([1, 2, 3, 5, 6, 7, 8.0])
    b = np.array([0.0] * 7 + [10.0])
    expected = sorted([stats.skew(a), stats.skew(b)])
    assert m["skewness_min"] == pytest.approx(expected[0])
    assert m["skewness_max"] == pytest.approx(expected[1])
    assert m["kurtosis_max"] == pytest.approx(max(stats.kurtosis(a), stats.kurtosis(b)))


def test_pca_on_perfectly_correlated_columns_needs_one_component():
    rng = np.random.default_rng(0)
    base = rng.normal(size=200)
    X = pd.DataFrame({"x": base, "2x": 2 * base, "minus_x": -base})
    m = compute_metafeatures(X, (base > 0).astype(int), "binary")
    assert m["pca_first_ratio"] == pytest.approx(1.0)
    assert m["pca_fraction_95"] == pytest.approx(1 / 3)


def test_landmarkers_see_simple_structure():
    rng = np.random.default_rng(0)
    x = rng.normal(size=600)
    X = pd.DataFrame({"signal": x, "noise": rng.normal(size=600)})
    m = compute_metafeatures(X, (x > 0).astype(int), "binary")
    assert m["landmark_stump"] > 0.97  # one threshold on "signal" separates the classes
    r = compute_metafeatures(X, 3 * x + 1, "regression")
    assert r["landmark_linear"] > 0.99
    assert r["target_skewness"] == pytest.approx(stats.skew(3 * x + 1))


def test_awkward_data_gives_every_feature_without_crashing():
    X = pd.DataFrame(
        {
            "text": ["a", "b", None, "a"] * 10,
            "all_missing": [np.nan] * 40,
            "const": [1] * 40,
        }
    )
    for task, y in (
        ("binary", np.array([0, 1] * 20)),
        ("regression", np.arange(40.0)),
        ("multiclass", np.array([0, 1, 2, 3] * 10)),
    ):
        m = compute_metafeatures(X, y, task)
        assert list(m) == metafeature_names(task)
        assert math.isfinite(m["n_rows"]) and math.isfinite(m["landmark_1nn"])


def test_large_data_is_subsampled_and_deterministic():
    rng = np.random.default_rng(1)
    X = pd.DataFrame(rng.normal(size=(50_000, 30)))
    y = rng.integers(0, 2, 50_000)
    first = compute_metafeatures(X, y, "binary", random_state=3)
    second = compute_metafeatures(X, y, "binary", random_state=3)
    assert first == pytest.approx(second, nan_ok=True)
    assert first["n_rows"] == 50_000


def test_time_cap_leaves_later_groups_nan():
    X, y = small_frame()
    m = compute_metafeatures(X, y, "binary", time_limit=-1.0)
    assert list(m) == metafeature_names("binary")  # every name, none computed
    assert all(math.isnan(v) for v in m.values())


def test_metalearning_reexports_the_same_functions():
    import metalearning.metafeatures as reexported

    assert reexported.compute_metafeatures is compute_metafeatures
    assert reexported.metafeature_names is metafeature_names


def test_bad_input_is_explained():
    X, y = small_frame()
    with pytest.raises(ValueError, match="task must be"):
        compute_metafeatures(X, y, "ranking")
    with pytest.raises(ValueError, match="must match"):
        compute_metafeatures(X, y[:3], "binary")


@pytest.mark.parametrize("task", ["binary", "regression"])
def test_landmarkers_equal_cross_validated_scores(task):
    # The landmarkers score folds directly (cheaper than cross_val_score); the shipped
    # metabase was built with cross_val_score, so the values must stay the same.
    from sklearn.model_selection import KFold, StratifiedKFold, cross_val_score
    from sklearn.naive_bayes import GaussianNB
    from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor

    rng = np.random.default_rng(3)
    X = pd.DataFrame(rng.normal(size=(300, 4)), columns=list("abcd"))
    signal = X["a"] + 0.5 * X["b"] + rng.normal(scale=0.5, size=300)
    y = (signal > 0).astype(int).to_numpy() if task == "binary" else signal.to_numpy()
    values = compute_metafeatures(X, y, task)
    standard = ((X - X.mean()) / X.std(ddof=0)).to_numpy()
    if task == "binary":
        folds, target = StratifiedKFold(3, shuffle=True, random_state=0), y.astype(str)
        expected = {
            "landmark_naive_bayes": cross_val_score(GaussianNB(), standard, target, cv=folds),
            "landmark_1nn": cross_val_score(KNeighborsClassifier(1), standard, target, cv=folds),
        }
    else:
        folds = KFold(3, shuffle=True, random_state=0)
        expected = {
            "landmark_1nn": cross_val_score(
                KNeighborsRegressor(1), standard, y, cv=folds, scoring="r2"
            )
        }
    for name, scores in expected.items():
        assert values[name] == pytest.approx(float(np.clip(scores.mean(), -1, 1)), abs=1e-12)
