"""AutoMLClassifier and AutoMLRegressor: scikit-learn estimators over one search engine.

As in scikit-learn, ``__init__`` only stores parameters; everything is validated in ``fit``,
so ``clone``, ``get_params``/``set_params`` and grid searches over these estimators work.
"""

from __future__ import annotations

import logging
import time
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.utils.validation import check_is_fitted

from automl.data import align_columns, to_model_frame
from automl.engine import SearchOutcome, run_search
from automl.history import (
    ENV_VARIABLE,
    HistoryError,
    HistoryStore,
    is_default,
    open_store,
    resolve_history,
)
from automl.ledger import rank_key
from automl.model_cost import measure_model, warm_up
from automl.progress import ProgressBar
from automl.recorder import HistoryWarning, RunRecorder
from automl.run_card import make_run_card
from automl.settings import Settings, make_settings
from automl.space import SPACE_VERSION
from automl.thresholds import labels_at
from automl.tracking import MlflowTracker, resolve_tracking
from automl.training_data import PreparedData, prepare_training_data, sparse_model_input
from automl.trials.compute import joblib_here
from automl.trials.resampling import is_splitter
from automl.versions import library_versions, warn_if_different

log = logging.getLogger("automl")


class _AutoMLBase(BaseEstimator):
    """Shared parameters, validation, fit and predict for both estimators."""

    _classification: bool = False

    def __init__(
        self,
        time_budget: float = 60,
        *,
        preset: str = "default",
        metric: str | Callable | None = None,
        n_jobs: int = -1,
        keep_workers: bool = True,
        per_trial_time_limit: float | str | None = "auto",
        memory_limit: float | str | None = "auto",
        fit_memory_limit: float | None = None,
        resampling: Any = "auto",
        strategy: str = "bo",
        successive_halving: bool | str = "auto",
        early_stopping: bool = False,
        reshuffle_splits: bool = False,
        warm_start: Any = "auto",
        history: str | None = "auto",
        history_strict: bool = False,
        ensemble_size: int | str = "auto",
        ensemble_max_members: int | str | None = "auto",
        ensemble_max_latency: float | str | None = "auto",
        ensemble_refit: bool | str = "auto",
        second_layer: bool | str = "auto",
        include: list[str] | str | None = None,
        exclude: list[str] | str | None = None,
        max_trials: int | None = None,
        random_state: int | None = None,
        verbose: int = 1,
        mlflow_tracking: bool | str | None = None,
    ) -> None:
        self.time_budget = time_budget
        self.preset = preset
        self.metric = metric
        self.n_jobs = n_jobs
        self.keep_workers = keep_workers
        self.per_trial_time_limit = per_trial_time_limit
        self.memory_limit = memory_limit
        self.fit_memory_limit = fit_memory_limit
        self.resampling = resampling
        self.strategy = strategy
        self.successive_halving = successive_halving
        self.early_stopping = early_stopping
        self.reshuffle_splits = reshuffle_splits
        self.warm_start = warm_start
        self.history = history
        self.history_strict = history_strict
        self.ensemble_size = ensemble_size
        self.ensemble_max_members = ensemble_max_members
        self.ensemble_max_latency = ensemble_max_latency
        self.ensemble_refit = ensemble_refit
        self.second_layer = second_layer
        self.include = include
        self.exclude = exclude
        self.max_trials = max_trials
        self.random_state = random_state
        self.verbose = verbose
        self.mlflow_tracking = mlflow_tracking

    # ---------------------------------------------------------------- fit

    def fit(
        self,
        X: Any,
        y: Any,
        groups: Any = None,
        *,
        sample_weight: Any = None,
        dataset_name: str | None = None,
    ) -> _AutoMLBase:
        """Search pipelines for ``time_budget`` seconds and refit the best on all of X, y.

        ``groups`` (optional) keeps rows of one group on the same side of every split;
        ``dataset_name`` is what the team history calls these data.

        ``sample_weight`` (optional, one finite weight >= 0 per row, not all 0) weights every
        model fit (trials and the final refit) and every validation score, ensemble selection
        included; the splits do not depend on it. Rows of weight 0 are left out of fits and
        scores. Model families whose model takes no weights (k-nearest neighbours) are left
        out of a weighted search; of the preprocessing only the standard scaler is weighted.
        A callable ``metric`` must accept ``sample_weight``.
        """
        started = time.time()
        settings = make_settings(self.get_params(), dataset_name=dataset_name)
        groups = None if groups is None else np.asarray(groups)
        prepared = prepare_training_data(
            X,
            y,
            classification=self._classification,
            sample_weight=sample_weight,
            groups=groups,
            # scores cross-fitted on random or grouped folds could see a custom splitter's
            # validation rows (a time series' future)
            text_scores=not is_splitter(settings.resampling),
        )
        tracking = resolve_tracking(settings.mlflow_tracking)
        tracker = None if tracking is None else MlflowTracker(tracking)
        history = open_history(self.history, strict=self.history_strict)
        bar = ProgressBar.for_fit(settings.time_budget, self.verbose)
        if tracker is not None:
            tracker.start(self)
        try:
            try:
                outcome = run_search(
                    prepared,
                    settings,
                    started=started,
                    history=history,
                    groups=groups,
                    progress=bar.update,
                )
            finally:
                bar.close()
            self._set_fitted(prepared, settings, outcome, started)
            if history is not None and outcome.run_id is not None and not outcome.history_failed:
                recorder = RunRecorder(history, strict=self.history_strict)
                recorder.run_id = outcome.run_id
                recorder.card(self.run_card_.to_dict())
        except BaseException as error:
            if tracker is not None:
                tracker.end("KILLED" if isinstance(error, KeyboardInterrupt) else "FAILED")
            raise
        finally:
            if history is not None:
                history.close()
        if tracker is not None:
            tracker.finish(self)
        log.info(
            "fit done in %.1fs: %d trials, best %s = %s (%s)",
            self.fit_time_,
            len(self.trials_),
            self.metric_,
            self.best_score_,
            self.refit_,
        )
        return self

    def _set_fitted(
        self, prepared: PreparedData, settings: Settings, outcome: SearchOutcome, started: float
    ) -> None:
        best = outcome.best
        self.model_ = outcome.model
        self.schema_ = prepared.schema
        self.task_ = prepared.task
        self.metric_ = outcome.metric.name
        self.resampling_ = outcome.resampling.description
        self.trials_ = [t.summary() for t in outcome.ledger.by_id()]
        self.layer_trials_ = [t.summary() for t in outcome.layer_trials]
        self.best_config_ = None if best is None else dict(best.config)
        self.best_score_ = None if best is None else best.score
        self.refit_ = outcome.report
        if self._classification:
            self.decision_threshold_ = outcome.report.decision_threshold
        self.ensemble_ = [member.as_dict() for member in outcome.members]
        self.metafeatures_ = outcome.metafeatures
        self.n_warm_start_ = outcome.warm_configs
        self.n_resumed_ = len(outcome.ledger.earlier)
        self.history_run_id_ = outcome.run_id
        with joblib_here():  # measured here, not on a dask cluster the caller set up
            self.prediction_latency_ms_, self.model_size_bytes_ = measure_model(
                self.model_, prepared.X, self._classification
            )
            warm_up(self.model_, prepared.X, self._classification)  # after the first prediction
        self.space_version_ = SPACE_VERSION
        self.versions_ = library_versions()
        self.random_state_ = settings.random_state
        self.interrupted_ = outcome.interrupted
        self.fit_time_ = time.time() - started
        self.n_features_in_ = prepared.schema.n_features_in
        if prepared.schema.from_dataframe:
            self.feature_names_in_ = np.asarray(prepared.schema.input_names, dtype=object)
        if prepared.classes is not None:
            self.classes_ = prepared.classes
        self.run_card_ = make_run_card(self, prepared, outcome, settings)

    # ---------------------------------------------------------------- predict

    def _model_input(self, X: Any) -> Any:
        check_is_fitted(self, "model_")
        if self.schema_.sparse:
            return sparse_model_input(self.schema_, X, estimator_name=type(self).__name__)
        frame = align_columns(self.schema_, X, estimator_name=type(self).__name__)
        return to_model_frame(self.schema_, frame)

    def leaderboard(self) -> pd.DataFrame:
        """One row per trial, best first: model family, score, status, time and configuration.

        Trials fit on all training rows rank above those of successive halving's smaller rungs
        (``fidelity`` < 1), whose scores are not comparable. With a second stacking layer, its
        trials (``layer_trials_``) are ranked among them, and a ``layer`` column says which.
        On a binary task scored on labels, ``threshold`` is the decision threshold each trial
        was scored at.
        """
        check_is_fitted(self, "trials_")
        second = getattr(self, "layer_trials_", [])  # absent from models saved before it
        rows = [{**t, "layer": 1} for t in self.trials_] + [{**t, "layer": 2} for t in second]
        rows.sort(key=lambda t: (*rank_key(t["fidelity"], t["loss"], t["trial_id"]), t["layer"]))
        table = pd.DataFrame(rows)
        if table.empty:
            return table
        weights = {
            (m.get("layer", 1), m["trial_id"]): m["weight"] for m in getattr(self, "ensemble_", [])
        }
        keys = zip(table["layer"], table["trial_id"])
        table["ensemble_weight"] = [weights.get(key, 0.0) for key in keys]
        if not second:
            table = table.drop(columns=["layer"])
        table = table.rename(columns={"score": self.metric_})
        table.insert(0, "rank", np.arange(1, len(table) + 1))
        if "threshold" in table and table["threshold"].isna().all():
            table = table.drop(columns=["threshold"])  # the metric tunes none
        if "rounds" in table and table["rounds"].isna().all():
            table = table.drop(columns=["rounds"])  # no trial stopped early
        return table.drop(columns=["loss"])

    def feature_importance(
        self,
        X: Any,
        y: Any,
        *,
        n_repeats: int = 5,
        max_rows: int | None = 5_000,
        time_limit: float | None = 60.0,
        random_state: int = 0,
        sample_weight: Any = None,
    ) -> pd.DataFrame:
        """Permutation importance of the final model in your own columns, on the fit's metric.

        Each column of ``X`` is shuffled ``n_repeats`` times and the loss measured again on
        ``X, y`` (held-out rows give the honest answer; the training rows show what the model
        learned). Returns one row per column, most important first: ``importance`` (mean
        increase of the loss, i.e. drop of the score), ``std`` over the repeats and
        ``repeats`` made. Bounded: at most ``max_rows`` rows (a random sample), and no new
        repeat starts after ``time_limit`` seconds (one full repeat is always made), so it
        costs at most about ``n_repeats x columns`` predictions on ``max_rows`` rows. ``X``
        must have the fitted columns (an error names any that differ). With
        ``sample_weight`` (as in ``fit``) the losses are weighted.
        """
        from automl.importance import permutation_importance
        from automl.metrics import get_metric

        check_is_fitted(self, "model_")
        if self.schema_.sparse:
            raise ValueError(
                "Permutation importance is not offered for a model fitted on a sparse matrix: "
                f"shuffling each of its {self.schema_.sparse_width} columns one by one would "
                "take a prediction pass per column."
            )
        metric = get_metric(self.metric if callable(self.metric) else self.metric_, self.task_)
        return permutation_importance(
            self,
            metric,
            X,
            y,
            n_repeats=n_repeats,
            max_rows=max_rows,
            time_limit=time_limit,
            random_state=random_state,
            sample_weight=sample_weight,
        )

    def report(self, path: Any = "report.html", X: Any = None, y: Any = None) -> Any:
        """Write an HTML report of this fit to ``path`` (one self-contained file) and return
        its path: the run card, plots of the search and the leaderboard; with ``X, y`` (held
        out rows are best) also the feature importance. Needs ``pip install "automl[report]"``.
        """
        from automl.report import from_estimator, write_report

        check_is_fitted(self, "run_card_")
        return write_report(from_estimator(self, X, y), path)

    def __setstate__(self, state: dict[str, Any]) -> None:
        """Unpickling (``joblib.load``): warn if the libraries differ from the saved ones."""
        warn_if_different(state.get("versions_"), f"This {type(self).__name__}")
        state.setdefault("keep_workers", True)  # saved before these parameters existed
        state.setdefault("mlflow_tracking", None)
        state.setdefault("preset", "default")  # its ensemble_* values were explicit then
        state.setdefault("fit_memory_limit", None)
        state.setdefault("early_stopping", False)
        state.setdefault("reshuffle_splits", False)
        state.setdefault("second_layer", "auto")
        super().__setstate__(state)

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.input_tags.sparse = True  # automl.sparse
        tags.non_deterministic = self.random_state is None or self.max_trials is None
        return tags


class AutoMLClassifier(ClassifierMixin, _AutoMLBase):
    """Finds and fits a strong classification pipeline within ``time_budget`` seconds.

    The default metric is ROC AUC for two classes and log loss for more. ``score`` follows
    scikit-learn (accuracy), so the estimator behaves like any classifier in its tooling.
    """

    _classification = True

    def predict(self, X: Any) -> np.ndarray:
        """The most probable class; for a binary task scored on labels (F1, accuracy, ...),
        the positive class where its probability reaches ``decision_threshold_``, tuned on
        out-of-fold predictions."""
        proba = self.predict_proba(X)
        threshold = getattr(self, "decision_threshold_", None)  # models saved before it: None
        return self.classes_[labels_at(proba, threshold)]

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities, columns in the order of ``classes_``."""
        frame = self._model_input(X)
        return np.asarray(self.model_.predict_proba(frame), dtype=np.float64)


class AutoMLRegressor(RegressorMixin, _AutoMLBase):
    """Finds and fits a strong regression pipeline within ``time_budget`` seconds (RMSE by
    default)."""

    _classification = False

    def predict(self, X: Any) -> np.ndarray:
        frame = self._model_input(X)
        return np.asarray(self.model_.predict(frame), dtype=np.float64).ravel()


def open_history(setting: Any, *, strict: bool = False) -> HistoryStore | None:
    """The store a ``history=`` setting names (None when off), opened before the search.

    A store the user named (a path, a URL, ``AUTOML_HISTORY``) that cannot be opened is an
    error naming it. The per-user default file is a convenience nobody asked for by name: if
    it cannot be used (a home directory that is not writable, a read-only or corrupt file),
    the fit goes on without recording, with one ``HistoryWarning`` (``history_strict=True``:
    the error instead).
    """
    url = resolve_history(setting)
    if url is None:
        return None
    try:
        return open_store(url)
    except HistoryError as error:
        if strict or not is_default(setting):
            raise
        warnings.warn(
            f"The default history store cannot be used ({error}); this fit is not recorded. "
            f"Point {ENV_VARIABLE} or history= at a writable place, or pass history=None to "
            "turn recording off.",
            HistoryWarning,
            stacklevel=3,
        )
        return None
