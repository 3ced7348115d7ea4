"""The networks every benchmark uses, as session configs (docs/protocol.md's config keys)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from bench import appapi


@dataclass(frozen=True)
class Net:
    name: str
    config: dict[str, Any]
    beyond_limits: bool = False  # larger than the server's default limits allow
    note: str = ""
    tags: tuple[str, ...] = field(default=())


DEFAULT = Net("2-4-2-2 b10 (default)", {}, tags=("default",))
SMALL = Net("2-8-8-2 b10", {"hidden": [8, 8]}, tags=("small",))
NETS: list[Net] = [
    DEFAULT,
    SMALL,
    Net("2-16-16-16-2 b32", {"dataset": "spiral", "hidden": [16, 16, 16], "batch_size": 32}),
    Net(
        "64-32-10 b64 (digits)",
        {"dataset": "digits", "hidden": [32], "batch_size": 64, "learning_rate": 0.1},
        tags=("digits",),
    ),
    Net(
        "784-128-64-10 b128 (random)",
        {"dataset": "custom", "dataset_id": "random784", "hidden": [128, 64], "batch_size": 128,
         "test_fraction": 0.05},
        beyond_limits=True,
        note="109k parameters: over the server's default 20,000-parameter limit; "
        "measured with raised limits",
    ),
]  # fmt: skip

# Raised limits for the nets beyond the server's defaults (784-128-64-10: 109k parameters).
BIG_LIMITS = {"max_width": 256, "max_parameters": 200_000}


def random_dataset(n: int = 1280, inputs: int = 784, classes: int = 10) -> Any:
    """An `app.engine.Dataset` of uniform noise (the 784-input net's data)."""
    rng = np.random.default_rng(0)
    return appapi.Dataset(
        name="custom",
        task="classification",
        n_classes=classes,
        feature_names=tuple(f"x{i + 1}" for i in range(inputs)),
        X_train=rng.random((n, inputs)),
        y_train=rng.integers(0, classes, n),
        X_test=rng.random((64, inputs)),
        y_test=rng.integers(0, classes, 64),
    )


_RANDOM: dict[str, Any] = {}


def lookup(dataset_id: str) -> Any:
    if dataset_id != "random784":
        return None
    if dataset_id not in _RANDOM:
        _RANDOM[dataset_id] = random_dataset()
    return _RANDOM[dataset_id]


def make_session(net: Net, limits: Any = None) -> Any:
    """A `Session` for `net` (raised limits for nets beyond the defaults)."""
    if limits is None:
        limits = appapi.Limits(**BIG_LIMITS) if net.beyond_limits else appapi.Limits()
    return appapi.Session(limits, lookup, net.config)
