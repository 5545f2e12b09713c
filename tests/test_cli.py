"""The command line: fit and predict on CSV files, and one-line errors for bad input."""

import numpy as np
import pandas as pd
import pytest

from automl.cli import main


@pytest.fixture(scope="module")
def train_csv(tmp_path_factory):
    rng = np.random.default_rng(0)
    n = 200
    frame = pd.DataFrame(
        {
            "rooms": rng.integers(1, 6, size=n),
            "area": rng.normal(80, 20, size=n).round(1),
            "district": rng.choice(["north", "south", "east"], size=n),
        }
    )
    frame["price"] = frame["area"] * 3 + frame["rooms"] * 10 + (frame["district"] == "north") * 50
    frame["price"] += rng.normal(0, 5, size=n)
    path = tmp_path_factory.mktemp("cli") / "train.csv"
    frame.to_csv(path, index=False)
    return path


@pytest.mark.slow
def test_fit_then_predict(train_csv, tmp_path, capsys):
    model = tmp_path / "model.joblib"
    code = main(
        [
            "fit",
            str(train_csv),
            "--target",
            "price",
            "--time-budget",
            "30",
            "--max-trials",
            "2",
            "--n-jobs",
            "1",
            "--random-state",
            "0",
            "--out",
            str(model),
        ]
    )
    assert code == 0 and model.exists()
    assert "regression" in capsys.readouterr().err
    out = tmp_path / "predictions.csv"
    assert main(["predict", str(model), str(train_csv), "--out", str(out)]) == 0
    predictions = pd.read_csv(out)
    truth = pd.read_csv(train_csv)["price"]
    assert len(predictions) == len(truth)
    assert np.corrcoef(predictions["prediction"], truth)[0, 1] > 0.9


@pytest.mark.slow
def test_classification_with_probabilities(train_csv, tmp_path):
    frame = pd.read_csv(train_csv)
    frame["expensive"] = np.where(frame["price"] > frame["price"].median(), "yes", "no")
    data = tmp_path / "labels.csv"
    frame.drop(columns=["price"]).to_csv(data, index=False)
    model = tmp_path / "clf.joblib"
    assert (
        main(
            [
                "fit",
                str(data),
                "--target",
                "expensive",
                "--max-trials",
                "6",
                "--n-jobs",
                "2",
                "--ensemble-size",
                "10",
                "--strategy",
                "evolution",
                "--out",
                str(model),
            ]
        )
        == 0
    )
    out = tmp_path / "p.csv"
    assert main(["predict", str(model), str(data), "--proba", "--out", str(out)]) == 0
    result = pd.read_csv(out)
    assert set(result.columns) == {"prediction", "proba_no", "proba_yes"}
    import joblib

    fitted = joblib.load(model)
    assert len(fitted.ensemble_) >= 1 and fitted.get_params()["strategy"] == "evolution"
    expected = fitted.predict_proba(frame.drop(columns=["price", "expensive"]))
    assert np.allclose(result[["proba_no", "proba_yes"]].to_numpy(), expected, atol=1e-9)


@pytest.mark.parametrize(
    "arguments, message",
    [
        (["fit", "does-not-exist.csv", "--target", "y"], "data file not found"),
        (["fit", "{train}", "--target", "prise"], "Did you mean 'price'"),
        (["fit", "{train}", "--target", "price", "--metric", "accuracy"], "for classification"),
        (["fit", "{train}", "--target", "price", "--metric", "bogus"], "Unknown metric"),
        (["predict", "no-model.joblib", "{train}"], "model file not found"),
        (["predict", "{train}", "{train}"], "cannot load a model"),
    ],
)
def test_errors_are_one_clear_line(arguments, message, train_csv, capsys):
    arguments = [a.replace("{train}", str(train_csv)) for a in arguments]
    with pytest.raises(SystemExit) as exit_info:
        main(arguments)
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_help_describes_commands(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    text = capsys.readouterr().out
    assert "fit" in text and "predict" in text


def test_strategy_choices_are_the_search_strategies(capsys):
    from automl.search import STRATEGIES

    with pytest.raises(SystemExit):
        main(["fit", "--help"])
    assert "{" + ",".join(STRATEGIES) + "}" in capsys.readouterr().out
    with pytest.raises(SystemExit) as exit_info:
        main(["fit", "x.csv", "--target", "y", "--strategy", "hillclimb"])
    assert exit_info.value.code == 2
    assert "invalid choice: 'hillclimb'" in capsys.readouterr().err


def test_installed_packages_add_their_commands(capsys):
    from declared_plugins import installed_as_declared

    with installed_as_declared(), pytest.raises(SystemExit) as exit_info:
        main(["metabase", "build", "--help"])
    assert exit_info.value.code == 0
    assert "--search-budget" in capsys.readouterr().out  # metalearning's own arguments


def test_a_command_that_cannot_be_loaded_is_skipped_with_a_warning(monkeypatch, capsys):
    from importlib.metadata import EntryPoint

    from automl import plugins

    broken = EntryPoint("broken", "no_such_package.cli:add_command", plugins.COMMANDS)
    monkeypatch.setattr(plugins, "installed", lambda group: {"broken": broken})
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    captured = capsys.readouterr()
    assert "fit" in captured.out and "broken" not in captured.out
    assert "command 'broken' (no_such_package.cli:add_command) cannot be loaded" in captured.err
