"""Gradient health of one training step: is the back-propagated signal vanishing or exploding
along the depth, are the updates too large for the weights.

``compute`` runs every training step, from the step's own tensors: per layer ‖dW‖, ‖W‖,
‖ΔW‖/‖W‖, RMS(dZ) (the back-propagated signal), the mean f′(Z) of each hidden layer and the
fraction of its units inactive on every sample of *this batch*; the ``vanishing`` and
``exploding`` flags and their advice. It costs four vector norms per layer and one f′ per
hidden layer (ReLU family: the sign of Z): 53–86 µs CPU on the default 2-4-2-2 network on a
loaded 2-core VM, 0.9–1.5× the per-median rule it replaces. The rules and their named
thresholds are stated in docs/protocol.md, "Gradient health: the rules".

Dead and saturated units are judged on the whole training set in ``app.engine.unit_health``
(``unit_health``, ``UnitActivity``, ``UnitHealth``); the advice texts are
``app.engine.advice``. Both are re-exported here.

Layers are 1-based (``L`` = the output layer); ``ρˡ`` = RMS(dZˡ) over the batch and the units.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from app.engine.activations import ACTIVATIONS, LEAKY_SLOPE
from app.engine.advice import Advice, Fix, step_advice
from app.engine.types import Array
from app.engine.unit_health import (
    EVAL_CHUNK_ROWS,
    INACTIVE_FLAG_FRACTION,
    INACTIVE_SLOPE,
    PEAK_SLOPE,
    RELU_FAMILY,
    SATURATION,
    LayerUnits,
    UnitActivity,
    UnitHealth,
    dead_fraction,
    inactive,
    unit_health,
)

__all__ = [
    "BLOCKED_FRACTION",
    "DEPTH_STEPS",
    "EVAL_CHUNK_ROWS",
    "EXPLODING_RATIO",
    "INACTIVE_FLAG_FRACTION",
    "INACTIVE_SLOPE",
    "SATURATION",
    "UPDATE_RATIO_MAX",
    "VANISHING_RATIO",
    "Advice",
    "Diagnostics",
    "Fix",
    "LayerDiagnostics",
    "LayerUnits",
    "UnitActivity",
    "UnitHealth",
    "compute",
    "dead_fraction",
    "unit_health",
]

# ── thresholds (each stated in docs/protocol.md) ───────────────────────────────────────────

VANISHING_RATIO = 1e-2
"""Layer ``l`` is vanishing where ``ρˡ < VANISHING_RATIO · ρᴸ⁻¹``: the signal reaching it is
under 1/100 of what the last hidden layer receives. A 6×8 sigmoid net (xavier, circle, lr 0.1)
measures ρ¹/ρ⁶ = 2.4e-4 after 30 steps; a 6×8 ReLU + He net 0.23."""

EXPLODING_RATIO = 1e2
"""Layer ``l`` is exploding where ``ρˡ > EXPLODING_RATIO · ρᴸ⁻¹``: the signal grows more than
100× on its way back from the last hidden layer. A linear 8×50 net with ``uniform`` init
(U(−½, ½), a gain of √(50/12) ≈ 2 per layer) measures ρ¹/ρ⁸ = 156, 177, 122 at steps 1–3."""

UPDATE_RATIO_MAX = 2.0
"""Layer ``l`` is exploding where its update is more than twice its weights,
``‖ΔW‖ > 2·‖W‖``: then ``‖W + ΔW‖ ≥ ‖ΔW‖ − ‖W‖ > ‖W‖`` — the weights come out larger than they
went in, whatever the direction (the signature of an oscillation that grows). Healthy training
has ratios around 1e-3 … 1e-1: the default tanh net (hidden 4, 2) stays below 0.035 for 300 steps on
each of the six generated data sets; a linear net on plane reaches 1.04 at step 1 and then
converges (hence 2, not 1)."""


DEPTH_STEPS = 2
"""Vanishing and exploding are trends along the depth: they are judged only at layers at least
two layer-to-layer steps below the last hidden layer (``l ≤ L − 3``). A single 100× drop is one
layer's weights: the default 2-4-2-1 leaky-ReLU net on plane has ρ¹ < ρ²/100 on 13 of its
first 300 steps while learning normally."""

BLOCKED_FRACTION = 0.5
"""A hidden layer with at least half its units inactive on every sample of the batch blocks the
signal: a drop of ρ through it is the inactive units' doing (reported as dead / saturated on the
whole training set), so ``vanishing`` is not flagged below it."""


# ── results ────────────────────────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class LayerDiagnostics:
    """Health of layer ``layer`` (1-based) in one iteration.

    * ``grad_norm``: ‖dW‖ (Frobenius, including regularisation);
    * ``weight_norm``: ‖W‖ before the update;
    * ``update_norm``: ‖ΔW‖ of the applied update; ``update_ratio`` = ‖ΔW‖ / ‖W‖ (``None`` if
      ‖W‖ = 0); around 1e-3 is healthy, above ``UPDATE_RATIO_MAX`` flags ``exploding``;
    * ``dead_fraction``: fraction of the layer's units inactive on every sample of *this
      batch* (``f′`` below ``INACTIVE_SLOPE`` of its peak: ReLU / leaky ReLU never positive,
      sigmoid / tanh saturated); ``None`` for linear and the output layer;
    * ``dz_rms``: ρˡ = RMS(dZˡ) over the batch and the units, the back-propagated signal
      (it includes the loss's 1/m, like dZ);
    * ``fprime_mean``: mean f′(Zˡ) over the batch and the units (dropout not included; ``None``
      for the output layer): every hidden layer multiplies the signal by it on average;
    * ``vanishing`` / ``exploding``: see ``compute``.
    """

    layer: int
    grad_norm: float
    weight_norm: float
    update_norm: float
    update_ratio: float | None
    dead_fraction: float | None
    vanishing: bool
    exploding: bool
    dz_rms: float = math.nan
    fprime_mean: float | None = None


@dataclass(frozen=True)
class Diagnostics:
    """Diagnostics of every layer, in order 1..L, and what they mean.

    ``signal_ratio`` = ρ¹/ρᴸ⁻¹ (``None`` with fewer than two hidden layers or ρᴸ⁻¹ = 0);
    ``advice`` explains the ``vanishing`` / ``exploding`` flags; dead and saturated units are
    judged on the whole training set by ``UnitHealth``.
    """

    layers: tuple[LayerDiagnostics, ...]
    activation: str = ""
    signal_ratio: float | None = None
    advice: tuple[Advice, ...] = ()

    @property
    def grad_norms(self) -> list[float]:
        """‖dW‖ per layer (plot on a log scale)."""
        return [d.grad_norm for d in self.layers]

    @property
    def dz_rms(self) -> list[float]:
        """ρˡ = RMS(dZˡ) per layer (plot on a log scale, input on the left)."""
        return [d.dz_rms for d in self.layers]

    @property
    def vanishing(self) -> list[int]:
        """Layers (1-based) whose back-propagated signal vanishes."""
        return [d.layer for d in self.layers if d.vanishing]

    @property
    def exploding(self) -> list[int]:
        """Layers (1-based) whose signal explodes or whose updates are too large."""
        return [d.layer for d in self.layers if d.exploding]

    @property
    def any_vanishing(self) -> bool:
        """Some layer's gradient vanishes."""
        return any(d.vanishing for d in self.layers)

    def message(self, units: UnitHealth | None = None) -> dict[str, Any]:
        """The protocol's ``diagnostics`` object (JSON-ready: non-finite numbers are ``None``).

        ``units`` is the latest whole-training-set ``UnitHealth`` (``None`` before the first);
        it supplies ``dead``, ``saturated``, ``units`` and their advice.
        """
        advice = list(self.advice) + (list(units.advice) if units is not None else [])
        return {
            "layers": [
                {
                    "layer": d.layer,
                    "grad_norm": _finite(d.grad_norm),
                    "weight_norm": _finite(d.weight_norm),
                    "update_ratio": _finite(d.update_ratio),
                    "dead_fraction": _finite(d.dead_fraction),
                    "dz_rms": _finite(d.dz_rms),
                    "fprime_mean": _finite(d.fprime_mean),
                }
                for d in self.layers
            ],
            "signal_ratio": _finite(self.signal_ratio),
            "vanishing": self.vanishing,
            "exploding": self.exploding,
            "dead": list(units.dead) if units is not None else [],
            "saturated": list(units.saturated) if units is not None else [],
            "units": units.message() if units is not None else None,
            "advice": [a.message() for a in advice],
        }


# ── the per-step rules ─────────────────────────────────────────────────────────────────────


def _norm(a: Array) -> float:
    return math.sqrt(float(np.vdot(a, a)))


def _rms(a: Array) -> float:
    return math.sqrt(float(np.vdot(a, a)) / a.size) if a.size else 0.0


def _finite(value: float | None) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    return float(value)


def compute(
    W: Sequence[Array],
    dW: Sequence[Array],
    update_W: Sequence[Array],
    Z: Sequence[Array],
    A_f: Sequence[Array],
    activation: str,
    *,
    dZ: Sequence[Array],
) -> Diagnostics:
    """Diagnostics of one step from its per-layer tensors (``A_f`` = activations before
    dropout, ``dZ`` as back-propagated, ``update_W`` = the applied ΔW).

    Rules (``ρˡ`` = RMS(dZˡ), measured against the last hidden layer's ``ρᴸ⁻¹``; along the depth
    only layers ``DEPTH_STEPS`` or more layers below it, ``l ≤ L − 3``, can be flagged, so at
    least three hidden layers are needed):

    * ``vanishing`` at ``l``: ``ρˡ < VANISHING_RATIO · ρᴸ⁻¹`` while no hidden layer from ``l``
      to ``L − 1`` has ``BLOCKED_FRACTION`` or more of its units inactive on every sample of the
      batch (a drop caused by inactive units is theirs, not a trend along the depth);
    * ``exploding`` at ``l``: ``ρˡ > EXPLODING_RATIO · ρᴸ⁻¹``, or (any layer, the output
      included) ``‖ΔW‖ > UPDATE_RATIO_MAX · ‖W‖``.
    """
    L = len(W)
    act = ACTIVATIONS[activation]
    can_be_inactive = activation in PEAK_SLOPE
    with np.errstate(all="ignore"):
        grad = [_norm(g) for g in dW]
        weight = [_norm(w) for w in W]
        update = [_norm(u) for u in update_W]
        rho = [_rms(d) for d in dZ]
        fprime: list[float | None] = [None] * L
        dead: list[float | None] = [None] * L
        for l in range(L - 1):
            if not Z[l].size:
                continue
            # (count_nonzero and sum / size: ndarray.mean costs ~10 µs of Python per call)
            units = Z[l].shape[1]
            if activation in RELU_FAMILY:  # f′ is 1 for z > 0, else 0 (ReLU) or 0.01 (leaky)
                positive = Z[l] > 0.0
                share = np.count_nonzero(positive) / positive.size
                low = 0.0 if activation == "relu" else LEAKY_SLOPE
                fprime[l] = share + low * (1.0 - share)
                dead[l] = 1.0 - np.count_nonzero(positive.any(axis=0)) / units
                continue
            slope = act.f_prime(Z[l], A_f[l])
            fprime[l] = float(slope.sum()) / slope.size
            if can_be_inactive:  # inactive on every row = even the largest f′ is below
                dead[l] = np.count_nonzero(inactive(activation, slope.max(axis=0))) / units
    ratio: list[float | None] = [
        None if w == 0.0 else u / w for u, w in zip(update, weight, strict=True)
    ]

    ref = rho[L - 2] if L >= 3 else 0.0
    signal_ratio = rho[0] / ref if L >= 3 and ref > 0.0 else None
    vanishing = [False] * L
    exploding = [False] * L
    blocked = False  # some hidden layer from l to L − 1 blocks the signal (scanned downward)
    if L >= 3:
        blocked = (dead[L - 2] or 0.0) >= BLOCKED_FRACTION
    for l in range(L - 3, -1, -1):
        blocked = blocked or (dead[l] or 0.0) >= BLOCKED_FRACTION
        if ref > 0.0 and (L - 2) - l >= DEPTH_STEPS:
            r = rho[l] / ref
            vanishing[l] = not blocked and r < VANISHING_RATIO
            exploding[l] = not r <= EXPLODING_RATIO  # NaN / ∞ count as exploding
    large = [r is not None and not r <= UPDATE_RATIO_MAX for r in ratio]
    layers = tuple(
        LayerDiagnostics(
            layer=l + 1,
            grad_norm=grad[l],
            weight_norm=weight[l],
            update_norm=update[l],
            update_ratio=ratio[l],
            dead_fraction=dead[l],
            vanishing=vanishing[l],
            exploding=exploding[l] or large[l],
            dz_rms=rho[l],
            fprime_mean=fprime[l],
        )
        for l in range(L)
    )
    advice = step_advice(activation, fprime, rho, ratio, vanishing, exploding, large)
    return Diagnostics(layers, activation, signal_ratio, advice)
