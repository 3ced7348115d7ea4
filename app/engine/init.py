"""Weight initialisation schemes. Biases always start at 0.

Each function returns a weight matrix of shape ``(fan_out, fan_in)`` (the textbook ``Wˡ``)
drawn from the given generator, so the same seed always gives the same network.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Mapping
from types import MappingProxyType

import numpy as np

from app.engine.types import Array

InitFn = Callable[[np.random.Generator, int, int], Array]


def he(rng: np.random.Generator, fan_in: int, fan_out: int) -> Array:
    """He (Kaiming) normal: ``N(0, 2 / fan_in)``, suited to ReLU layers."""
    return rng.normal(0.0, math.sqrt(2.0 / fan_in), size=(fan_out, fan_in))


def xavier(rng: np.random.Generator, fan_in: int, fan_out: int) -> Array:
    """Xavier / Glorot uniform: ``U(−a, a)`` with ``a = √(6 / (fan_in + fan_out))``."""
    a = math.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-a, a, size=(fan_out, fan_in))


def uniform(rng: np.random.Generator, fan_in: int, fan_out: int) -> Array:
    """Small uniform ``U(−0.5, 0.5)``, as TensorFlow Playground starts its networks."""
    return rng.uniform(-0.5, 0.5, size=(fan_out, fan_in))


INITS: Mapping[str, InitFn] = MappingProxyType({"he": he, "xavier": xavier, "uniform": uniform})
"""Initialisation schemes by name."""


def init_network(
    rng: np.random.Generator, sizes: tuple[int, ...], scheme: str
) -> tuple[list[Array], list[Array]]:
    """Weights and zero biases for layer sizes ``(n_in, h1, …, n_out)``.

    Returns ``(W, b)`` where ``W[l-1]`` has shape ``(sizes[l], sizes[l-1])`` and ``b[l-1]``
    shape ``(sizes[l],)``.
    """
    init = INITS[scheme]
    W = [init(rng, fan_in, fan_out) for fan_in, fan_out in itertools.pairwise(sizes)]
    b = [np.zeros(n, dtype=np.float64) for n in sizes[1:]]
    return W, b
