"""The pipeline space: every family's default, low-cost and random configurations build and fit."""

import importlib.util

import numpy as np
import pandas as pd
import pytest
from ConfigSpace import Float
from ConfigSpace.exceptions import IllegalValueError
from sklearn.dummy import DummyClassifier

from automl.space import (
    BUILTIN_FAMILIES,
    FAMILIES,
    FAMILY_GROUPS,
    SPACE_VERSION,
    DataDescription,
    ModelFamily,
    PipelineSpace,
    build_pipeline,
    family_order,
    preload_modules,
    register_family,
    unregister_family,
)
from automl.space.families import boosting, defined_families
from automl.space.preprocessing import PREPROCESSING_MODULES
from automl.space.registry import BUILTIN_ORDER, check_order
from automl.training_data import prepare_training_data
from automl.trials.evaluation import describe_data, fit_pipeline


def mixed_data(n=120, task="binary"):
    rng = np.random.default_rng(1)
    X = pd.DataFrame(
        {
            "x1": rng.normal(size=n),
            "x2": rng.normal(size=n),
            "few": rng.choice(["a", "b", "c"], size=n),
            "many": [f"level{i % 40}" for i in range(n)],
        }
    )
    X.loc[::7, "x1"] = np.nan
    X.loc[::11, "few"] = None
    signal = (X["x2"] + (X["few"] == "a")).to_numpy()
    if task == "regression":
        y = signal
    else:
        y = np.digitize(signal, [0.3] if task == "binary" else [-0.3, 0.6])
    return prepare_training_data(X, y, classification=task != "regression")


def test_space_has_a_version_and_own_names():
    space = PipelineSpace("binary", 1000)
    assert space.version == SPACE_VERSION
    config = space.default_config("lightgbm")
    assert config["lightgbm:colsample"] == 1.0  # our name, not LightGBM's colsample_bytree


@pytest.mark.parametrize("task", ["binary", "multiclass", "regression"])
def test_every_family_default_low_cost_and_random_configs_fit(task):
    prepared = mixed_data(task=task)
    supporting = [
        n for n in BUILTIN_FAMILIES if FAMILIES[n].supports(task) and FAMILIES[n].installed()
    ]
    by_default = {n for n in supporting if not FAMILIES[n].opt_in}
    assert set(PipelineSpace(task, len(prepared.y)).family_names) == by_default
    space = PipelineSpace(task, len(prepared.y), seed=0, include=supporting)
    assert set(space.family_names) == set(supporting)  # every built-in family is built
    rng = np.random.default_rng(0)
    configs = [space.default_config(f) for f in space.family_names]
    configs += [space.low_cost_config(f) for f in space.family_names]
    configs += space.sample(12, rng)
    categorical = prepared.schema.categorical_columns
    for config in configs:
        model = fit_pipeline(config, prepared.X, prepared.y, task=task, categorical=categorical)
        prediction = model.predict(prepared.X)
        assert len(prediction) == len(prepared.y), config


def test_a_cold_search_starts_cheap_then_with_every_family_default():
    space = PipelineSpace("binary", 1000, include=["lightgbm", "knn"])
    first, *defaults = space.cold_start_configs()
    assert first == space.low_cost_config("lightgbm") != space.default_config("lightgbm")
    assert [c["model"] for c in defaults] == ["lightgbm", "knn"]
    assert defaults == space.initial_configs()


def test_include_and_exclude_restrict_families():
    assert PipelineSpace("binary", 100, include=["lightgbm", "knn"]).family_names == [
        "lightgbm",
        "knn",
    ]
    assert PipelineSpace("regression", 100, include="linear").family_names == [
        "ridge",
        "elastic_net",
    ]
    names = PipelineSpace("binary", 100, exclude=["gbm"]).family_names
    assert not {"lightgbm", "xgboost", "hist_gradient_boosting"} & set(names)


def test_kernel_svm_only_on_small_data():
    assert "svm" in PipelineSpace("binary", 1000).family_names
    assert "svm" not in PipelineSpace("binary", FAMILIES["svm"].max_rows + 1).family_names


def test_bad_include_exclude_are_explained():
    with pytest.raises(ValueError, match="unknown model family 'lgbm'"):
        PipelineSpace("binary", 100, include=["lgbm"])
    with pytest.raises(ValueError, match="leaves no model family"):
        PipelineSpace("regression", 100, include=["naive_bayes"])
    with pytest.raises(ValueError, match="No model family is left"):
        PipelineSpace("binary", 100, include=["lightgbm"], exclude=["lightgbm"])


def test_complete_fills_defaults_and_rejects_out_of_range():
    space = PipelineSpace("binary", 100)
    config = space.complete({"model": "lightgbm", "lightgbm:num_leaves": 7})
    assert config["lightgbm:num_leaves"] == 7 and config["lightgbm:n_estimators"] == 100
    with pytest.raises(
        IllegalValueError, match="not allowed for hyperparameter with name 'lightgbm:num_leaves'"
    ):
        space.complete({"model": "lightgbm", "lightgbm:num_leaves": 10**6})


def test_hist_gradient_boosting_copes_with_more_than_255_categories():
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"id": [f"c{i}" for i in range(600)], "x": rng.normal(size=600)})
    prepared = prepare_training_data(X, rng.integers(0, 2, 600), classification=True)
    space = PipelineSpace("binary", 600)
    data = describe_data(prepared.X, "binary", prepared.schema.categorical_columns)
    pipeline = build_pipeline(space.default_config("hist_gradient_boosting"), data)
    assert pipeline.named_steps["codes"].columns == ["id"]  # as codes, past the 255 cap
    pipeline.fit(prepared.X, prepared.y)
    assert pipeline[-1].is_categorical_ is None  # no categorical column reaches the model
    assert len(pipeline.predict(prepared.X)) == 600
    # a native-categorical family without a declared cap gets the column as it is
    assert [n for n, _ in build_pipeline(space.default_config("lightgbm"), data).steps] == ["model"]


@pytest.mark.parametrize("task", ["binary", "regression"])
def test_a_configuration_builds_the_same_model_for_a_fold_and_for_the_refit(task):
    """CV folds see 80 % of the rows the final refit sees; no builder may switch behaviour in
    between (the MLP did: early stopping from 500 rows, and its refits came out untrained)."""
    from automl.space.pipeline_space import DataDescription, build_pipeline

    space = PipelineSpace(task, 2000)
    rng = np.random.default_rng(0)
    configs = [space.default_config(f) for f in space.family_names] + space.sample(60, rng)
    for config in configs:
        models = [
            build_pipeline(config, DataDescription(task, n_rows, ("a", "b", "c"), {}))[-1]
            for n_rows in (460, 576)
        ]
        # LightGBM's num_leaves is cut to what the rows allow: only leaves no tree can grow
        # (test_lightgbm_leaves_are_cut_to_what_the_rows_allow_with_the_same_trees)
        params = [
            {
                k: v
                for k, v in m.get_params().items()
                if "n_neighbors" not in k and k != "num_leaves"
            }
            for m in models
        ]
        assert repr(params[0]) == repr(params[1]), config


def test_hist_gradient_boosting_runs_every_round_on_more_than_10000_rows():
    """Above 10,000 rows scikit-learn's default turns early stopping on, so the refit built
    another model than the folds had validated; on ailerons (target ~1e-4) it stopped after
    about 10 rounds and the benchmark's test RMSE was 40 % worse than LightGBM's."""
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=10_500), "b": rng.normal(size=10_500)})
    y = 1e-4 * (X["a"] + 0.5 * X["b"] ** 2 + rng.normal(scale=0.1, size=10_500)).to_numpy()
    config = PipelineSpace("regression", 10_500).default_config("hist_gradient_boosting")
    config["hist_gradient_boosting:max_iter"] = 30
    model = fit_pipeline(config, X, y, task="regression", categorical=[])[-1]
    assert model.n_iter_ == 30


# ------------------------------------------------------------------------ the family registry


def _tiny_space(task):
    return [Float("unused", (0.0, 1.0), default=0.5)]


def _build_tiny(params, context):
    return DummyClassifier(strategy="prior")


TINY = ModelFamily(
    "tiny",
    True,
    False,
    _tiny_space,
    _build_tiny,
    native_categorical=True,
    preload=("sklearn.dummy",),
    group="baselines",
)


def test_the_default_order_is_every_builtin_family_strongest_first():
    assert family_order() == [
        "lightgbm",
        "hist_gradient_boosting",
        "xgboost",
        "catboost",
        "extra_trees",
        "random_forest",
        "logistic_regression",
        "ridge",
        "torch_network",
        "mlp",
        "svm",
        "knn",
        "elastic_net",
        "naive_bayes",
    ]
    assert [f.name for f in BUILTIN_ORDER] == family_order()
    assert {f.name for f in defined_families()} == BUILTIN_FAMILIES == set(family_order())
    check_order(BUILTIN_ORDER, defined_families())  # what the registry checks on import


def test_a_family_left_out_of_the_order_or_listed_twice_is_an_error():
    with pytest.raises(ValueError, match=r"\['tiny'\] are defined but missing from the order"):
        check_order(BUILTIN_ORDER, [*defined_families(), TINY])
    with pytest.raises(ValueError, match=r"\['tiny'\] are in the order but not defined"):
        check_order((*BUILTIN_ORDER, TINY), defined_families())
    with pytest.raises(ValueError, match=r"\['lightgbm'\] appear more than once"):
        check_order((*BUILTIN_ORDER, boosting.LIGHTGBM), defined_families())


def test_groups_are_declared_by_their_families():
    assert {group: set(names) for group, names in FAMILY_GROUPS.items()} == {
        "linear": {"logistic_regression", "ridge", "elastic_net"},
        "gbm": {"lightgbm", "xgboost", "hist_gradient_boosting", "catboost"},
        "trees": {"random_forest", "extra_trees"},
    }
    for family in BUILTIN_ORDER:
        grouped = [group for group, names in FAMILY_GROUPS.items() if family.name in names]
        assert grouped == ([family.group] if family.group else []), family.name


def test_every_builtin_family_preloads_the_module_its_model_comes_from():
    installed = [f for f in BUILTIN_ORDER if f.installed()]
    by_default = [f for f in installed if not f.opt_in]
    assert set(preload_modules()) == {m for f in by_default for m in f.preload} | set(
        PREPROCESSING_MODULES
    )
    searched = [f.name for f in installed]
    assert set(preload_modules(searched)) == {m for f in installed for m in f.preload} | set(
        PREPROCESSING_MODULES
    )
    assert len(preload_modules()) == len(set(preload_modules()))
    assert all(importlib.util.find_spec(m) is not None for m in preload_modules())
    for family in installed:
        for task in ("binary", "regression"):
            if not family.supports(task):
                continue
            config = PipelineSpace(task, 100, include=[family.name]).default_config(family.name)
            model = build_pipeline(config, DataDescription(task, 100, ("a",), {}))[-1]
            model = getattr(model, "regressor", model)  # a standardized-target wrapper
            # a wrapper of our own names the library it calls
            module = getattr(model, "library", type(model).__module__)
            assert any(module == m or module.startswith(m + ".") for m in family.preload), (
                family.name,
                module,
            )


def test_a_registered_family_is_offered_preloaded_grouped_and_built():
    register_family(TINY)
    try:
        register_family(TINY)  # the same family again is a no-op
        assert family_order()[-1] == "tiny"
        assert PipelineSpace("binary", 100).family_names[-1] == "tiny"
        assert "tiny" not in PipelineSpace("regression", 100).family_names
        assert "sklearn.dummy" in preload_modules()
        space = PipelineSpace("binary", 100, include="baselines")
        assert space.family_names == ["tiny"]
        prepared = mixed_data()
        data = describe_data(prepared.X, "binary", prepared.schema.categorical_columns)
        pipeline = build_pipeline(space.default_config("tiny"), data).fit(prepared.X, prepared.y)
        assert isinstance(pipeline[-1], DummyClassifier)
    finally:
        unregister_family("tiny")
    assert "tiny" not in family_order() and "baselines" not in FAMILY_GROUPS
    assert "sklearn.dummy" not in preload_modules()


def test_families_that_could_not_be_offered_are_refused():
    never = ModelFamily("never", False, False, _tiny_space, _build_tiny)
    with pytest.raises(ValueError, match="'never' supports neither .* never be offered"):
        register_family(never)
    clash = ModelFamily("clash", True, False, _tiny_space, _build_tiny, group="lightgbm")
    with pytest.raises(ValueError, match="'lightgbm' cannot be a group name"):
        register_family(clash)
    with pytest.raises(ValueError, match="'gbm' cannot be a family name"):
        register_family(ModelFamily("gbm", True, False, _tiny_space, _build_tiny))
    with pytest.raises(ValueError, match="'lightgbm' already exists"):
        register_family(ModelFamily("lightgbm", True, False, _tiny_space, _build_tiny))
    with pytest.raises(ValueError, match="'ridge' is a built-in model family"):
        unregister_family("ridge")
    assert "never" not in FAMILIES and "clash" not in FAMILIES and "gbm" not in FAMILIES


def test_a_family_declares_its_quirks_consistently():
    with pytest.raises(TypeError, match="preload must be a tuple of module names"):
        ModelFamily("x", True, True, _tiny_space, _build_tiny, preload="sklearn.dummy")
    with pytest.raises(ValueError, match="native_category_limit applies only to native"):
        ModelFamily("x", True, True, _tiny_space, _build_tiny, native_category_limit=10)
    assert [f.name for f in BUILTIN_ORDER if f.native_category_limit] == ["hist_gradient_boosting"]


def test_target_encoding_is_reproducible():
    """The target encoder's cross-fitting shuffle is seeded: the same configuration fit twice
    (in processes whose global random state differs) gives the same model."""
    rng = np.random.default_rng(0)
    X = pd.DataFrame(
        {
            "city": pd.Categorical(rng.choice([f"c{i}" for i in range(40)], 300)),
            "x": rng.normal(size=300),
        }
    )
    y = (rng.random(300) < 0.5).astype(int)
    space = PipelineSpace("binary", 300)
    config = space.complete(
        {
            "model": "logistic_regression",
            "high_cardinality_encoding": "target",
            "onehot_max_categories": 5,
        }
    )
    fitted = []
    for seed in (1, 2):
        np.random.seed(seed)  # what an unseeded encoder would draw from
        model = fit_pipeline(config, X, y, task="binary", categorical=["city"])
        fitted.append(model.predict_proba(X))
    np.testing.assert_array_equal(fitted[0], fitted[1])


def test_lightgbm_leaves_are_cut_to_what_the_rows_allow_with_the_same_trees():
    """Each leaf holds at least min_child_samples rows, so num_leaves beyond n_rows //
    min_child_samples only makes LightGBM allocate arrays for leaves no tree can grow."""
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(160, 6)), columns=list("abcdef"))
    y = rng.integers(0, 3, size=160)
    space = PipelineSpace("multiclass", len(X), include=["lightgbm"])
    config = {
        **space.default_config("lightgbm"),
        "lightgbm:num_leaves": 1000,
        "lightgbm:min_child_samples": 8,
        "lightgbm:n_estimators": 50,
    }
    data = describe_data(X, "multiclass", ())
    cut = build_pipeline(config, data).fit(X, y)
    assert cut[-1].get_params()["num_leaves"] == 160 // 8
    uncut = build_pipeline(config, data)
    uncut[-1].set_params(num_leaves=1000)
    uncut.fit(X, y)
    np.testing.assert_array_equal(cut.predict_proba(X), uncut.predict_proba(X))
    assert boosting._reachable_leaves(31, 200, 100) == 2  # LightGBM needs two at least


CLASS_WEIGHTED = ["logistic_regression", "random_forest", "extra_trees", "lightgbm"]
CLASS_WEIGHTED += ["hist_gradient_boosting", "svm"]


@pytest.mark.parametrize("family", CLASS_WEIGHTED)
def test_class_weighting_is_searched_for_classifiers_that_support_it(family):
    prepared = mixed_data(task="binary")
    space = PipelineSpace("binary", len(prepared.y))
    key = f"{family}:class_weight"
    assert space.default_config(family)[key] == "none"
    config = space.complete({"model": family, key: "balanced"})
    data = describe_data(prepared.X, "binary", prepared.schema.categorical_columns)
    model = build_pipeline(config, data)[-1]
    assert model.get_params()["class_weight"] == "balanced"
    if FAMILIES[family].supports("regression"):
        regression = PipelineSpace("regression", 100, include=[family])
        assert key not in regression.default_config(family)


@pytest.mark.parametrize("task", ["binary", "multiclass", "regression"])
def test_the_target_encoder_cross_fits_as_seeded_without_deprecated_settings(task):
    import warnings

    from sklearn.preprocessing import TargetEncoder

    from automl.space.preprocessing import _target_encoder

    rng = np.random.default_rng(0)
    X = rng.integers(0, 30, size=(300, 2)).astype(str).astype(object)
    y = (
        rng.normal(size=300)
        if task == "regression"
        else rng.integers(0, 3 if task == "multiclass" else 2, 300)
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error", FutureWarning)
        ours = _target_encoder(task).fit_transform(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        target_type = "continuous" if task == "regression" else "auto"
        seeded = TargetEncoder(target_type=target_type, random_state=0).fit_transform(X, y)
    np.testing.assert_array_equal(ours, seeded)
