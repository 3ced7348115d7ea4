"""TensorFlow Playground's input features for 2-D points.

A 2-D data set is stored as raw points ``(x1, x2)``; the network sees the selected features
of them, one column each, in the order chosen.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from types import MappingProxyType

import numpy as np

from app.engine.types import Array

FeatureFn = Callable[[Array, Array], Array]

FEATURES: Mapping[str, FeatureFn] = MappingProxyType(
    {
        "x1": lambda x1, x2: x1,
        "x2": lambda x1, x2: x2,
        "x1^2": lambda x1, x2: x1 * x1,
        "x2^2": lambda x1, x2: x2 * x2,
        "x1*x2": lambda x1, x2: x1 * x2,
        "sin(x1)": lambda x1, x2: np.sin(x1),
        "sin(x2)": lambda x1, x2: np.sin(x2),
    }
)
"""Feature name → function of the raw coordinates ``(x1, x2)``."""


def check_features(names: Sequence[str]) -> None:
    """Raise ``ValueError`` unless ``names`` is a non-empty list of distinct known features."""
    if not names:
        raise ValueError("select at least one input feature")
    for name in names:
        if name not in FEATURES:
            raise ValueError(f"unknown feature {name!r}; choose from {', '.join(FEATURES)}")
    if len(set(names)) != len(names):
        raise ValueError("each input feature may be selected only once")


def map_features(points: Array, names: Sequence[str]) -> Array:
    """Network inputs ``(n, len(names))`` from raw points ``(n, 2)``."""
    x1 = points[:, 0]
    x2 = points[:, 1]
    X: Array = np.empty((points.shape[0], len(names)), dtype=np.float64)
    for j, name in enumerate(names):
        X[:, j] = FEATURES[name](x1, x2)
    return X
