"""Models saved by an earlier version keep loading and predict the same (see CHANGELOG.md).

``data/models_efa1fdf.joblib`` was written by ``data/make_saved_models.py`` on main at efa1fdf,
before trial running moved into ``automl.trials``: an ensemble classifier whose members are
fold models (``automl.runner.FoldModels`` then) and a HistGradientBoosting regressor.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import joblib
import numpy as np

SAVED = Path(__file__).parent / "data" / "models_efa1fdf.joblib"


def test_a_model_saved_before_the_reshaping_loads_and_predicts_the_same():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # library versions may differ from the saving machine's
        saved = joblib.load(SAVED)
    classifier, regressor, X = saved["classifier"], saved["regressor"], saved["X"]
    assert type(classifier.model_.members[0][1]).__module__ == "automl.trials.evaluation"
    np.testing.assert_allclose(classifier.predict_proba(X), saved["proba"], rtol=1e-12)
    assert (classifier.predict(X) == saved["labels"]).all()
    np.testing.assert_allclose(regressor.predict(X), saved["regression"], rtol=1e-12)


def test_old_module_paths_are_aliases_of_their_new_homes():
    from automl.runner import FoldModels  # type: ignore[import-not-found]

    from automl.trials import evaluation

    assert FoldModels is evaluation.FoldModels
