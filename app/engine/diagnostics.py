"""Per-layer health of one training iteration: gradient and weight norms, update ratios,
dead or saturated units, and vanishing / exploding gradient flags.

Computed on demand from a record (``IterationRecord.diagnostics``), so play mode pays for
them only when a frame is shown.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from app.engine.types import Array

FLAG_FACTOR = 100.0
"""A layer's ‖dW‖ at least this many times smaller (larger) than the median of the other
layers' flags it as vanishing (exploding)."""

SATURATION = 0.02
"""tanh / sigmoid unit counts as saturated where ``f′(z)`` is below 2 % of its maximum."""


@dataclass(frozen=True)
class LayerDiagnostics:
    """Health of layer ``layer`` (1-based) in one iteration.

    * ``grad_norm``: ‖dW‖ (Frobenius, including regularisation);
    * ``weight_norm``: ‖W‖ before the update;
    * ``update_norm``: ‖ΔW‖ of the applied update; ``update_ratio`` = ‖ΔW‖ / ‖W‖ (``None`` if
      ‖W‖ = 0); around 1e-3 is healthy, much larger means too high a learning rate;
    * ``dead_fraction``: fraction of the layer's units that did nothing useful over the whole
      batch — ReLU / leaky ReLU: never positive; tanh / sigmoid: saturated (``f′`` below 2 %
      of its peak) on every sample; ``None`` for linear and the output layer;
    * ``vanishing`` / ``exploding``: ‖dW‖ is ≥ 100× smaller / larger than the median ‖dW‖ of
      the other layers (never set with a single layer).
    """

    layer: int
    grad_norm: float
    weight_norm: float
    update_norm: float
    update_ratio: float | None
    dead_fraction: float | None
    vanishing: bool
    exploding: bool


@dataclass(frozen=True)
class Diagnostics:
    """Diagnostics of every layer, in order 1..L."""

    layers: tuple[LayerDiagnostics, ...]

    @property
    def grad_norms(self) -> list[float]:
        """‖dW‖ per layer (plot on a log scale)."""
        return [d.grad_norm for d in self.layers]

    @property
    def any_vanishing(self) -> bool:
        """Some layer's gradient vanishes."""
        return any(d.vanishing for d in self.layers)


def _norm(a: Array) -> float:
    return math.sqrt(float(np.vdot(a, a)))


def dead_fraction(activation: str, Z: Array, A_f: Array) -> float | None:
    """Fraction of units (columns) that are dead / saturated on every row of the batch.

    ``A_f = f(Z)`` before dropout. ``None`` for ``linear`` (it cannot die or saturate).
    """
    if activation in ("relu", "leaky_relu"):
        alive = (Z > 0.0).any(axis=0)
        return 1.0 - float(alive.mean())
    if activation == "sigmoid":  # f′ = A(1 − A), peak 1/4
        slope = A_f * (1.0 - A_f) * 4.0
    elif activation == "tanh":  # f′ = 1 − A², peak 1
        slope = 1.0 - A_f * A_f
    else:
        return None
    return float((slope < SATURATION).all(axis=0).mean())


def compute(
    W: Sequence[Array],
    dW: Sequence[Array],
    update_W: Sequence[Array],
    Z: Sequence[Array],
    A_f: Sequence[Array],
    activation: str,
) -> Diagnostics:
    """Diagnostics from per-layer tensors (``A_f`` = activations before dropout)."""
    L = len(W)
    grad = [_norm(g) for g in dW]
    layers = []
    for l in range(L):
        weight_norm = _norm(W[l])
        update_norm = _norm(update_W[l])
        others = grad[:l] + grad[l + 1 :]
        vanishing = exploding = False
        if others:
            median = statistics.median(others)
            if median > 0.0:
                vanishing = grad[l] * FLAG_FACTOR <= median
                exploding = grad[l] >= FLAG_FACTOR * median
        layers.append(
            LayerDiagnostics(
                layer=l + 1,
                grad_norm=grad[l],
                weight_norm=weight_norm,
                update_norm=update_norm,
                update_ratio=update_norm / weight_norm if weight_norm > 0.0 else None,
                dead_fraction=dead_fraction(activation, Z[l], A_f[l]) if l < L - 1 else None,
                vanishing=vanishing,
                exploding=exploding,
            )
        )
    return Diagnostics(tuple(layers))
