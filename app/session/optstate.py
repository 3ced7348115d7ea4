"""The optimizer's state in protocol messages (docs/protocol.md, "Optimizer state and the loss
along a step"): `layers[l]["opt"]` and `optimizer_t`, added to `iteration`, the `update` phase
and `state`; `optimizer_constants` in `hello` and `GET /api/options`.

The arrays are the engine's own read-only state arrays (no copies); `protocol.dumps` writes them
as round-trip floats. SGD keeps no state, and no optimizer has any at `optimizer_t` 0: then no
layer gets an `opt` key.
"""

from __future__ import annotations

from app.engine.optimizer_view import layer_states, optimizer_constants
from app.engine.optimizers import OptimizerState
from app.protocol import Message

__all__ = ["add_state", "optimizer_constants"]


def add_state(layers: list[Message], state: OptimizerState) -> int:
    """Add `opt` (torch's slot names for `W` and `b`) to each layer's message in place and
    return `optimizer_t`, the updates since the optimizer was (re)started."""
    for layer, opt in zip(layers, layer_states(state, len(layers)), strict=True):
        if opt is not None:
            layer["opt"] = opt
    return state.t
