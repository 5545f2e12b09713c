"""The HTML report: from a fitted model, from a history run, comparing runs; self-contained."""

from __future__ import annotations

import re

import joblib
import numpy as np
import pandas as pd
import pytest

pytest.importorskip("plotly")
pytest.importorskip("jinja2")

from automl import AutoMLClassifier  # noqa: E402
from automl.cli import main  # noqa: E402
from automl.history import open_store  # noqa: E402
from automl.report import compare_runs, from_estimator, from_history, write_report  # noqa: E402


def _data(n=300, seed=0):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(
        {
            "signal": rng.normal(size=n),
            "noise": rng.normal(size=n),
            "colour": rng.choice(["red", "green", "blue"], size=n),
        }
    )
    y = np.where(X["signal"] + 0.3 * (X["colour"] == "red") > 0, "yes", "no")
    return X, y


@pytest.fixture(scope="module")
def fitted(tmp_path_factory):
    store = tmp_path_factory.mktemp("report") / "history.sqlite"
    X, y = _data()
    model = AutoMLClassifier(
        time_budget=15,
        max_trials=8,
        ensemble_size=5,
        random_state=0,
        verbose=0,
        history=str(store),
    )
    model.fit(X, y, dataset_name="toy")
    return model, store, X, y


def _plots(html: str) -> list[str]:
    return re.findall(r'data-plot="([a-z]+)"', html)


def test_a_report_of_a_fitted_model_is_one_offline_file(fitted, tmp_path):
    model, _, X, y = fitted
    path = write_report(from_estimator(model, X, y, n_repeats=2), tmp_path / "r.html")
    html = path.read_text(encoding="utf-8")
    # nothing is fetched: no external scripts, styles, images or frames
    assert not re.search(r"<(script|img|iframe)[^>]+src=", html)
    assert not re.search(r"<link[^>]+href=", html)
    assert html.count("<script>") >= 2  # plotly.js inlined, then the figures
    assert _plots(html) == ["anytime", "scores", "timeline", "importance", "weights"]
    for text in (model.run_card_.data.fingerprint, "5-fold", model.metric_, "signal"):
        assert text in html
    rows = re.search(r"<tbody>(.*?)</tbody>", html, re.S).group(1).count("<tr>")
    assert rows == len(model.trials_)


def test_no_importance_without_rows_and_clear_errors(fitted, tmp_path):
    model, _, X, y = fitted
    html = write_report(from_estimator(model), tmp_path / "r.html").read_text(encoding="utf-8")
    assert "importance" not in _plots(html)
    with pytest.raises(ValueError, match="both X and y"):
        from_estimator(model, X)
    with pytest.raises(ValueError, match=r"\.html"):
        write_report(from_estimator(model), tmp_path / "r.pdf")
    with pytest.raises(TypeError, match="fitted automl estimator"):
        from_estimator(AutoMLClassifier())


def test_a_history_run_and_a_comparison_of_runs(fitted, tmp_path):
    model, store_path, X, y = fitted
    AutoMLClassifier(
        time_budget=10, max_trials=4, random_state=1, verbose=0, history=str(store_path)
    ).fit(X, y, dataset_name="toy")
    with open_store(store_path) as store:
        one = from_history(store, model.history_run_id_[:8])
        assert one.card == model.run_card_ and not one.missing
        assert len(one.trials) == len(model.trials_)
        both = compare_runs(store, "toy")
        assert len(both.compared) == 2
        with pytest.raises(ValueError, match="no run on a dataset"):
            compare_runs(store, "other")
    html = write_report(both, tmp_path / "c.html").read_text(encoding="utf-8")
    assert _plots(html)[0] == "compared"


def test_a_run_recorded_before_cards_says_what_it_lacks(fitted, tmp_path):
    model, store_path, _, _ = fitted
    with open_store(store_path) as store:
        import sqlalchemy as sa

        with store._engine.begin() as connection:
            connection.execute(sa.text("UPDATE runs SET card = NULL"))
            connection.execute(sa.text("UPDATE trials SET worker = NULL, finished = NULL"))
        report = from_history(store, model.history_run_id_)
    assert report.card is None and len(report.missing) == 2
    html = write_report(report, tmp_path / "old.html").read_text(encoding="utf-8")
    assert "schema 3" in html and _plots(html) == ["anytime", "scores", "timeline"]


def test_the_command_line(fitted, tmp_path, capsys):
    model, store_path, X, y = fitted
    model_path = tmp_path / "model.joblib"
    joblib.dump(model, model_path)
    rows = X.assign(target=y)
    rows.to_csv(tmp_path / "rows.csv", index=False)
    model.target_name_ = "target"
    joblib.dump(model, model_path)
    out = tmp_path / "report.html"
    assert (
        main(["report", str(model_path), "--data", str(tmp_path / "rows.csv"), "--out", str(out)])
        == 0
    )
    assert "importance" in _plots(out.read_text(encoding="utf-8"))
    out2 = tmp_path / "history.html"
    assert (
        main(
            [
                "report",
                "--history",
                "--dataset",
                "toy",
                "--store",
                str(store_path),
                "--out",
                str(out2),
            ]
        )
        == 0
    )
    assert out2.is_file()
    capsys.readouterr()
    for argv, message in [
        (["report"], "give a saved MODEL"),
        (["report", str(tmp_path / "none.joblib")], "not found"),
        (["report", "--history", "--store", str(store_path)], "either --run"),
        (["report", "--history", "--run", "zzz", "--store", str(store_path)], "zzz"),
    ]:
        with pytest.raises(SystemExit) as exit_:
            main(argv)
        assert exit_.value.code == 2
        error = capsys.readouterr().err
        assert message in error and error.count("\n") == 1
