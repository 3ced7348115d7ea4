"""Advice texts of gradient health: one or two sentences per diagnosed cause, for a learner.

The per-step rules (``diagnostics.compute``) and the whole-training-set unit health
(``unit_health.UnitHealth``) decide *what* is wrong; this module says it in words, with the
measured figures, and names the remedies (``Fix``) for machines.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

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


class InactiveShare(Protocol):
    """A hidden layer (1-based ``layer``) and the fraction of its units inactive on every row."""

    @property
    def layer(self) -> int: ...

    @property
    def inactive_fraction(self) -> float: ...


# ── the per-step causes: exploding, large updates, vanishing ──────────────────────────────


def step_advice(
    activation: str,
    fprime: Sequence[float | None],
    rho: Sequence[float],
    ratio: Sequence[float | None],
    vanishing: Sequence[bool],
    exploding: Sequence[bool],
    large: Sequence[bool],
) -> tuple[Advice, ...]:
    """Advice for one step's flags, per layer 0..L − 1: ``fprime`` the mean f′(Zˡ) (``None``
    for the output layer), ``rho`` = RMS(dZˡ), ``ratio`` = ‖ΔW‖/‖W‖, ``vanishing`` /
    ``exploding`` the flags along the depth and ``large`` the update-ratio flags."""
    out: list[Advice] = []
    L = len(fprime)
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
        hidden = [f for f in fprime[:-1] if f is not None]
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


# ── the whole-training-set causes: dead and saturated units ───────────────────────────────


def unit_advice(
    activation: str,
    rows: int,
    dead: Sequence[InactiveShare],
    saturated: Sequence[InactiveShare],
) -> tuple[Advice, ...]:
    """Advice for the layers flagged ``dead`` and ``saturated`` over ``rows`` training samples."""
    out: list[Advice] = []
    if dead:
        out.append(
            Advice(
                "dead",
                tuple(u.layer for u in dead),
                ("leaky_relu", "lower_learning_rate"),
                f"{_share(dead)} ReLU units output 0 for every one of the {rows} "
                "training samples: dead, f′ = 0, so no gradient reaches their weights "
                "and they stop learning. Fix: leaky ReLU (slope 0.01 below 0 keeps a "
                "gradient), or a lower learning rate.",
            )
        )
    if saturated:
        if activation == "leaky_relu":
            text = (
                f"{_share(saturated)} leaky-ReLU units are negative for every one of the "
                f"{rows} training samples: they pass only 1 % of the gradient "
                "(slope 0.01). Fix: a lower learning rate or smaller initial weights."
            )
            fixes: tuple[Fix, ...] = ("lower_learning_rate", "smaller_init")
        else:
            text = (
                f"{_share(saturated)} {activation} units are saturated for every one of "
                f"the {rows} training samples: f′ is below 2 % of its peak, so "
                "almost no gradient passes. Fix: smaller initial weights (Xavier), a lower "
                "learning rate, or a ReLU-family activation."
            )
            fixes = ("smaller_init", "lower_learning_rate", "relu_activation")
        out.append(Advice("saturated", tuple(u.layer for u in saturated), fixes, text))
    return tuple(out)


# ── wording ────────────────────────────────────────────────────────────────────────────────


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


def _share(units: Sequence[InactiveShare]) -> str:
    """``62 % of layer 2's`` or ``62 % and 75 % of layers 2 and 3's``."""
    pcts = [f"{round(100 * u.inactive_fraction)} %" for u in units]
    nums = [str(u.layer) for u in units]
    if len(units) == 1:
        return f"{pcts[0]} of layer {nums[0]}'s"
    return f"{_and(pcts)} of layers {_and(nums)}'s"


def _and(words: Sequence[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]
