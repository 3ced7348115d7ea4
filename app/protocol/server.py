"""Server messages: their types, which of them spectators get, and their encoding."""

from __future__ import annotations

from typing import Any

import numpy as np
import orjson

Message = dict[str, Any]
Phase = tuple[str, int | None]

# The types a controller's socket receives (docs/protocol.md, "Server → client").
SERVER_TYPES = frozenset(
    {"hello", "data", "state", "series", "phase", "iteration", "frame", "sample", "config",
     "status", "diverged", "gradcheck", "pong", "error", "taken_over", "loss_slice",
     "runs", "experiment"}
)  # fmt: skip
# What a session's spectators are sent of its controller's messages: the training itself.
# Never `hello` (it carries the token and watch key; spectators get their own), nor the
# replies meant for one socket (`error`, `pong`, `taken_over`).
SPECTATOR_TYPES = SERVER_TYPES - {"hello", "error", "pong", "taken_over"}


def dumps(message: Message) -> str:
    """Encode a server message; numpy arrays are written as nested lists of round-trip floats."""
    return orjson.dumps(message, option=orjson.OPT_SERIALIZE_NUMPY, default=_fallback).decode()


def _fallback(obj: Any) -> Any:
    if isinstance(obj, np.ndarray):
        # orjson serializes only C-contiguous arrays of native types itself.
        return np.ascontiguousarray(obj, dtype=np.float64 if obj.dtype.kind == "f" else None)
    if isinstance(obj, tuple | set | frozenset):
        return list(obj)
    raise TypeError(f"cannot encode {type(obj).__name__}")


def with_id(message: Message, msg_id: Any) -> Message:
    """`message` answering the client message `msg_id` (unchanged when there is none)."""
    return {**message, "id": msg_id} if msg_id is not None else message


def phase_order(n_layers: int) -> list[Phase]:
    """The phases of one iteration: forward 1..L, loss, backward L..1, update."""
    forward: list[Phase] = [("forward", l) for l in range(1, n_layers + 1)]
    backward: list[Phase] = [("backward", l) for l in range(n_layers, 0, -1)]
    return [*forward, ("loss", None), *backward, ("update", None)]
