"""The data layer: accepted inputs, and a clear error for each kind of bad input."""

import warnings

import numpy as np
import pandas as pd
import pytest

from automl.data import BINARY, MULTICLASS, REGRESSION, DataWarning, align_columns, to_model_frame
from automl.training_data import prepare_training_data


def mixed_frame(n=40):
    rng = np.random.default_rng(0)
    return pd.DataFrame(
        {
            "number": rng.normal(size=n),
            "integer": rng.integers(0, 5, size=n),
            "flag": rng.integers(0, 2, size=n).astype(bool),
            "text": rng.choice(["a", "b", "c"], size=n).astype(object),
            "category": pd.Categorical(rng.choice(["x", "y"], size=n)),
            "when": pd.date_range("2020-01-01", periods=n, freq="37h"),
        }
    )


def test_mixed_types_become_float_and_category_columns():
    X = mixed_frame()
    X.loc[3, "number"] = np.nan
    X.loc[4, "text"] = None
    prepared = prepare_training_data(X, np.arange(40) % 2, classification=True)
    frame = prepared.X
    assert prepared.task == BINARY
    assert frame["number"].dtype == np.float64 and np.isnan(frame.loc[3, "number"])
    assert frame["flag"].dtype == np.float64
    assert isinstance(frame["text"].dtype, pd.CategoricalDtype)
    assert list(frame["text"].cat.categories) == ["a", "b", "c"]
    assert pd.isna(frame.loc[4, "text"])
    assert {"when__year", "when__month", "when__weekday", "when__hour"} <= set(frame.columns)
    assert "when" not in frame.columns
    assert prepared.schema.categorical_columns == ["text", "category"]


def test_task_inference_and_label_types():
    X = np.random.default_rng(0).normal(size=(30, 2))
    assert prepare_training_data(X, ["yes", "no"] * 15, classification=True).task == BINARY
    prepared = prepare_training_data(X, np.arange(30) % 3, classification=True)
    assert prepared.task == MULTICLASS and list(prepared.classes) == [0, 1, 2]
    prepared = prepare_training_data(X, [True, False] * 15, classification=True)
    assert list(prepared.classes) == [False, True]
    assert prepare_training_data(X, np.linspace(0, 1, 30), classification=False).task == REGRESSION


def test_numbers_looking_categories_are_one_label_per_value():
    X = pd.DataFrame({"code": pd.Categorical([1.0, 2.0, np.nan, 1.0])})
    prepared = prepare_training_data(X, [0, 1, 0, 1], classification=True)
    assert list(prepared.X["code"].cat.categories) == ["1", "2"]


@pytest.mark.parametrize(
    "X, y, error, message",
    [
        (np.empty((0, 3)), [], ValueError, "0 sample"),
        (np.ones((4, 0)), [0, 1, 0, 1], ValueError, "0 feature"),
        (np.ones((4, 2)), [0, 1, 0], ValueError, "X has 4 rows but y has 3"),
        (np.ones((4, 2)), [0, 1, None, 1], ValueError, "missing value"),
        (np.ones((4, 2)), [1, 1, 1, 1], ValueError, "only one class"),
        (np.array([["a", "b"], ["c", "d"]]), [0, 1], ValueError, "non-numeric"),
        (np.array([[1.0, np.inf], [2.0, 3.0]]), [0, 1], ValueError, "infinity"),
        (np.ones(4), [0, 1, 0, 1], ValueError, "2-D"),
        (np.ones((4, 2)), None, ValueError, "requires y"),
        (np.ones((4, 2)), np.linspace(0, 1, 4) + 0.123, ValueError, "continuous"),
        (np.ones((4, 2)), np.ones((4, 2)), ValueError, "multi-output"),
    ],
)
def test_bad_training_input_gets_a_clear_error(X, y, error, message):
    with pytest.raises(error, match=message):
        prepare_training_data(X, y, classification=True)


def test_regression_target_must_be_numeric():
    with pytest.raises(ValueError, match="numeric for regression"):
        prepare_training_data(np.ones((3, 1)), ["a", "b", "c"], classification=False)


def test_duplicated_column_names_are_refused():
    X = pd.DataFrame([[1, 2], [3, 4]], columns=["a", "a"])
    with pytest.raises(ValueError, match="duplicated column names"):
        prepare_training_data(X, [0, 1], classification=True)


def test_all_missing_column_is_dropped_with_a_warning():
    X = pd.DataFrame({"good": [1.0, 2.0, 3.0, 4.0], "empty": [np.nan] * 4})
    with pytest.warns(DataWarning, match="empty"):
        prepared = prepare_training_data(X, [0, 1, 0, 1], classification=True)
    assert list(prepared.X.columns) == ["good"]
    assert prepared.schema.dropped == ("empty",)


def test_every_column_missing_is_an_error():
    X = pd.DataFrame({"empty": [np.nan] * 4})
    with warnings.catch_warnings(), pytest.raises(ValueError, match="entirely missing"):
        warnings.simplefilter("ignore", DataWarning)
        prepare_training_data(X, [0, 1, 0, 1], classification=True)


def test_columns_are_matched_by_name_at_predict_time():
    X = mixed_frame()
    schema = prepare_training_data(X, np.arange(40) % 2, classification=True).schema
    reordered = X[list(reversed(X.columns))]
    aligned = align_columns(schema, reordered)
    pd.testing.assert_frame_equal(aligned, X)

    with pytest.raises(ValueError, match=r"yet now missing:\n- text"):
        align_columns(schema, X.drop(columns=["text"]))
    with pytest.raises(ValueError, match=r"unseen at fit time:\n- surprise"):
        align_columns(schema, X.assign(surprise=1))


def test_unseen_categories_become_missing_not_an_error():
    X = mixed_frame()
    schema = prepare_training_data(X, np.arange(40) % 2, classification=True).schema
    new = X.head(3).copy()
    new["text"] = ["a", "never seen", None]
    frame = to_model_frame(schema, align_columns(schema, new))
    assert frame["text"].iloc[0] == "a"
    assert frame["text"].isna().tolist() == [False, True, True]


@pytest.mark.parametrize(
    "as_given",
    [
        lambda labels: pd.Series(labels, dtype=object),
        lambda labels: pd.Series(labels, dtype="category"),
        lambda labels: pd.Series(labels, dtype="category").cat.set_categories(["z", 2.0, 1.0]),
        lambda labels: pd.Series(labels, dtype="category").cat.as_ordered(),
    ],
    ids=["object", "category", "category-other-order", "ordered"],
)
def test_a_category_column_is_coded_as_fit_whatever_its_dtype(as_given):
    """Predict-time columns are coded by the fit's categories: a categorical column's
    categories are labelled once instead of each row, with the same codes as row by row."""
    X = pd.DataFrame({"code": pd.Categorical([1.0, 2.0, np.nan, 1.0, 2.0])})
    schema = prepare_training_data(X, [0, 1, 0, 1, 0], classification=True).schema
    new = pd.DataFrame({"code": as_given([2.0, np.nan, 1.0, 2.0, 1.0])})
    frame = to_model_frame(schema, align_columns(schema, new))
    assert list(frame["code"].cat.categories) == ["1", "2"]
    assert frame["code"].cat.codes.tolist() == [1, -1, 0, 1, 0]
    if isinstance(new["code"].dtype, pd.CategoricalDtype):  # a category unseen at fit: missing
        unseen = new["code"].copy()
        if "z" not in unseen.cat.categories:
            unseen = unseen.cat.add_categories(["z"])
        unseen.iloc[0] = "z"
        frame = to_model_frame(schema, align_columns(schema, pd.DataFrame({"code": unseen})))
        assert frame["code"].cat.codes.tolist() == [-1, -1, 0, 1, 0]


@pytest.mark.parametrize(
    "values, labels",
    [
        (["b", "a", None, "a", "c"], ["b", "a", None, "a", None]),  # "c" unseen at fit
        ([True, 1, "1", 1.0, None], ["True", "1", "1", "1", None]),  # True == 1, labelled apart
        ([1, 2.0, np.nan, 2, 1.0], ["1", "2", None, "2", "1"]),
    ],
    ids=["strings", "mixed", "numbers"],
)
def test_an_object_column_is_coded_by_its_values_labels(values, labels):
    X = pd.DataFrame({"code": pd.Series(["a", "b", "1", "True", "2"], dtype=object)})
    schema = prepare_training_data(X, [0, 1, 0, 1, 0], classification=True).schema
    new = pd.DataFrame({"code": pd.Series(values, dtype=object)})
    coded = to_model_frame(schema, align_columns(schema, new))["code"]
    assert [None if pd.isna(v) else v for v in coded] == labels


def test_numeric_column_with_text_at_predict_time_is_named():
    X = mixed_frame()
    schema = prepare_training_data(X, np.arange(40) % 2, classification=True).schema
    new = X.head(2).astype({"number": object})
    new.loc[new.index[0], "number"] = "oops"
    with pytest.raises(ValueError, match="'number'.*non-numeric"):
        to_model_frame(schema, align_columns(schema, new))


def test_numpy_input_checks_width_at_predict_time():
    schema = prepare_training_data(np.ones((4, 3)), [0, 1, 0, 1], classification=True).schema
    with pytest.raises(ValueError, match="X has 2 features, but .* expecting 3"):
        align_columns(schema, np.ones((2, 2)))


def test_names_are_made_safe_for_every_library():
    X = pd.DataFrame({"a[0]": [1.0, 2.0, 3.0, 4.0], 'b"': [1.0, 2.0, 3.0, 5.0]})
    prepared = prepare_training_data(X, [0, 1, 0, 1], classification=True)
    assert all(not set('[]{}",:') & set(name) for name in prepared.X.columns)


def test_a_column_coded_batch_by_batch_gets_the_codes_of_the_whole():
    """Predict-time coding is cached per set of distinct values: batches agree with the whole,
    and values that compare equal across dtypes (True == 1) keep their own labels."""
    X = pd.DataFrame({"code": pd.Series(["a", "b", "1", "True", "c"], dtype=object)})
    schema = prepare_training_data(X, [0, 1, 0, 1, 0], classification=True).schema
    values = pd.Series(["b", "a", None, "zz", "c", "a", "b", None], dtype="str")
    whole = to_model_frame(schema, align_columns(schema, pd.DataFrame({"code": values})))
    for start in range(0, len(values), 3):
        batch = pd.DataFrame({"code": values.iloc[start : start + 3]})
        coded = to_model_frame(schema, align_columns(schema, batch))["code"]
        assert coded.cat.codes.tolist() == whole["code"].cat.codes.tolist()[start : start + 3]
    for given, label in [(pd.Series([True, True]), "True"), (pd.Series([1, 1]), "1")]:
        coded = to_model_frame(schema, align_columns(schema, pd.DataFrame({"code": given})))
        assert coded["code"].tolist() == [label, label]


def test_predict_time_numbers_of_any_numpy_dtype_become_floats_and_infinity_is_named():
    X = mixed_frame()
    schema = prepare_training_data(X, np.arange(40) % 2, classification=True).schema
    new = X.head(3).astype({"number": np.float32, "integer": np.uint8})
    frame = to_model_frame(schema, align_columns(schema, new))
    assert frame["integer"].dtype == np.float64 and frame["integer"].tolist() == [
        float(v) for v in X["integer"].head(3)
    ]
    assert frame["flag"].tolist() == [float(v) for v in X["flag"].head(3)]
    new.loc[new.index[1], "number"] = np.inf
    with pytest.raises(ValueError, match="'number' contains infinity"):
        to_model_frame(schema, align_columns(schema, new))


def test_predicting_leaves_the_callers_frame_as_it_was():
    """The predict path reads the caller's frame without copying it: its column names (made
    strings for the models) and values stay the caller's."""
    X = pd.DataFrame({0: [1.0, np.nan, 3.0, 4.0], 1: ["a", "b", None, "a"]})
    schema = prepare_training_data(X, [0, 1, 0, 1], classification=True).schema
    before = X.copy()
    frame = to_model_frame(schema, align_columns(schema, X))
    frame.iloc[0, 0] = 99.0
    pd.testing.assert_frame_equal(X, before)
    assert list(X.columns) == [0, 1]
