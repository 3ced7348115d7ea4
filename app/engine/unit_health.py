"""Dead and saturated hidden units, judged on the whole training set.

A unit that is inactive for ten samples of a batch may be fine on the rest, so dead
(ReLU) and saturated (leaky ReLU, sigmoid, tanh) units are judged over every training row,
a chunk of rows at a time beside the whole-set metrics: ``unit_health`` at once, or
``UnitActivity`` fed chunk by chunk. What counts as *inactive* (``INACTIVE_SLOPE``,
``inactive``) is defined here and used by the per-step rules too.

Layers are 1-based (``L`` = the output layer).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from app.engine.activations import ACTIVATIONS
from app.engine.advice import Advice, unit_advice
from app.engine.network import forward
from app.engine.types import Array, BoolArray

INACTIVE_SLOPE = 0.02
"""A hidden unit is inactive on a sample where ``f′(z)`` is below 2 % of the activation's peak
slope: ReLU and leaky ReLU for ``z ≤ 0`` (slopes 0 and 0.01), sigmoid for ``|z| > 5.3``
(``f′ < 0.005``), tanh for ``|z| > 2.6``. Linear units are never inactive."""

SATURATION = INACTIVE_SLOPE
"""Former name of ``INACTIVE_SLOPE``."""

INACTIVE_FLAG_FRACTION = 0.5
"""A layer is flagged ``dead`` (ReLU) or ``saturated`` (leaky ReLU, sigmoid, tanh) when at
least half its units are inactive on every sample of the whole training set."""

EVAL_CHUNK_ROWS = 512
"""``unit_health`` runs the forward pass this many rows at a time (bounded memory)."""

PEAK_SLOPE = {"relu": 1.0, "leaky_relu": 1.0, "tanh": 1.0, "sigmoid": 0.25}
"""Largest ``f′`` of each activation that can be inactive (linear: none)."""

RELU_FAMILY = ("relu", "leaky_relu")
"""Activations whose ``f′`` is one value for ``z > 0`` and another (0 or 0.01) below."""


def inactive(activation: str, slope: Array) -> BoolArray:
    """Boolean per entry: ``f′`` below ``INACTIVE_SLOPE`` of the activation's peak."""
    result: BoolArray = slope < INACTIVE_SLOPE * PEAK_SLOPE[activation]
    return result


def dead_fraction(activation: str, Z: Array, A_f: Array) -> float | None:
    """Fraction of units (columns) inactive on every row of ``Z`` (``f′`` below
    ``INACTIVE_SLOPE`` of its peak); ``A_f = f(Z)`` before dropout. ``None`` for ``linear``."""
    if activation not in PEAK_SLOPE:
        return None
    slope = ACTIVATIONS[activation].f_prime(Z, A_f)
    return float(inactive(activation, slope).all(axis=0).mean())


@dataclass(frozen=True)
class LayerUnits:
    """Hidden layer ``layer`` over a whole set: ``inactive_fraction`` of its ``units`` are
    inactive on every row (``f′`` below ``INACTIVE_SLOPE`` of its peak); ``kind`` says what
    that means for this activation: ``dead`` (ReLU: ``f′ = 0``, no gradient at all) or
    ``saturated`` (leaky ReLU, sigmoid, tanh: the gradient passes at under 2 %)."""

    layer: int
    units: int
    inactive_fraction: float
    kind: Literal["dead", "saturated"]

    @property
    def dead_fraction(self) -> float | None:
        """Fraction of dead units (ReLU only)."""
        return self.inactive_fraction if self.kind == "dead" else None

    @property
    def saturated_fraction(self) -> float | None:
        """Fraction of saturated units (leaky ReLU, sigmoid, tanh)."""
        return self.inactive_fraction if self.kind == "saturated" else None


@dataclass(frozen=True)
class UnitHealth:
    """Dead / saturated hidden units over ``rows`` samples (the whole training set).

    ``layers`` is empty for linear activations (their units cannot die or saturate);
    ``dead`` / ``saturated`` list the layers with at least ``INACTIVE_FLAG_FRACTION`` of their
    units inactive; ``step`` is the training step of the weights (if the caller gave it).
    """

    activation: str
    rows: int
    layers: tuple[LayerUnits, ...]
    step: int | None = None

    @property
    def dead(self) -> tuple[int, ...]:
        """Layers flagged dead (ReLU)."""
        return self._flagged("dead")

    @property
    def saturated(self) -> tuple[int, ...]:
        """Layers flagged saturated (leaky ReLU, sigmoid, tanh)."""
        return self._flagged("saturated")

    def _flagged(self, kind: str) -> tuple[int, ...]:
        return tuple(
            u.layer
            for u in self.layers
            if u.kind == kind and u.inactive_fraction >= INACTIVE_FLAG_FRACTION
        )

    @property
    def advice(self) -> tuple[Advice, ...]:
        """Advice for the dead and the saturated layers."""
        flagged = {u.layer: u for u in self.layers}
        dead = [flagged[l] for l in self.dead]
        saturated = [flagged[l] for l in self.saturated]
        return unit_advice(self.activation, self.rows, dead, saturated)

    def message(self) -> dict[str, Any]:
        """The protocol's ``diagnostics.units`` object."""
        return {
            "step": self.step,
            "rows": self.rows,
            "layers": [
                {
                    "layer": u.layer,
                    "dead_fraction": u.dead_fraction,
                    "saturated_fraction": u.saturated_fraction,
                }
                for u in self.layers
            ],
        }


class UnitActivity:
    """Which hidden units are ever active over rows seen in chunks (the whole training set).

    Feed it the ``Z`` and ``A_f`` of each chunk's forward pass (``network.forward``, no
    dropout), then read ``result()``. A unit is active on a row where ``f′(z)`` is at least
    ``INACTIVE_SLOPE`` of its peak; ``widths`` are the hidden layers' numbers of units.
    """

    def __init__(self, activation: str, widths: Sequence[int]) -> None:
        self.activation = activation
        self._track = activation in PEAK_SLOPE
        self._active = [np.zeros(n, dtype=bool) for n in widths]
        self.rows = 0

    def add(self, Z: Sequence[Array], A_f: Sequence[Array]) -> None:
        """One chunk's pre-activations and activations (all layers; the output is ignored)."""
        if Z:
            self.rows += len(Z[0])
        if not self._track:
            return
        f_prime = ACTIVATIONS[self.activation].f_prime
        with np.errstate(all="ignore"):
            for l, active in enumerate(self._active):
                if self.activation in RELU_FAMILY:
                    now = (Z[l] > 0.0).any(axis=0)
                else:
                    now = (~inactive(self.activation, f_prime(Z[l], A_f[l]))).any(axis=0)
                active |= now

    def result(self, step: int | None = None) -> UnitHealth:
        """The fractions so far."""
        if not self._track:
            return UnitHealth(self.activation, self.rows, (), step)
        kind: Literal["dead", "saturated"] = "dead" if self.activation == "relu" else "saturated"
        layers = tuple(
            LayerUnits(l + 1, len(a), 1.0 - float(a.mean()) if len(a) else 0.0, kind)
            for l, a in enumerate(self._active)
        )
        return UnitHealth(self.activation, self.rows, layers, step)


def unit_health(
    W: Sequence[Array],
    b: Sequence[Array],
    X: Array,
    activation: str,
    step: int | None = None,
) -> UnitHealth:
    """Dead / saturated hidden units of the network ``(W, b)`` over every row of ``X`` (pass
    the whole training set), ``EVAL_CHUNK_ROWS`` rows at a time, without dropout."""
    activity = UnitActivity(activation, [w.shape[0] for w in W[:-1]])
    act = ACTIVATIONS[activation]
    for start in range(0, len(X), EVAL_CHUNK_ROWS):
        with np.errstate(all="ignore"):
            Zs, _, A_fs = forward(W, b, X[start : start + EVAL_CHUNK_ROWS], act)
        activity.add(Zs, A_fs)
    return activity.result(step)
