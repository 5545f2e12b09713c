"""Test-wide settings: each test records its team history in a throwaway SQLite file of its own,
never the user's, so no test sees the runs another test recorded (with ``warm_start="auto"`` a
fit without ``max_trials`` resumes from the history of the same data)."""

from pathlib import Path

import pytest

ENV_VARIABLE = "AUTOML_HISTORY"  # the documented setting history="auto" reads


def _history_url(directory: Path) -> str:
    # not history.sqlite: tests of the store open that name in their own tmp_path
    return f"sqlite:///{directory / 'automl-history.sqlite'}"


@pytest.fixture(scope="module", autouse=True)
def _module_history(tmp_path_factory: pytest.TempPathFactory):
    """For module-scoped fixtures that fit: autouse, so it is set before they run."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(ENV_VARIABLE, _history_url(tmp_path_factory.mktemp("history")))
        yield


@pytest.fixture(autouse=True)
def _test_history(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_VARIABLE, _history_url(tmp_path))
    # a developer's own MLflow switch must not log every test fit
    monkeypatch.delenv("AUTOML_MLFLOW_TRACKING_URI", raising=False)
