"""ONNX export: the exported model, run with onnxruntime, predicts what the estimator predicts."""

from __future__ import annotations

import copy
import subprocess
import sys

import joblib
import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, TransformerMixin, clone
from sklearn.pipeline import Pipeline

from automl import AutoMLClassifier, AutoMLRegressor
from automl.cli import main
from automl.data import to_model_frame
from automl.ensemble import Ensemble
from automl.onnx_export import OnnxExportError, export_onnx, onnx_inputs
from automl.space.pipeline_space import DataDescription, PipelineSpace, build_pipeline
from automl.trials.evaluation import FoldModels

onnxruntime = pytest.importorskip("onnxruntime")

LABELS = np.array(["no", "yes", "maybe"])


def _data(n: int = 160, seed: int = 0, kind: str = "binary") -> tuple[pd.DataFrame, np.ndarray]:
    """Numeric columns with missing values (one named with characters LightGBM refuses, one
    with characters skl2onnx renames), a categorical column with missing values; held-out
    seeds also hold an unseen category."""
    rng = np.random.default_rng(seed)
    a, b = rng.normal(size=n), rng.normal(size=n)
    cities = ["x", "y", "z", "w"] + (["unseen"] if seed else [])
    city = rng.choice(cities, size=n).astype(object)
    score = a + 0.5 * b + (city == "x")
    a[rng.random(n) < 0.1] = np.nan
    city[rng.random(n) < 0.1] = None
    X = pd.DataFrame({"v(a)": a, "b[1]": b, "city": city})
    if kind == "regression":
        return X, 3.0 * score + 0.1 * rng.normal(size=n)
    k = 2 if kind == "binary" else 3
    codes = np.digitize(score, np.quantile(score, np.linspace(0, 1, k + 1)[1:-1]))
    return X, LABELS[codes]


def _fit(family: str | list[str], kind: str, **options):
    X, y = _data(kind=kind)
    estimator = AutoMLRegressor if kind == "regression" else AutoMLClassifier
    settings = dict(
        time_budget=120,
        per_trial_time_limit=None,  # a loaded machine must not cut the one trial off
        max_trials=1,
        n_jobs=1,
        random_state=0,
        include=[family] if isinstance(family, str) else family,
        history=None,
        warm_start=None,
        verbose=0,
    )
    settings.update(options)
    return estimator(**settings).fit(X, y)


def _run(path, estimator, X) -> dict[str, np.ndarray]:
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    names = [o.name for o in session.get_outputs()]
    return dict(zip(names, session.run(None, onnx_inputs(estimator, X))))


def _assert_same_predictions(path, estimator, report) -> float:
    """On held-out rows (unseen category included): within the report's tolerance."""
    X, _ = _data(n=300, seed=1)
    outputs = _run(path, estimator, X)
    tolerance = dict(rtol=report.rtol, atol=report.atol)
    if isinstance(estimator, AutoMLRegressor):
        assert set(outputs) == {"prediction"}
        expected = estimator.predict(X)
        np.testing.assert_allclose(outputs["prediction"], expected, **tolerance)
        return float(np.max(np.abs(outputs["prediction"] - expected)))
    assert set(outputs) == {"label", "probabilities"}
    expected = estimator.predict_proba(X)
    np.testing.assert_allclose(outputs["probabilities"], expected, **tolerance)
    threshold = getattr(estimator, "decision_threshold_", None)
    if threshold is None:
        top_two = np.sort(expected, axis=1)[:, -2:]
        decided = top_two[:, 1] - top_two[:, 0] > 2 * (report.atol + report.rtol)  # no near tie
    else:
        decided = np.abs(expected[:, 1] - threshold) > report.atol + report.rtol
    assert decided.mean() > 0.8
    np.testing.assert_array_equal(outputs["label"][decided], estimator.predict(X)[decided])
    return float(np.max(np.abs(outputs["probabilities"] - expected)))


CASES = [
    ("logistic_regression", "binary"),
    ("lightgbm", "binary"),
    ("xgboost", "binary"),
    ("random_forest", "multiclass"),
    ("lightgbm", "multiclass"),
    ("xgboost", "multiclass"),
    ("elastic_net", "regression"),  # its target is standardized for the fit
    ("lightgbm", "regression"),
    ("xgboost", "regression"),
    ("mlp", "multiclass"),
    ("mlp", "regression"),  # its target is standardized for the fit
]


@pytest.mark.slow
@pytest.mark.parametrize("family, kind", CASES)
def test_exported_model_predicts_as_the_estimator(family, kind, tmp_path):
    estimator = _fit(family, kind)
    assert estimator.ensemble_[0]["model"] == family  # the family asked for, not a fallback
    X, _ = _data(kind=kind)
    path = tmp_path / "model.onnx"
    report = export_onnx(estimator, path, X)
    assert path.is_file() and report.path == str(path)
    assert report.inputs == ("v(a)", "b[1]", "city")  # the user's own column names
    assert report.rows_verified == len(X)
    difference = _assert_same_predictions(path, estimator, report)
    print(f"{family} {kind}: max abs difference {difference:.3g}, export {report.seconds:.2f} s")


@pytest.mark.slow
def test_the_label_follows_the_decision_threshold(tmp_path):
    estimator = _fit("logistic_regression", "binary", metric="f1")
    assert estimator.decision_threshold_ is not None
    X, _ = _data(n=300, seed=1)
    estimator.decision_threshold_ = 0.2  # far from 0.5: many labels differ from the argmax
    proba = estimator.predict_proba(X)
    assert (estimator.predict(X) != estimator.classes_[np.argmax(proba, axis=1)]).sum() > 10
    path = tmp_path / "model.onnx"
    report = export_onnx(estimator, path, _data()[0])
    _assert_same_predictions(path, estimator, report)


@pytest.fixture(scope="module")
def two_classifiers():
    return _fit("lightgbm", "multiclass"), _fit("logistic_regression", "multiclass")


@pytest.mark.slow
def test_weighted_average_of_pipelines_and_fold_models(two_classifiers, tmp_path):
    boosted, linear = two_classifiers
    X, y = _data(kind="multiclass")
    frame = to_model_frame(linear.schema_, X)
    codes = np.searchsorted(linear.classes_, y)
    two = codes != 1  # a fold that saw two of the three classes: its columns are placed
    partial = clone(linear.model_).fit(frame[two], codes[two])
    folds = FoldModels(
        [(linear.model_, np.arange(3)), (partial, np.array([0, 2]))], "multiclass", 3
    )
    ensemble = copy.copy(boosted)
    ensemble.model_ = Ensemble([(0.6, boosted.model_), (0.4, folds)], "multiclass")
    report = export_onnx(ensemble, tmp_path / "ensemble.onnx", X)
    difference = _assert_same_predictions(tmp_path / "ensemble.onnx", ensemble, report)
    print(f"ensemble: max abs difference {difference:.3g}, export {report.seconds:.2f} s")


@pytest.fixture(scope="module")
def with_a_rare_category():
    """A binary fit whose data hold a category of 4 rows (rare at rare_category_fraction 0.05),
    and pipelines built for chosen configurations on them."""
    X, y = _data()
    X.loc[:3, "city"] = "rare"
    estimator = _fit("logistic_regression", "binary")
    estimator = estimator.fit(X, y)
    frame = to_model_frame(estimator.schema_, X)
    codes = np.searchsorted(estimator.classes_, y)
    space = PipelineSpace("binary", len(X))
    description = DataDescription(
        "binary", len(X), ("v(a)", "b_1_"), {"city": len(estimator.schema_.categorical["city"])}
    )

    def with_pipeline(family: str, **preprocessing):
        config = space.complete({**space.default_config(family), **preprocessing})
        changed = copy.copy(estimator)
        changed.model_ = build_pipeline(config, description).fit(frame, codes)
        changed.ensemble_ = [{"model": family}]
        return changed

    return with_pipeline, X


@pytest.mark.slow
@pytest.mark.parametrize(
    "family, preprocessing",
    [
        ("logistic_regression", dict(rare_category_fraction=0.05, scaler="robust")),
        ("svm", dict(rare_category_fraction=0.05, feature_preprocessor="pca")),
        (
            "random_forest",
            dict(
                rare_category_fraction=0.05,
                onehot_max_categories=2,
                high_cardinality_encoding="ordinal",
                feature_preprocessor="select_percentile",
            ),
        ),
        ("knn", dict(onehot_max_categories=2, high_cardinality_encoding="target")),
    ],
)
def test_encoders_scalers_and_grouped_rare_categories(
    with_a_rare_category, family, preprocessing, tmp_path
):
    with_pipeline, X = with_a_rare_category
    estimator = with_pipeline(family, **preprocessing)
    report = export_onnx(estimator, tmp_path / "model.onnx", X)
    _assert_same_predictions(tmp_path / "model.onnx", estimator, report)


@pytest.mark.slow
def test_quantile_scaling_is_refused_by_name(with_a_rare_category, tmp_path):
    with_pipeline, X = with_a_rare_category
    estimator = with_pipeline("mlp", scaler="quantile")
    message = r"QuantileTransformer\(output_distribution='normal'\).*exclude=\['mlp'\]"
    with pytest.raises(OnnxExportError, match=message):
        export_onnx(estimator, tmp_path / "model.onnx", X)


class _Doubler(TransformerMixin, BaseEstimator):
    """A custom piece no converter knows."""

    def fit(self, X, y=None):
        return self

    def transform(self, X):
        return 2 * X


@pytest.mark.slow
def test_a_piece_without_converter_is_named_and_nothing_is_written(two_classifiers, tmp_path):
    custom = copy.copy(two_classifiers[1])
    steps = custom.model_.steps
    custom.model_ = Pipeline([*steps[:-1], ("double", _Doubler()), steps[-1]])
    X, _ = _data(kind="multiclass")
    with pytest.raises(OnnxExportError, match="_Doubler on all encoded features.*'logistic_regr"):
        export_onnx(custom, tmp_path / "model.onnx", X)
    assert not (tmp_path / "model.onnx").exists()


@pytest.mark.slow
def test_native_categorical_splits_of_hist_gradient_boosting_are_refused(tmp_path):
    estimator = _fit("hist_gradient_boosting", "binary")
    X, _ = _data()
    with pytest.raises(OnnxExportError, match="HistGradientBoostingClassifier.*'city'"):
        export_onnx(estimator, tmp_path / "model.onnx", X)


@pytest.mark.slow
def test_a_difference_beyond_the_tolerance_is_an_error(two_classifiers, tmp_path):
    _, linear = two_classifiers
    X, _ = _data(kind="multiclass")
    with pytest.raises(OnnxExportError, match="beyond the float32 tolerance"):
        export_onnx(linear, tmp_path / "model.onnx", X, rtol=0.0, atol=0.0)
    assert not (tmp_path / "model.onnx").exists()
    with pytest.raises(ValueError, match="sample rows"):
        export_onnx(linear, tmp_path / "model.onnx", None)
    with pytest.raises(ValueError, match="rtol"):
        export_onnx(linear, tmp_path / "model.onnx", X, rtol=-1.0)


@pytest.mark.slow
def test_cli_round_trip(two_classifiers, tmp_path, capsys):
    _, linear = two_classifiers
    linear.target_name_ = "target"
    joblib.dump(linear, tmp_path / "model.joblib")
    X, y = _data(kind="multiclass")
    X.assign(target=y).to_csv(tmp_path / "sample.csv", index=False)
    code = main(
        ["export", str(tmp_path / "model.joblib"), "--sample", str(tmp_path / "sample.csv")]
    )
    assert code == 0
    assert "matches the original on 160 sample rows" in capsys.readouterr().err
    outputs = _run(tmp_path / "model.onnx", linear, X)
    np.testing.assert_array_equal(outputs["label"], linear.predict(X))
    with pytest.raises(SystemExit) as exit_:
        main(["export", str(tmp_path / "model.joblib"), "--sample", str(tmp_path / "nope.csv")])
    assert exit_.value.code == 2
    assert "data file not found" in capsys.readouterr().err


def test_missing_libraries_name_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "onnxmltools", None)  # makes its import fail
    with pytest.raises(ImportError, match=r'pip install "automl\[onnx\]"'):
        export_onnx(AutoMLClassifier(), "model.onnx", None)


def test_the_library_and_cli_import_without_the_onnx_libraries():
    code = (
        "import sys, automl.cli, automl.onnx_export; "
        "print(sorted(m for m in ('onnx', 'skl2onnx', 'onnxmltools', 'onnxruntime') "
        "if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
