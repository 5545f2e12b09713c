"""MLflow tracking of a fit: one parent run, one child run per trial, the model as an artifact.

Turned on by the estimator's ``mlflow_tracking`` (``True``: MLflow's own tracking URI, from
``MLFLOW_TRACKING_URI`` or its default; a string: that URI) or, when that is None, by the
environment variable ``AUTOML_MLFLOW_TRACKING_URI`` (a URI, or ``1``/``true`` for MLflow's
own). The experiment is ``MLFLOW_EXPERIMENT_NAME`` or ``"automl"``.

The parent run opens when ``fit`` starts, so a fit that fails or is interrupted is still
visible, and always ends: FINISHED, KILLED (Ctrl-C) or FAILED, never left RUNNING. Trials are
logged as child runs when the search has ended, not while it runs: each one costs a database
or network round trip, which must not hold up the search loop (the history store is the live
record). Tracking is a help, not the point of the fit: when the tracking server fails, the fit
goes on with one ``TrackingWarning``.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ENV_VARIABLE = "AUTOML_MLFLOW_TRACKING_URI"
DEFAULT_EXPERIMENT = "automl"
MISSING_EXTRA = 'MLflow tracking needs MLflow: pip install "automl[mlflow]"'
_TRUE = ("1", "true", "yes", "on")


class TrackingWarning(UserWarning):
    """MLflow tracking failed during a fit; the fit went on without it."""


def check_tracking(value: Any) -> bool | str | None:
    """Validate the ``mlflow_tracking`` parameter (before any work starts)."""
    if value is None or isinstance(value, bool) or (isinstance(value, str) and value):
        return value
    raise ValueError(
        f"mlflow_tracking must be True, False, None or a tracking URI string, got {value!r}."
    )


def redact_uri(value: Any) -> Any:
    """A tracking URI without its password (it is recorded in the history, the run card and
    the run's own parameters); other values unchanged."""
    if not isinstance(value, str) or "@" not in value:
        return value
    parts = urlsplit(value)
    if parts.password is None:
        return value
    netloc = f"{parts.username}:***@{parts.hostname}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


def resolve_tracking(value: bool | str | None) -> str | bool | None:
    """The tracking URI to use, True for MLflow's own, or None (off)."""
    if value is None:
        env = os.environ.get(ENV_VARIABLE, "").strip()
        if not env or env.lower() in ("0", "false", "no", "off"):
            return None
        return True if env.lower() in _TRUE else env
    return None if value is False else value


class MlflowTracker:
    """Logs one fit; every method but ``start`` turns its own failures into a warning."""

    def __init__(self, uri: str | bool) -> None:
        try:
            import mlflow
        except ImportError as error:
            raise ImportError(f"{MISSING_EXTRA} ({error})") from error
        self.mlflow = mlflow
        self.uri = None if uri is True else uri
        self.run_id: str | None = None
        self.failed = False

    def start(self, estimator: Any) -> None:
        def begin() -> None:
            client = self._client()
            name = os.environ.get("MLFLOW_EXPERIMENT_NAME") or DEFAULT_EXPERIMENT
            experiment = client.get_experiment_by_name(name)
            experiment_id = (
                experiment.experiment_id if experiment else client.create_experiment(name)
            )
            run = client.create_run(
                experiment_id,
                run_name=f"{type(estimator).__name__}",
                tags={"automl.estimator": type(estimator).__name__},
            )
            self.run_id = run.info.run_id
            params = {k: _text(redact_uri(v)) for k, v in estimator.get_params().items()}
            self._log_batch(self.run_id, params=params)

        self._guard("start the MLflow run", begin)

    def finish(self, estimator: Any) -> None:
        """After a fit that returned: trials, run card, leaderboard, best score, the model."""
        if self.run_id is None:
            return
        self._guard("log the trials", lambda: self._log_trials(estimator.trials_))
        self._guard("log the results", lambda: self._log_results(estimator))
        self._guard("log the model", lambda: self._log_model(estimator))
        status = "KILLED" if getattr(estimator, "interrupted_", False) else "FINISHED"
        self.end(status)

    def end(self, status: str) -> None:
        if self.run_id is None:
            return
        run_id, self.run_id = self.run_id, None
        self.failed = False  # ending the run is worth one more try
        self._guard("end the MLflow run", lambda: self._client().set_terminated(run_id, status))

    # -- pieces ------------------------------------------------------------------------------

    def _client(self) -> Any:
        return self.mlflow.tracking.MlflowClient(tracking_uri=self.uri)

    def _log_batch(
        self, run_id: str, *, params: dict[str, str] | None = None, metrics: Any = ()
    ) -> None:
        from mlflow.entities import Metric, Param

        client, now = self._client(), _now_ms()
        items = list((params or {}).items())
        for start in range(0, max(1, len(items)), 100):  # MLflow takes 100 params per batch
            client.log_batch(
                run_id,
                params=[Param(k, v[:6000]) for k, v in items[start : start + 100]],
                metrics=[Metric(k, float(v), now, 0) for k, v in metrics] if start == 0 else [],
            )

    def _log_trials(self, trials: list[dict[str, Any]]) -> None:
        client = self._client()
        parent = client.get_run(self.run_id)
        for trial in trials:
            child = client.create_run(
                parent.info.experiment_id,
                run_name=f"trial {trial['trial_id']} ({trial['model']})",
                tags={"mlflow.parentRunId": self.run_id, "automl.status": str(trial["status"])},
            )
            config = {f"config.{k}": _text(v) for k, v in (trial["config"] or {}).items()}
            params = {"trial_id": str(trial["trial_id"]), "status": str(trial["status"])}
            metrics = [
                (name, trial[name])
                for name in ("score", "duration", "fit_time", "fidelity")
                if _finite(trial.get(name))
            ]
            self._log_batch(child.info.run_id, params={**params, **config}, metrics=metrics)
            ended = "FINISHED" if trial["status"] == "ok" else "FAILED"
            client.set_terminated(child.info.run_id, ended)

    def _log_results(self, estimator: Any) -> None:
        client = self._client()
        card = estimator.run_card_
        metrics = [("n_trials", len(estimator.trials_)), ("fit_time", estimator.fit_time_)]
        if _finite(estimator.best_score_):
            metrics.append((f"best_{estimator.metric_}", estimator.best_score_))
        metrics.append(("prediction_latency_ms", card.final_model.prediction_latency_ms))
        params = {
            "card.fingerprint": str(card.data.fingerprint),
            "card.rows": str(card.data.n_rows),
            "card.metric": card.search.metric,
            "card.resampling": card.search.resampling,
            "card.final_model": card.final_model.description,
            "card.space_version": card.space.version,
        }
        self._log_batch(self.run_id, params=params, metrics=metrics)
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "run_card.json"
            path.write_text(json.dumps(card.to_dict(), indent=1), encoding="utf-8")
            client.log_artifact(self.run_id, str(path))
            board = Path(folder) / "leaderboard.csv"
            estimator.leaderboard().to_csv(board, index=False)
            client.log_artifact(self.run_id, str(board))

    def _log_model(self, estimator: Any) -> None:
        import mlflow.sklearn

        # saved to a folder and logged as the run's "model" artifact: the fluent API would
        # need this run to be the process's active run (global state the user may be using)
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "model"
            mlflow.sklearn.save_model(estimator, str(path), serialization_format="cloudpickle")
            self._client().log_artifacts(self.run_id, str(path), "model")

    def _guard(self, what: str, action: Any) -> None:
        if self.failed:
            return
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # MLflow's own notices are not the user's
                action()
        except Exception as error:
            self.failed = True
            warnings.warn(
                f"MLflow tracking failed to {what} ({type(error).__name__}: {error}); the fit "
                "goes on without it.",
                TrackingWarning,
                stacklevel=3,
            )


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    try:
        return json.dumps(value, default=repr)
    except (TypeError, ValueError):
        return repr(value)


def _finite(value: Any) -> bool:
    try:
        return math.isfinite(float(value))
    except (TypeError, ValueError):
        return False


def _now_ms() -> int:
    return int(time.time() * 1000)
