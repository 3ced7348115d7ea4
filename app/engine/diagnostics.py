"""Gradient health: is the back-propagated signal vanishing or exploding along the depth, are
the updates too large for the weights, are units dead or saturated — and what to do about it.

Two measurements, each with its rules and named thresholds (stated in docs/protocol.md,
"Gradient health: the rules"):

* ``compute`` — every training step, from the step's own tensors: per layer ‖dW‖, ‖W‖,
  ‖ΔW‖/‖W‖, RMS(dZ) (the back-propagated signal), the mean f′(Z) of each hidden layer and the
  fraction of its units inactive on every sample of *this batch*; the ``vanishing`` and
  ``exploding`` flags and their advice. It costs four vector norms per layer and one f′ per
  hidden layer (ReLU family: the sign of Z): 53–86 µs CPU on the default 2-4-2-2 network on a
  loaded 2-core VM, 0.9–1.5× the per-median rule it replaces.
* ``unit_health`` / ``UnitActivity`` — dead and saturated units judged on the *whole
  training set* (a unit that is inactive for ten samples may be fine on the rest), computed
  a chunk of rows at a time beside the whole-set metrics.

Layers are 1-based (``L`` = the output layer); ``ρˡ`` = RMS(dZˡ) over the batch and the units.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from app.engine.activations import ACTIVATIONS, LEAKY_SLOPE
from app.engine.network import forward
from app.engine.types import Array, BoolArray

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

INACTIVE_SLOPE = 0.02
"""A hidden unit is inactive on a sample where ``f′(z)`` is below 2 % of the activation's peak
slope: ReLU and leaky ReLU for ``z ≤ 0`` (slopes 0 and 0.01), sigmoid for ``|z| > 5.3``
(``f′ < 0.005``), tanh for ``|z| > 2.6``. Linear units are never inactive."""

SATURATION = INACTIVE_SLOPE
"""Former name of ``INACTIVE_SLOPE``."""

DEPTH_STEPS = 2
"""Vanishing and exploding are trends along the depth: they are judged only at layers at least
two layer-to-layer steps below the last hidden layer (``l ≤ L − 3``). A single 100× drop is one
layer's weights: the default 2-4-2-1 leaky-ReLU net on plane has ρ¹ < ρ²/100 on 13 of its
first 300 steps while learning normally."""

BLOCKED_FRACTION = 0.5
"""A hidden layer with at least half its units inactive on every sample of the batch blocks the
signal: a drop of ρ through it is the inactive units' doing (reported as dead / saturated on the
whole training set), so ``vanishing`` is not flagged below it."""

INACTIVE_FLAG_FRACTION = 0.5
"""A layer is flagged ``dead`` (ReLU) or ``saturated`` (leaky ReLU, sigmoid, tanh) when at
least half its units are inactive on every sample of the whole training set."""

EVAL_CHUNK_ROWS = 512
"""``unit_health`` runs the forward pass this many rows at a time (bounded memory)."""

_PEAK_SLOPE = {"relu": 1.0, "leaky_relu": 1.0, "tanh": 1.0, "sigmoid": 0.25}
"""Largest ``f′`` of each activation that can be inactive (linear: none)."""

_RELU_FAMILY = ("relu", "leaky_relu")

Fix = Literal[
    "relu_activation",
    "he_xavier_init",
    "fewer_layers",
    "smaller_init",
    "lower_learning_rate",
    "gradient_clipping",
    "leaky_relu",
]
"""Machine-readable remedies named in advice (``Advice.fixes``)."""


# ── results ────────────────────────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class Advice:
    """One diagnosed cause: ``code`` (``vanishing``, ``exploding``, ``large_updates``, ``dead``,
    ``saturated``), the 1-based ``layers`` concerned, the remedies ``fixes`` (most relevant
    first) and ``text``, one or two sentences for a learner with the measured figures."""

    code: str
    layers: tuple[int, ...]
    fixes: tuple[Fix, ...]
    text: str

    def message(self) -> dict[str, Any]:
        """As sent in the protocol."""
        return {
            "code": self.code,
            "layers": list(self.layers),
            "fixes": list(self.fixes),
            "text": self.text,
        }


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
        out: list[Advice] = []
        flagged = {u.layer: u for u in self.layers}
        if self.dead:
            units = [flagged[l] for l in self.dead]
            out.append(
                Advice(
                    "dead",
                    self.dead,
                    ("leaky_relu", "lower_learning_rate"),
                    f"{_share(units)} ReLU units output 0 for every one of the {self.rows} "
                    "training samples: dead, f′ = 0, so no gradient reaches their weights "
                    "and they stop learning. Fix: leaky ReLU (slope 0.01 below 0 keeps a "
                    "gradient), or a lower learning rate.",
                )
            )
        if self.saturated:
            units = [flagged[l] for l in self.saturated]
            if self.activation == "leaky_relu":
                text = (
                    f"{_share(units)} leaky-ReLU units are negative for every one of the "
                    f"{self.rows} training samples: they pass only 1 % of the gradient "
                    "(slope 0.01). Fix: a lower learning rate or smaller initial weights."
                )
                fixes: tuple[Fix, ...] = ("lower_learning_rate", "smaller_init")
            else:
                text = (
                    f"{_share(units)} {self.activation} units are saturated for every one of "
                    f"the {self.rows} training samples: f′ is below 2 % of its peak, so "
                    "almost no gradient passes. Fix: smaller initial weights (Xavier), a lower "
                    "learning rate, or a ReLU-family activation."
                )
                fixes = ("smaller_init", "lower_learning_rate", "relu_activation")
            out.append(Advice("saturated", self.saturated, fixes, text))
        return tuple(out)

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


# ── the per-step rules ─────────────────────────────────────────────────────────────────────


def _norm(a: Array) -> float:
    return math.sqrt(float(np.vdot(a, a)))


def _rms(a: Array) -> float:
    return math.sqrt(float(np.vdot(a, a)) / a.size) if a.size else 0.0


def _finite(value: float | None) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    return float(value)


def _inactive(activation: str, slope: Array) -> BoolArray:
    """Boolean per entry: ``f′`` below ``INACTIVE_SLOPE`` of the activation's peak."""
    result: BoolArray = slope < INACTIVE_SLOPE * _PEAK_SLOPE[activation]
    return result


def dead_fraction(activation: str, Z: Array, A_f: Array) -> float | None:
    """Fraction of units (columns) inactive on every row of ``Z`` (``f′`` below
    ``INACTIVE_SLOPE`` of its peak); ``A_f = f(Z)`` before dropout. ``None`` for ``linear``."""
    if activation not in _PEAK_SLOPE:
        return None
    slope = ACTIVATIONS[activation].f_prime(Z, A_f)
    return float(_inactive(activation, slope).all(axis=0).mean())


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
    can_be_inactive = activation in _PEAK_SLOPE
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
            if activation in _RELU_FAMILY:  # f′ is 1 for z > 0, else 0 (ReLU) or 0.01 (leaky)
                positive = Z[l] > 0.0
                share = np.count_nonzero(positive) / positive.size
                low = 0.0 if activation == "relu" else LEAKY_SLOPE
                fprime[l] = share + low * (1.0 - share)
                dead[l] = 1.0 - np.count_nonzero(positive.any(axis=0)) / units
                continue
            slope = act.f_prime(Z[l], A_f[l])
            fprime[l] = float(slope.sum()) / slope.size
            if can_be_inactive:  # inactive on every row = even the largest f′ is below
                dead[l] = np.count_nonzero(_inactive(activation, slope.max(axis=0))) / units
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
    advice = _advice(activation, layers, rho, ratio, vanishing, exploding, large)
    return Diagnostics(layers, activation, signal_ratio, advice)


def _advice(
    activation: str,
    layers: Sequence[LayerDiagnostics],
    rho: Sequence[float],
    ratio: Sequence[float | None],
    vanishing: Sequence[bool],
    exploding: Sequence[bool],
    large: Sequence[bool],
) -> tuple[Advice, ...]:
    out: list[Advice] = []
    L = len(layers)
    ref = L - 1  # 1-based number of the last hidden layer
    if any(exploding):
        worst = max((l for l in range(L) if exploding[l]), key=lambda l: rho[l])
        out.append(
            Advice(
                "exploding",
                _which(exploding),
                ("smaller_init", "lower_learning_rate", "gradient_clipping"),
                f"The gradient explodes toward the input: RMS(dZ) at layer {worst + 1} is "
                f"{_times(rho[worst] / rho[ref - 1])} that of layer {ref}. Fix: smaller initial "
                "weights (Xavier or He), a lower learning rate, or gradient clipping.",
            )
        )
    if any(large):
        worst = max((l for l in range(L) if large[l]), key=lambda l: ratio[l] or 0.0)
        out.append(
            Advice(
                "large_updates",
                _which(large),
                ("lower_learning_rate", "smaller_init", "gradient_clipping"),
                f"The updates are larger than the weights: at layer {worst + 1} ‖ΔW‖ is "
                f"{_times(ratio[worst] or math.inf)} ‖W‖; above 2× the weights grow whatever "
                "the step's direction, the way training diverges. Fix: a lower learning rate, "
                "smaller initial weights, or gradient clipping.",
            )
        )
    if any(vanishing):
        first = min(l for l in range(L) if vanishing[l])
        hidden = [d.fprime_mean for d in layers[:-1] if d.fprime_mean is not None]
        mean_fprime = sum(hidden) / len(hidden) if hidden else math.nan
        shrink = f"RMS(dZ) at layer {first + 1} is {_fraction(rho[first] / rho[ref - 1])} "
        shrink += f"of that of layer {ref}"
        if activation in ("sigmoid", "tanh"):
            peak = "¼" if activation == "sigmoid" else "1"
            why = (
                f"every {activation} layer multiplies it by f′ ≤ {peak} "
                f"(mean {mean_fprime:.2g} here)"
            )
            fixes: tuple[Fix, ...] = ("relu_activation", "he_xavier_init", "fewer_layers")
            fix = "a ReLU-family activation, He (ReLU) or Xavier (tanh) initialisation, or fewer layers"
        else:
            why = "the weights shrink it at every layer"
            fixes = ("he_xavier_init", "fewer_layers")
            fix = "He (ReLU) or Xavier initialisation, or fewer layers"
        out.append(
            Advice(
                "vanishing",
                _which(vanishing),
                fixes,
                f"The gradient vanishes toward the input: {shrink}; {why}, so the first "
                f"layers barely learn. Fix: {fix}.",
            )
        )
    return tuple(out)


def _which(flags: Sequence[bool]) -> tuple[int, ...]:
    return tuple(l + 1 for l, f in enumerate(flags) if f)


def _sig2(x: float) -> str:
    """Two significant figures, thousands separated: 4,200; 14; 2.7; 1.7e+53."""
    if not math.isfinite(x):
        return "∞"
    if x >= 1e6:
        return f"{x:.2g}"
    if x >= 100:
        return f"{float(f'{x:.2g}'):,.0f}"
    return f"{x:.2g}"


def _times(x: float) -> str:
    return f"{_sig2(x)}×"


def _fraction(x: float) -> str:
    """``1/4,200`` for a ratio below 1."""
    return "0" if x <= 0.0 else f"1/{_sig2(1.0 / x)}"


def _share(units: Sequence[LayerUnits]) -> str:
    """``62 % of layer 2's`` or ``62 % and 75 % of layers 2 and 3's``."""
    pcts = [f"{round(100 * u.inactive_fraction)} %" for u in units]
    nums = [str(u.layer) for u in units]
    if len(units) == 1:
        return f"{pcts[0]} of layer {nums[0]}'s"
    return f"{_and(pcts)} of layers {_and(nums)}'s"


def _and(words: Sequence[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


# ── dead and saturated units over the whole training set ───────────────────────────────────


class UnitActivity:
    """Which hidden units are ever active over rows seen in chunks (the whole training set).

    Feed it the ``Z`` and ``A_f`` of each chunk's forward pass (``network.forward``, no
    dropout), then read ``result()``. A unit is active on a row where ``f′(z)`` is at least
    ``INACTIVE_SLOPE`` of its peak; ``hidden`` is the number of hidden layers.
    """

    def __init__(self, activation: str, widths: Sequence[int]) -> None:
        self.activation = activation
        self._track = activation in _PEAK_SLOPE
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
                if self.activation in _RELU_FAMILY:
                    now = (Z[l] > 0.0).any(axis=0)
                else:
                    now = (~_inactive(self.activation, f_prime(Z[l], A_f[l]))).any(axis=0)
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
