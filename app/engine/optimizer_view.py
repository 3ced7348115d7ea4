"""The optimizer's state as the protocol sends it: per layer and parameter, torch's slot names.

``OptimizerState.slots`` keeps the state tensors as a flat tuple over the parameters
``W1, b1, W2, b2, …`` (``slots[2·(l−1)]`` is ``Wˡ``'s, ``slots[2·(l−1)+1]`` is ``bˡ``'s),
each a tuple ordered as ``OPTIMIZERS[name]``. This module regroups them by layer::

    layer_state(state, 1) == {"W": {"exp_avg": W¹'s exp_avg, "exp_avg_sq": …},
                              "b": {"exp_avg": b¹'s exp_avg, "exp_avg_sq": …}}

with the names ``torch.optim`` uses in ``optimizer.state[p]``: ``momentum_buffer`` (momentum
and nesterov), ``square_avg`` (rmsprop), ``exp_avg`` and ``exp_avg_sq`` (adam). SGD keeps no
state, and no optimizer has any before its first update: both give ``None``.

``optimizer_t`` is ``OptimizerState.t``, the number of updates since the optimizer was
(re)started: 0 for a new trainer, and back to 0 whenever ``Trainer.update_hyper`` resets the
state (a new optimizer, or a new ``momentum`` under momentum/nesterov; a new learning rate
keeps it). ``Trainer.restore`` and ``History.seek`` bring back the state of the step sought,
``t`` included. Adam's bias corrections use this ``t`` (``1 − β₁ᵗ``, ``1 − β₂ᵗ``); it equals
torch's ``state[p]["step"]`` of Adam and RMSprop (torch's SGD keeps no step count).

The arrays are the state's own read-only arrays, not copies.
"""

from __future__ import annotations

from typing import TypeAlias

from app.engine.optimizers import (
    ADAM_BETA1,
    ADAM_BETA2,
    ADAM_EPS,
    OPTIMIZERS,
    RMSPROP_ALPHA,
    RMSPROP_EPS,
    OptimizerState,
)
from app.engine.types import Array

LayerState: TypeAlias = dict[str, dict[str, Array]]
"""``{"W": {slot name: array (out, in)}, "b": {slot name: array (out,)}}``."""


def optimizer_t(state: OptimizerState) -> int:
    """Updates made since the optimizer was (re)started (the ``t`` of Adam's ``β₁ᵗ``)."""
    return state.t


def layer_state(state: OptimizerState, layer: int) -> LayerState | None:
    """The state of layer ``layer`` (1-based): ``{"W": {…}, "b": {…}}`` by torch's names.

    ``None`` for SGD and before the first update (``t == 0``: every slot is still zero for
    rmsprop and adam; momentum's buffer does not exist yet, torch starts it at ``g``).
    """
    if not state.slots:
        return None
    n_layers = len(state.slots) // 2
    if not 1 <= layer <= n_layers:
        raise IndexError(f"layer must be 1..{n_layers}, not {layer!r}")
    names = OPTIMIZERS[state.name]
    i = 2 * (layer - 1)
    return {
        "W": dict(zip(names, state.slots[i], strict=True)),
        "b": dict(zip(names, state.slots[i + 1], strict=True)),
    }


def layer_states(state: OptimizerState, n_layers: int) -> list[LayerState | None]:
    """``layer_state`` for layers ``1..n_layers`` (all ``None`` for SGD or at ``t == 0``)."""
    if state.slots and len(state.slots) != 2 * n_layers:
        raise ValueError(
            f"the state holds {len(state.slots) // 2} layers, not {n_layers}: "
            "it belongs to another network"
        )
    return [layer_state(state, l) for l in range(1, n_layers + 1)]


def optimizer_constants() -> dict[str, dict[str, float]]:
    """The fixed hyperparameters of each rule (torch's defaults), for the page's formulas.

    ``{"rmsprop": {"alpha": 0.99, "eps": 1e-8}, "adam": {"beta1": 0.9, "beta2": 0.999,
    "eps": 1e-8}}``; ``η`` (``learning_rate``) and ``μ`` (``momentum``) are in the config.
    """
    return {
        "rmsprop": {"alpha": RMSPROP_ALPHA, "eps": RMSPROP_EPS},
        "adam": {"beta1": ADAM_BETA1, "beta2": ADAM_BETA2, "eps": ADAM_EPS},
    }
