"""The conditional pipeline space for one dataset, and configurations -> scikit-learn Pipelines.

A configuration is a plain dict of our own names (``{"model": "lightgbm",
"lightgbm:num_leaves": 31, ...}``) holding only active hyperparameters. Stored configurations
name ``SPACE_VERSION`` so later versions can translate them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
from ConfigSpace import Categorical, Configuration, ConfigurationSpace, InCondition
from sklearn.pipeline import Pipeline

from automl.space.family import BuildContext, ModelFamily
from automl.space.preprocessing import (
    DropColumns,
    encoded_path_hyperparameters,
    encoded_steps,
    native_steps,
    scaling_hyperparameters,
    sparse_steps,
)
from automl.space.registry import FAMILIES, FAMILY_GROUPS, family_order

SPACE_VERSION = "2"  # 2: class_weight for classifiers (absent in 1: the default, none)
MODEL = "model"
TEXT_FEATURES = "text_features"  # which features of free-text columns a pipeline reads
TEXT_CHOICES = ("svd", "scores", "both")


@dataclass(frozen=True)
class TextFeatureNames:
    """The model-frame columns made of free-text columns (``automl.text``), by kind."""

    svd: tuple[str, ...] = ()
    scores: tuple[str, ...] = ()


@dataclass(frozen=True)
class DataDescription:
    """The facts about the training data a pipeline needs to be built."""

    task: str
    n_rows: int
    numeric: tuple[str, ...]
    categorical: dict[str, int]  # column -> number of categories
    sparse_width: int = 0  # the data are a sparse matrix of this many (numeric) columns
    text: TextFeatureNames = TextFeatureNames()  # free-text features among the numeric ones

    @property
    def n_features(self) -> int:
        return self.sparse_width or len(self.numeric) + len(self.categorical)


def expand_families(names: Iterable[str] | str | None, *, argument: str) -> list[str] | None:
    """Turn include/exclude values (family or group names) into family names, or explain."""
    if names is None:
        return None
    if isinstance(names, str):
        names = [names]
    result: list[str] = []
    for name in names:
        if name in FAMILY_GROUPS:
            result.extend(FAMILY_GROUPS[name])
        elif name in FAMILIES:
            result.append(name)
        else:
            known = sorted(FAMILIES) + sorted(FAMILY_GROUPS)
            raise ValueError(f"{argument} names an unknown model family {name!r}; known: {known}.")
    return result


class PipelineSpace:
    """The searchable space of pipelines for one task and dataset size.

    The space depends on the data only through the task and row count (which families are
    offered), so configurations mean the same thing across datasets: the metabase and the
    team history rely on that. ``weighted``: the fit has sample weights, so only families whose
    model takes them are offered; ``sparse``: X is a sparse matrix, so only families whose model
    takes one are; ``text``: free-text columns have SVD features and linear scores, and
    ``text_features`` chooses which of them a pipeline reads (absent elsewhere, so other
    configurations are unchanged).
    """

    version = SPACE_VERSION

    def __init__(
        self,
        task: str,
        n_rows: int,
        *,
        include: Iterable[str] | str | None = None,
        exclude: Iterable[str] | str | None = None,
        seed: int | None = None,
        weighted: bool = False,
        sparse: bool = False,
        text: bool = False,
    ) -> None:
        self.task = task
        included = expand_families(include, argument="include")
        excluded = set(expand_families(exclude, argument="exclude") or [])
        candidates = [FAMILIES[n] for n in family_order() if FAMILIES[n].supports(task)]
        named = [include] if isinstance(include, str) else list(include or ())
        # a family named on its own must be there; a group stands for its installed families
        missing = [FAMILIES[n] for n in named if n in FAMILIES and not FAMILIES[n].installed()]
        if missing:
            raise ValueError(
                f"include={include!r} names {', '.join(f.name for f in missing)}, whose "
                f"package is not installed: pip install "
                f"{' '.join(sorted({str(f.requires) for f in missing}))}"
            )
        candidates = [f for f in candidates if f.installed()]
        if included is None:  # an opt-in family is searched only where include names it
            candidates = [f for f in candidates if not f.opt_in]
        else:
            wrong_task = [n for n in included if not FAMILIES[n].supports(task)]
            candidates = [f for f in candidates if f.name in set(included)]
            if not candidates:
                raise ValueError(
                    f"include={include!r} leaves no model family for a {task} task"
                    + (f" ({wrong_task} do not support it)." if wrong_task else ".")
                )
        families = [
            f
            for f in candidates
            if f.name not in excluded and (f.max_rows is None or n_rows <= f.max_rows)
        ]
        if not families:
            raise ValueError(
                f"No model family is left for this {task} task with {n_rows} rows after "
                f"include={include!r} and exclude={exclude!r}."
            )
        # left out of a weighted fit: their model's fit takes no sample_weight
        families, self.left_out_for_weights = _leave_out(
            families,
            lambda f: weighted and not f.sample_weight,
            "No model family is left for this weighted fit: {} take no sample_weight. Include "
            "another family or fit without sample_weight.",
        )
        # left out of a fit on a sparse matrix: their model would need it dense
        families, self.left_out_for_sparse = _leave_out(
            families,
            lambda f: sparse and not f.sparse_input,
            "No model family is left for this sparse X: {} take no sparse matrix, and it is not "
            "made dense (it could take far more memory). Include another family, or pass "
            "X.toarray() if it fits in memory.",
        )
        self.families: list[ModelFamily] = families
        self.configspace = _make_configspace(task, families, seed)
        if text:
            # default "both": a measured choice (benchmarks/TEXT_COLUMNS.md)
            self.configspace.add(Categorical(TEXT_FEATURES, list(TEXT_CHOICES), default="both"))

    @property
    def family_names(self) -> list[str]:
        return [f.name for f in self.families]

    def default_config(self, family: str) -> dict[str, Any]:
        """The family's good default, with default preprocessing."""
        values = {MODEL: family}
        values.update(self._family_defaults(family))
        return self.complete(values)

    def low_cost_config(self, family: str) -> dict[str, Any]:
        """The family's cheapest sensible configuration: where cost-aware search starts."""
        values = self.default_config(family)
        for name, value in FAMILIES[family].low_cost.items():
            values[f"{family}:{name}"] = value
        return values

    def initial_configs(self) -> list[dict[str, Any]]:
        """Every offered family's default, strongest families first."""
        return [self.default_config(f.name) for f in self.families]

    def cold_start_configs(self) -> list[dict[str, Any]]:
        """What a search without a warm start tries first: the strongest family's low-cost
        configuration (a usable model and a first run-time measurement within a second even on
        large data), then every family's default."""
        return [self.low_cost_config(self.family_names[0])] + self.initial_configs()

    def sample(self, n: int, rng: np.random.Generator) -> list[dict[str, Any]]:
        """``n`` random configurations drawn reproducibly from ``rng``."""
        self.configspace.seed(int(rng.integers(2**31 - 1)))
        drawn = self.configspace.sample_configuration(n)
        drawn = drawn if isinstance(drawn, list) else [drawn]
        return [{k: _plain(v) for k, v in dict(c).items()} for c in drawn]

    def complete(self, values: dict[str, Any]) -> dict[str, Any]:
        """Fill in defaults for missing active hyperparameters and check the result."""
        family = values.get(MODEL)
        if family not in self.family_names:
            raise ValueError(
                f"Configuration names model {family!r}, which is not in this space "
                f"({self.family_names})."
            )
        defaults = {name: hp.default_value for name, hp in self.configspace.items()}
        merged = {**defaults, MODEL: family, **self._family_defaults(family), **values}
        config = _active_subset(self.configspace, merged)
        Configuration(self.configspace, values=config)  # raises on out-of-range values
        return config

    def _family_defaults(self, family: str) -> dict[str, Any]:
        # Read off the configuration space, which already holds every family's hyperparameters:
        # building them again (ConfigSpace and scipy objects) cost a warm start ~30 ms before
        # its first trial.
        cache = self.__dict__.setdefault("_defaults_cache", {})
        if family not in cache:
            prefix = f"{family}:"
            cache[family] = {
                name: hp.default_value
                for name, hp in self.configspace.items()
                if name.startswith(prefix)
            }
        return dict(cache[family])


def _leave_out(
    families: list[ModelFamily], unsuited: Callable[[ModelFamily], bool], message: str
) -> tuple[list[ModelFamily], list[str]]:
    """(the families that remain, the names of those left out); ``message`` (its ``{}`` the
    names left out) is the error when none remains."""
    left_out = [f.name for f in families if unsuited(f)]
    kept = [f for f in families if f.name not in left_out]
    if not kept:
        raise ValueError(message.format(left_out))
    return kept, left_out


def _plain(value: Any) -> Any:
    """numpy scalars -> Python values, so configurations stay JSON-friendly."""
    return value.item() if isinstance(value, np.generic) else value


def _active_subset(space: ConfigurationSpace, values: dict[str, Any]) -> dict[str, Any]:
    """Only the values whose conditions hold (ConfigSpace refuses inactive values)."""
    chosen: dict[str, Any] = {}
    for name in space:  # ConfigSpace iterates parents before children
        parents = space.parent_conditions_of[name]
        if all(_holds(c, chosen) for c in parents) and name in values:
            chosen[name] = values[name]
    return chosen


def _holds(condition: Any, chosen: dict[str, Any]) -> bool:
    parent = condition.parent.name
    if parent not in chosen:
        return False
    return (
        chosen[parent] in condition.values
        if hasattr(condition, "values")
        else (chosen[parent] == condition.value)
    )


def _make_configspace(
    task: str, families: list[ModelFamily], seed: int | None
) -> ConfigurationSpace:
    space = ConfigurationSpace(seed=seed)
    names = [f.name for f in families]
    model = Categorical(MODEL, names, default=names[0])
    space.add(model)
    for family in families:
        sub = ConfigurationSpace()
        sub.add(family.hyperparameters(task))
        space.add_configuration_space(
            prefix=family.name,
            configuration_space=sub,
            delimiter=":",
            parent_hyperparameter={"parent": model, "value": family.name},
        )
    encoded = [f.name for f in families if not f.native_categorical]
    scaled = [f.name for f in families if f.needs_scaling]
    if encoded:
        hps = {hp.name: hp for hp in encoded_path_hyperparameters()}
        space.add(list(hps.values()))
        for name, hp in hps.items():
            if ":" in name:
                continue
            space.add(InCondition(hp, model, encoded))
        chooser = hps["feature_preprocessor"]
        space.add(InCondition(hps["pca:keep_variance"], chooser, ["pca"]))
        space.add(InCondition(hps["select_percentile:percentile"], chooser, ["select_percentile"]))
    if scaled:
        for hp in scaling_hyperparameters():
            space.add(hp)
            space.add(InCondition(hp, model, scaled))
    return space


def build_pipeline(
    config: dict[str, Any], data: DataDescription, *, n_threads: int = 1, random_state: int = 0
) -> Pipeline:
    """The unfitted scikit-learn Pipeline a configuration stands for."""
    family = FAMILIES[config[MODEL]]
    prefix = f"{family.name}:"
    params = {k[len(prefix) :]: v for k, v in config.items() if k.startswith(prefix)}
    for hp in family.hyperparameters(data.task):  # tolerate configs missing a newer parameter
        params.setdefault(hp.name, hp.default_value)
    context = BuildContext(
        task=data.task,
        n_rows=data.n_rows,
        n_features=_n_model_features(config, data),
        n_threads=n_threads,
        random_state=random_state,
    )
    model = family.build(params, context)
    unread = set(_unread_text(config, data))
    steps: list = [("text", DropColumns(sorted(unread)))] if unread else []
    if family.native_categorical:
        steps += native_steps(data.categorical, category_limit=family.native_category_limit)
    elif data.sparse_width:
        steps += sparse_steps(config, task=data.task, scaled=family.needs_scaling)
    else:
        steps += encoded_steps(
            config,
            [c for c in data.numeric if c not in unread],
            data.categorical,
            task=data.task,
            scaled=family.needs_scaling,
            n_rows=data.n_rows,
        )
    return Pipeline(steps + [("model", model)])


def _unread_text(config: dict[str, Any], data: DataDescription) -> list[str]:
    """The free-text features the configuration's ``text_features`` leaves out (none when it
    has no such choice: a configuration from a space without text columns reads them all)."""
    choice = config.get(TEXT_FEATURES, "both")
    if choice == "svd":
        return list(data.text.scores)
    if choice == "scores":
        return list(data.text.svd)
    return []


def _n_model_features(config: dict[str, Any], data: DataDescription) -> int:
    """Approximate number of columns the model sees (for max_features and gamma)."""
    if FAMILIES[config[MODEL]].native_categorical or data.sparse_width:
        return data.n_features
    limit = config.get("onehot_max_categories", 10)
    width = len(data.numeric) - len(_unread_text(config, data))
    for n in data.categorical.values():
        width += n if n <= limit else 1
    return max(1, width)
