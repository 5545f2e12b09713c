"""Test-wide settings: the team history goes to a throwaway SQLite file, never the user's."""

import os
import tempfile

# Set at import, before any test builds an estimator: history="auto" reads AUTOML_HISTORY.
_HISTORY_DIR = tempfile.mkdtemp(prefix="automl-test-history-")
os.environ["AUTOML_HISTORY"] = f"sqlite:///{os.path.join(_HISTORY_DIR, 'history.sqlite')}"
