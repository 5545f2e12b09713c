"""The run card: what one fit used and made, so it can be audited and repeated.

Written at the end of ``fit`` as the estimator's ``run_card_``: the data (fingerprint, shape,
column kinds), the search (metric, resampling, budget, strategy, seed, warm-start sources),
the search space (families and hyperparameter ranges, space version), the final model
(members, weights, how each was fitted, prediction latency and size) and the library
versions. The report, the history and the tracking integration all read this one value;
``to_dict()`` gives it as plain JSON values.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from ConfigSpace import ConfigurationSpace

from automl.tracking import redact_uri
from automl.training_data import PreparedData

if TYPE_CHECKING:
    from automl.engine import SearchOutcome
    from automl.settings import Settings


@dataclass(frozen=True)
class DataCard:
    fingerprint: str | None
    n_rows: int
    n_columns: int
    column_kinds: dict[str, str]  # the user's column -> numeric / categorical / datetime / text
    dropped_columns: tuple[str, ...]
    task: str
    classes: tuple[str, ...] | None
    weighted: bool = False  # fit with sample_weight
    sparse: bool = False  # X was a sparse matrix: no column kinds, every column numeric


@dataclass(frozen=True)
class SearchCard:
    metric: str
    resampling: str
    time_budget: float
    strategy: str
    successive_halving: bool | str
    random_state: int
    max_trials: int | None
    n_jobs: int
    fit_time: float
    trials_by_status: dict[str, int]
    interrupted: bool
    warm_start: str  # the setting
    warm_start_sources: dict[str, int]  # source -> configurations it proposed
    resumed_trials: int
    history_run_id: str | None


@dataclass(frozen=True)
class SpaceCard:
    version: str
    families: tuple[str, ...]
    hyperparameters: dict[str, str]  # name -> its range, e.g. "[0.01, 1.0] log"


@dataclass(frozen=True)
class MemberCard:
    trial_id: int
    model: str | None
    weight: float
    score: float | None
    fitted_on: str  # "all rows" or "fold models"
    layer: int = 1  # 2: a second stacking layer's trial, numbered apart (automl.second_layer)

    @property
    def label(self) -> str:
        return f"{'layer-2 ' if self.layer == 2 else ''}trial {self.trial_id}"


@dataclass(frozen=True)
class FinalModelCard:
    description: str  # str(refit_)
    kind: str
    members: tuple[MemberCard, ...]
    validation_score: float | None
    prediction_latency_ms: float  # per 1,000 rows
    model_size_bytes: int


@dataclass(frozen=True)
class RunCard:
    created_at: str  # ISO 8601, UTC
    estimator: str
    params: dict[str, Any]  # the estimator's parameters as plain values
    data: DataCard
    search: SearchCard
    space: SpaceCard
    final_model: FinalModelCard
    library_versions: dict[str, str]

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON values (tuples become lists)."""
        return _plain(dataclasses.asdict(self))

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> RunCard:
        """The inverse of ``to_dict`` (e.g. a card read back from the history)."""
        final = dict(values["final_model"])
        final["members"] = tuple(MemberCard(**m) for m in final["members"])
        data = dict(values["data"])
        data["dropped_columns"] = tuple(data["dropped_columns"])
        if data["classes"] is not None:
            data["classes"] = tuple(data["classes"])
        space = dict(values["space"])
        space["families"] = tuple(space["families"])
        return cls(
            created_at=values["created_at"],
            estimator=values["estimator"],
            params=values["params"],
            data=DataCard(**data),
            search=SearchCard(**values["search"]),
            space=SpaceCard(**space),
            final_model=FinalModelCard(**final),
            library_versions=values["library_versions"],
        )


def describe_space(configspace: ConfigurationSpace) -> dict[str, str]:
    """Each hyperparameter's range in words: choices, bounds (with "log" for a log scale)."""
    ranges: dict[str, str] = {}
    for hp in configspace.values():
        if hasattr(hp, "choices"):
            ranges[hp.name] = "{" + ", ".join(str(c) for c in hp.choices) + "}"
        elif hasattr(hp, "lower"):
            ranges[hp.name] = f"[{hp.lower}, {hp.upper}]" + (" log" if hp.log else "")
        else:
            ranges[hp.name] = str(getattr(hp, "value", hp))
    return ranges


def make_run_card(
    estimator: Any, prepared: PreparedData, outcome: SearchOutcome, settings: Settings
) -> RunCard:
    """The card of the fit that just ended (read after the estimator's other attributes)."""
    schema = prepared.schema
    kinds = {name: "numeric" for name in schema.numeric}
    kinds.update({name: "categorical" for name in schema.categorical})
    kinds.update({name: "datetime" for name in schema.datetime})
    kinds.update({name: "text" for name in schema.text})
    report = outcome.report
    members = tuple(
        MemberCard(m.trial_id, m.model, m.weight, m.score, m.fitted_on.value, m.layer)
        for m in outcome.members
    )
    recorded = settings.recorded()
    return RunCard(
        created_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        estimator=type(estimator).__name__,
        params=_plain({k: _plain_value(redact_uri(v)) for k, v in estimator.get_params().items()}),
        data=DataCard(
            fingerprint=outcome.fingerprint,
            n_rows=len(prepared.y),
            n_columns=schema.n_features_in,
            column_kinds={n: kinds.get(n, "other") for n in schema.input_names},
            dropped_columns=tuple(schema.dropped),
            task=prepared.task,
            classes=None if prepared.classes is None else tuple(map(str, prepared.classes)),
            weighted=prepared.sample_weight is not None,
            sparse=schema.sparse,
        ),
        search=SearchCard(
            metric=outcome.metric.name,
            resampling=outcome.resampling.description,
            time_budget=float(settings.time_budget),
            strategy=settings.strategy,
            successive_halving=recorded["successive_halving"],
            random_state=int(settings.random_state),
            max_trials=settings.max_trials,
            n_jobs=int(settings.n_jobs),
            fit_time=float(estimator.fit_time_),
            trials_by_status=dict(Counter(str(t["status"]) for t in estimator.trials_)),
            interrupted=bool(outcome.interrupted),
            warm_start=str(recorded["warm_start"]),
            warm_start_sources=dict(outcome.warm_sources or {}),
            resumed_trials=len(outcome.ledger.earlier),
            history_run_id=outcome.run_id,
        ),
        space=SpaceCard(
            version=outcome.space.version,
            families=tuple(f.name for f in outcome.space.families),
            hyperparameters=describe_space(outcome.space.configspace),
        ),
        final_model=FinalModelCard(
            description=str(report),
            kind=report.kind.value,
            members=members,
            validation_score=report.validation_score
            if report.validation_score is not None
            else (None if outcome.best is None else outcome.best.score),
            prediction_latency_ms=float(estimator.prediction_latency_ms_),
            model_size_bytes=int(estimator.model_size_bytes_),
        ),
        library_versions=dict(estimator.versions_),
    )


def _plain_value(value: Any) -> Any:
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, (list, tuple)) and all(
        v is None or isinstance(v, (str, int, float, bool, dict)) for v in value
    ):
        return list(value)
    return repr(value)


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):  # numpy scalars
        return value.item()
    return value
