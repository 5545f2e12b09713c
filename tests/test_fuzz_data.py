"""Fuzzed inputs for the data layer (no fits): any table gives model-ready data or a clear
ValueError/TypeError, and prediction-time data is prepared exactly as at fit time.

Bounded so the suite stays fast; ``benchmarks/fuzz_fit.py`` takes the same inputs through
``fit``/``predict``.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from automl.data import DataWarning, align_columns, to_model_frame
from automl.training_data import prepare_training_data

EXAMPLES = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

NAMES = st.one_of(
    st.text(min_size=1, max_size=8),
    st.sampled_from(["a", "a ", "A", " a", "[x]", "x<1", "{y}", 'q"', "a,b", "é", "名前", "a_1"]),
)


@st.composite
def columns(draw: st.DrawFn, n: int) -> pd.Series:
    """One column of ``n`` rows of any of the dtypes users hand to fit."""
    kind = draw(
        st.sampled_from(
            [
                "float",
                "int",
                "Int64",
                "Float64",
                "boolean",
                "bool",
                "category",
                "string",
                "object_mixed",
                "datetime",
                "datetime_tz",
                "timedelta",
                "all_missing",
            ]
        )
    )
    mask = np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n)))
    ints = draw(st.lists(st.integers(-5, 5), min_size=n, max_size=n))
    if kind == "float":
        specials = st.sampled_from([np.nan, np.inf, -np.inf, 0.0, -0.0, 1e300])
        values = draw(st.lists(st.one_of(st.floats(-1e6, 1e6), specials), min_size=n, max_size=n))
        return pd.Series(values, dtype="float64")
    if kind == "int":
        return pd.Series(ints, dtype="int64")
    if kind == "Int64":
        return pd.Series(ints, dtype="Int64").mask(mask, pd.NA)
    if kind == "Float64":
        return pd.Series([i / 2 for i in ints], dtype="Float64").mask(mask, pd.NA)
    if kind == "boolean":
        return pd.Series([i > 0 for i in ints], dtype="boolean").mask(mask, pd.NA)
    if kind == "bool":
        return pd.Series([i > 0 for i in ints], dtype=bool)
    if kind == "category":
        labels = ["lo", "mid", "hi", "unused", "ünï"]
        values = pd.Categorical([labels[abs(i) % 3] for i in ints], categories=labels)
        return pd.Series(values).mask(mask)
    if kind == "string":
        text = draw(st.lists(st.text(max_size=4), min_size=n, max_size=n))
        return pd.Series(text, dtype=object).mask(mask, None)
    if kind == "object_mixed":
        pool = st.one_of(st.integers(-3, 3), st.text(max_size=3), st.none(), st.floats(-2, 2))
        return pd.Series(draw(st.lists(pool, min_size=n, max_size=n)), dtype=object)
    if kind in ("datetime", "datetime_tz"):
        stamps = pd.Timestamp("2020-03-01") + pd.to_timedelta(np.array(ints) * 7, unit="h")
        series = pd.Series(stamps)
        if kind == "datetime_tz":
            series = series.dt.tz_localize("Europe/Paris", nonexistent="NaT", ambiguous="NaT")
        return series.mask(mask)
    if kind == "timedelta":
        return pd.Series(pd.to_timedelta(ints, unit="s")).mask(mask)
    return pd.Series([np.nan] * n, dtype=object)


@st.composite
def tables(draw: st.DrawFn, min_rows: int = 1, max_rows: int = 12) -> pd.DataFrame:
    n_rows = draw(st.integers(min_rows, max_rows))
    n_columns = draw(st.one_of(st.integers(1, 5), st.just(60)))  # some wide frames
    names = draw(st.lists(NAMES, min_size=n_columns, max_size=n_columns, unique=True))
    return pd.DataFrame({name: draw(columns(n_rows)).to_numpy() for name in names})


@st.composite
def class_targets(draw: st.DrawFn, n: int) -> np.ndarray:
    labels = draw(st.sampled_from([[0, 1], ["yes", "no"], ["a", "b", "c"], [1.5, 2.5, 7.0]]))
    return np.array(draw(st.lists(st.sampled_from(labels), min_size=n, max_size=n)), dtype=object)


def _prepare(frame: pd.DataFrame, y: np.ndarray, classification: bool):
    """prepare_training_data, or None when it refused with a clear error."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        try:
            return prepare_training_data(frame, y, classification=classification)
        except (ValueError, TypeError) as error:
            event(f"refused: {str(error)[:40]}")
            assert str(error).strip(), "an error must say what is wrong"
            assert "Traceback" not in str(error)
            return None


def _check_prepared(prepared, frame: pd.DataFrame) -> None:
    X = prepared.X
    assert len(X) == len(frame) == len(prepared.y)
    assert X.columns.is_unique
    for name, column in X.items():
        if isinstance(column.dtype, pd.CategoricalDtype):
            assert column.cat.categories.is_unique
        else:
            assert column.dtype == np.float64, (name, column.dtype)
            assert not np.isinf(column.to_numpy()).any()
    # prediction-time data is prepared exactly as the training data was, also for a subset
    again = to_model_frame(prepared.schema, align_columns(prepared.schema, frame))
    pd.testing.assert_frame_equal(again, X)
    rows = frame.iloc[::-1]
    subset = to_model_frame(prepared.schema, align_columns(prepared.schema, rows))
    pd.testing.assert_frame_equal(subset, X.iloc[::-1])


@EXAMPLES
@given(data=st.data())
def test_any_table_gives_model_ready_data_or_a_clear_error(data):
    frame = data.draw(tables())
    classification = data.draw(st.booleans())
    n = len(frame)
    if classification:
        y = data.draw(class_targets(n))
    else:
        y = np.array(data.draw(st.lists(st.floats(-100, 100), min_size=n, max_size=n)))
    prepared = _prepare(frame, y, classification)
    event("refused" if prepared is None else "prepared")
    if prepared is not None:
        _check_prepared(prepared, frame)


@EXAMPLES
@given(frame=tables(), seed=st.integers(0, 2**16))
def test_predict_time_frames_with_other_values_never_break_the_schema(frame, seed):
    """New rows drawn from other columns of the same dtypes: model-ready or a clear error,
    and unseen categories become missing rather than new codes."""
    rng = np.random.default_rng(seed)
    y = rng.normal(size=len(frame))
    prepared = _prepare(frame, y, classification=False)
    if prepared is None:
        return
    shuffled = frame.sample(frac=1.0, random_state=seed).reset_index(drop=True)
    shuffled = shuffled.astype(object).where(rng.random(shuffled.shape) > 0.3, None)
    try:
        model_frame = to_model_frame(prepared.schema, align_columns(prepared.schema, shuffled))
    except (ValueError, TypeError) as error:
        assert str(error).strip()
        return
    assert list(model_frame.columns) == list(prepared.X.columns)
    for name, column in model_frame.items():
        expected = prepared.X[name].dtype
        if isinstance(expected, pd.CategoricalDtype):
            assert list(column.cat.categories) == list(expected.categories)
        else:
            assert column.dtype == np.float64


@pytest.mark.parametrize(
    "y, message",
    [
        (np.array([np.nan] * 6), "missing"),
        (np.array([1.0, np.inf, 2, 3, 4, 5]), "infinity"),
        (np.array(["a"] * 6, dtype=object), "only one class"),
    ],
)
def test_bad_targets_name_the_problem(y, message):
    frame = pd.DataFrame({"x": np.arange(6.0)})
    classification = y.dtype == object
    with pytest.raises(ValueError, match=message):
        prepare_training_data(frame, y, classification=classification)


def test_single_row_classes_are_accepted():
    frame = pd.DataFrame({"x": np.arange(5.0)})
    prepared = prepare_training_data(
        frame, np.array(["a", "a", "a", "b", "c"]), classification=True
    )
    assert list(prepared.classes) == ["a", "b", "c"]


def test_numbers_in_an_object_array_are_class_labels():
    frame = pd.DataFrame({"x": np.arange(6.0)})
    y = pd.Series([0, 1, 0, 1, 1, 0], dtype=object)
    prepared = prepare_training_data(frame, y, classification=True)
    assert list(prepared.classes) == [0, 1]
    with pytest.raises(ValueError, match="mixes label types"):
        prepare_training_data(
            frame, np.array([0, "a", 0, 1, 1, "a"], dtype=object), classification=True
        )


@pytest.mark.slow
@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_fit_and_predict_on_fuzzed_tables(data):
    """Through fit and predict: a model whose predictions have the right shape, or a clear
    error before any search starts."""
    from automl import AutoMLClassifier, AutoMLRegressor

    frame = data.draw(tables(min_rows=10, max_rows=40))
    classification = data.draw(st.booleans())
    n = len(frame)
    if classification:
        y = data.draw(class_targets(n))
        model = AutoMLClassifier(time_budget=10, max_trials=2, n_jobs=1, history=None, verbose=0)
    else:
        y = np.array(data.draw(st.lists(st.floats(-100, 100), min_size=n, max_size=n)))
        model = AutoMLRegressor(time_budget=10, max_trials=2, n_jobs=1, history=None, verbose=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            model.fit(frame, y)
        except (ValueError, TypeError) as error:
            event("refused")
            assert str(error).strip()
            return
        event("fitted")
        predictions = model.predict(frame)
    assert predictions.shape == (n,)
    if classification:
        proba = model.predict_proba(frame)
        assert proba.shape == (n, len(model.classes_))
        assert np.allclose(proba.sum(axis=1), 1.0)
        assert set(predictions) <= set(model.classes_)
    else:
        assert np.isfinite(predictions).all()
