"""The search engine behind both estimators: ask/tell under a wall-clock budget, then refit.

Budget rule: ``fit`` must return by ``time_budget``. The search stops early enough to leave
time for refitting the best configuration on all rows (estimated from its measured fit time);
every trial gets a deadline at the end of the search, so none can run past it.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import threading
import time
import warnings
from concurrent.futures import FIRST_COMPLETED, Future, wait
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from automl.data import REGRESSION, PreparedData
from automl.ensemble import Ensemble, select_ensemble
from automl.executor import (
    DaskTrialExecutor,
    TrialExecutor,
    active_dask_client,
    dask_slots,
    make_executor,
)
from automl.interrupts import deferred_interrupt
from automl.limits import OK
from automl.metrics import Metric, get_metric
from automl.runner import Resampling, TrialResult, make_resampling
from automl.search import (
    Budget,
    Request,
    SuccessiveHalving,
    halving_fidelities,
    make_strategy,
)
from automl.space import BUILTIN_FAMILIES, PipelineSpace
from automl.recorder import RunRecorder
from automl.versions import library_versions
from automl.warm_start import WarmStart, describe, warm_start
from automl.worker import evaluate_trial, refit

log = logging.getLogger("automl")

_REFIT_SAFETY = 1.5  # refit estimate = measured per-split fit time x rows ratio x this
_REFIT_OVERHEAD = 1.0  # seconds: process start, pickling the fitted model back
_POLL = 0.5  # seconds between progress updates while waiting for trials
_ENSEMBLE_CANDIDATES = 50  # the best trials ensemble selection may choose from
_RESERVED_MEMBERS = 5  # ensemble members besides the best whose refit time is reserved


@dataclass
class Settings:
    """Everything the engine needs to know, already validated by the estimator."""

    metric: Any
    time_budget: float
    n_jobs: int
    max_trials: int | None
    per_trial_time_limit: float | None
    memory_limit_mb: float | None
    resampling: Any
    strategy: str
    include: Any
    exclude: Any
    random_state: int
    successive_halving: bool | str = "auto"
    ensemble_size: int = 1
    ensemble_max_members: int | None = None
    ensemble_max_latency: float | None = None  # ms per 1,000 rows, summed over members
    ensemble_refit: bool = True  # False: members are their trials' fold models
    warm_start: Any = None  # "auto", "metabase", a Metabase, a list of configurations, None
    history: Any = None  # an open history store, or None
    history_strict: bool = False  # a failing store stops the fit instead of a warning
    history_warm_start: bool = True  # False: the history only records (reproducible mode)
    dataset_name: str | None = None  # recorded in the history


@dataclass
class SearchOutcome:
    trials: list[TrialResult]
    model: Any
    best: TrialResult | None
    metric: Metric
    space: PipelineSpace
    resampling: Resampling
    refit_note: str
    interrupted: bool = False
    ensemble: list[dict[str, Any]] | None = None  # members: trial id, weight, config, score
    metafeatures: dict[str, float] | None = None
    warm_configs: int = 0  # how many starting configurations came from the warm start
    resumed: int = 0  # earlier trials on the same data loaded from the history
    run_id: str | None = None  # the run's id in the history store


def available_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def parallel_slots() -> int:
    """How many trials can run at once: the dask cluster's worker threads when joblib's dask
    backend is active, else this machine's cores (what ``n_jobs=-1`` means)."""
    client = active_dask_client()
    return dask_slots(client)[0] if client is not None else available_cores()


# ------------------------------------------------------------------ the search


def run_search(
    prepared: PreparedData,
    settings: Settings,
    *,
    started: float,
    groups: np.ndarray | None = None,
    progress: Callable[[float, list[TrialResult], TrialResult | None], None] | None = None,
) -> SearchOutcome:
    """Search until the budget, ``max_trials`` or an interrupt, then refit the best."""
    task = prepared.task
    metric = get_metric(settings.metric, task)
    deadline = started + settings.time_budget
    space = PipelineSpace(
        task,
        len(prepared.y),
        include=settings.include,
        exclude=settings.exclude,
        seed=settings.random_state,
    )
    resampling = make_resampling(
        settings.resampling, task=task, y=prepared.y, groups=groups,
        random_state=settings.random_state,
    )
    cores = available_cores()
    n_workers = max(1, settings.n_jobs)
    data = {
        "X": prepared.X,
        "y": prepared.y,
        "task": task,
        "categorical": prepared.schema.categorical_columns,
        "n_classes": 0 if prepared.classes is None else len(prepared.classes),
        "resampling": resampling,
        "families": [f for f in space.families if f.name not in BUILTIN_FAMILIES],
    }
    # Worker processes take a second or two to start (imports, loading the data): start them
    # now, so that this happens while the fingerprint, meta-features and warm start are computed.
    executor = make_executor(data, n_workers, max(1, cores // n_workers))
    executor.warm_up()
    try:
        start = _prepare_search(prepared, settings, space, resampling, metric)
    except BaseException:
        executor.close()
        raise
    warm, scheduler, recorder = start.warm, start.scheduler, start.recorder
    log.info("search: %s, %s, %d model families, %s, %d worker(s)%s",
             settings.strategy, metric.name, len(space.families), resampling.description,
             n_workers, f", successive halving {scheduler.fidelities}" if scheduler.enabled else "")
    trials: list[TrialResult] = []  # filled in place, so an interrupt keeps what finished
    interrupted = False
    local = not isinstance(executor, DaskTrialExecutor)  # fold models live on this disk
    folds = _FoldStore() if settings.ensemble_size > 1 and local else None
    if recorder is not None:
        recorder.start(
            dataset_name=settings.dataset_name, fingerprint=start.fingerprint,
            metafeatures=start.metafeatures, task=task, metric=metric.name,
            time_budget=settings.time_budget, library_versions=library_versions(),
            space_version=space.version, settings=_recorded_settings(settings),
        )
    status = "failed"
    try:
        try:
            with deferred_interrupt() as stop:
                _run_trials(executor, scheduler, settings, trials, metric=metric,
                            started=started, deadline=deadline, resampling=resampling,
                            y=prepared.y, folds=folds, progress=progress,
                            on_trial=None if recorder is None else recorder.trial, stop=stop)
        except KeyboardInterrupt:
            interrupted = True
            log.warning("interrupted: stopping the search and keeping the %d finished trial(s)",
                        len(trials))
            executor.close(kill=True)
            executor = make_executor(data, 1, cores)
        trials.sort(key=lambda t: t.trial_id)
        model, chosen, note = _final_model(executor, trials, prepared, settings, deadline, cores)
        members = None
        if settings.ensemble_size > 1:
            built = _ensemble_model(executor, trials, prepared, settings, resampling, metric,
                                    deadline, cores, chosen, model, folds)
            if built is not None:
                model, note, members, top = built
                chosen = chosen or top
        if chosen is None:
            warnings.warn(
                f"{note.removeprefix('constant baseline (').rstrip(')')} within the time "
                "budget; the model is a constant baseline predictor. Give fit a larger "
                "time_budget.",
                RuntimeWarning,
                stacklevel=3,
            )
        status = "interrupted" if interrupted else "finished"
    finally:
        executor.close()
        if folds is not None:
            folds.close()
        if recorder is not None:
            recorder.end(status)
    return SearchOutcome(
        trials=trials,
        model=model,
        best=chosen,
        metric=metric,
        space=space,
        resampling=resampling,
        refit_note=note,
        interrupted=interrupted,
        ensemble=members,
        metafeatures=warm.metafeatures,
        warm_configs=len(warm.configs),
        resumed=len(warm.previous),
        run_id=None if recorder is None else recorder.run_id,
    )


@dataclass
class _SearchStart:
    warm: WarmStart
    scheduler: SuccessiveHalving
    recorder: RunRecorder | None
    fingerprint: str | None
    metafeatures: dict[str, float] | None


def _prepare_search(prepared: PreparedData, settings: Settings, space: PipelineSpace,
                    resampling: Resampling, metric: Metric) -> _SearchStart:
    """The warm start, the strategy and scheduler seeded with it, and the history recorder."""
    recorder = fingerprint = None
    if settings.history is not None:
        from automl.history import dataset_fingerprint

        recorder = RunRecorder(settings.history, strict=settings.history_strict)
        fingerprint = dataset_fingerprint(prepared.X, prepared.y)
    warm_from_data = settings.warm_start is not None and not isinstance(settings.warm_start, list)
    metafeatures = (describe(prepared, settings.random_state)
                    if recorder is not None or warm_from_data else None)
    warm = warm_start(settings.warm_start, prepared, space, metafeatures=metafeatures,
                      time_budget=settings.time_budget,
                      history=settings.history if settings.history_warm_start else None,
                      fingerprint=fingerprint, metric=metric.name)
    strategy = make_strategy(
        settings.strategy,
        space.configspace,
        initial_configs=_starting_configs(space, warm),
        seed=settings.random_state,
    )
    for trial in warm.previous:  # a resumed run: learn from earlier trials, don't redo them
        if trial["config"] not in warm.rerun:
            loss = trial["loss"] if trial["status"] == OK else float("inf")
            strategy.observe(trial["config"], metric.regret(loss), trial.get("duration"))
    train_rows = int(len(prepared.y) * resampling.train_fraction)
    scheduler = SuccessiveHalving(
        strategy, halving_fidelities(train_rows, settings.successive_halving)
    )
    return _SearchStart(warm, scheduler, recorder, fingerprint, metafeatures)


def _recorded_settings(settings: Settings) -> dict[str, Any]:
    """The settings as plain JSON values (a callable metric or a splitter by its name)."""
    plain = {}
    for name, value in vars(settings).items():
        if name in ("history", "warm_start"):
            value = value if value is None or isinstance(value, str) else type(value).__name__
        elif not (value is None or isinstance(value, (str, int, float, bool, list))):
            value = repr(value)
        plain[name] = value
    return plain


def _starting_configs(space: PipelineSpace, warm: WarmStart) -> list[dict[str, Any]]:
    """Cold: cheapest first, then strong defaults -- a low-cost LightGBM (10 trees, 4 leaves)
    gives a usable model and a first run-time measurement within a second even on large data,
    then every family's default, strongest families first. Warm: the meta-learned
    configurations first (their order already weighs the low-cost start's measured gain per
    second), then the same list. A user's own list goes first, exactly as given; a resumed
    run's best earlier configurations go before everything (the quickest way back to where the
    last run ended)."""
    cold = space.cold_start_configs()
    if warm.exact:
        return warm.configs + cold
    return warm.rerun + warm.configs + cold


def _run_trials(
    executor: TrialExecutor,
    scheduler: SuccessiveHalving,
    settings: Settings,
    trials: list[TrialResult],
    *,
    metric: Metric,
    started: float,
    deadline: float,
    resampling: Resampling,
    y: np.ndarray,
    folds: _FoldStore | None,
    progress: Callable[[float, list[TrialResult], TrialResult | None], None] | None,
    on_trial: Callable[[TrialResult], None] | None = None,
    stop: threading.Event | None = None,
) -> None:
    """The asynchronous ask/tell loop: a free worker gets the next proposal at once.

    With ``max_trials`` set the loop is reproducible instead: trial ``k`` is proposed knowing
    exactly the results of trials ``0 .. k - n_workers`` (told in order; later ones count as
    running), whatever order they finished in, and the strategy gets no wall-clock budget (so
    cost-aware BO does not depend on measured run times). A worker may wait a moment for an
    earlier trial; that is the price of two runs giving the same trials.
    """
    running: dict[Future, tuple[int, Request, float]] = {}
    reserve = _Reserve(settings, resampling, executor.n_workers, metric, y)
    submitted = 0
    ordered = settings.max_trials is not None
    finished: dict[int, tuple[Request, TrialResult]] = {}
    told = 0

    def search_end() -> float:
        return deadline - reserve.seconds()

    def tell(request: Request, result: TrialResult) -> None:
        scheduler.tell(request, metric.regret(result.loss), result.duration)

    def may_ask() -> bool:
        nonlocal told
        if not ordered:
            return True
        needed = submitted - executor.n_workers + 1  # trials 0 .. needed-1 must be told
        while told < needed and told in finished:
            tell(*finished.pop(told))
            told += 1
        return told >= needed

    while True:
        if stop is not None and stop.is_set():  # Ctrl-C, taken here rather than mid-write
            raise KeyboardInterrupt
        while (
            len(running) < executor.n_workers
            and time.time() < search_end() - 0.2
            and (settings.max_trials is None or submitted < settings.max_trials)
            and may_ask()
        ):
            now = time.time()
            budget = None if ordered else Budget(
                elapsed_fraction=min(1.0, (now - started) / max(search_end() - started, 1e-9)),
                seconds_left=search_end() - now,
            )
            request = scheduler.ask(budget)
            keep = folds.path(submitted) if folds is not None and request.fidelity == 1.0 else None
            future = executor.submit(
                evaluate_trial,
                {"trial_id": submitted, "config": request.config, "metric": settings.metric,
                 "random_state": settings.random_state, "fidelity": request.fidelity,
                 "keep_models_path": keep},
                deadline=search_end(),
                time_limit=settings.per_trial_time_limit,
                memory_limit_mb=settings.memory_limit_mb,
            )
            running[future] = (submitted, request, now - started)
            submitted += 1
        if not running:
            return
        done, _ = wait(running, timeout=_POLL, return_when=FIRST_COMPLETED)
        for future in done:
            trial_id, request, began = running.pop(future)
            result = _collect(future, trial_id, request, began)
            result.finished = time.time() - started  # includes worker start-up and hand-over
            trials.append(result)
            if on_trial is not None:
                on_trial(result)  # durable before anything else happens to it
            if ordered:
                finished[trial_id] = (request, result)
            else:
                tell(request, result)
            reserve.add(result)
            if folds is not None and result.status == OK:
                folds.prune(trials)
            log.debug("trial %d %s %s fidelity=%.3g loss=%.5g (%.1fs)", trial_id,
                      request.config["model"], result.status, request.fidelity, result.loss,
                      result.duration)
        if progress is not None:
            progress(time.time() - started, trials, reserve.best)


def _refit_estimate(trial: TrialResult, resampling: Resampling) -> float:
    """Seconds to refit a trial's configuration on all rows (from its measured fit time)."""
    per_split = trial.fit_time / max(1, len(resampling.splits))
    rows_share = max(resampling.train_fraction * trial.fidelity, 0.01)
    return per_split / rows_share * _REFIT_SAFETY


class _FoldStore:
    """Fold models of the best trials, on local disk, for ensembles that skip the refit.

    Trials save their fold models here (when ensembles are on and trials run on this
    machine); only the ``_ENSEMBLE_CANDIDATES`` best trials' files are kept, so the disk
    use is bounded whatever the number of trials.
    """

    def __init__(self) -> None:
        self.folder = tempfile.mkdtemp(prefix="automl-folds-")

    def path(self, trial_id: int) -> str:
        return os.path.join(self.folder, f"trial_{trial_id}.joblib")

    def has(self, trial_id: int) -> bool:
        return os.path.exists(self.path(trial_id))

    def load(self, trial_id: int) -> Any:
        import joblib

        return joblib.load(self.path(trial_id))

    def prune(self, trials: list[TrialResult]) -> None:
        ranked = sorted((t for t in trials if t.status == OK and t.fidelity == 1.0),
                        key=lambda t: (t.loss, t.trial_id))
        for trial in ranked[_ENSEMBLE_CANDIDATES:]:
            try:
                os.unlink(self.path(trial.trial_id))
            except OSError:
                pass

    def close(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


class _Reserve:
    """Seconds kept at the end of the search for the final model.

    Always: refitting the best trial on all rows. With ``ensemble_size`` > 1 also ensemble
    selection (rounds x candidates x one metric evaluation, timed on the first result) and
    refitting the next ``_RESERVED_MEMBERS`` best trials, spread over the workers.
    """

    def __init__(self, settings: Settings, resampling: Resampling, n_workers: int,
                 metric: Metric, y: np.ndarray) -> None:
        self.settings, self.resampling, self.n_workers = settings, resampling, n_workers
        self.metric, self.y = metric, y
        self.top: list[TrialResult] = []  # best full-data trials, best first
        self.n_ok = 0
        self.metric_seconds = 0.0

    def add(self, result: TrialResult) -> None:
        if result.status != OK:
            return
        if self.settings.ensemble_size > 1 and result.predictions is not None and not self.n_ok:
            rows = self.resampling.validation_rows
            started = time.perf_counter()
            self.metric.loss(self.y[rows], result.predictions[rows])
            self.metric_seconds = time.perf_counter() - started
        self.n_ok += 1
        self.top = sorted(self.top + [result], key=lambda t: (-t.fidelity, t.loss))[
            :_RESERVED_MEMBERS + 1]

    @property
    def best(self) -> TrialResult | None:
        return self.top[0] if self.top else None

    def seconds(self) -> float:
        if not self.top:
            return _REFIT_OVERHEAD
        reserve = _refit_estimate(self.top[0], self.resampling) + _REFIT_OVERHEAD
        if self.settings.ensemble_size > 1:
            candidates = min(self.n_ok, _ENSEMBLE_CANDIDATES)
            reserve += self.settings.ensemble_size * candidates * self.metric_seconds
            others = sum(_refit_estimate(t, self.resampling) for t in self.top[1:])
            reserve += others / self.n_workers
        return reserve


def _collect(future: Future, trial_id: int, request: Request, began: float) -> TrialResult:
    """Turn a finished future (whatever happened to it) into a recorded trial."""
    config = request.config
    try:
        outcome = future.result()
    except Exception as error:  # the worker itself died: still a recorded trial
        return TrialResult(trial_id, config, "crashed", error=f"worker failed: {error!r}",
                           started=began, fidelity=request.fidelity)
    if outcome.status == OK:
        result: TrialResult = outcome.value()
    else:
        result = TrialResult(trial_id, config, outcome.status, error=outcome.error,
                             fidelity=request.fidelity)
    result.duration = outcome.elapsed
    result.peak_memory_mb = outcome.peak_memory_mb
    result.started = began
    return result


def _final_model(
    executor: TrialExecutor,
    trials: list[TrialResult],
    prepared: PreparedData,
    settings: Settings,
    deadline: float,
    cores: int,
) -> tuple[Any, TrialResult | None, str]:
    """Refit the best configuration on all rows; fall back to the next best, then a dummy."""
    ranked = sorted((t for t in trials if t.status == OK),
                    key=lambda t: (-t.fidelity, t.loss, t.trial_id))
    grace = 0.05 * settings.time_budget + 1.0  # part of the 10 % overrun allowance
    tried = 0
    for trial in ranked[:3]:
        limit = deadline + grace - time.time()
        if limit <= 0.5:
            break
        tried += 1
        future = executor.submit(
            refit,
            {"config": trial.config, "random_state": settings.random_state},
            time_limit=limit,
            memory_limit_mb=settings.memory_limit_mb,
            n_threads=cores,
        )
        try:
            outcome = future.result()
        except Exception as error:  # the worker process itself died
            log.warning("refit of trial %d lost its worker: %r", trial.trial_id, error)
            continue
        if outcome.status == OK:
            note = "refit on all rows" + (f" (after {tried - 1} failed refit(s))" if tried > 1 else "")
            return outcome.value(), trial, note
        log.warning("refit of trial %d failed (%s): %s", trial.trial_id, outcome.status,
                    outcome.error)
    reason = "no trial finished" if not ranked else "refitting the best trials failed or ran out of time"
    return _dummy(prepared), None, f"constant baseline ({reason})"




def _ensemble_model(
    executor: TrialExecutor,
    trials: list[TrialResult],
    prepared: PreparedData,
    settings: Settings,
    resampling: Resampling,
    metric: Metric,
    deadline: float,
    cores: int,
    refit_trial: TrialResult | None,
    refit_model: Any,
    folds: _FoldStore | None,
) -> tuple[Any, str, list[dict[str, Any]], TrialResult] | None:
    """Ensemble selection on the stored predictions; the other members refit in parallel.

    Runs after the best single trial (``refit_trial``) was refit, so a model exists whatever
    happens here; that fitted model is reused if the trial is a member. If every refit of
    the best failed (``refit_trial`` is None), even a one-member "ensemble" of fold models
    is better than the constant fallback. Returns None (keep
    the single model) when fewer than two trials beat a constant predictor, the selection
    keeps one member, or time runs out. A member whose refit fails is dropped and the
    remaining weights renormalized (noted in ``refit_``).
    """
    rows = resampling.validation_rows
    y_val = prepared.y[rows]
    baseline = metric.loss(y_val, _constant_prediction(prepared, len(rows)))
    candidates = sorted(
        (t for t in trials if t.status == OK and t.fidelity == 1.0 and t.predictions is not None
         and t.loss < baseline),
        key=lambda t: (t.loss, t.trial_id),
    )[:_ENSEMBLE_CANDIDATES]
    minimum = 2 if refit_trial is not None else 1
    if len(candidates) < minimum:
        return None
    # each candidate's prediction latency, from its trial: ms per 1,000 rows
    latency = [t.predict_time / max(1, len(rows)) * 1e6 for t in candidates]
    try:
        selection = select_ensemble(
            [t.predictions[rows] for t in candidates], y_val, metric.loss,
            rounds=settings.ensemble_size, random_state=None,  # candidates are ranked
            max_members=settings.ensemble_max_members,
            costs=latency, max_cost=settings.ensemble_max_latency,
        )
    except ValueError as error:  # no candidate fits the latency cap
        log.warning("ensemble: %s; keeping the best single model", error)
        return None
    picked = sorted(selection.weights.items(), key=lambda item: (-item[1], item[0]))
    if len(picked) < minimum:
        return None
    grace = 0.05 * settings.time_budget + 1.0
    limit = deadline + grace - time.time()
    if limit <= 0.5:
        log.warning("no time left to refit the ensemble's members; keeping the best single model")
        return None
    members: list[dict[str, Any]] = []
    fitted: list[tuple[float, Any]] = []

    def add(trial: TrialResult, weight: float, model: Any, fitted_on: str) -> None:
        fitted.append((float(weight), model))
        members.append({**_member(trial, weight), "fitted_on": fitted_on})

    def use_folds(trial: TrialResult, weight: float, why: str) -> bool:
        if folds is None or not folds.has(trial.trial_id):
            return False
        add(trial, weight, folds.load(trial.trial_id), f"cv fold models ({why})")
        return True

    resampled = "holdout" if len(resampling.splits) == 1 else "cv"
    to_fit = []
    for index, weight in picked:
        trial = candidates[index]
        if not settings.ensemble_refit and use_folds(trial, weight, "ensemble_refit=False"):
            continue
        if refit_trial is not None and trial.trial_id == refit_trial.trial_id:
            add(trial, weight, refit_model, "all rows")
        elif _refit_estimate(trial, resampling) > limit and use_folds(
                trial, weight, "a refit would overrun the budget"):
            continue
        else:
            to_fit.append((index, weight))
    threads = max(1, cores // max(1, min(executor.n_workers, len(to_fit))))
    futures = [
        (index, weight, executor.submit(
            refit, {"config": candidates[index].config, "random_state": settings.random_state},
            time_limit=limit, memory_limit_mb=settings.memory_limit_mb, n_threads=threads))
        for index, weight in to_fit
    ]
    for index, weight, future in futures:
        trial = candidates[index]
        try:
            outcome = future.result()
        except Exception as error:  # the worker process itself died
            outcome = None
            failure = f"lost its worker: {error!r}"
        else:
            failure = f"{outcome.status}: {outcome.error}"
        if outcome is not None and outcome.status == OK:
            add(trial, weight, outcome.value(), "all rows")
        elif not use_folds(trial, weight, "its refit failed"):
            log.warning("refit of ensemble member %d failed (%s); dropped", trial.trial_id, failure)
    if len(fitted) < minimum:
        return None
    total = sum(m["weight"] for m in members)
    for member in members:
        member["weight"] /= total
    order = sorted(range(len(members)), key=lambda i: (-members[i]["weight"], members[i]["trial_id"]))
    members = [members[i] for i in order]
    fitted = [fitted[i] for i in order]
    lost = len(picked) - len(members)
    on_folds = sum(m["fitted_on"] != "all rows" for m in members)
    note = (f"ensemble of {len(members)} pipelines (validation {metric.name} "
            f"{metric.to_score(selection.loss):.6g}); {len(members) - on_folds} refit on all rows")
    if on_folds:
        note += f", {on_folds} from their {resampled} fold models"
    if lost:
        note += f"; {lost} member(s) failed to refit and were dropped"
    top = next(t for t in candidates if t.trial_id == members[0]["trial_id"])
    return Ensemble(fitted, prepared.task), note, members, top


def _member(trial: TrialResult, weight: float) -> dict[str, Any]:
    return {"trial_id": trial.trial_id, "weight": float(weight),
            "model": trial.config.get("model"), "config": trial.config, "score": trial.score}


def _constant_prediction(prepared: PreparedData, n: int) -> np.ndarray:
    """What a dummy model predicts: class frequencies, or the mean."""
    if prepared.task == REGRESSION:
        return np.full(n, float(np.mean(prepared.y)))
    frequencies = np.bincount(prepared.y, minlength=len(prepared.classes)) / len(prepared.y)
    return np.tile(frequencies, (n, 1))


def _dummy(prepared: PreparedData) -> Any:
    from sklearn.dummy import DummyClassifier, DummyRegressor

    model = DummyRegressor() if prepared.task == REGRESSION else DummyClassifier(strategy="prior")
    return model.fit(np.zeros((len(prepared.y), 1)), prepared.y)
