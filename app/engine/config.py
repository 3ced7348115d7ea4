"""The training configuration: everything needed to build data and network, reproducibly."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

from app.engine.activations import ACTIVATIONS
from app.engine.datasets import DATASETS
from app.engine.features import check_features
from app.engine.init import INITS
from app.engine.optimizers import OPTIMIZERS

HYPERPARAMETERS = ("learning_rate", "optimizer", "momentum", "batch_size", "l1", "l2", "dropout")
"""Fields that may change while training (``Trainer.update_hyper``)."""


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_real(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


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

    Invalid values raise ``ValueError`` naming the field. The engine sets no size limits.
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
        for name in ("noise", "test_fraction", "momentum", "learning_rate", "l1", "l2", "dropout"):
            object.__setattr__(self, name, float(getattr(self, name)))

    def _validate(self) -> None:
        def bad(field: str, why: str) -> ValueError:
            return ValueError(f"{field}: {why} (got {getattr(self, field)!r})")

        if self.dataset not in DATASETS:
            raise bad("dataset", f"must be one of {', '.join(DATASETS)}")
        if not _is_int(self.samples) or self.samples < 4:
            raise bad("samples", "must be an integer ≥ 4")
        if not _is_real(self.noise) or not 0.0 <= self.noise <= 1.0:
            raise bad("noise", "must be a fraction between 0 and 1")
        if not _is_real(self.test_fraction) or not 0.0 <= self.test_fraction <= 0.9:
            raise bad("test_fraction", "must be between 0 and 0.9")
        for field in ("data_seed", "seed"):
            value = getattr(self, field)
            if not _is_int(value) or value < 0:
                raise bad(field, "must be a non-negative integer")
        try:
            check_features(self.features)
        except ValueError as exc:
            raise ValueError(f"features: {exc}") from None
        if not all(_is_int(h) and h >= 1 for h in self.hidden):
            raise bad("hidden", "layer widths must be integers ≥ 1")
        if self.activation not in ACTIVATIONS:
            raise bad("activation", f"must be one of {', '.join(ACTIVATIONS)}")
        if self.init not in INITS:
            raise bad("init", f"must be one of {', '.join(INITS)}")
        if self.optimizer not in OPTIMIZERS:
            raise bad("optimizer", f"must be one of {', '.join(OPTIMIZERS)}")
        if not _is_real(self.momentum) or not 0.0 <= self.momentum < 1.0:
            raise bad("momentum", "must be in [0, 1)")
        if not _is_real(self.learning_rate) or self.learning_rate <= 0.0:
            raise bad("learning_rate", "must be a finite number > 0")
        if not _is_int(self.batch_size) or self.batch_size < 1:
            raise bad("batch_size", "must be an integer ≥ 1")
        for field in ("l1", "l2"):
            value = getattr(self, field)
            if not _is_real(value) or value < 0.0:
                raise bad(field, "must be a finite number ≥ 0")
        if not _is_real(self.dropout) or not 0.0 <= self.dropout < 1.0:
            raise bad("dropout", "must be a rate in [0, 1)")

    def replace(self, **changes: Any) -> TrainConfig:
        """A copy with some fields changed (validated); unknown fields raise ``TypeError``."""
        return dataclasses.replace(self, **changes)

    def hyper(self) -> dict[str, Any]:
        """The live hyperparameters as a dict."""
        return {name: getattr(self, name) for name in HYPERPARAMETERS}
