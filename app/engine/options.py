"""Every choice and every numeric range a training configuration may take, defined once.

The option lists are the engine's registries themselves (a name is valid because the engine
can build it); the ranges are those of ``TrainConfig``'s numeric fields. ``TrainConfig``
validates against them, the protocol builds its message types from them and the page fills
its controls from them (``GET /api/options``). Size limits that depend on the server (widths,
layers, batch size, samples, learning rate) are the server's ``Limits``, checked on top.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from types import MappingProxyType
from typing import Any

from app.engine.activations import ACTIVATIONS
from app.engine.data.registry import DATASETS
from app.engine.features import FEATURES
from app.engine.init import INITS
from app.engine.optimizers import OPTIMIZERS

SEED_MAX = 2**31 - 1
"""Seeds are non-negative 31-bit integers (what every client language can hold exactly)."""

OPTIONS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "dataset": tuple(DATASETS),
        "features": tuple(FEATURES),
        "activation": tuple(ACTIVATIONS),
        "init": tuple(INITS),
        "optimizer": tuple(OPTIMIZERS),
    }
)
"""The choices of each option field of ``TrainConfig`` (``features`` is a subset of its list)."""


@dataclass(frozen=True)
class Range:
    """An interval of allowed values; ``None`` leaves that end open-ended."""

    min: float | None = None
    max: float | None = None
    min_exclusive: bool = False
    max_exclusive: bool = False
    integer: bool = False

    def contains(self, value: object) -> bool:
        """True when ``value`` is a number of the right kind inside the interval."""
        if isinstance(value, bool) or not isinstance(value, int | float):
            return False
        if self.integer and not isinstance(value, int):
            return False
        if not math.isfinite(value):
            return False
        if self.min is not None and (value <= self.min if self.min_exclusive else value < self.min):
            return False
        return not (
            self.max is not None and (value >= self.max if self.max_exclusive else value > self.max)
        )

    def describe(self) -> str:
        """The interval in words, for error messages: ``an integer ≥ 20``, ``in [0, 0.9]``."""
        kind = "an integer" if self.integer else "a number"
        low = None if self.min is None else ("> " if self.min_exclusive else "≥ ") + _num(self.min)
        high = None if self.max is None else ("< " if self.max_exclusive else "≤ ") + _num(self.max)
        if self.min is not None and self.max is not None:
            left = "(" if self.min_exclusive else "["
            right = ")" if self.max_exclusive else "]"
            return f"{kind} in {left}{_num(self.min)}, {_num(self.max)}{right}"
        return f"{kind} {low or high}" if (low or high) else kind

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


RANGES: Mapping[str, Range] = MappingProxyType(
    {
        "samples": Range(min=20, integer=True),
        "noise": Range(min=0.0, max=1.0),
        # 0 is allowed: no test set (every sample trains).
        "test_fraction": Range(min=0.0, max=0.9),
        "data_seed": Range(min=0, max=SEED_MAX, integer=True),
        "hidden": Range(min=1, integer=True),  # each layer's width
        "momentum": Range(min=0.0, max=0.999),
        "learning_rate": Range(min=0.0, min_exclusive=True),
        "batch_size": Range(min=1, integer=True),
        "l1": Range(min=0.0, max=1.0),
        "l2": Range(min=0.0, max=1.0),
        "dropout": Range(min=0.0, max=0.9),
        "seed": Range(min=0, max=SEED_MAX, integer=True),
    }
)
"""The allowed values of ``TrainConfig``'s numeric fields (for ``hidden``: of each width)."""
