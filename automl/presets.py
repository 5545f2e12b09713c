"""Presets: one parameter that picks how the final model is built.

A preset fills in every ensemble parameter the user left at ``"auto"``; a value the user set
explicitly wins. The default preset was chosen by measurement on prior tasks, not on the
datasets that report it (``benchmarks/ENSEMBLE_CHOICE.md``).
"""

from __future__ import annotations

from dataclasses import dataclass

AUTO = "auto"


@dataclass(frozen=True)
class Preset:
    name: str
    ensemble_size: int  # rounds of greedy selection (1: the best single pipeline)
    ensemble_max_members: int | None
    ensemble_max_latency: float | None  # ms per 1,000 rows, summed over members
    ensemble_refit: bool | str  # "auto": bag the fold models under k-fold, refit a holdout's
    stacking: bool  # a meta-model over the best trials, where it wins on held-out folds
    description: str
    # a second stacking layer: the best families fit again with the first layer's
    # out-of-fold predictions as extra columns (automl.second_layer)
    second_layer: bool = False


PRESETS = {
    "fast_predict": Preset(
        "fast_predict",
        ensemble_size=1,
        ensemble_max_members=None,
        ensemble_max_latency=None,
        ensemble_refit=True,
        stacking=False,
        description="the best single pipeline refit on all rows: the fastest predictions",
    ),
    "default": Preset(
        "default",
        ensemble_size=25,
        ensemble_max_members=5,
        # 20,000 rows/s in sum: the best mean rank among the choices that predict that fast
        ensemble_max_latency=50.0,
        ensemble_refit=True,
        stacking=False,
        description=(
            "a greedy ensemble of at most 5 pipelines refit on all rows, predicting within "
            "50 ms per 1,000 rows"
        ),
    ),
    "best_quality": Preset(
        "best_quality",
        ensemble_size=50,
        ensemble_max_members=None,
        ensemble_max_latency=None,
        ensemble_refit=AUTO,
        stacking=True,
        description="bagged fold models, greedy selection or stacking, no latency target",
    ),
}


def get_preset(name: object) -> Preset:
    if not isinstance(name, str) or name not in PRESETS:
        raise ValueError(f"preset must be one of {list(PRESETS)}, got {name!r}.")
    return PRESETS[name]
