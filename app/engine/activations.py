"""Hidden-layer activation functions, each ``f`` beside its derivative ``f′``.

Every function works element-wise on a batch of pre-activations ``Z`` (shape ``(m, units)``).
The derivative takes both ``Z`` and ``A = f(Z)`` because for tanh and sigmoid the
derivative is cheapest from ``A`` (``1 − A²`` and ``A·(1 − A)``), while for the ReLU family it
depends on the sign of ``Z``.

The output layer has no entry here: classification ends in softmax (see ``losses.py``),
regression in the identity.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np

from app.engine.types import Array

LEAKY_SLOPE = 0.01
"""Slope of leaky ReLU for negative inputs."""


def relu(Z: Array) -> Array:
    """``max(0, z)``."""
    return np.maximum(Z, 0.0)


def relu_prime(Z: Array, A: Array) -> Array:
    """``1`` where ``z > 0`` else ``0`` (we take 0 at the kink ``z = 0``)."""
    return (Z > 0.0).astype(np.float64)


def leaky_relu(Z: Array) -> Array:
    """``z`` for ``z > 0`` else ``0.01·z``."""
    return np.where(Z > 0.0, Z, LEAKY_SLOPE * Z)


def leaky_relu_prime(Z: Array, A: Array) -> Array:
    """``1`` for ``z > 0`` else ``0.01``."""
    return np.where(Z > 0.0, 1.0, LEAKY_SLOPE)


def tanh(Z: Array) -> Array:
    """Hyperbolic tangent, in (−1, 1)."""
    return np.tanh(Z)


def tanh_prime(Z: Array, A: Array) -> Array:
    """``1 − tanh(z)² = 1 − A²``."""
    return 1.0 - A * A


def sigmoid(Z: Array) -> Array:
    """Logistic function ``1 / (1 + e^(−z))``, in (0, 1).

    Written as ``exp(−log(1 + e^(−z)))`` with ``logaddexp`` so that no intermediate overflows,
    even for ``z = −1000``.
    """
    return np.exp(-np.logaddexp(0.0, -Z))


def sigmoid_prime(Z: Array, A: Array) -> Array:
    """``σ(z)·(1 − σ(z)) = A·(1 − A)``."""
    return A * (1.0 - A)


def linear(Z: Array) -> Array:
    """Identity: ``A = Z``."""
    return Z


def linear_prime(Z: Array, A: Array) -> Array:
    """Derivative of the identity: all ones."""
    return np.ones_like(Z)


@dataclass(frozen=True)
class Activation:
    """An activation function ``f`` with its derivative ``f_prime(Z, A)``."""

    name: str
    f: Callable[[Array], Array]
    f_prime: Callable[[Array, Array], Array]


ACTIVATIONS: Mapping[str, Activation] = MappingProxyType(
    {
        "relu": Activation("relu", relu, relu_prime),
        "leaky_relu": Activation("leaky_relu", leaky_relu, leaky_relu_prime),
        "tanh": Activation("tanh", tanh, tanh_prime),
        "sigmoid": Activation("sigmoid", sigmoid, sigmoid_prime),
        "linear": Activation("linear", linear, linear_prime),
    }
)
"""Hidden activations by name, in the order the page lists them."""
