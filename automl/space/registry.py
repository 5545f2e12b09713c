"""The one registry of model families: which exist, the order they are offered in, what a trial
worker preloads for them, and the group names include/exclude understand.

The registration order is the offer order: built-in families are registered strongest first,
families added with ``register_family`` follow as added. Everything particular to a family is
declared on its ``ModelFamily``, so nothing else needs editing when one is added.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from automl.space.families import (
    boosting,
    catboost_family,
    defined_families,
    linear,
    others,
    torch_network,
    trees,
)
from automl.space.family import ModelFamily
from automl.space.preprocessing import PREPROCESSING_MODULES

# The order defaults are tried in: strongest on typical tabular data first.
BUILTIN_ORDER: tuple[ModelFamily, ...] = (
    boosting.LIGHTGBM,
    boosting.HIST_GRADIENT_BOOSTING,
    boosting.XGBOOST,
    catboost_family.CATBOOST,  # offered only where catboost is installed
    trees.EXTRA_TREES,
    trees.RANDOM_FOREST,
    linear.LOGISTIC_REGRESSION,
    linear.RIDGE,
    torch_network.TORCH_NETWORK,  # offered only where torch is installed
    others.MLP,
    others.SVM,
    others.KNN,
    linear.ELASTIC_NET,
    others.NAIVE_BAYES,
)

FAMILIES: dict[str, ModelFamily] = {}  # name -> family, in offer order
# Group names users may write in include/exclude, expanded to families (declared per family).
FAMILY_GROUPS: dict[str, tuple[str, ...]] = {}


def check_order(order: Sequence[ModelFamily], defined: Iterable[ModelFamily]) -> None:
    """Raise ValueError unless ``order`` holds every defined family exactly once and nothing
    else: a family left out of the order would silently never be offered."""
    names = [f.name for f in order]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise ValueError(f"Model families {repeated} appear more than once in the order.")
    defined = list(defined)
    in_order = {id(f) for f in order}
    missing = [f.name for f in defined if id(f) not in in_order]
    if missing:
        raise ValueError(
            f"Model families {missing} are defined but missing from the order, "
            "so they would never be offered."
        )
    undefined = [f.name for f in order if id(f) not in {id(d) for d in defined}]
    if undefined:
        raise ValueError(
            f"Model families {undefined} are in the order but not defined among "
            "the built-in families."
        )


def family_order() -> list[str]:
    """Every registered family's name, in the order they are offered."""
    return list(FAMILIES)


def preload_modules(searched: Iterable[str] = ()) -> tuple[str, ...]:
    """The modules a trial worker imports before its first trial: every registered family's
    ``preload`` modules (of the installed ones; of an opt-in family only when it is among
    ``searched``), then the preprocessing's (each once)."""
    wanted = set(searched)
    modules = [
        m
        for f in FAMILIES.values()
        if f.installed() and (not f.opt_in or f.name in wanted)
        for m in f.preload
    ]
    return tuple(dict.fromkeys([*modules, *PREPROCESSING_MODULES]))


def register_family(family: ModelFamily) -> None:
    """Offer an extra model family in every search from now on, after the built-in ones.

    ``family.build`` and ``family.hyperparameters`` must be importable module-level
    functions: trials run in other processes (or on other machines) and receive the family
    by reference. Registering the same family again is a no-op; another family under a
    taken name is an error, and so is a family no task could use.
    """
    if not isinstance(family, ModelFamily):
        raise TypeError(f"register_family expects a ModelFamily, got {type(family).__name__}.")
    known = FAMILIES.get(family.name)
    if known is not None:
        if known == family:
            return
        raise ValueError(f"A model family named {family.name!r} already exists.")
    if not (family.classification or family.regression):
        raise ValueError(
            f"Model family {family.name!r} supports neither classification nor "
            "regression, so it would never be offered."
        )
    _add(family)


def unregister_family(name: str) -> None:
    """Remove a family added with ``register_family`` (built-in families stay)."""
    if name in BUILTIN_FAMILIES:
        raise ValueError(f"{name!r} is a built-in model family and cannot be removed.")
    family = FAMILIES.pop(name, None)
    if family is not None and family.group is not None:
        members = tuple(n for n in FAMILY_GROUPS[family.group] if n != name)
        if members:
            FAMILY_GROUPS[family.group] = members
        else:
            del FAMILY_GROUPS[family.group]


def _add(family: ModelFamily) -> None:
    if ":" in family.name or family.name in FAMILY_GROUPS:
        raise ValueError(f"{family.name!r} cannot be a family name (no ':' or group names).")
    group = family.group
    if group is not None and (":" in group or group in FAMILIES or group == family.name):
        raise ValueError(f"{group!r} cannot be a group name (no ':' or family names).")
    FAMILIES[family.name] = family
    if group is not None:
        FAMILY_GROUPS[group] = FAMILY_GROUPS.get(group, ()) + (family.name,)


check_order(BUILTIN_ORDER, defined_families())
for _family in BUILTIN_ORDER:
    _add(_family)
del _family
BUILTIN_FAMILIES: frozenset[str] = frozenset(FAMILIES)
