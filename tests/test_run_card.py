"""The run card: what a fit used and made, as one typed value that survives JSON."""

import json

import numpy as np
import pandas as pd
import pytest

from automl import AutoMLClassifier, AutoMLRegressor
from automl.history import open_store, resolve_history
from automl.run_card import RunCard


def _frame(n=240, seed=0):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(
        {
            "x1": rng.normal(size=n),
            "x2": rng.normal(size=n),
            "colour": rng.choice(["red", "green", "blue"], size=n),
            "when": pd.date_range("2020-01-01", periods=n, freq="D"),
        }
    )
    return X, rng


@pytest.mark.slow
def test_card_describes_the_fit_and_round_trips_through_json():
    X, rng = _frame()
    y = np.where(X["x1"] + (X["colour"] == "red") > 0.3, "yes", "no")
    model = AutoMLClassifier(time_budget=20, max_trials=4, random_state=1, verbose=0)
    model.fit(X, y, dataset_name="toy")
    card = model.run_card_

    # the fingerprint the history knows these data by
    with open_store(resolve_history("auto")) as store:
        run = store.run(model.history_run_id_)
        assert card.data.fingerprint == run["fingerprint"]
        assert run["card"] == card.to_dict()  # the report of a history run reads it back
        trials = store.trials(model.history_run_id_)
        assert all(t["worker"] and t["finished"] >= t["started"] > 0 for t in trials)
    assert card.data.n_rows == 240 and card.data.n_columns == 4
    assert card.data.column_kinds == {
        "x1": "numeric",
        "x2": "numeric",
        "colour": "categorical",
        "when": "datetime",
    }
    assert card.data.classes == ("no", "yes")
    assert card.search.metric == model.metric_ == "roc_auc"
    assert card.search.random_state == 1 and card.search.max_trials == 4
    assert sum(card.search.trials_by_status.values()) == len(model.trials_)
    assert card.search.history_run_id == model.history_run_id_ is not None
    assert card.space.version == model.space_version_
    assert "lightgbm" in card.space.families
    assert card.space.hyperparameters["lightgbm:learning_rate"].endswith("log")
    assert [m.trial_id for m in card.final_model.members] == [
        m["trial_id"] for m in model.ensemble_
    ]
    assert card.final_model.description == str(model.refit_)
    assert card.final_model.model_size_bytes == model.model_size_bytes_
    assert card.library_versions == model.versions_
    assert card.params["random_state"] == 1

    text = json.dumps(card.to_dict())
    assert RunCard.from_dict(json.loads(text)) == card


@pytest.mark.slow
def test_card_names_the_warm_start_sources():
    X, rng = _frame(seed=2)
    y = X["x1"].to_numpy() * 2 + rng.normal(scale=0.1, size=len(X))
    config = {"model": "ridge"}
    model = AutoMLRegressor(time_budget=20, max_trials=2, warm_start=[config], verbose=0)
    model.fit(X, y)
    assert model.run_card_.search.warm_start_sources == {"user list": 1}
    assert model.run_card_.search.warm_start == "list"
