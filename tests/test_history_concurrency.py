"""Several processes writing to one history store, and a writer killed with SIGKILL.

Each backend is tested for real: a SQLite file in a temporary directory, and a PostgreSQL
server when ``AUTOML_TEST_POSTGRES_URL`` names one (``.ci/run`` starts a throwaway cluster
on loopback and sets it). Every PostgreSQL test gets a fresh database, so the four writers
also race to create the tables.
"""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa

from automl.history import open_store
from automl.history.location import sqlite_url

WRITER = Path(__file__).with_name("history_writer.py")
WRITERS, TRIALS = 4, 200
LINE_TIMEOUT_S = 120


@contextmanager
def throwaway_postgres_database(base_url: str) -> Iterator[str]:
    """A new, empty database on the server of ``base_url``, dropped afterwards."""
    name = f"automl_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(base_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
        yield sa.make_url(base_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request, tmp_path) -> Iterator[str]:
    if request.param == "sqlite":
        yield sqlite_url(tmp_path / "history.sqlite")
        return
    base_url = os.environ.get("AUTOML_TEST_POSTGRES_URL")
    if not base_url:
        pytest.skip("no PostgreSQL server: set AUTOML_TEST_POSTGRES_URL (.ci/run starts one)")
    with throwaway_postgres_database(base_url) as url:
        yield url


class Writer:
    """A ``history_writer.py`` process whose output lines can be awaited with a timeout."""

    def __init__(self, *args: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, str(WRITER), *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            bufsize=1,
        )
        self._lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        for line in self.process.stdout:
            self._lines.put(line.rstrip("\n"))
        self._lines.put("")  # end of output

    def line(self) -> str:
        try:
            line = self._lines.get(timeout=LINE_TIMEOUT_S)
        except queue.Empty:
            self.process.kill()
            raise AssertionError("the writer process printed nothing for too long") from None
        if line == "" and self.process.poll() is not None:
            raise AssertionError(f"the writer process ended: {self.process.stderr.read()}")
        return line

    def remaining(self) -> list[str]:
        """Every line still unread, once the process has ended."""
        lines = []
        while (line := self._lines.get(timeout=LINE_TIMEOUT_S)) != "":
            lines.append(line)
        return lines

    def send(self, text: str) -> None:
        self.process.stdin.write(text + "\n")
        self.process.stdin.flush()


def _count(url: str, sql: str) -> int:
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect() as connection:
            return connection.exec_driver_sql(sql).scalar_one()
    finally:
        engine.dispose()


def test_four_writers_record_every_trial_exactly_once(store_url):
    writers = [Writer("concurrent", store_url, str(TRIALS)) for _ in range(WRITERS)]
    for writer in writers:
        assert writer.line() == "ready"
    for writer in writers:  # all at once: they race to create the tables, then to write
        writer.send("go")
    run_ids = []
    for writer in writers:
        done = writer.line()
        assert done.startswith("done "), done
        run_ids.append(done.split()[1])
        assert writer.process.wait(timeout=LINE_TIMEOUT_S) == 0

    assert _count(store_url, "SELECT COUNT(*) FROM trials") == WRITERS * TRIALS
    assert _count(store_url, "SELECT COUNT(*) FROM runs") == WRITERS
    assert (
        _count(store_url, "SELECT COUNT(*) FROM (SELECT DISTINCT run_id, trial_id FROM trials) t")
        == WRITERS * TRIALS
    )
    with open_store(store_url) as store:
        runs = store.runs()
        assert sorted(run["id"] for run in runs) == sorted(run_ids)
        assert all(run["n_trials"] == TRIALS and run["status"] == "finished" for run in runs)
        for run_id in run_ids:
            assert [trial["trial_id"] for trial in store.trials(run_id)] == list(range(TRIALS))


def test_sigkill_loses_no_finished_trial(store_url):
    writer = Writer("killable", store_url)
    first = writer.line()
    assert first.startswith("run "), first
    run_id = first.split()[1]
    acknowledged = [int(writer.line()) for _ in range(40)]
    os.kill(writer.process.pid, signal.SIGKILL)
    assert writer.process.wait(timeout=30) == -signal.SIGKILL
    acknowledged += [int(line) for line in writer.remaining()]  # printed before the kill landed

    with open_store(store_url) as store:
        stored = {trial["trial_id"] for trial in store.trials(run_id)}
        assert set(acknowledged) <= stored
        assert len(stored) <= len(acknowledged) + 1  # at most the one in flight got in unprinted
        assert store.run(run_id)["status"] == "running"  # never ended: visibly cut short
