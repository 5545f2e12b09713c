"""``automl fit``'s options reach the estimator, Parquet and Feather go in and out, group and
weight columns are no features, and bad values are one-line errors with exit code 2."""

import io

import joblib
import numpy as np
import pandas as pd
import pytest

from automl import AutoMLClassifier, AutoMLRegressor
from automl.cli import _parser, main
from automl.cli_fit import estimator_params, prepare_fit
from automl.history import open_store


@pytest.fixture(scope="module")
def houses():
    rng = np.random.default_rng(1)
    n = 150
    frame = pd.DataFrame(
        {
            "area": rng.normal(80, 20, size=n).round(1),
            "district": rng.choice(["north", "south", "east"], size=n),
            "site": rng.integers(0, 6, size=n),
            "weight": rng.uniform(0.5, 2.0, size=n),
        }
    )
    frame["price"] = frame["area"] * 3 + (frame["district"] == "north") * 50
    frame["price"] += rng.normal(0, 5, size=n)
    return frame


@pytest.fixture(scope="module")
def houses_parquet(houses, tmp_path_factory):
    path = tmp_path_factory.mktemp("options") / "houses.parquet"
    houses.to_parquet(path, index=False)
    return path


def _fit_args(data, *options):
    return _parser().parse_args(["fit", str(data), "--target", "price", *options])


def test_every_estimator_parameter_is_an_option_with_the_same_default(tmp_path):
    assert estimator_params(_fit_args(tmp_path / "x.csv")) == AutoMLRegressor().get_params()


def test_options_reach_the_estimator_and_fit(houses, houses_parquet, tmp_path):
    options = [
        *("--time-budget", "42", "--n-jobs", "1", "--per-trial-time-limit", "9"),
        *("--memory-limit", "1500", "--fit-memory-limit", "4000"),
        *("--metric", "mae", "--resampling", "cv4"),
        *("--strategy", "evolution", "--successive-halving", "off", "--early-stopping"),
        "--reshuffle-splits",
        *("--include", "gbm,ridge", "--exclude", "xgboost", "--max-trials", "7"),
        *("--random-state", "5", "--ensemble-size", "8", "--ensemble-max-members", "3"),
        *("--ensemble-max-latency", "50", "--ensemble-refit", "no", "--warm-start", "metabase"),
        *("--preset", "best_quality", "--second-layer", "no"),
        *("--history", str(tmp_path / "h.sqlite"), "--history-strict", "-q"),
        *("--mlflow-tracking", "sqlite:///m.db", "--no-keep-workers"),
        *("--group-column", "site", "--dataset-name", "houses", "--out", str(tmp_path / "m")),
    ]
    job = prepare_fit(_fit_args(houses_parquet, *options))
    assert isinstance(job.estimator, AutoMLRegressor)
    assert job.estimator.get_params() == {
        "time_budget": 42.0,
        "preset": "best_quality",
        "n_jobs": 1,
        "per_trial_time_limit": 9.0,
        "memory_limit": 1500.0,
        "fit_memory_limit": 4000.0,
        "metric": "mae",
        "resampling": 4,
        "strategy": "evolution",
        "successive_halving": False,
        "early_stopping": True,
        "reshuffle_splits": True,
        "include": ["gbm", "ridge"],
        "exclude": ["xgboost"],
        "max_trials": 7,
        "random_state": 5,
        "ensemble_size": 8,
        "ensemble_max_members": 3,
        "ensemble_max_latency": 50.0,
        "ensemble_refit": False,
        "second_layer": False,
        "warm_start": "metabase",
        "history": str(tmp_path / "h.sqlite"),
        "history_strict": True,
        "mlflow_tracking": "sqlite:///m.db",
        "keep_workers": False,
        "verbose": 0,
    }
    assert list(job.table.X.columns) == ["area", "district", "weight"]
    assert job.fit_keywords["dataset_name"] == "houses"
    assert np.array_equal(job.fit_keywords["groups"], houses["site"].to_numpy())
    for value, meaning in [("holdout", "holdout"), ("cv", "cv"), ("3", 3), ("auto", "auto")]:
        assert estimator_params(_fit_args("x.csv", "--resampling", value))["resampling"] == meaning
    limits = estimator_params(_fit_args("x.csv", "--memory-limit", "none"))
    assert limits["memory_limit"] is None and limits["per_trial_time_limit"] == "auto"
    assert estimator_params(_fit_args("x.csv", "--history", "none"))["history"] is None
    assert estimator_params(_fit_args("x.csv", "--warm-start", "none"))["warm_start"] is None
    assert estimator_params(_fit_args("x.csv", "--mlflow-tracking", "mlflow"))["mlflow_tracking"]


@pytest.mark.slow
def test_parquet_fit_keeps_groups_apart_and_predicts_to_parquet(houses, houses_parquet, tmp_path):
    model, history = tmp_path / "model.joblib", tmp_path / "history.sqlite"
    fit = ["fit", str(houses_parquet), "--target", "price", "--group-column", "site"]
    fit += ["--resampling", "cv3", "--include", "ridge", "--max-trials", "2", "--n-jobs", "1"]
    fit += ["--time-budget", "20", "--warm-start", "none", "--random-state", "0", "-q"]
    fit += ["--history", str(history), "--dataset-name", "houses", "--out", str(model)]
    assert main(fit) == 0
    fitted = joblib.load(model)
    assert fitted.resampling_ == "3-fold grouped cross-validation"
    assert "site" not in fitted.feature_names_in_ and fitted.get_params()["include"] == ["ridge"]
    assert {t["config"]["model"] for t in fitted.trials_} == {"ridge"}
    assert open_store(history).runs()[0]["dataset_name"] == "houses"

    out = tmp_path / "predictions.parquet"  # the file still has the group and target columns
    assert main(["predict", str(model), str(houses_parquet), "--out", str(out)]) == 0
    predictions = pd.read_parquet(out)["prediction"].to_numpy()
    assert np.allclose(predictions, fitted.predict(houses.drop(columns=["site", "price"])))
    table = tmp_path / "importance.feather"
    importance = ["importance", str(model), str(houses_parquet), "--repeats", "1"]
    assert main([*importance, "--out", str(table)]) == 0
    assert set(pd.read_feather(table)["feature"]) == {"area", "district", "weight"}


@pytest.mark.slow
def test_feather_fit_then_predict_with_named_formats(houses, tmp_path, capsys):
    frame = houses.drop(columns=["site", "weight"])
    frame["code"] = np.where(houses["area"] > 80, "012", "007")
    frame["expensive"] = np.where(frame.pop("price") > houses["price"].median(), "yes", "no")
    data = tmp_path / "labels.feather"
    frame.to_feather(data)
    model = tmp_path / "clf.joblib"
    fit = ["fit", str(data), "--target", "expensive", "--categorical", "code", "--n-jobs", "1"]
    fit += ["--max-trials", "2", "--time-budget", "20", "--warm-start", "none", "-q"]
    fit += ["--include", "logistic_regression"]
    assert main([*fit, "--history", "none", "--out", str(model)]) == 0
    fitted = joblib.load(model)
    assert isinstance(fitted, AutoMLClassifier) and "code" in fitted.schema_.categorical

    rows = tmp_path / "rows.dat"  # an extension that says nothing: the format is named
    frame.drop(columns=["expensive"]).to_feather(rows)
    out = tmp_path / "predictions.out"
    predict = ["predict", str(model), str(rows), "--format", "feather", "--proba"]
    assert main([*predict, "--out", str(out), "--out-format", "parquet"]) == 0
    written = pd.read_parquet(out)
    assert list(written.columns) == ["prediction", "proba_no", "proba_yes"]
    expected = fitted.predict_proba(frame.drop(columns=["expensive"]))
    assert np.allclose(written[["proba_no", "proba_yes"]].to_numpy(), expected)
    capsys.readouterr()
    assert main(predict) == 0  # no --out: CSV on standard output
    printed = pd.read_csv(io.StringIO(capsys.readouterr().out))
    assert printed["prediction"].tolist() == written["prediction"].tolist()


@pytest.mark.parametrize(
    "options, message",
    [
        (["--include", "lgbm"], "--include names an unknown model family 'lgbm'; known: ["),
        (["--exclude", "trees,svn"], "--exclude names an unknown model family 'svn'"),
        (["--time-budget", "-5"], "--time-budget must be a positive number of seconds"),
        (["--n-jobs", "0"], "--n-jobs must be a positive integer or -1"),
        (["--ensemble-size", "0"], "--ensemble-size must be 'auto' or a positive integer"),
        (["--ensemble-max-latency", "-1"], "--ensemble-max-latency must be 'auto', a positive"),
        (["--group-column", "sites"], "group column 'sites' is not in"),
        (["--weight-column", "weigth"], "weight column 'weigth' is not in"),
        (["--group-column", "price"], "one column cannot have two roles"),
        (["--out", "no-such-folder/m.joblib"], "there is no folder no-such-folder"),
        (["--format", "csv"], "cannot read"),
        (["--text", "descr"], "--text names columns not in"),
        (["--text", "district", "--categorical", "district"], "both --categorical and --text"),
    ],
)
def test_bad_values_are_one_line_errors(options, message, houses_parquet, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["fit", str(houses_parquet), "--target", "price", *options])
    assert exit_info.value.code == 2
    error = capsys.readouterr().err
    assert error.startswith("automl: error: ") and error.count("\n") == 1
    assert message in error


@pytest.mark.parametrize(
    "options, message",
    [
        (["--format", "xlsx"], "argument --format: invalid choice: 'xlsx'"),
        (["--resampling", "cv1"], "argument --resampling: 'cv1' is not understood"),
        (["--resampling", "cv5x0"], "argument --resampling: 'cv5x0' is not understood"),
        (["--memory-limit", "lots"], "argument --memory-limit: use a number, 'auto' or 'none'"),
        (["--successive-halving", "yes"], "argument --successive-halving: invalid choice"),
    ],
)
def test_values_argparse_rejects(options, message, houses_parquet, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["fit", str(houses_parquet), "--target", "price", *options])
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err.splitlines()[-1]


def test_text_and_categorical_columns_are_read_as_asked(houses, tmp_path):
    data = tmp_path / "houses.csv"
    houses.to_csv(data, index=False)
    job = prepare_fit(_fit_args(data, "--text", "district", "--categorical", "site"))
    assert job.table.X["district"].dtype == "string"  # text, though three labels
    assert job.table.X["site"].dtype == "category"


def test_an_unknown_extension_names_the_supported_ones(houses, tmp_path, capsys):
    data = tmp_path / "houses.xlsx"
    houses.to_csv(data, index=False)
    with pytest.raises(SystemExit) as exit_info:
        main(["fit", str(data), "--target", "price"])
    assert exit_info.value.code == 2
    error = capsys.readouterr().err
    assert "cannot tell the format of" in error and ".parquet, .pq, .feather, .arrow" in error


def test_bad_weights_in_the_weight_column_are_a_one_line_error(houses, tmp_path, capsys):
    frame = houses.assign(weight=houses["weight"].where(houses.index != 3, -1.0))
    data = tmp_path / "houses.parquet"
    frame.to_parquet(data, index=False)
    with pytest.raises(SystemExit) as exit_info:
        main(["fit", str(data), "--target", "price", "--weight-column", "weight"])
    assert exit_info.value.code == 2
    assert capsys.readouterr().err.splitlines()[-1] == (
        "automl: error: sample_weight has 1 negative value(s) (rows 3); weights must be >= 0."
    )


def test_weight_column_reaches_fit(houses, houses_parquet, monkeypatch, capsys):
    received = {}

    def fit(self, X, y, groups=None, *, sample_weight=None, dataset_name=None):
        received.update(columns=list(X.columns), sample_weight=sample_weight, groups=groups)
        raise ValueError("stopped before the search")

    monkeypatch.setattr(AutoMLRegressor, "fit", fit)
    with pytest.raises(SystemExit) as exit_info:
        main(["fit", str(houses_parquet), "--target", "price", "--weight-column", "weight"])
    assert exit_info.value.code == 2 and "stopped before the search" in capsys.readouterr().err
    assert received["columns"] == ["area", "district", "site"] and received["groups"] is None
    assert np.array_equal(received["sample_weight"], houses["weight"].to_numpy())


def test_fit_help_groups_the_options_as_the_readme_table(capsys):
    with pytest.raises(SystemExit):
        main(["fit", "--help"])
    sections = {}
    for block in capsys.readouterr().out.split("\n\n"):
        title, _, body = block.partition(":\n")
        sections[title.strip()] = body
    expected = {
        "data": ["--target", "--format", "--categorical", "--text", "--group-column"],
        "budget and resources": ["--time-budget", "--n-jobs", "--per-trial-time-limit"],
        "search": ["--metric", "--resampling", "--strategy", "--include", "--exclude"],
        "final model": ["--preset", "--ensemble-size", "--ensemble-refit"],
        "warm start and history": ["--warm-start", "--history", "--history-strict"],
        "output": ["--out", "--verbose", "--quiet"],
    }
    for title, options in expected.items():
        assert all(option in sections[title] for option in options), title
    assert "--memory-limit" not in sections["search"]


def test_repeated_cross_validation_is_an_accepted_resampling(houses_parquet, tmp_path):
    args = ["--resampling", "CV5x3", "--out", str(tmp_path / "m")]
    job = prepare_fit(_fit_args(houses_parquet, *args))
    assert job.estimator.get_params()["resampling"] == "cv5x3"
