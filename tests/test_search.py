"""Search strategies on synthetic objectives: no scikit-learn pipelines, no data."""

from __future__ import annotations

import math

import numpy as np
import pytest
from ConfigSpace import Categorical, Configuration, ConfigurationSpace, EqualsCondition, Float

from automl.search import (
    Budget,
    Request,
    SuccessiveHalving,
    config_key,
    halving_fidelities,
    make_strategy,
)
from automl.search.encoding import VectorSpace
from automl.space import PipelineSpace

BRANIN_MIN = 0.397887


def branin_space(seed: int = 0) -> ConfigurationSpace:
    """A conditional space: branch "branin" holds the optimum; branch "flat" is a trap -- its
    loss (about 5) beats most Branin points (median about 25) but never the optimum (0.398)."""
    space = ConfigurationSpace(seed=seed)
    branch = Categorical("branch", ["flat", "branin"], default="flat")
    x1, x2 = Float("x1", (-5.0, 10.0), default=0.0), Float("x2", (0.0, 15.0), default=0.0)
    z = Float("z", (0.0, 1.0), default=0.5)
    space.add([branch, x1, x2, z])
    space.add(
        [
            EqualsCondition(x1, branch, "branin"),
            EqualsCondition(x2, branch, "branin"),
            EqualsCondition(z, branch, "flat"),
        ]
    )
    return space


def branin_loss(config: dict) -> float:
    if config["branch"] == "flat":
        return 5.0 + (config["z"] - 0.3) ** 2
    x1, x2 = config["x1"], config["x2"]
    b, c, t = 5.1 / (4 * math.pi**2), 5 / math.pi, 1 / (8 * math.pi)
    return (x2 - b * x1**2 + c * x1 - 6) ** 2 + 10 * (1 - t) * math.cos(x1) + 10


def evaluations_to_reach(name: str, threshold: float, seed: int, limit: int = 150) -> int:
    strategy = make_strategy(name, branin_space(seed), seed=seed)
    for n in range(1, limit + 1):
        config = strategy.ask()
        loss = branin_loss(config)
        strategy.tell(config, loss, cost=1.0)
        if loss <= threshold:
            return n
    return limit + 1


def test_bo_reaches_near_optimum_in_fewer_evaluations_than_random():
    threshold = BRANIN_MIN + 0.1
    bo = [evaluations_to_reach("bo", threshold, seed) for seed in range(3)]
    random = [evaluations_to_reach("random", threshold, seed) for seed in range(3)]
    assert max(bo) <= 150, bo
    assert sum(bo) < sum(random) / 2, (bo, random)


def test_evolution_beats_its_own_random_start():
    threshold = BRANIN_MIN + 0.5
    evolution = [evaluations_to_reach("evolution", threshold, seed) for seed in range(3)]
    random = [evaluations_to_reach("random", threshold, seed) for seed in range(3)]
    assert sum(evolution) < sum(random), (evolution, random)


@pytest.mark.parametrize("name", ["bo", "random", "evolution"])
def test_strategies_are_reproducible_and_propose_valid_new_configs(name):
    space = PipelineSpace("binary", 2000)

    def run(seed: int) -> list[dict]:
        strategy = make_strategy(
            name, space.configspace, seed=seed, initial_configs=space.initial_configs()[:2]
        )
        asked = []
        for i in range(30):
            config = strategy.ask()
            Configuration(space.configspace, values=config)  # raises if invalid
            asked.append(config)
            strategy.tell(config, float(np.sin(i)) if i % 7 else float("inf"), cost=0.1 + i)
        return asked

    first = run(3)
    assert first == run(3)
    assert first != run(4)
    assert first[:2] == space.initial_configs()[:2]
    assert len({config_key(c) for c in first}) == len(first)


def test_parallel_asks_without_results_differ():
    """Pending configurations are accounted for: workers do not get the same proposal."""
    space = branin_space()
    strategy = make_strategy("bo", space, seed=0)
    for _ in range(10):
        config = strategy.ask()
        strategy.tell(config, branin_loss(config))
    pending = [strategy.ask() for _ in range(4)]
    assert len({config_key(c) for c in pending}) == 4
    assert len(strategy.pending) == 4


def test_failed_trials_do_not_break_the_surrogate():
    space = branin_space()
    strategy = make_strategy("bo", space, seed=1)
    for _ in range(40):
        config = strategy.ask()
        # every "flat" trial crashes: the model must learn to avoid that branch
        loss = float("inf") if config["branch"] == "flat" else branin_loss(config)
        strategy.tell(config, loss, cost=1.0)
    later = [c["branch"] for c, _ in strategy.observations[20:]]
    assert later.count("branin") > later.count("flat")


def test_cost_aware_bo_prefers_cheap_configurations_early():
    """Two branches with the same losses, one 100x more expensive: early on, prefer cheap."""
    space = ConfigurationSpace(seed=0)
    branch = Categorical("branch", ["cheap", "costly"])
    x = Float("x", (0.0, 1.0))
    space.add([branch, x])

    def loss(config):
        return (config["x"] - 0.5) ** 2

    def cost(config):
        return 0.1 if config["branch"] == "cheap" else 10.0

    picks = {}
    for cost_aware in (True, False):
        strategy = make_strategy("bo", space, seed=0)
        strategy.cost_aware = cost_aware
        rng = np.random.default_rng(0)
        for _ in range(20):
            config = {"branch": ["cheap", "costly"][int(rng.integers(2))], "x": float(rng.random())}
            strategy.tell(config, loss(config), cost(config))
        chosen = []
        for _ in range(20):
            config = strategy.ask(Budget(elapsed_fraction=0.02, seconds_left=1000.0))
            strategy.tell(config, loss(config), cost(config))
            chosen.append(config["branch"])
        picks[cost_aware] = chosen.count("cheap")
    assert picks[True] >= 16, picks
    assert picks[True] > picks[False], picks


# ------------------------------------------------------------------ vector encoding


def test_vector_encoding_round_trips_and_stays_valid():
    space = PipelineSpace("multiclass", 3000)
    vectors = VectorSpace(space.configspace)
    rng = np.random.default_rng(0)
    for family in space.family_names:
        config = space.default_config(family)
        assert vectors.decode(vectors.encode(config)) == config
    samples = vectors.sample(200, rng)
    for row in samples:
        Configuration(space.configspace, values=vectors.decode(row))
    neighbours, origin = vectors.neighbours(samples[:5], rng)
    assert set(origin) == set(range(5))
    for row, o in zip(neighbours, origin):
        Configuration(space.configspace, values=vectors.decode(row))
        # a neighbour differs from its origin in one active hyperparameter (plus its children)
        both = ~np.isnan(row) & ~np.isnan(samples[o])
        assert (row[both] != samples[o][both]).sum() >= 1
    models = {vectors.decode(r)["model"] for r in samples}
    assert models == set(space.family_names)


# ------------------------------------------------------------------ successive halving


def test_halving_rungs_follow_the_documented_rule():
    assert halving_fidelities(5_000) == (1.0,)
    assert halving_fidelities(19_999) == (1.0,)
    assert halving_fidelities(20_000) == (1 / 9, 1 / 3, 1.0)
    assert halving_fidelities(9_000, True) == (1 / 3, 1.0)
    assert halving_fidelities(50_000, False) == (1.0,)


def test_successive_halving_promotes_the_best_third():
    space = branin_space()
    fidelities = (1 / 9, 1 / 3, 1.0)
    scheduler = SuccessiveHalving(make_strategy("random", space, seed=0), fidelities)
    losses: dict[float, dict[str, float]] = {f: {} for f in fidelities}
    for _ in range(60):
        request = scheduler.ask()
        rung = fidelities.index(request.fidelity)
        if rung > 0:  # a promotion: the config was in the top third of the rung below
            below = sorted(losses[fidelities[rung - 1]].items(), key=lambda kv: kv[1])
            assert config_key(request.config) in {k for k, _ in below[: len(below) // 3]}
        loss = branin_loss(request.config) * (1 + 1 / request.fidelity) / 2  # less data, worse
        scheduler.tell(request, loss)
        losses[request.fidelity][config_key(request.config)] = loss
    assert len(scheduler.proposer.observations) == len(losses[1 / 9])  # rung 0 only
    assert len(losses[1 / 3]) >= len(losses[1 / 9]) // 3 - 1
    assert len(losses[1.0]) >= 1


def test_plain_scheduler_is_the_strategy():
    strategy = make_strategy("random", branin_space(), seed=0)
    scheduler = SuccessiveHalving(strategy)
    request = scheduler.ask()
    assert isinstance(request, Request) and request.fidelity == 1.0
    scheduler.tell(request, 1.0)
    assert strategy.observations == [(request.config, 1.0)]
