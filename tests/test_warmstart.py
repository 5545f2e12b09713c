"""The metabase files, the warm-start choice, and the estimator starting from it."""

import json
import warnings

import numpy as np
import pandas as pd
import pytest
from declared_plugins import installed_as_declared
from sklearn.datasets import make_classification

from automl import AutoMLClassifier, plugins
from automl.history.nearest import rank_by_distance
from automl.metafeatures import compute_metafeatures, metafeature_names
from automl.search.base import config_key
from automl.space import PipelineSpace
from automl.warm_start import (
    WarmStartSource,
    check_warm_start,
    complete_config,
    installed_source,
    usable_config,
)
from benchmarks.nearest import dataset_distances, nearest_start
from metalearning.metabase import Metabase, MetabaseWarning, config_id, load_metabase
from metalearning.recommend import (
    greedy_portfolio,
    normalized_losses,
    order_by_gain_per_second,
    warm_start_configs,
)
from metalearning.runtimes import fit_run_times, shape_terms, trained_rows


def logistic(c: float) -> dict:
    return {"model": "logistic_regression", "logistic_regression:C": c}


def tiny_metabase() -> Metabase:
    """Three classification datasets that differ only in size; each has its own winner."""
    names = metafeature_names("binary")
    rows = {}
    for i, dataset in enumerate(["small", "medium", "large"]):
        rows[dataset] = {"task": "binary", **{n: float(i) for n in names}}
    metafeatures = pd.DataFrame.from_dict(rows, orient="index")
    metafeatures.index.name = "dataset"
    configs = {
        "c_small": logistic(0.01),
        "c_medium": logistic(1.0),
        "c_large": logistic(100.0),
        "c_robust": logistic(10.0),
    }
    configurations = {
        cid: {
            "config": c,
            "task_group": "classification",
            "found_on": [cid[2:]] if cid != "c_robust" else ["small", "large"],
        }
        for cid, c in configs.items()
    }
    losses = {  # dataset -> config -> loss; c_robust is second everywhere
        "small": {"c_small": 0.10, "c_medium": 0.50, "c_large": 0.90, "c_robust": 0.20},
        "medium": {"c_small": 0.50, "c_medium": 0.10, "c_large": 0.50, "c_robust": 0.20},
        "large": {"c_small": 0.90, "c_medium": 0.50, "c_large": 0.10, "c_robust": 0.20},
    }
    performance = pd.DataFrame(
        [
            {"dataset": d, "config_id": c, "loss": loss, "duration": 1.0, "status": "ok"}
            for d, row in losses.items()
            for c, loss in row.items()
        ]
    )
    return Metabase(metafeatures, configurations, performance)


def space() -> PipelineSpace:
    return PipelineSpace("binary", 200)


def test_save_and_load_round_trip(tmp_path):
    metabase = tiny_metabase()
    metabase.save(tmp_path)
    loaded = load_metabase(tmp_path)
    assert loaded.datasets == metabase.datasets
    assert loaded.configurations == metabase.configurations
    pd.testing.assert_frame_equal(
        loaded.performance.sort_values(["dataset", "config_id"]).reset_index(drop=True),
        metabase.performance.sort_values(["dataset", "config_id"]).reset_index(drop=True),
        check_dtype=False,
    )


def test_missing_files_and_untranslatable_versions_are_explained(tmp_path):
    with pytest.raises(FileNotFoundError, match="not a metabase.*automl metabase build"):
        load_metabase(tmp_path)
    tiny_metabase().save(tmp_path)
    stored = json.loads((tmp_path / "configurations.json").read_text())
    stored["space_version"] = "0"  # a version nothing translates from
    (tmp_path / "configurations.json").write_text(json.dumps(stored))
    with pytest.warns(MetabaseWarning, match="cannot be translated"):
        loaded = load_metabase(tmp_path)
    assert loaded.configurations == {}


def test_leave_one_out_removes_rows_results_and_own_configurations():
    loo = tiny_metabase().without(["medium"])
    assert loo.datasets == ["small", "large"]
    assert "c_medium" not in loo.configurations  # found only by medium's own search
    assert loo.configurations["c_robust"]["found_on"] == ["small", "large"]
    assert set(loo.performance["dataset"]) == {"small", "large"}
    assert "c_medium" not in set(loo.performance["config_id"])


def test_nearest_dataset_and_distances():
    metabase = tiny_metabase()
    target = {n: 1.9 for n in metafeature_names("binary")}
    distances = dataset_distances(metabase, target, "binary")
    assert list(distances.index) == ["large", "medium", "small"]
    assert distances["large"] == pytest.approx(0.05)  # |1.9 - 2| / span 2
    assert dataset_distances(metabase, target, "regression").empty


def test_greedy_portfolio_covers_datasets():
    metabase = tiny_metabase()
    losses = normalized_losses(metabase, metabase.datasets)
    assert losses.loc["small", "c_small"] == 0.0 and losses.loc["small", "c_large"] == 1.0
    # c_robust alone: mean 0.125; any specialist alone is worse; then a specialist is added
    portfolio = greedy_portfolio(losses, 2, set(losses.columns))
    assert portfolio[0] == "c_robust"
    assert len(portfolio) == 2 and portfolio[1] != "c_robust"
    assert greedy_portfolio(losses, 5, {"c_small"}) == ["c_small"]


def test_the_benchmarks_nearest_start_alternates_neighbours_and_portfolio():
    """The library dropped nearest-dataset matching; the replay benchmark keeps it to compare."""
    target = {n: 1.9 for n in metafeature_names("binary")}
    configs = nearest_start(
        tiny_metabase(), target, "binary", space(), n_neighbors=2, portfolio_size=2
    )
    chosen = [c["logistic_regression:C"] for c in configs]
    # neighbour 1 (large) -> c_large, portfolio 1 -> c_robust, neighbour 2 (medium) -> c_medium
    assert chosen[:3] == [100.0, 10.0, 1.0]
    assert len(chosen) == len(set(chosen))


def test_the_portfolio_ignores_the_meta_features_and_orders_by_gain_over_all_datasets():
    """The start is the greedy portfolio over every prior dataset of the group: the same list
    whatever the new data look like, its best bet over all datasets (c_robust, second
    everywhere) first."""
    metabase = tiny_metabase()
    metabase.metafeatures["n_rows"] = 1000.0
    lists = []
    for value in (0.0, 1.9):
        target = {n: value for n in metafeature_names("binary")}
        target["n_rows"] = 300.0
        configs = warm_start_configs(
            metabase,
            target,
            "binary",
            space(),
            portfolio_size=3,
            limit=3,
            time_budget=60,
        )
        lists.append([c["logistic_regression:C"] for c in configs])
    assert lists[0] == lists[1]
    assert lists[0][0] == 10.0 and set(lists[0][:3]) <= {10.0, 0.01, 1.0, 100.0}
    assert len(lists[0][:3]) == len(set(lists[0][:3])) == 3


def test_configurations_predicted_slow_go_behind_the_cheap_ones():
    metabase = tiny_metabase()
    perf = metabase.performance
    metabase.metafeatures["n_rows"] = 1000.0  # each run time measured on 800 trained rows
    large = perf["config_id"] == "c_large"
    perf.loc[large, "loss"] = 0.15  # now the best bet over all datasets...
    perf.loc[large, "duration"] = 60.0  # ...but 40 times slower than the others (1.5 s)
    target = {n: 1.9 for n in metafeature_names("binary")}
    target["n_rows"] = 300.0

    def chosen(time_budget):
        configs = warm_start_configs(
            metabase, target, "binary", space(), portfolio_size=3, limit=3, time_budget=time_budget
        )
        return [c["logistic_regression:C"] for c in configs]

    assert chosen(None)[0] == 100.0
    bounded = chosen(60)
    assert bounded[-1] == 100.0 and sorted(bounded) == sorted(chosen(None))


def test_unusable_configurations_are_skipped_or_warned():
    metabase = tiny_metabase()
    target = {n: 0.0 for n in metafeature_names("binary")}
    excluded = PipelineSpace("binary", 200, exclude=["logistic_regression"])
    assert warm_start_configs(metabase, target, "binary", excluded) == []  # user's choice
    metabase.configurations["c_small"]["config"] = {
        "model": "logistic_regression",
        "logistic_regression:renamed": 1.0,
    }
    with pytest.warns(MetabaseWarning, match="no longer fit"):
        configs = warm_start_configs(metabase, target, "binary", space())
    assert all("logistic_regression:renamed" not in c for c in configs)


@pytest.mark.slow
def test_estimator_starts_from_the_metabase():
    X, y = make_classification(200, 6, random_state=0)
    metafeatures = compute_metafeatures(pd.DataFrame(X), y, "binary")
    metabase = tiny_metabase()
    metabase.metafeatures.loc["medium", list(metafeatures)] = list(metafeatures.values())
    expected = warm_start_configs(
        metabase, metafeatures, "binary", PipelineSpace("binary", 200), time_budget=30
    )
    assert 1.0 in [c["logistic_regression:C"] for c in expected]  # the nearest one's winner
    model = AutoMLClassifier(
        time_budget=30, max_trials=4, n_jobs=1, warm_start=metabase, history=None, random_state=0
    ).fit(X, y)
    trials = sorted(model.trials_, key=lambda t: t["trial_id"])
    assert [t["config"] for t in trials[:4]] == expected[:4]
    assert model.metafeatures_ == pytest.approx(metafeatures, nan_ok=True)
    assert model.n_warm_start_ == len(expected) >= 3


@pytest.mark.slow
def test_warm_start_with_a_list_of_configurations():
    X, y = make_classification(120, 4, random_state=0)
    model = AutoMLClassifier(
        time_budget=30,
        max_trials=2,
        n_jobs=1,
        history=None,
        warm_start=[logistic(0.5), logistic(2.0)],
        random_state=0,
    ).fit(X, y)
    configs = [
        t["config"]["logistic_regression:C"]
        for t in sorted(model.trials_, key=lambda t: t["trial_id"])
    ]
    assert configs == [0.5, 2.0]
    with pytest.raises(ValueError, match="configuration 0 names hyperparameters.*'nope'"):
        AutoMLClassifier(
            time_budget=10, history=None, warm_start=[{"model": "lightgbm", "nope": 1}]
        ).fit(X, y)
    with pytest.raises(ValueError, match="warm_start must be one of"):
        AutoMLClassifier(warm_start="everything").fit(X, y)


def test_shipped_metabase_is_complete_and_usable():
    metabase = load_metabase()
    assert len(metabase.datasets) >= 30
    assert {"classification", "regression"} <= {
        c["task_group"] for c in metabase.configurations.values()
    }
    assert set(metabase.performance["config_id"]) <= set(metabase.configurations)
    for cid, entry in metabase.configurations.items():
        assert cid == config_id(entry["config"], entry["task_group"])
    X, y = make_classification(300, 8, random_state=1)
    with warnings.catch_warnings():
        warnings.simplefilter("error", MetabaseWarning)
        configs = warm_start_configs(
            metabase,
            compute_metafeatures(pd.DataFrame(X), y, "binary"),
            "binary",
            PipelineSpace("binary", 300),
        )
    assert len(configs) >= 5
    assert len({json.dumps(c, sort_keys=True) for c in configs}) == len(configs)


def test_shipped_metabase_measures_catboost_and_starts_without_it_where_it_is_missing():
    # the CatBoost default is a cold-start configuration, so the build measures it on every
    # dataset; a user without catboost installed gets the same kind of start from the rest
    metabase = load_metabase()
    catboost = {
        cid for cid, e in metabase.configurations.items() if e["config"]["model"] == "catboost"
    }
    measured = metabase.performance[metabase.performance["config_id"].isin(catboost)]
    assert catboost and measured["dataset"].nunique() == len(metabase.datasets)
    X, y = make_classification(300, 8, random_state=1)
    meta = compute_metafeatures(pd.DataFrame(X), y, "binary")
    with warnings.catch_warnings():
        warnings.simplefilter("error", MetabaseWarning)
        without = warm_start_configs(
            metabase, meta, "binary", PipelineSpace("binary", 300, exclude=["catboost"])
        )
    assert len(without) >= 5 and all(c["model"] != "catboost" for c in without)


def test_the_first_configuration_is_the_best_quick_bet_not_the_cheapest_probe():
    losses = pd.DataFrame({"probe": [0.5, 0.5], "good": [0.0, 0.1], "slow": [0.0, 0.0]})
    seconds = {"probe": 0.05, "good": 1.0, "slow": 100.0}
    # per second alone the 10-tree probe wins (0.5 / 0.05 s against 0.95 / 1 s)
    assert order_by_gain_per_second(list(losses), losses, seconds)[0] == "probe"
    ordered = order_by_gain_per_second(list(losses), losses, seconds, early_seconds=1.5)
    # the best that finishes within 1.5 s, then the slow one (still a gain), the probe last
    assert ordered == ["good", "slow", "probe"]
    # nothing predicted quick enough: back to gain per second
    assert order_by_gain_per_second(list(losses), losses, seconds, early_seconds=0.01)[0] == "probe"


def test_the_early_window_fills_with_the_largest_gains_that_still_fit():
    # a and b each win on one dataset: together they beat the all-rounder c
    losses = pd.DataFrame({"a": [0.0, 0.6], "b": [0.6, 0.0], "c": [0.2, 0.2], "d": [0.9, 0.9]})
    seconds = {"a": 1.0, "b": 1.0, "c": 1.0, "d": 0.1}
    assert order_by_gain_per_second(list(losses), losses, seconds, early_seconds=2.0)[:2] == [
        "c",
        "a",
    ]  # the best bet, then what adds most to it, both within 2 s
    # 1.5 s holds only one of the 1 s configurations; the cheap d fits the rest but adds
    # nothing, so the window closes and gain per second orders the others (d, no gain, last)
    assert order_by_gain_per_second(list(losses), losses, seconds, early_seconds=1.5) == [
        "c",
        "a",
        "b",
        "d",
    ]


def test_the_search_own_starting_configurations_fill_the_window_only_as_a_last_resort():
    losses = pd.DataFrame({"default": [0.1, 0.1], "tuned": [0.3, 0.0], "slow": [0.0, 0.0]})
    seconds = {"default": 0.5, "tuned": 0.5, "slow": 50.0}
    # the default is the better bet, but the search runs it right after the warm start anyway
    ordered = order_by_gain_per_second(
        list(losses), losses, seconds, early_seconds=0.6, fallbacks=frozenset({"default"})
    )
    assert ordered[0] == "tuned"
    # nothing else fits in time: then the default comes first after all
    seconds["tuned"] = 5.0
    ordered = order_by_gain_per_second(
        list(losses), losses, seconds, early_seconds=0.6, fallbacks=frozenset({"default"})
    )
    assert ordered[0] == "default"


def timed_metabase(seconds_by_rows: dict[int, float], status: str = "ok") -> Metabase:
    """One configuration measured on datasets of the given sizes (rows -> net seconds)."""
    metabase = tiny_metabase()
    names = [f"d{rows}" for rows in seconds_by_rows]
    metafeatures = pd.DataFrame({"task": "binary", "n_rows": list(seconds_by_rows)}, index=names)
    performance = pd.DataFrame(
        [
            {
                "dataset": f"d{rows}",
                "config_id": "c_small",
                "loss": 0.1,
                "duration": 0.1 + seconds,
                "status": status,
            }
            for rows, seconds in seconds_by_rows.items()
        ]
    )
    return Metabase(metafeatures, metabase.configurations, performance)


def test_run_times_scale_with_the_power_of_the_rows_measured_across_sizes():
    # net seconds = 0.01 * trained_rows ** 0.5: the fit finds the exponent, not a linear rule
    sizes = [500, 2_000, 8_000, 40_000]
    metabase = timed_metabase({n: 0.01 * trained_rows(n) ** 0.5 for n in sizes})
    fits = fit_run_times(metabase)
    assert fits.per_config["c_small"][1] == pytest.approx(0.5, abs=1e-6)
    expected = 0.1 + 0.01 * trained_rows(20_000) ** 0.5
    assert fits.seconds("c_small", {"n_rows": 20_000}) == pytest.approx(expected, rel=1e-6)
    assert fits.seconds("never_measured", {"n_rows": 20_000}) == float("inf")
    assert fits.seconds("c_small", {"n_rows": float("nan")}) == float("inf")


def test_run_time_exponent_is_bounded_and_linear_without_a_size_range():
    steep = fit_run_times(timed_metabase({n: 1e-9 * n**3 for n in [500, 5_000, 50_000]}))
    assert steep.per_config["c_small"][1] == 1.2  # a cubic looking fit is noise at these sizes
    narrow = fit_run_times(timed_metabase({1_000: 0.2, 1_500: 0.2, 2_000: 0.2}))
    assert narrow.per_config["c_small"][1] == 1.0  # within a factor of 4: no exponent to tell
    timed_out = fit_run_times(timed_metabase({1_000: 10.0}, status="timeout"))
    assert timed_out.seconds("c_small", {"n_rows": 1_000}) == pytest.approx(10.1)
    failed = fit_run_times(timed_metabase({1_000: 0.5}, status="error"))
    assert "c_small" not in failed  # a crash says nothing about the time a fit takes


def test_run_times_grow_with_the_classes_of_multiclass_data_for_the_family_that_shows_it():
    # boosting-like: net seconds = 1e-4 * trained rows * classes (multiclass), for two
    # configurations of one family; rows and classes vary independently across the datasets
    shapes = [(500, 2), (2_000, 2), (8_000, 2), (500, 6), (2_000, 4), (8_000, 8), (1_000, 10)]
    names = [f"d{i}" for i in range(len(shapes))]
    metafeatures = pd.DataFrame(
        {
            "task": ["binary" if k == 2 else "multiclass" for _, k in shapes],
            "n_rows": [n for n, _ in shapes],
            "n_features": 10,
            "n_classes": [k for _, k in shapes],
        },
        index=names,
    )
    configurations = {
        cid: {"config": {"model": "lightgbm"}, "task_group": "classification"}
        for cid in ["boost_a", "boost_b"]
    }
    performance = pd.DataFrame(
        [
            {
                "dataset": name,
                "config_id": cid,
                "loss": 0.1,
                "status": "ok",
                "duration": 0.1 + scale * 1e-4 * trained_rows(n) * (k if k > 2 else 1),
            }
            for cid, scale in [("boost_a", 1.0), ("boost_b", 3.0)]
            for name, (n, k) in zip(names, shapes)
        ]
    )
    fits = fit_run_times(Metabase(metafeatures, configurations, performance))
    binary = {"n_rows": 4_000, "n_features": 10, "n_classes": 2}
    ten_classes = {**binary, "n_classes": 10}
    ratio = (fits.seconds("boost_a", ten_classes) - 0.1) / (fits.seconds("boost_a", binary) - 0.1)
    assert 5 < ratio <= 10  # shrunk towards "rows say it all", but most of the way to 10
    truth = 0.1 + 3e-4 * trained_rows(4_000) * 10
    assert truth / 1.6 < fits.seconds("boost_b", ten_classes) < truth
    rows_only = type(fits)(fits.per_config)  # the rule before: a median over mixed classes
    assert rows_only.seconds("boost_b", ten_classes) < truth / 2


def test_shape_terms_count_classes_only_when_there_are_more_than_two():
    assert shape_terms({"n_features": 1, "n_classes": 2})[1] == 0.0
    assert shape_terms({"n_features": 1, "n_classes": float("nan")})[1] == 0.0
    assert shape_terms({"n_features": 20, "n_classes": 5}) == pytest.approx([np.log(20), np.log(5)])


# -- automl finds the metabase without importing metalearning ---------------------------------


def test_the_default_warm_start_is_the_installed_metabase():
    X, y = make_classification(200, 6, random_state=0)
    with installed_as_declared():
        shipped = installed_source("metabase")
        assert isinstance(shipped, Metabase) and len(shipped.datasets) >= 30
        model = AutoMLClassifier(
            time_budget=30, max_trials=2, n_jobs=1, history=None, random_state=0
        ).fit(X, y)  # warm_start="auto"
    expected = shipped.warm_start_configs(
        model.metafeatures_, "binary", PipelineSpace("binary", 200), time_budget=30
    )
    assert model.n_warm_start_ == len(expected) >= 5
    trials = sorted(model.trials_, key=lambda t: t["trial_id"])
    assert [t["config"] for t in trials] == expected[:2]


def test_without_an_installed_source_the_search_starts_cold_with_a_warning(monkeypatch):
    monkeypatch.setattr(plugins, "installed", lambda group: {})
    installed_source.cache_clear()
    X, y = make_classification(120, 4, random_state=0)
    try:
        with pytest.warns(RuntimeWarning, match="No warm-start source 'metabase' is installed"):
            model = AutoMLClassifier(
                time_budget=30,
                max_trials=1,
                n_jobs=1,
                history=None,
                warm_start="metabase",
                random_state=0,
            ).fit(X, y)
    finally:
        installed_source.cache_clear()
    assert model.n_warm_start_ == 0 and len(model.trials_) == 1


def test_an_unreadable_source_costs_only_the_warm_start(monkeypatch):
    from importlib.metadata import EntryPoint

    broken = EntryPoint("metabase", "no_such_package:load", plugins.WARM_START_SOURCES)
    monkeypatch.setattr(plugins, "installed", lambda group: {"metabase": broken})
    installed_source.cache_clear()
    try:
        with pytest.warns(RuntimeWarning, match="'metabase' .no_such_package:load. cannot be"):
            assert installed_source("metabase") is None
    finally:
        installed_source.cache_clear()


class FixedSource:
    """A warm-start source that is no Metabase: the interface is all automl asks for."""

    def __init__(self, configs):
        self.configs, self.asked = configs, []

    def warm_start_configs(self, metafeatures, task, space, *, time_budget=None):
        self.asked.append((task, time_budget))
        return [complete_config(c, space) for c in self.configs]


def test_any_object_with_the_interface_is_a_warm_start():
    source = FixedSource([logistic(3.0)])
    assert isinstance(source, WarmStartSource) and isinstance(tiny_metabase(), WarmStartSource)
    assert check_warm_start(source) is source
    with pytest.raises(ValueError, match="warm_start must be one of"):
        check_warm_start(object())
    X, y = make_classification(120, 4, random_state=0)
    model = AutoMLClassifier(
        time_budget=30, max_trials=1, n_jobs=1, history=None, warm_start=source, random_state=0
    ).fit(X, y)
    assert source.asked == [("binary", 30.0)]
    assert model.trials_[0]["config"]["logistic_regression:C"] == 3.0


def test_configurations_carried_over_and_given_are_checked_by_one_rule():
    here = space()
    assert complete_config(logistic(2.0), here) == usable_config(logistic(2.0), here)
    renamed = {"model": "logistic_regression", "logistic_regression:renamed": 1.0}
    assert usable_config(renamed, here) is None  # a hint that no longer fits: skipped
    excluded = PipelineSpace("binary", 200, exclude=["logistic_regression"])
    assert usable_config(logistic(2.0), excluded) is None
    with pytest.raises(ValueError, match="names hyperparameters.*'logistic_regression:renamed'"):
        complete_config(renamed, here)
    with pytest.raises(ValueError, match="cannot be used"):
        complete_config(logistic(-5.0), here)  # out of range


def test_config_ids_hash_the_search_own_config_key():
    config = logistic(2.0)
    assert config_id(config, "classification") == config_id(
        dict(reversed(config.items())), "classification"
    )
    assert config_id(config, "classification") != config_id(config, "regression")
    import hashlib

    assert (
        config_id(config, "regression")
        == hashlib.sha1(("regression" + config_key(config)).encode()).hexdigest()[:12]
    )


def test_metabase_and_history_rank_neighbours_by_the_same_distance():
    metabase = tiny_metabase()
    metabase.metafeatures.loc["large", "n_rows"] = np.nan  # missing: left out, not "far"
    target = {n: 1.9 for n in metafeature_names("binary")}
    by_metabase = dataset_distances(metabase, target, "binary")
    recorded = {
        d: {k: (None if pd.isna(v) else v) for k, v in row.items() if k != "task"}
        for d, row in metabase.metafeatures.iterrows()
    }
    by_history = rank_by_distance(target, recorded)
    assert [d for d, _ in by_history] == list(by_metabase.index) == ["large", "medium", "small"]
    assert [d for _, d in by_history] == pytest.approx(list(by_metabase))
    assert by_metabase["large"] == pytest.approx(0.05)
    # nothing in common: infinitely far for the metabase, not a neighbour in the history
    assert rank_by_distance({"unknown": 1.0}, recorded) == []


def test_a_source_that_replaces_the_cold_start_is_followed_only_by_the_head_start():
    from automl.engine import _starting_configs
    from automl.warm_start import warm_start as resolve

    here = space()
    cold = here.cold_start_configs()
    prepared = type("Prepared", (), {"task": "binary"})()
    source = FixedSource([logistic(3.0)])
    warm = resolve(source, prepared, here, metafeatures={"n_rows": 120.0})
    assert not warm.replaces_cold_start  # a source follows the search's defaults by default
    assert _starting_configs(here, warm) == warm.configs + cold
    source.replaces_cold_start = True
    warm = resolve(source, prepared, here, metafeatures={"n_rows": 120.0})
    assert warm.replaces_cold_start
    assert _starting_configs(here, warm) == warm.configs + cold[:1]
    assert _starting_configs(here, warm, head_start=True) == cold[:1] + warm.configs + cold[:1]
    nothing = FixedSource([])
    nothing.replaces_cold_start = True
    empty = resolve(nothing, prepared, here, metafeatures={"n_rows": 120.0})
    assert not empty.replaces_cold_start  # nothing proposed: nothing replaced
