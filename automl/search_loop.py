"""The asynchronous ask/tell loop: a free worker gets the next proposal at once.

With ``max_trials`` set the loop is reproducible instead: trial ``k`` is proposed knowing
exactly the results of trials ``0 .. k - n_workers`` (told in order; later ones count as
running), whatever order they finished in, and the strategy gets no wall-clock budget (so
cost-aware BO does not depend on measured run times). A worker may wait a moment for an
earlier trial; that is the price of two runs giving the same trials.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, wait

from automl.fold_store import FoldStore
from automl.ledger import TrialLedger
from automl.metrics import Metric
from automl.reserve import Reserve
from automl.search import Budget, Request, SuccessiveHalving
from automl.settings import Settings
from automl.trials.executor import TrialExecutor, collect_trial
from automl.trials.head_start import HeadStart
from automl.trials.request import TrialRequest
from automl.trials.resampling import trial_split_seed
from automl.trials.result import TrialResult

log = logging.getLogger("automl")

POLL = 0.5  # seconds between progress updates while waiting for trials
Progress = Callable[[float, TrialLedger], None]


class SearchLoop:
    """Proposes, submits and collects trials until the budget, ``max_trials`` or a stop.

    Every result goes into the ``ledger``; the scheduler is told through it (at once, or in
    trial order in reproducible mode). The search ends ``reserve.seconds()`` before the
    ``deadline``, so the final model can still be built in time.
    """

    def __init__(
        self,
        executor: TrialExecutor,
        scheduler: SuccessiveHalving,
        ledger: TrialLedger,
        reserve: Reserve,
        settings: Settings,
        metric: Metric,
        *,
        started: float,
        deadline: float,
        folds: FoldStore | None = None,
        progress: Progress | None = None,
        head_start: HeadStart | None = None,
        reshuffle: bool = False,
    ) -> None:
        self.executor, self.scheduler, self.ledger = executor, scheduler, ledger
        self.head_start = head_start
        self.reshuffle = reshuffle  # every trial but the first gets its own shuffle of the folds
        self.reserve, self.settings, self.metric = reserve, settings, metric
        self.started, self.deadline = started, deadline
        self.folds, self.progress = folds, progress
        self.ordered = settings.max_trials is not None
        self.submitted = 0
        self._told = 0  # ordered mode: trials 0 .. _told-1 have been told to the scheduler
        self._requests: dict[int, Request] = {}
        if not self.ordered:
            ledger.subscribe(self._tell)

    def search_end(self) -> float:
        return self.deadline - self.reserve.seconds()

    def run(self, stop: threading.Event | None = None) -> None:
        """Run until done; raises ``KeyboardInterrupt`` at a safe point once ``stop`` is set."""
        running: dict[Future, tuple[TrialRequest, float]] = {}
        while True:
            if stop is not None and stop.is_set():  # Ctrl-C, taken here rather than mid-write
                raise KeyboardInterrupt
            while len(running) < self.executor.n_workers and self._may_submit():
                future, request, began = self._submit_next()
                running[future] = (request, began)
            if not running:
                return
            done, _ = wait(running, timeout=POLL, return_when=FIRST_COMPLETED)
            for future in done:
                request, began = running.pop(future)
                result = collect_trial(future, request, began)
                result.finished = time.time() - self.started  # with start-up and hand-over
                self.ledger.add(result)  # durable (recorder) before anything else happens
                log.debug(
                    "trial %d %s %s fidelity=%.3g loss=%.5g (%.1fs)",
                    result.trial_id,
                    result.config["model"],
                    result.status,
                    result.fidelity,
                    result.loss,
                    result.duration,
                )
            if self.progress is not None:
                self.progress(time.time() - self.started, self.ledger)

    def _may_submit(self) -> bool:
        settings = self.settings
        return (
            time.time() < self.search_end() - 0.2
            and (settings.max_trials is None or self.submitted < settings.max_trials)
            and self._caught_up()
        )

    def _caught_up(self) -> bool:
        """Ordered mode: tell trials 0 .. k - n_workers in order before proposing trial k."""
        if not self.ordered:
            return True
        needed = self.submitted - self.executor.n_workers + 1
        while self._told < needed and self._told in self.ledger:
            self._tell(self.ledger[self._told])
            self._told += 1
        return self._told >= needed

    def _submit_next(self) -> tuple[Future, TrialRequest, float]:
        """Ask for the next trial and submit it: its future, request and hand-out time."""
        now = time.time()
        budget = (
            None
            if self.ordered
            else Budget(
                elapsed_fraction=min(
                    1.0, (now - self.started) / max(self.search_end() - self.started, 1e-9)
                ),
                seconds_left=self.search_end() - now,
            )
        )
        proposal = self.scheduler.ask(budget)
        trial_id = self.submitted
        # a trial that ends among the best `capacity` beats the threshold at its submission
        # (it only falls), so the final best trials always have their fold models
        keep = (
            self.folds.threshold() if self.folds is not None and proposal.fidelity == 1.0 else None
        )
        request = TrialRequest(
            trial_id=trial_id,
            config=proposal.config,
            metric=self.settings.metric,
            random_state=self.settings.random_state,
            fidelity=proposal.fidelity,
            keep_models_below=keep,
            fold_models_file=(
                self.folds.incoming(trial_id)
                if keep is not None and self.executor.shares_disk
                else None
            ),
            split_seed=(
                trial_split_seed(self.settings.random_state, trial_id)
                if self.reshuffle and trial_id > 0
                else None
            ),
        )
        if self.head_start is not None and self.head_start.takes(request):
            future = self.head_start.evaluate(request)  # here, while the workers start
        else:
            future = self.executor.evaluate(
                request,
                deadline=self.search_end(),
                time_limit=self.settings.per_trial_time_limit,
                memory_limit_mb=self.settings.memory_limit_mb,
            )
        self._requests[trial_id] = proposal
        self.submitted += 1
        return future, request, now - self.started

    def _tell(self, result: TrialResult) -> None:
        proposal = self._requests.pop(result.trial_id)
        self.scheduler.tell(proposal, self.metric.regret(result.loss), result.duration)
