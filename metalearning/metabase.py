"""The metabase: meta-features of prior datasets, candidate configurations, and how each
configuration did on each dataset (loss and run time).

Stored as plain, versioned files so a diff shows what changed and no pickle ties it to one
library version:

- ``metafeatures.csv``: one row per dataset (``dataset``, ``task``, then meta-features);
- ``configurations.json``: ``{"space_version": ..., "configurations": {id: {...}}}``, each with
  the task group it belongs to (``classification`` or ``regression``), the configuration in the
  space's own hyperparameter names, and the datasets whose search found it;
- ``performance.csv``: ``dataset, config_id, loss, duration, status`` (the loss of the task's
  default metric, lower is better; failed evaluations have status != "ok" and an empty loss).

Configurations written under an older space version are translated on load; any that no longer
fit are dropped with a warning, never a crash.
"""

from __future__ import annotations

import hashlib
import json
import warnings
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd

from automl.search.base import config_key
from automl.space import SPACE_VERSION, PipelineSpace

METABASE_FILES = ("metafeatures.csv", "configurations.json", "performance.csv")


class MetabaseWarning(UserWarning):
    """A stored configuration could not be used with the current pipeline space."""


# space version it was written for -> function translating a config to the next version.
# A rename adds an entry, so old metabases keep working. 1 -> 2 added hyperparameters whose
# defaults are version 1's behaviour (class_weight none): completing a config fills them in.
TRANSLATIONS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {"1": dict}


def task_group(task: str) -> str:
    """Configurations transfer within classification (binary and multiclass share a space) and
    within regression, never across."""
    return "regression" if task == "regression" else "classification"


def config_id(config: dict[str, Any], group: str = "") -> str:
    """A short, stable id from the configuration's content (and task group: the same values
    mean a different pipeline for classification and for regression): a hash of the search's
    own :func:`~automl.search.base.config_key`, so both agree on what "the same" is."""
    return hashlib.sha1((group + config_key(config)).encode()).hexdigest()[:12]


def translate(config: dict[str, Any], version: str) -> dict[str, Any] | None:
    """Bring a configuration from space ``version`` to the current one (None if impossible)."""
    while version != SPACE_VERSION:
        step = TRANSLATIONS.get(version)
        if step is None:
            return None
        config, version = step(config), str(int(version) + 1)
    return config


@dataclass
class Metabase:
    metafeatures: pd.DataFrame  # index: dataset; columns: task, then meta-features
    configurations: dict[str, dict[str, Any]]  # id -> {"config", "task_group", "found_on"}
    performance: pd.DataFrame  # dataset, config_id, loss, duration, status
    space_version: str = SPACE_VERSION
    dropped: list[str] = field(default_factory=list)  # ids that could not be translated
    # the build's --eval-rows: at most how many rows each run time was measured on (None: all
    # of them, resampled as a search does)
    eval_rows: int | None = None

    @property
    def datasets(self) -> list[str]:
        return list(self.metafeatures.index)

    def warm_start_configs(
        self,
        metafeatures: Mapping[str, float],
        task: str,
        space: PipelineSpace,
        *,
        time_budget: float | None = None,
    ) -> list[dict[str, Any]]:
        """automl's ``WarmStartSource``: the configurations a search on these data should try
        first, best bets first (:func:`metalearning.recommend.warm_start_configs`)."""
        from metalearning.recommend import warm_start_configs  # it reads this class

        return warm_start_configs(self, dict(metafeatures), task, space, time_budget=time_budget)

    def without(self, datasets: Iterable[str]) -> Metabase:
        """The metabase as if ``datasets`` had never been in it: their rows, their results and
        the configurations only their own searches found are all removed (leave-one-out)."""
        removed = set(datasets)
        configurations = {}
        for cid, entry in self.configurations.items():
            found_on = [d for d in entry["found_on"] if d not in removed]
            if found_on:
                configurations[cid] = {**entry, "found_on": found_on}
        performance = self.performance[
            ~self.performance["dataset"].isin(removed)
            & self.performance["config_id"].isin(configurations)
        ]
        return Metabase(
            self.metafeatures.drop(index=[d for d in removed if d in self.metafeatures.index]),
            configurations,
            performance.reset_index(drop=True),
            self.space_version,
            eval_rows=self.eval_rows,
        )

    def save(self, folder: str | Path) -> None:
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        self.metafeatures.to_csv(
            folder / "metafeatures.csv", index_label="dataset", float_format="%.6g"
        )
        with open(folder / "configurations.json", "w") as f:
            json.dump(
                {
                    "space_version": self.space_version,
                    "configurations": dict(sorted(self.configurations.items())),
                },
                f,
                indent=1,
                sort_keys=True,
            )
            f.write("\n")
        self.performance.sort_values(["dataset", "config_id"]).to_csv(
            folder / "performance.csv", index=False, float_format="%.6g"
        )


def default_metabase_path() -> Path:
    return Path(str(resources.files("metalearning").joinpath("metabase")))


def load_metabase(folder: str | Path | None = None) -> Metabase:
    """Read a metabase folder (default: the one shipped with the library)."""
    folder = Path(folder) if folder is not None else default_metabase_path()
    missing = [name for name in METABASE_FILES if not (folder / name).is_file()]
    if missing:
        raise FileNotFoundError(
            f"{folder} is not a metabase: {', '.join(missing)} missing. Build one with "
            "`automl metabase build`."
        )
    metafeatures = pd.read_csv(folder / "metafeatures.csv", index_col="dataset")
    with open(folder / "configurations.json") as f:
        stored = json.load(f)
    version = str(stored.get("space_version", "1"))
    configurations, dropped = {}, []
    for cid, entry in stored["configurations"].items():
        config = translate(entry["config"], version)
        if config is None:
            dropped.append(cid)
            continue
        configurations[cid] = {**entry, "config": config}
    if dropped:
        warnings.warn(
            f"{len(dropped)} metabase configuration(s) were written for pipeline space version "
            f"{version} and cannot be translated to version {SPACE_VERSION}; they are ignored.",
            MetabaseWarning,
            stacklevel=2,
        )
    performance = pd.read_csv(folder / "performance.csv", dtype={"dataset": str, "config_id": str})
    eval_rows = None
    if (folder / "build.json").is_file():
        parameters = json.loads((folder / "build.json").read_text())["parameters"]
        eval_rows = int(parameters.get("eval_rows", 0)) or None  # 0: all rows
    return Metabase(metafeatures, configurations, performance, SPACE_VERSION, dropped, eval_rows)
