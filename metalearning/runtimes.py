"""How long a configuration's trial should take on a dataset it has never run on.

The warm start orders its configurations by what they are expected to bring *per second*, and
fills the first seconds with the best bets that will still finish in them, so a run-time
prediction that is too low puts a slow model first and leaves the search with nothing to show
early on. Two layers, both fitted on the metabase's measured run times:

- per configuration, log seconds against log rows trained on, over every prior dataset it ran
  on (``fit_run_times``'s docstring says why across datasets, not the nearest ones);
- per model family, a ridge fit of what that leaves unexplained against the number of
  features and, for multiclass data, the number of classes: boosting grows one tree per class
  per round, so on 6 classes LightGBM takes about 5 times what its rows alone predict.

Measured leave one dataset out on the shipped metabase (``benchmarks/warmstart_runtimes.py``):
rows alone predicted less than half the measured time for 23.2 % of multiclass trials, the
family terms bring that to 8.2 % (median error factor 1.38 -> 1.32 over all trials).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from metalearning.metabase import Metabase

TRIAL_OVERHEAD = 0.1  # seconds every trial costs beyond its model's fit (process, splits)
MIN_SECONDS = 0.05  # a predicted run time is never taken as less than this
CV_MAX_ROWS, CV_FOLDS, HOLDOUT_TRAIN = 10_000, 5, 0.8  # the runner's resampling="auto" rule
SLOPE_RANGE = (0.3, 1.2)  # boosting and forests are between: fixed costs .. more splits per tree
FAMILY_RIDGE = 5.0  # shrinks the family terms towards "rows say it all" when data are few


def trained_rows(n_rows: float, eval_rows: int | None = None) -> float:
    """Rows a trial trains on, summed over its splits: the runner's "auto" resampling (5-fold
    CV up to 10,000 rows, else an 80 % holdout), or the metabase build's evaluation protocol
    (data over ``eval_rows`` rows subsampled to that many; then 3-fold CV up to 1,000 rows,
    else the holdout; smaller data resampled as a search would)."""
    if eval_rows is None or n_rows <= eval_rows:
        return n_rows * (CV_FOLDS - 1) if n_rows <= CV_MAX_ROWS else n_rows * HOLDOUT_TRAIN
    return eval_rows * 2 if eval_rows <= 1000 else eval_rows * HOLDOUT_TRAIN


def shape_terms(metafeatures: Mapping[str, Any]) -> np.ndarray:
    """The family terms' inputs: log features, and log classes for multiclass data (binary
    and regression fit one tree per round: 0)."""
    n_features = float(metafeatures.get("n_features", 1.0))
    n_classes = float(metafeatures.get("n_classes", math.nan))
    per_round = n_classes if n_classes == n_classes and n_classes > 2 else 1.0
    features = n_features if n_features == n_features else 1.0
    return np.array([math.log(max(features, 1.0)), math.log(per_round)])


@dataclass
class RunTimes:
    """Fitted run-time predictions; ``seconds`` answers for one configuration and dataset."""

    per_config: dict[str, tuple[float, float]]  # id -> (intercept, slope) on log trained rows
    family_of: dict[str, str] = field(default_factory=dict)  # id -> model family
    # family -> [intercept, log features slope, log classes slope] of the residual
    per_family: dict[str, np.ndarray] = field(default_factory=dict)

    def __contains__(self, cid: str) -> bool:
        return cid in self.per_config

    def seconds(self, cid: str, metafeatures: Mapping[str, Any]) -> float:
        """Seconds a trial of ``cid`` should take on data with these meta-features (the
        per-trial overhead included); never measured, or no row count -> infinity."""
        n_rows = float(metafeatures.get("n_rows", math.nan))
        if cid not in self.per_config or not n_rows == n_rows:
            return math.inf
        intercept, slope = self.per_config[cid]
        log_seconds = intercept + slope * math.log(max(1.0, trained_rows(n_rows)))
        terms = self.per_family.get(self.family_of.get(cid, ""))
        if terms is not None:
            log_seconds += float(terms[0] + terms[1:] @ shape_terms(metafeatures))
        return TRIAL_OVERHEAD + math.exp(log_seconds)


def fit_run_times(metabase: Metabase, config_ids: list[str] | None = None) -> RunTimes:
    """Per configuration, ``(intercept, slope)`` of log seconds against log rows trained on,
    fitted over every prior dataset it ran on (a time-out counts at its limit: a lower bound,
    better than no point, which would make the configuration look quick); then per family,
    the features and classes terms (module docstring).

    Across datasets, not on the nearest ones: meta-feature neighbours are chosen for how
    configurations *rank*, and are often far apart in size, so scaling their per-row times
    (the first rule here) erred by a median factor of 1.51 on the shipped metabase, against
    1.38 for the rows fit alone. The slope is kept within ``SLOPE_RANGE`` and is 1 when the
    sizes measured span less than a factor of 4. Only ``config_ids`` when given.
    """
    perf = metabase.performance
    perf = perf[perf["status"].isin(("ok", "timeout")) & (perf["duration"] > 0)]
    if config_ids is not None:
        perf = perf[perf["config_id"].isin(config_ids)]
    if perf.empty:
        return RunTimes({})
    table = metabase.metafeatures
    n_rows = table["n_rows"].astype(float)
    rows = np.log(
        [
            max(1.0, trained_rows(n_rows.get(d, math.nan), metabase.eval_rows))
            for d in perf["dataset"]
        ]
    )
    seconds = np.log(np.maximum(perf["duration"].to_numpy(float) - TRIAL_OVERHEAD, MIN_SECONDS))
    per_config = {}
    residual = np.full(len(perf), math.nan)
    for cid, index in perf.groupby("config_id").indices.items():
        ok = index[np.isfinite(rows[index])]
        if len(ok) == 0:
            continue
        x, y = rows[ok], seconds[ok]
        slope = 1.0
        if len(x) >= 3 and x.max() - x.min() >= math.log(4):
            slope = float(np.clip(np.polyfit(x, y, 1)[0], *SLOPE_RANGE))
        per_config[cid] = (float(np.median(y - slope * x)), slope)
        residual[ok] = y - slope * x - per_config[cid][0]
    family_of = {
        cid: str(metabase.configurations[cid]["config"].get("model", ""))
        for cid in per_config
        if cid in metabase.configurations
    }
    shapes = {d: shape_terms(table.loc[d]) for d in perf["dataset"].unique() if d in table.index}
    per_family = {}
    families = np.array([family_of.get(cid, "") for cid in perf["config_id"]])
    datasets = perf["dataset"].to_numpy()
    usable = np.isfinite(residual) & perf["dataset"].isin(shapes).to_numpy()
    for family in set(family_of.values()):
        index = np.flatnonzero((families == family) & usable)
        if len(index) < 3:
            continue
        X = np.array([np.r_[1.0, shapes[d]] for d in datasets[index]])
        penalty = FAMILY_RIDGE * np.diag([0.0, 1.0, 1.0])
        per_family[family] = np.linalg.solve(X.T @ X + penalty, X.T @ residual[index])
    return RunTimes(per_config, family_of, per_family)
