"""A separate process writing to a history store, for the concurrency and SIGKILL tests.

``python history_writer.py concurrent URL N``: print ``ready``, wait for ``go`` on stdin (so
all writers start together, including creating the tables), record one run with N trials
(every tenth written twice, as a retry after a lost acknowledgement would), print
``done RUN_ID``.

``python history_writer.py killable URL``: record a run, print ``run RUN_ID``, then record
trials forever, printing each trial id only after ``record_trial`` has returned.
"""

from __future__ import annotations

import sys
import time

from automl.history import open_store


def _trial(number: int) -> dict:
    return {
        "trial_id": number,
        "config": {"model": "lgbm", "learning_rate": 0.01 * (number % 50 + 1)},
        "status": "ok",
        "loss": 1.0 / (number + 1),
        "score": 1.0 - 1.0 / (number + 1),
        "duration": 0.01,
        "fit_time": 0.005,
        "started": number * 0.01,
    }


def concurrent(url: str, count: int) -> None:
    print("ready", flush=True)
    if sys.stdin.readline().strip() != "go":
        raise SystemExit("expected 'go'")
    with open_store(url) as store:
        run_id = store.start_run(
            fingerprint="f" * 32,
            task="binary",
            metric="roc_auc",
            dataset_name="concurrency",
            library_versions={},
            space_version="1",
        )
        for number in range(count):
            store.record_trial(run_id, _trial(number))
            if number % 10 == 0:
                store.record_trial(run_id, _trial(number))
        store.end_run(run_id, "finished")
    print(f"done {run_id}", flush=True)


def killable(url: str) -> None:
    with open_store(url) as store:
        run_id = store.start_run(
            fingerprint="k" * 32,
            task="regression",
            metric="rmse",
            dataset_name="killed",
            library_versions={},
            space_version="1",
        )
        print(f"run {run_id}", flush=True)
        number = 0
        while True:
            store.record_trial(run_id, _trial(number))
            print(number, flush=True)
            number += 1
            time.sleep(0.002)


if __name__ == "__main__":
    mode, url = sys.argv[1], sys.argv[2]
    if mode == "concurrent":
        concurrent(url, int(sys.argv[3]))
    elif mode == "killable":
        killable(url)
    else:
        raise SystemExit(f"unknown mode {mode!r}")
