"""Divergence: the one cheap test that a step stayed finite, and where it did not."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from app.engine.network import Pass
from app.engine.optimizers import RULES, OptimizerState
from app.engine.types import Array


class Diverged(Exception):
    """Training produced a non-finite value; the trainer was left as before the step.

    ``step`` is the step that failed (``trainer.step + 1``), ``layer`` the 1-based layer
    (``None`` for the loss), ``quantity`` one of ``loss``, ``Z``, ``A``, ``dZ``, ``dW``,
    ``db``, ``W``, ``b`` (``W``/``b`` = after the update) or ``optimizer`` (its state, e.g.
    Adam's ``exp_avg_sq`` overflowing).
    """

    def __init__(self, step: int, layer: int | None, quantity: str, learning_rate: float) -> None:
        where = "the loss" if layer is None else f"{quantity} of layer {layer}"
        self.step = step
        self.layer = layer
        self.quantity = quantity
        self.message = (
            f"diverged at step {step}: {where} is not a finite number "
            f"(learning rate {learning_rate:g} may be too high)"
        )
        super().__init__(self.message)


def all_finite(
    ps: Pass, W_next: Sequence[Array], b_next: Sequence[Array], opt: OptimizerState
) -> bool:
    """Whether the loss, every hidden ``Z``, the new weights and a ``g²`` slot are finite.

    One sum over them all: a sum is finite only if all its terms are (an overflowing sum of
    finite terms counts as diverged too: the weights are then beyond ~1e300). The other
    quantities are finite when these are.
    """
    L = len(W_next)
    total = ps.loss + ps.reg_loss
    for l in range(L):
        total += W_next[l].sum() + b_next[l].sum()
        if l < L - 1:
            total += ps.Z[l].sum()
    if RULES[opt.name].squares:  # g² may overflow while g and W stay finite
        for slot in opt.slots:
            total += slot[-1].sum()
    return math.isfinite(total)


def locate_nonfinite(
    ps: Pass, W_next: Sequence[Array], b_next: Sequence[Array], opt: OptimizerState
) -> tuple[int | None, str]:
    """The first non-finite quantity in the order of computation: ``(layer, quantity)``."""
    L = len(ps.Z)

    def bad(a: Array | None) -> bool:
        return a is not None and not bool(np.isfinite(a).all())

    for l in range(L):
        if bad(ps.Z[l]):
            return l + 1, "Z"
        if bad(ps.A[l]):
            return l + 1, "A"
    if not math.isfinite(ps.loss + ps.reg_loss):
        return None, "loss"
    for l in range(L - 1, -1, -1):
        for name, a in (("dZ", ps.dZ[l]), ("dW", ps.dW[l]), ("db", ps.db[l])):
            if bad(a):
                return l + 1, name
    for l in range(L):
        if bad(W_next[l]):
            return l + 1, "W"
        if bad(b_next[l]):
            return l + 1, "b"
    for i, slot in enumerate(opt.slots):
        if any(bad(a) for a in slot):
            return i // 2 + 1, "optimizer"
    # Every value is finite but a sum overflowed: the weights are beyond ~1e300.
    return next((l + 1 for l in range(L) if not math.isfinite(float(W_next[l].sum()))), L), "W"
