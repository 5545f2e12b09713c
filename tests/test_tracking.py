"""MLflow tracking against a real local tracking store (SQLite backend, no server)."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import textwrap

import numpy as np
import pytest

mlflow = pytest.importorskip("mlflow")

from automl import AutoMLClassifier, AutoMLRegressor  # noqa: E402
from automl.tracking import ENV_VARIABLE, TrackingWarning, redact_uri  # noqa: E402


@pytest.fixture(autouse=True)
def _artifacts_out_of_the_repository(tmp_path, monkeypatch):
    """A SQLite tracking store keeps run artifacts under ./mlruns: in the test's folder."""
    monkeypatch.chdir(tmp_path)


def _data(n=300, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 4))
    return X, X[:, 0] + rng.normal(scale=0.1, size=n)


def _runs(uri):
    client = mlflow.tracking.MlflowClient(uri)
    experiment = client.get_experiment_by_name("automl")
    if experiment is None:
        return client, None, []
    runs = client.search_runs([experiment.experiment_id])
    parents = [r for r in runs if "mlflow.parentRunId" not in r.data.tags]
    children = [r for r in runs if "mlflow.parentRunId" in r.data.tags]
    assert len(parents) <= 1
    return client, (parents[0] if parents else None), children


@pytest.mark.slow
def test_a_fit_logs_its_parameters_trials_card_and_a_model_that_loads_back(tmp_path):
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    X, y = _data()
    model = AutoMLRegressor(
        time_budget=15,
        max_trials=5,
        random_state=0,
        verbose=0,
        history=None,
        mlflow_tracking=uri,
    ).fit(X, y)
    client, parent, children = _runs(uri)
    assert parent.info.status == "FINISHED"
    assert set(model.get_params()) <= set(parent.data.params)
    assert parent.data.params["max_trials"] == "5"
    assert parent.data.metrics["best_rmse"] == pytest.approx(model.best_score_)
    assert len(children) == len(model.trials_)
    assert {c.data.tags["mlflow.parentRunId"] for c in children} == {parent.info.run_id}
    child = next(c for c in children if c.data.params["trial_id"] == "0")
    first = model.trials_[0]
    assert child.data.params["config.model"] == first["config"]["model"]
    assert child.data.metrics["score"] == pytest.approx(first["score"])
    card_path = client.download_artifacts(parent.info.run_id, "run_card.json", str(tmp_path))
    with open(card_path, encoding="utf-8") as file:
        assert json.load(file) == model.run_card_.to_dict()
    mlflow.set_tracking_uri(uri)
    try:
        loaded = mlflow.sklearn.load_model(f"runs:/{parent.info.run_id}/model")
        as_pyfunc = mlflow.pyfunc.load_model(f"runs:/{parent.info.run_id}/model")
    finally:
        mlflow.set_tracking_uri(None)
    # forest members add their trees up in threads, in any order: equal up to rounding
    assert np.allclose(loaded.predict(X), model.predict(X), rtol=1e-12, atol=1e-12)
    assert np.allclose(np.asarray(as_pyfunc.predict(X)), model.predict(X), rtol=1e-12, atol=1e-12)


@pytest.mark.slow
def test_the_environment_variable_turns_it_on_and_false_turns_it_off(tmp_path, monkeypatch):
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    monkeypatch.setenv(ENV_VARIABLE, uri)
    X, y = _data()
    params = dict(time_budget=10, max_trials=2, verbose=0, history=None)
    AutoMLRegressor(**params, mlflow_tracking=False).fit(X, y)
    assert _runs(uri)[1] is None
    AutoMLRegressor(**params).fit(X, y)
    assert _runs(uri)[1].info.status == "FINISHED"


@pytest.mark.slow
def test_an_unusable_tracking_store_is_a_warning_and_the_fit_goes_on(tmp_path):
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    X, y = _data()
    with pytest.warns(TrackingWarning, match="MLflow tracking failed"):
        model = AutoMLRegressor(
            time_budget=10,
            max_trials=2,
            verbose=0,
            history=None,
            mlflow_tracking=f"sqlite:///{blocked / 'mlflow.db'}",
        ).fit(X, y)
    assert model.predict(X).shape == (len(X),)


def test_a_failing_fit_marks_its_run_failed(tmp_path, monkeypatch):
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("automl.estimator.run_search", broken)
    X, y = _data()
    with pytest.raises(RuntimeError, match="boom"):
        AutoMLRegressor(time_budget=10, history=None, verbose=0, mlflow_tracking=uri).fit(X, y)
    assert _runs(uri)[1].info.status == "FAILED"


def test_bad_values_are_clear_errors():
    X, y = _data()
    with pytest.raises(ValueError, match="mlflow_tracking must be"):
        AutoMLRegressor(mlflow_tracking=3).fit(X, y)


SCRIPT = textwrap.dedent(
    """
    import logging, sys
    import numpy as np
    from automl import AutoMLClassifier
    logger = logging.getLogger("automl")  # logs "trial N ..." once a trial is recorded
    logger.addHandler(logging.StreamHandler(sys.stdout))
    logger.setLevel(logging.DEBUG)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 5)); y = (X[:, 0] > 0).astype(int)
    model = AutoMLClassifier(time_budget=120, n_jobs=2, random_state=0, verbose=0,
                             history=None, mlflow_tracking=sys.argv[1],
                             include=["logistic_regression", "naive_bayes"])
    print("start", flush=True)
    model.fit(X, y)
    print("result", model.interrupted_, len(model.trials_), flush=True)
    """
)


@pytest.mark.slow
def test_ctrl_c_logs_what_finished_and_marks_the_run_killed(tmp_path):
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    with subprocess.Popen(
        [sys.executable, "-c", SCRIPT, uri], stdout=subprocess.PIPE, text=True
    ) as process:
        try:
            assert process.stdout.readline().strip() == "start"
            assert any(line.startswith("trial ") for line in process.stdout)
            process.send_signal(signal.SIGINT)
            result = next(
                (line.split()[1:] for line in process.stdout if line.startswith("result ")), None
            )
            assert process.wait(timeout=120) == 0 and result
        finally:
            if process.poll() is None:
                process.kill()
    interrupted, n_trials = result
    assert interrupted == "True"
    _, parent, children = _runs(uri)
    assert parent.info.status == "KILLED"
    assert len(children) == int(n_trials) >= 1


def test_unused_imports_do_not_load_mlflow():
    code = "import sys, automl; automl.AutoMLClassifier(); print('mlflow' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
    assert AutoMLClassifier().mlflow_tracking is None


def test_a_password_in_the_tracking_uri_is_never_recorded():
    from automl.settings import make_settings

    uri = "postgresql://alice:s3cret@db.example.org:5432/mlflow"
    assert redact_uri(uri) == "postgresql://alice:***@db.example.org:5432/mlflow"
    assert redact_uri("sqlite:///m.db") == "sqlite:///m.db" and redact_uri(True) is True
    params = AutoMLRegressor(mlflow_tracking=uri).get_params()
    assert "s3cret" not in str(make_settings(params).recorded())
