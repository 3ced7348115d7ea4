"""Optimizers with exactly the update rules of ``torch.optim`` (defaults as in torch).

Every rule is a pure function: it takes the gradients and the optimizer's state and returns
the update ``Δ`` for each parameter and a *new* state; nothing is modified in place, so old
states and records stay valid (that is what makes rewinding cheap). The caller applies
``p ← p + Δ``. Regularisation enters through the gradient, never as weight decay here.

With ``g`` the gradient, ``lr`` the learning rate and ``t`` the step count (from 1):

* ``sgd``: ``Δ = −lr·g``.
* ``momentum`` (``torch.optim.SGD(momentum=μ, dampening=0)``): ``buf = g`` on the first step,
  then ``buf = μ·buf + g``; ``Δ = −lr·buf``.
* ``nesterov`` (the same with ``nesterov=True``): ``buf`` as above, ``Δ = −lr·(g + μ·buf)``.
* ``rmsprop`` (``alpha=0.99, eps=1e-8``, not centred): ``square_avg = α·square_avg +
  (1 − α)·g²`` starting from 0; ``Δ = −lr·g / (√square_avg + eps)`` (eps added after the root).
* ``adam`` (``betas=(0.9, 0.999), eps=1e-8``): ``exp_avg = exp_avg + (1 − β₁)·(g − exp_avg)``
  (torch's ``lerp``), ``exp_avg_sq = β₂·exp_avg_sq + (1 − β₂)·g²``, both from 0;
  ``Δ = −(lr / (1 − β₁ᵗ))·exp_avg / (√exp_avg_sq / √(1 − β₂ᵗ) + eps)``.

Each rule below is one small function ``rule(grads, slots, lr, momentum, t) → (updates, slots)``
with torch's formula in its docstring; ``slots`` is empty before the first update. ``RULES``
is the table ``optimizer_step`` dispatches through. State slot names are torch's: ``momentum_buffer``, ``square_avg``, ``exp_avg``, ``exp_avg_sq``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np

from app.engine.types import Array

RMSPROP_ALPHA = 0.99
RMSPROP_EPS = 1e-8
ADAM_BETA1 = 0.9
ADAM_BETA2 = 0.999
ADAM_EPS = 1e-8


Slots = tuple[tuple[Array, ...], ...]
"""Per parameter (``W1, b1, W2, b2, …``) the state tensors of an optimizer."""

RuleFn = Callable[[Sequence[Array], Slots, float, float, int], tuple[list[Array], Slots]]


def _frozen(a: Array) -> Array:
    a.setflags(write=False)  # the trainer keeps the state: nobody may change it
    return a


def sgd(
    grads: Sequence[Array], slots: Slots, lr: float, momentum: float, t: int
) -> tuple[list[Array], Slots]:
    """``torch.optim.SGD()``: ``Δ = −lr·g``; no state."""
    return [(-lr) * g for g in grads], ()


def _momentum_buffers(grads: Sequence[Array], slots: Slots, momentum: float) -> list[Array]:
    """``buf = g`` on the first step, then ``buf = μ·buf + g`` (torch, ``dampening=0``)."""
    return [g if not slots else momentum * slots[i][0] + g for i, g in enumerate(grads)]


def sgd_momentum(
    grads: Sequence[Array], slots: Slots, lr: float, momentum: float, t: int
) -> tuple[list[Array], Slots]:
    """``torch.optim.SGD(momentum=μ)``: ``buf = μ·buf + g`` (``g`` at first), ``Δ = −lr·buf``."""
    bufs = _momentum_buffers(grads, slots, momentum)
    return [(-lr) * buf for buf in bufs], tuple((_frozen(buf),) for buf in bufs)


def nesterov(
    grads: Sequence[Array], slots: Slots, lr: float, momentum: float, t: int
) -> tuple[list[Array], Slots]:
    """``torch.optim.SGD(momentum=μ, nesterov=True)``: ``buf`` as momentum's,
    ``Δ = −lr·(g + μ·buf)``."""
    bufs = _momentum_buffers(grads, slots, momentum)
    updates = [(-lr) * (g + momentum * buf) for g, buf in zip(grads, bufs, strict=True)]
    return updates, tuple((_frozen(buf),) for buf in bufs)


def rmsprop(
    grads: Sequence[Array], slots: Slots, lr: float, momentum: float, t: int
) -> tuple[list[Array], Slots]:
    """``torch.optim.RMSprop(alpha=0.99, eps=1e-8)``: ``square_avg = α·square_avg +
    (1 − α)·g²`` (from 0), ``Δ = −lr·g / (√square_avg + eps)``."""
    updates: list[Array] = []
    new: list[tuple[Array, ...]] = []
    for i, g in enumerate(grads):
        gg = g * g
        if not slots:
            square_avg = (1.0 - RMSPROP_ALPHA) * gg
        else:
            square_avg = RMSPROP_ALPHA * slots[i][0] + (1.0 - RMSPROP_ALPHA) * gg
        avg = np.sqrt(square_avg) + RMSPROP_EPS
        updates.append(((-lr) * g) / avg)
        new.append((_frozen(square_avg),))
    return updates, tuple(new)


def adam(
    grads: Sequence[Array], slots: Slots, lr: float, momentum: float, t: int
) -> tuple[list[Array], Slots]:
    """``torch.optim.Adam(betas=(0.9, 0.999), eps=1e-8)``: ``exp_avg = exp_avg + (1 − β₁)·(g −
    exp_avg)``, ``exp_avg_sq = β₂·exp_avg_sq + (1 − β₂)·g²`` (both from 0),
    ``Δ = −(lr / (1 − β₁ᵗ))·exp_avg / (√exp_avg_sq / √(1 − β₂ᵗ) + eps)``."""
    step_size = lr / (1.0 - ADAM_BETA1**t)
    bias_correction2_sqrt = math.sqrt(1.0 - ADAM_BETA2**t)
    updates: list[Array] = []
    new: list[tuple[Array, ...]] = []
    for i, g in enumerate(grads):
        if not slots:
            exp_avg = (1.0 - ADAM_BETA1) * g
            exp_avg_sq = (1.0 - ADAM_BETA2) * (g * g)
        else:
            m, v = slots[i]
            exp_avg = m + (1.0 - ADAM_BETA1) * (g - m)
            exp_avg_sq = ADAM_BETA2 * v + (1.0 - ADAM_BETA2) * (g * g)
        denom = np.sqrt(exp_avg_sq) / bias_correction2_sqrt + ADAM_EPS
        updates.append(((-step_size) * exp_avg) / denom)
        new.append((_frozen(exp_avg), _frozen(exp_avg_sq)))
    return updates, tuple(new)


@dataclass(frozen=True)
class Rule:
    """An optimizer: its update ``step``, the torch names of its ``slots`` per parameter, and
    whether its last slot sums ``g²`` (which can overflow while ``g`` and ``W`` stay finite)."""

    step: RuleFn
    slots: tuple[str, ...]
    squares: bool = False


RULES: Mapping[str, Rule] = MappingProxyType(
    {
        "sgd": Rule(sgd, ()),
        "momentum": Rule(sgd_momentum, ("momentum_buffer",)),
        "nesterov": Rule(nesterov, ("momentum_buffer",)),
        "rmsprop": Rule(rmsprop, ("square_avg",), squares=True),
        "adam": Rule(adam, ("exp_avg", "exp_avg_sq"), squares=True),
    }
)
"""Optimizer names → their rule, in the order the page lists them."""

OPTIMIZERS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {name: rule.slots for name, rule in RULES.items()}
)
"""Optimizer names → the names of the state tensors each keeps per parameter."""


@dataclass(frozen=True)
class OptimizerState:
    """An optimizer's state after ``t`` updates.

    ``slots[i]`` holds the state tensors of parameter ``i`` (in the order ``W1, b1, W2, b2,
    …``), named by ``OPTIMIZERS[name]``; it is empty before the first update. The arrays are
    never modified after creation.
    """

    name: str
    t: int
    slots: tuple[tuple[Array, ...], ...]

    @staticmethod
    def initial(name: str) -> OptimizerState:
        """The state before the first update."""
        if name not in RULES:
            raise ValueError(f"unknown optimizer {name!r}; choose one of {', '.join(RULES)}")
        return OptimizerState(name, 0, ())

    def named(self, index: int) -> dict[str, Array]:
        """State tensors of parameter ``index`` by their torch names (empty before step 1)."""
        if not self.slots:
            return {}
        return dict(zip(OPTIMIZERS[self.name], self.slots[index], strict=True))

    @property
    def nbytes(self) -> int:
        """Memory held by the state tensors."""
        return sum(a.nbytes for slot in self.slots for a in slot)


def optimizer_step(
    state: OptimizerState, grads: Sequence[Array], lr: float, momentum: float
) -> tuple[list[Array], OptimizerState]:
    """One update: returns the parameter changes ``Δ`` (apply ``p + Δ``) and the new state.

    ``grads`` are the full gradients (data + regularisation) in the order ``W1, b1, W2, …``.
    The returned arrays are new; callers must not modify them (records share them).
    """
    t = state.t + 1
    updates, slots = RULES[state.name].step(grads, state.slots, lr, momentum, t)
    return updates, OptimizerState(state.name, t, slots)


@dataclass(frozen=True)
class Update:
    """One optimizer step applied: ``updates`` ``Δ`` per parameter (``W1, b1, W2, …``), the
    new weights ``W_next[l] = W[l] + Δ`` ``(out, in)`` and biases ``b_next`` ``(out,)``, and
    the optimizer's new ``state``."""

    updates: list[Array]
    W_next: list[Array]
    b_next: list[Array]
    state: OptimizerState


def apply_update(
    state: OptimizerState,
    W: Sequence[Array],
    b: Sequence[Array],
    dW: Sequence[Array],
    db: Sequence[Array],
    lr: float,
    momentum: float,
) -> Update:
    """``optimizer_step`` on the gradients ``dW``, ``db`` of every layer, and ``p + Δ``."""
    L = len(W)
    grads = [g for l in range(L) for g in (dW[l], db[l])]
    updates, new_state = optimizer_step(state, grads, lr, momentum)
    W_next = [W[l] + updates[2 * l] for l in range(L)]
    b_next = [b[l] + updates[2 * l + 1] for l in range(L)]
    return Update(updates, W_next, b_next, new_state)
