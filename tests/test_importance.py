"""Permutation importance in the user's own columns."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from automl import AutoMLClassifier, AutoMLRegressor
from automl.cli import main


def _data(n=400, seed=0):
    rng = np.random.default_rng(seed)
    signal = rng.normal(size=n)
    y = (signal + 0.5 * rng.normal(size=n) > 0).astype(int)
    X = pd.DataFrame(
        {
            "noise": rng.normal(size=n),
            "signal": signal,
            "leak": y + 0.01 * rng.normal(size=n),  # the target itself, barely disguised
            "city": pd.Categorical(rng.choice(["a", "b", "c"], size=n)),
            "when": pd.date_range("2020-01-01", periods=n, freq="D"),
        }
    )
    return X, np.where(y == 1, "yes", "no")


@pytest.fixture(scope="module")
def fitted():
    X, y = _data()
    model = AutoMLClassifier(
        time_budget=60,
        max_trials=3,
        n_jobs=1,
        random_state=0,
        include=["logistic_regression"],
        history=None,
        verbose=0,
    )
    return model.fit(X, y), X, y


@pytest.mark.slow
def test_a_leaking_column_ranks_first_and_noise_stays_near_zero(fitted):
    model, X, y = fitted
    held_out_X, held_out_y = _data(seed=1)
    table = model.feature_importance(held_out_X, held_out_y, n_repeats=5)
    assert list(table["feature"])[0] == "leak"
    assert set(table["feature"]) == set(X.columns)  # the user's columns: "when" once, not parts
    noise = table.set_index("feature").loc["noise"]
    assert abs(noise["importance"]) <= 2 * noise["std"] + 1e-3
    assert (table["repeats"] == 5).all() and table.attrs["metric"] == "roc_auc"


@pytest.mark.slow
def test_bounded_by_rows_and_time(fitted):
    model, X, y = fitted
    table = model.feature_importance(X, y, n_repeats=50, max_rows=50, time_limit=1e-6)
    assert table.attrs["rows"] == 50
    assert (table["repeats"] == 1).all()  # the time limit stops after one full repeat


@pytest.mark.slow
def test_bad_input_is_a_clear_error(fitted):
    model, X, y = fitted
    with pytest.raises(ValueError, match=r"(?s)now missing:.*- signal"):
        model.feature_importance(X.drop(columns=["signal"]), y)
    with pytest.raises(ValueError, match="not fitted on: maybe"):
        model.feature_importance(X, np.where(y == "yes", "maybe", y))
    with pytest.raises(ValueError, match="n_repeats"):
        model.feature_importance(X, y, n_repeats=0)
    with pytest.raises(ValueError, match="different lengths"):
        model.feature_importance(X, y[:-1])


@pytest.mark.slow
def test_regression_and_the_command_line(tmp_path, capsys):
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"x": rng.normal(size=300), "noise": rng.normal(size=300)})
    y = 3 * X["x"] + 0.1 * rng.normal(size=300)
    model = AutoMLRegressor(
        time_budget=60,
        max_trials=2,
        n_jobs=1,
        random_state=0,
        include=["ridge"],
        history=None,
        verbose=0,
    ).fit(X, y)
    table = model.feature_importance(X, y)
    assert table["feature"].iloc[0] == "x" and table.attrs["metric"] == "rmse"
    data = tmp_path / "train.csv"
    X.assign(target=y).to_csv(data, index=False)
    assert (
        main(
            [
                "fit",
                str(data),
                "--target",
                "target",
                "--time-budget",
                "20",
                "--max-trials",
                "2",
                "--history",
                "none",
                "--out",
                str(tmp_path / "m.joblib"),
            ]
        )
        == 0
    )
    assert (
        main(
            [
                "importance",
                str(tmp_path / "m.joblib"),
                str(data),
                "--out",
                str(tmp_path / "imp.csv"),
            ]
        )
        == 0
    )
    written = pd.read_csv(tmp_path / "imp.csv")
    assert written["feature"].iloc[0] == "x"
    X.to_csv(tmp_path / "no_target.csv", index=False)
    with pytest.raises(SystemExit) as stopped:
        main(["importance", str(tmp_path / "m.joblib"), str(tmp_path / "no_target.csv")])
    assert stopped.value.code == 2
    assert "importance needs the true values" in capsys.readouterr().err
