"""A trial worker's start-up is dead time at the start of every fit; keep its imports light."""

import subprocess
import sys

HEAVY = ["automl.engine", "automl.estimator", "automl.search", "automl.history", "sqlalchemy"]


def _imported_after(statement: str) -> set[str]:
    code = f"import sys; {statement}; print(' '.join(sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(out.stdout.split())


def test_a_worker_imports_neither_the_engine_nor_the_history():
    loaded = _imported_after(
        "import automl.trials.executor as e; from automl.space import preload_modules; "
        "e.preload((*preload_modules(), e.WORKER_MODULE))"
    )
    assert "automl.trials.worker" in loaded and "lightgbm" in loaded
    assert not loaded & set(HEAVY)


def test_the_estimators_are_still_importable_from_the_package():
    loaded = _imported_after("from automl import AutoMLClassifier, AutoMLRegressor")
    assert "automl.estimator" in loaded
    code = "import automl; automl.does_not_exist"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode != 0 and "has no attribute 'does_not_exist'" in result.stderr
