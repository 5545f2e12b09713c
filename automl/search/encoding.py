"""Configurations as vectors in [0, 1]^d, with fast vectorized sampling and neighbourhoods.

The surrogate models and the local search need thousands of candidate configurations per
``ask``; building them one ``ConfigSpace.Configuration`` at a time is far too slow. This module
reads the space's structure once (hyperparameter kinds and the conditions between them) and
then works on numpy arrays. The encoding is ConfigSpace's own (``to_vector``/``to_value``):
numeric values scaled to [0, 1] (log scale where the hyperparameter is log-scaled),
categoricals as choice indices, inactive hyperparameters as NaN.

Supported structure: numeric and categorical hyperparameters, Equals/In conditions on
categorical parents, no forbidden clauses -- what the pipeline space uses.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from ConfigSpace import (
    CategoricalHyperparameter,
    ConfigurationSpace,
    EqualsCondition,
    InCondition,
)

INACTIVE_FILL = -1.0  # what the surrogate sees for an inactive hyperparameter
_NUMERIC_STEP = 0.2  # standard deviation of a numeric move (mutation), in [0, 1] units
# the neighbourhood's numeric moves: one coarse, one fine step, so the local search can both
# leave a basin and settle into one
_NEIGHBOUR_STEPS = (0.2, 0.05)


class VectorSpace:
    """The vector view of a ``ConfigurationSpace``."""

    def __init__(self, space: ConfigurationSpace) -> None:
        if space.forbidden_clauses:
            raise ValueError("VectorSpace does not support forbidden clauses.")
        self.names: list[str] = list(space.keys())
        self._hps = [space[name] for name in self.names]
        index = {name: i for i, name in enumerate(self.names)}
        self.n_choices = np.array(
            [
                len(hp.choices) if isinstance(hp, CategoricalHyperparameter) else 0
                for hp in self._hps
            ]
        )
        self._conditions: list[list[tuple[int, np.ndarray]]] = [[] for _ in self.names]
        for condition in space.conditions:
            if isinstance(condition, EqualsCondition):
                values = [condition.value]
            elif isinstance(condition, InCondition):
                values = list(condition.values)
            else:
                raise ValueError(f"VectorSpace does not support {type(condition).__name__}.")
            parent = condition.parent
            allowed = parent.to_vector(np.array(values, dtype=object))
            self._conditions[index[condition.child.name]].append(
                (index[parent.name], np.asarray(allowed, dtype=float))
            )
        self._order = _topological_order(self._conditions)
        self._dim = len(self.names)

    @property
    def dim(self) -> int:
        return self._dim

    # ------------------------------------------------------------------ conversions

    def encode(self, config: dict[str, Any]) -> np.ndarray:
        vector = np.full(self._dim, np.nan)
        for i, (name, hp) in enumerate(zip(self.names, self._hps)):
            if name in config:
                dtype = object if self.n_choices[i] else float
                vector[i] = float(hp.to_vector(np.array([config[name]], dtype=dtype))[0])
        return vector

    def decode(self, vector: np.ndarray) -> dict[str, Any]:
        config: dict[str, Any] = {}
        for i, (name, hp) in enumerate(zip(self.names, self._hps)):
            if not np.isnan(vector[i]):
                config[name] = _plain(hp.to_value(np.array([vector[i]]))[0])
        return config

    @staticmethod
    def impute(vectors: np.ndarray) -> np.ndarray:
        """Inactive (NaN) -> a value outside [0, 1], so trees can split on "inactive"."""
        return np.where(np.isnan(vectors), INACTIVE_FILL, vectors)

    # ------------------------------------------------------------------ generation

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """``n`` uniform random configurations (uniform in the encoded space)."""
        vectors = np.empty((n, self._dim))
        for i in range(self._dim):
            vectors[:, i] = self._random_values(i, n, rng)
        return self._enforce_conditions(vectors, rng, fresh=np.ones_like(vectors, bool))

    def neighbours(
        self, points: np.ndarray, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray]:
        """The one-exchange neighbourhoods of ``points`` (one per row), stacked.

        Each neighbour changes one active hyperparameter: categoricals move to every other choice,
        numerics take one Gaussian step of each size in ``_NEIGHBOUR_STEPS``. Children that become
        active get random values, those that become inactive are cleared -- the moves of
        ConfigSpace's one-exchange neighbourhood, vectorized over all points at once. Returns the
        neighbours and, for each, the row of ``points`` it came from.
        """
        points = np.atleast_2d(points)
        blocks: list[np.ndarray] = []
        origins: list[np.ndarray] = []
        refresh: list[bool] = []
        for i in range(self._dim):
            active = np.flatnonzero(~np.isnan(points[:, i]))
            if not len(active):
                continue
            if self.n_choices[i]:
                for offset in range(1, int(self.n_choices[i])):
                    block = points[active].copy()
                    block[:, i] = (block[:, i] + offset) % self.n_choices[i]
                    blocks.append(block)
                    origins.append(active)
                    refresh.append(True)
            else:
                for step in _NEIGHBOUR_STEPS:
                    block = points[active].copy()
                    block[:, i] = np.clip(block[:, i] + rng.normal(0, step, len(active)), 0, 1)
                    blocks.append(block)
                    origins.append(active)
                    refresh.append(False)
        if not blocks:
            return np.empty((0, self._dim)), np.empty(0, dtype=int)
        rows = np.concatenate(blocks)
        # after a categorical move, inactive children may become active and need a value
        fresh = np.concatenate(
            [np.isnan(b) if r else np.zeros_like(b, dtype=bool) for b, r in zip(blocks, refresh)]
        )
        return self._enforce_conditions(rows, rng, fresh=fresh), np.concatenate(origins)

    def mutate(self, vector: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """One random one-exchange move: a uniformly chosen active hyperparameter changes."""
        active = np.flatnonzero(~np.isnan(vector))
        i = int(rng.choice(active))
        child = vector.copy()[None, :]
        fresh = np.zeros_like(child, dtype=bool)
        if self.n_choices[i]:
            child[0, i] = (child[0, i] + rng.integers(1, self.n_choices[i])) % self.n_choices[i]
            fresh[0] = np.isnan(child[0])
        else:
            child[0, i] = np.clip(child[0, i] + rng.normal(0, _NUMERIC_STEP), 0, 1)
        return self._enforce_conditions(child, rng, fresh=fresh)[0]

    def random_config(self, rng: np.random.Generator, is_new: Any = None) -> dict[str, Any]:
        """A uniformly random configuration, redrawn (up to 50 times) until ``is_new`` says so."""
        config: dict[str, Any] = {}
        for _ in range(50):
            config = self.decode(self.sample(1, rng)[0])
            if is_new is None or is_new(config):
                break
        return config

    def _random_values(self, i: int, n: int, rng: np.random.Generator) -> np.ndarray:
        if self.n_choices[i]:
            return rng.integers(self.n_choices[i], size=n).astype(float)
        return rng.random(n)

    def _enforce_conditions(
        self, vectors: np.ndarray, rng: np.random.Generator, *, fresh: np.ndarray
    ) -> np.ndarray:
        """Clear inactive values; give newly active ones (``fresh``) random values."""
        for i in self._order:
            conditions = self._conditions[i]
            if not conditions:
                continue
            active = np.ones(len(vectors), dtype=bool)
            for parent, allowed in conditions:
                active &= np.isin(vectors[:, parent], allowed)
            needs_value = active & (np.isnan(vectors[:, i]) | fresh[:, i])
            if needs_value.any():
                vectors[needs_value, i] = self._random_values(i, int(needs_value.sum()), rng)
            vectors[~active, i] = np.nan
        return vectors


def _topological_order(conditions: list[list[tuple[int, np.ndarray]]]) -> list[int]:
    order: list[int] = []
    placed: set[int] = set()
    remaining = list(range(len(conditions)))
    while remaining:
        progress = False
        for i in list(remaining):
            if all(parent in placed for parent, _ in conditions[i]):
                order.append(i)
                placed.add(i)
                remaining.remove(i)
                progress = True
        if not progress:
            raise ValueError("The configuration space has cyclic conditions.")
    return order


def _plain(value: Any) -> Any:
    """numpy scalars -> Python values; floats rounded so an encode/decode round trip is exact."""
    value = value.item() if isinstance(value, np.generic) else value
    return float(f"{value:.12g}") if isinstance(value, float) else value
