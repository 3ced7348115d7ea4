"""The training configuration: everything needed to build data and network, reproducibly."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from app.engine.features import check_features
from app.engine.options import OPTIONS, RANGES

HYPERPARAMETERS = ("learning_rate", "optimizer", "momentum", "batch_size", "l1", "l2", "dropout")
"""Fields that may change while training (``Trainer.update_hyper``)."""

_NAMED = ("dataset", "activation", "init", "optimizer")
"""Fields that name one entry of ``OPTIONS`` (``features`` names several)."""

_FLOATS = ("noise", "test_fraction", "momentum", "learning_rate", "l1", "l2", "dropout")
"""Fields stored as float whatever number they were given as."""


@dataclass(frozen=True)
class TrainConfig:
    """A training run. The defaults are what the app opens with.

    * ``dataset``: one of ``DATASETS`` (``custom`` needs a ``Dataset`` from ``parse_csv``).
    * ``samples``, ``noise`` (a fraction 0..1; TF Playground's slider 0..50 % is 0..0.5),
      ``test_fraction`` and ``data_seed`` shape the generated 2-D data; ``features`` selects
      the network's inputs from them. Digits and custom data ignore samples, noise, features.
    * ``hidden``: widths of the hidden layers (may be empty); ``activation``: the hidden
      activation; ``init``: ``he``, ``xavier`` or ``uniform``; ``seed`` drives the initial
      weights, the data order and dropout.
    * The rest are hyperparameters that may change while training (``HYPERPARAMETERS``).
      ``momentum`` is μ of the momentum and nesterov optimizers.

    Option names must be in ``options.OPTIONS`` and numbers in ``options.RANGES`` (e.g.
    ``samples`` ≥ 20, ``dropout`` ≤ 0.9); an invalid value raises ``ValueError`` naming the
    field. The engine sets no size limits (the server's ``Limits`` do).
    """

    dataset: str = "circle"
    samples: int = 400
    noise: float = 0.1
    test_fraction: float = 0.3
    data_seed: int = 1
    features: tuple[str, ...] = ("x1", "x2")
    hidden: tuple[int, ...] = (4, 2)
    activation: str = "tanh"
    init: str = "xavier"
    optimizer: str = "sgd"
    momentum: float = 0.9
    learning_rate: float = 0.03
    batch_size: int = 10
    l1: float = 0.0
    l2: float = 0.0
    dropout: float = 0.0
    seed: int = 1

    def __post_init__(self) -> None:
        # Accept lists for the tuple fields (a JSON array), store tuples.
        object.__setattr__(self, "features", tuple(self.features))
        object.__setattr__(self, "hidden", tuple(self.hidden))
        self._validate()
        for name in _FLOATS:
            object.__setattr__(self, name, float(getattr(self, name)))

    def _validate(self) -> None:
        """Check every option name against ``OPTIONS`` and every number against ``RANGES``."""

        def bad(field: str, why: str) -> ValueError:
            return ValueError(f"{field}: {why} (got {getattr(self, field)!r})")

        for field in _NAMED:
            if getattr(self, field) not in OPTIONS[field]:
                raise bad(field, f"must be one of {', '.join(OPTIONS[field])}")
        try:
            check_features(self.features)
        except ValueError as exc:
            raise ValueError(f"features: {exc}") from None
        if not all(RANGES["hidden"].contains(h) for h in self.hidden):
            raise bad("hidden", f"layer widths must be {RANGES['hidden'].describe()}")
        for field, allowed in RANGES.items():
            if field != "hidden" and not allowed.contains(getattr(self, field)):
                raise bad(field, f"must be {allowed.describe()}")

    def replace(self, **changes: Any) -> TrainConfig:
        """A copy with some fields changed (validated); unknown fields raise ``TypeError``."""
        return dataclasses.replace(self, **changes)
