"""One fit from prepared data to a final model: the search, then the final model.

Budget rule: ``fit`` must return by ``time_budget``. The search stops early enough to leave
time for the final model (``automl.reserve``); every trial gets a deadline at the end of the
search, so none can run past it. The pieces: the warm start and the strategy decide what to
try (``automl.warm_start``, ``automl.search``), the search loop runs it (``automl.search_loop`` on
``automl.trials``), the ledger owns the results (``automl.ledger``), and the final model is
built from them (``automl.final_model``).
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from automl.data import ColumnSchema
from automl.final_model import FOLD_FALLBACKS, FinalModelBuilder, bags_fold_models
from automl.final_model_report import EnsembleMember, FinalKind, FinalModelReport
from automl.fingerprint import fingerprint_and_row_hashes, row_sketch
from automl.fold_store import FoldStore
from automl.interrupts import deferred_interrupt
from automl.ledger import TrialLedger
from automl.metrics import Metric, get_metric
from automl.recorder import RunRecorder
from automl.reserve import ENSEMBLE_CANDIDATES, Reserve
from automl.sample_weight import check_splits, count_weighted
from automl.scratch import remove_stale_scratch
from automl.search import SuccessiveHalving, halving_fidelities, make_strategy
from automl.search_loop import Progress, SearchLoop
from automl.second_layer import LAYER_FAMILIES
from automl.second_layer import unusable as second_layer_unusable
from automl.settings import Settings
from automl.space import BUILTIN_FAMILIES, PipelineSpace, TextFeatureNames
from automl.training_data import PreparedData
from automl.trials.compute import available_cores, joblib_here
from automl.trials.executor import LocalExecutor, TrialExecutor, make_executor
from automl.trials.head_start import HeadStart
from automl.trials.memory import check_fit_memory_limit
from automl.trials.request import TrialData
from automl.trials.resampling import Resampling, make_resampling
from automl.trials.result import TrialResult
from automl.trials.status import TrialStatus
from automl.versions import library_versions
from automl.warm_start import WarmStart, describe, warm_start

if TYPE_CHECKING:  # the store imports SQLAlchemy: only fits with a history need it
    from automl.history import HistoryStore

log = logging.getLogger("automl")


@dataclass
class SearchOutcome:
    ledger: TrialLedger
    model: Any
    best: TrialResult | None
    report: FinalModelReport
    members: list[EnsembleMember]  # heaviest first
    metric: Metric
    space: PipelineSpace
    resampling: Resampling
    interrupted: bool = False
    metafeatures: dict[str, float] | None = None
    warm_configs: int = 0  # how many starting configurations came from the warm start
    run_id: str | None = None  # the run's id in the history store
    fingerprint: str | None = None  # the training data's (automl.fingerprint)
    warm_sources: dict[str, int] | None = None  # where the starting configurations came from
    history_failed: bool = False  # the store failed mid-run (and said so once)
    layer_trials: list[TrialResult] = field(default_factory=list)  # the second layer's


def run_search(
    prepared: PreparedData,
    settings: Settings,
    *,
    started: float,
    history: HistoryStore | None = None,
    groups: np.ndarray | None = None,
    progress: Progress | None = None,
) -> SearchOutcome:
    """Search until the budget, ``max_trials`` or an interrupt, then build the final model.

    ``history`` is an open history store (``automl.history.HistoryStore``) or None.
    """
    task = prepared.task
    weights = prepared.sample_weight
    metric = get_metric(settings.metric, task)
    if weights is not None and not metric.takes_sample_weight:
        raise ValueError(
            f"metric {metric.name!r} takes no sample_weight, so weighted validation scores "
            "cannot be computed; use a built-in metric or a scorer that accepts sample_weight."
        )
    deadline = started + settings.time_budget
    text = _text_features(prepared.schema)
    space = PipelineSpace(
        task,
        count_weighted(weights, len(prepared.y)),
        include=settings.include,
        exclude=settings.exclude,
        seed=settings.random_state,
        weighted=weights is not None,
        sparse=prepared.schema.sparse,
        text=bool(text.scores),
    )
    if space.left_out_for_weights:
        log.info(
            "sample weights: leaving out %s (their models take no sample_weight)",
            ", ".join(space.left_out_for_weights),
        )
    if space.left_out_for_sparse:
        log.info(
            "sparse X: leaving out %s (their models take no sparse matrix)",
            ", ".join(space.left_out_for_sparse),
        )
    # the splits never see the weights
    resampling = make_resampling(
        settings.resampling,
        task=task,
        y=prepared.y,
        groups=groups,
        random_state=settings.random_state,
    )
    check_splits(resampling.splits, weights)
    reshuffle = settings.reshuffle_splits and resampling.plan is not None
    if settings.reshuffle_splits and not reshuffle:
        log.info("reshuffle_splits: a %s is not reshuffled", resampling.description)
    cores = available_cores()
    n_workers = max(1, settings.n_jobs)
    data = TrialData(
        X=prepared.X,
        y=prepared.y,
        task=task,
        categorical=tuple(prepared.schema.categorical_columns),
        n_classes=0 if prepared.classes is None else len(prepared.classes),
        resampling=resampling,
        families=tuple(f for f in space.families if f.name not in BUILTIN_FAMILIES),
        sample_weight=weights,
        text=text,
        early_stopping=settings.early_stopping,
        opt_in=tuple(f.name for f in space.families if f.opt_in),
    )
    layer_data = _second_layer_data(settings, data, reshuffle)
    # Worker processes take a second or two to start (imports, loading the data): start them
    # now, so that this happens while the fingerprint, meta-features and warm start are computed.
    check_fit_memory_limit(settings.fit_memory_limit_mb)
    executor = make_executor(
        data,
        n_workers,
        max(1, cores // n_workers),
        keep_workers=settings.keep_workers,
        fit_memory_limit_mb=settings.fit_memory_limit_mb,
    )
    executor.warm_up()
    head_start = None if settings.max_trials is not None else _head_start(executor, data, space)
    try:
        with joblib_here():
            start = _prepare_search(
                prepared, settings, history, space, resampling, metric, head_start is not None
            )
    except BaseException:
        executor.close()
        raise
    scheduler, recorder, ledger = start.scheduler, start.recorder, start.ledger
    log.info(
        "search: %s, %s, %d model families, %s, %d worker(s)%s",
        settings.strategy,
        metric.name,
        len(space.families),
        resampling.description,
        n_workers,
        f", successive halving {scheduler.fidelities}" if scheduler.enabled else "",
    )
    interrupted = False
    # the best trials' fold models, wherever trials run: the final model's fallback
    capacity = ENSEMBLE_CANDIDATES if settings.ensemble_size > 1 else FOLD_FALLBACKS
    folds = FoldStore(ledger, capacity)
    if recorder is not None:
        recorder.start(
            dataset_name=settings.dataset_name,
            fingerprint=start.fingerprint,
            row_sketch=start.row_sketch,
            metafeatures=start.warm.metafeatures,
            task=task,
            metric=metric.name,
            time_budget=settings.time_budget,
            library_versions=library_versions(),
            space_version=space.version,
            settings=settings.recorded(),
        )
        ledger.subscribe(recorder.trial)  # first: a trial is durable before anything else
    status = "failed"
    try:
        reserve = Reserve(
            ledger,
            resampling,
            n_workers=executor.n_workers,
            ensemble_size=settings.ensemble_size,
            metric=metric,
            y=prepared.y,
            refit_members=not bags_fold_models(settings.ensemble_refit, resampling),
            time_budget=settings.time_budget,
            second_layer=layer_data is not None,
            stacking=settings.stacking,
        )
        loop = SearchLoop(
            executor,
            scheduler,
            ledger,
            reserve,
            settings,
            metric,
            started=started,
            deadline=deadline,
            folds=folds,
            progress=progress,
            head_start=head_start,
            reshuffle=reshuffle,
        )
        try:
            with deferred_interrupt() as stop, joblib_here():
                loop.run(stop)
        except KeyboardInterrupt:
            interrupted = True
            log.warning(
                "interrupted: stopping the search and keeping the %d finished trial(s)", len(ledger)
            )
            executor.close(kill=True)
            executor = make_executor(
                data,
                1,
                cores,
                keep_workers=settings.keep_workers,
                fit_memory_limit_mb=settings.fit_memory_limit_mb,
            )
        with joblib_here():
            final = FinalModelBuilder(
                executor,
                ledger,
                prepared,
                settings,
                resampling,
                metric,
                deadline=deadline,
                cores=cores,
                folds=folds,
                layer_data=None if interrupted else layer_data,
                selection_seconds=reserve.selection_seconds(ENSEMBLE_CANDIDATES + LAYER_FAMILIES),
            ).build()
        if final.report.kind == FinalKind.CONSTANT:
            warnings.warn(
                f"{final.report.constant_reason.value} within the time budget; the model is a "
                "constant baseline predictor. Give fit a larger time_budget.",
                RuntimeWarning,
                stacklevel=3,
            )
        status = "interrupted" if interrupted else "finished"
    finally:
        executor.close()
        folds.close()
        if recorder is not None:
            recorder.end(status)
        remove_stale_scratch()  # after the model is built: it may delete gigabytes
    return SearchOutcome(
        ledger=ledger,
        model=final.model,
        best=final.best,
        report=final.report,
        members=final.members,
        metric=metric,
        space=space,
        resampling=resampling,
        interrupted=interrupted,
        metafeatures=start.warm.metafeatures,
        warm_configs=len(start.warm.configs),
        run_id=None if recorder is None else recorder.run_id,
        fingerprint=start.fingerprint,
        warm_sources=dict(start.warm.sources),
        history_failed=recorder is not None and recorder.failed,
        layer_trials=final.layer_trials,
    )


@dataclass
class _SearchStart:
    warm: WarmStart
    ledger: TrialLedger
    scheduler: SuccessiveHalving
    recorder: RunRecorder | None
    fingerprint: str | None
    row_sketch: list[str] | None  # a sample of this fit's training rows (with a history only)


def _prepare_search(
    prepared: PreparedData,
    settings: Settings,
    history: HistoryStore | None,
    space: PipelineSpace,
    resampling: Resampling,
    metric: Metric,
    head_start: bool = False,
) -> _SearchStart:
    """The warm start, the ledger preloaded with earlier trials, the strategy and scheduler
    seeded with both, and the history recorder. ``head_start``: trial 0 can run in this
    process (the cheapest configuration goes first)."""
    recorder = sketch = None
    # the fingerprint names the data on the run card, history or not
    fingerprint, row_hashes = fingerprint_and_row_hashes(
        prepared.X, prepared.y, sample_weight=prepared.sample_weight
    )
    if history is not None:
        recorder = RunRecorder(history, strict=settings.history_strict)
        sketch = row_sketch(row_hashes)
    warm_from_data = settings.warm_start is not None and not isinstance(settings.warm_start, list)
    metafeatures = (
        describe(prepared, settings.random_state)
        if recorder is not None or warm_from_data
        else None
    )
    warm = warm_start(
        settings.warm_start,
        prepared,
        space,
        metafeatures=metafeatures,
        time_budget=settings.time_budget,
        history=history if settings.history_warm_start else None,
        fingerprint=fingerprint,
        metric=metric.name,
        row_hashes=row_hashes,
    )
    ledger = TrialLedger(earlier=[_earlier_trial(i, t) for i, t in enumerate(warm.previous)])
    strategy = make_strategy(
        settings.strategy,
        space.configspace,
        initial_configs=_starting_configs(space, warm, head_start),
        seed=settings.random_state,
    )
    for trial in ledger.earlier:  # a resumed run: learn from earlier trials, don't redo them
        if trial.config not in warm.rerun:
            strategy.observe(trial.config, metric.regret(trial.loss), trial.duration)
    n_rows = count_weighted(prepared.sample_weight, len(prepared.y))
    train_rows = int(n_rows * resampling.train_fraction)
    scheduler = SuccessiveHalving(
        strategy, halving_fidelities(train_rows, settings.successive_halving)
    )
    return _SearchStart(warm, ledger, scheduler, recorder, fingerprint, sketch)


def _earlier_trial(index: int, trial: dict[str, Any]) -> TrialResult:
    """A trial recorded by an earlier run on these data, as the ledger keeps it."""
    ok = trial["status"] == TrialStatus.OK
    return TrialResult(
        trial_id=index,
        config=trial["config"],
        status=TrialStatus(trial["status"])
        if trial["status"] in {*TrialStatus}
        else TrialStatus.CRASHED,
        loss=trial["loss"] if ok else float("inf"),
        score=trial.get("score"),
        duration=trial.get("duration") or 0.0,
        fidelity=trial.get("fidelity") or 1.0,
    )


def _head_start(executor: TrialExecutor, data: TrialData, space: PipelineSpace) -> HeadStart | None:
    """Trial 0 in this process, while local workers start (``automl.trials.head_start``).
    Not with ``max_trials``: there trials are counted, and an extra first one would take the
    place of a configuration the user's warm start asked for."""
    first = space.families[0]
    if not isinstance(executor, LocalExecutor) or not HeadStart.suits(data) or not first.low_cost:
        return None
    cheapest = space.low_cost_config(first.name)
    return HeadStart(data, executor.n_threads, lambda config: config == cheapest)


def _starting_configs(
    space: PipelineSpace, warm: WarmStart, head_start: bool = False
) -> list[dict[str, Any]]:
    """Cold: cheapest first, then strong defaults -- a low-cost LightGBM (10 trees, 4 leaves)
    gives a usable model and a first run-time measurement within a second even on large data,
    then every family's default, strongest families first. Warm: the meta-learned
    configurations first (their order already weighs the low-cost start's measured gain per
    second), then the same list -- or only its cheapest configuration, when the source's list
    is a whole start (``WarmStart.replaces_cold_start``). A user's own list goes first,
    exactly as given; a resumed run's best earlier configurations go before everything (the
    quickest way back to where the last run ended)."""
    cold = space.cold_start_configs()
    if warm.exact:
        return warm.configs + cold
    after = cold[:1] if warm.replaces_cold_start else cold
    if head_start and not warm.rerun:
        # the cheapest configuration first, whatever the warm start says: it runs in this
        # process while the workers start (automl.trials.head_start), so it costs nothing
        return cold[:1] + warm.configs + after
    return warm.rerun + warm.configs + after


def _second_layer_data(settings: Settings, data: TrialData, reshuffle: bool) -> TrialData | None:
    """The data a second stacking layer widens, when the settings ask for one and it can run."""
    if not settings.second_layer or settings.ensemble_size < 2:
        return None
    if not bags_fold_models(settings.ensemble_refit, data.resampling):
        log.info("second layer: off, its members would be refit rather than bagged")
        return None
    why = second_layer_unusable(data, reshuffle)
    if why is not None:
        log.info("second layer: off, %s", why)
        return None
    return data


def _text_features(schema: ColumnSchema) -> TextFeatureNames:
    features = schema.text_features
    if features is None:
        return TextFeatureNames()
    return TextFeatureNames(tuple(features.svd_names), tuple(features.score_names))
