"""Release 1's saved trainer states, read by an explicit map of its class names.

Release 1 wrote a trainer state as a JSON skeleton: ``{"__dataclass__": "module:Class",
"fields": {…}}`` for its dataclasses, ``{"__tuple__": […]}``, ``{"__dict__": {…}}`` and
``{"__array__": key}`` for an array stored beside it. Only the three classes below ever
appeared in a state; each is mapped by its release-1 name to today's constructor (nothing is
imported by name). Anything else is refused with ``StateFormatError``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from app.engine.config import TrainConfig
from app.engine.optimizers import OptimizerState
from app.engine.state import StateFormatError, TrainerState, from_arrays, to_arrays
from app.engine.types import AnyArray

RELEASE1_CLASSES: Mapping[str, Callable[..., Any]] = {
    "app.engine.trainer:TrainerState": TrainerState,
    "app.engine.config:TrainConfig": TrainConfig,
    "app.engine.optimizers:OptimizerState": OptimizerState,
}
"""Release 1's ``module:qualname`` of each class in a saved state → today's constructor."""


def from_release1(skeleton: Any, arrays: Mapping[str, AnyArray]) -> TrainerState:
    """The ``TrainerState`` a release-1 skeleton describes, checked like a current one.

    ``arrays`` holds the skeleton's arrays by key (e.g. the open ``.npz``). The state is
    passed through ``to_arrays`` / ``from_arrays``, so it gets exactly the checks (shapes,
    dtypes, random-generator states) a state of the current format gets.
    """
    try:
        state = _decode(skeleton, arrays)
        if not isinstance(state, TrainerState):
            raise StateFormatError("a release-1 state must be a TrainerState")
        header, named = to_arrays(state)
    except StateFormatError:
        raise
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise StateFormatError(f"release-1 state: {type(exc).__name__}: {exc}") from None
    return from_arrays(header, named)


def _decode(node: Any, arrays: Mapping[str, AnyArray]) -> Any:
    if isinstance(node, list):
        return [_decode(v, arrays) for v in node]
    if not isinstance(node, dict):
        return node
    if "__array__" in node:
        return np.array(arrays[node["__array__"]])
    if "__tuple__" in node:
        return tuple(_decode(v, arrays) for v in node["__tuple__"])
    if "__dict__" in node:
        return {k: _decode(v, arrays) for k, v in node["__dict__"].items()}
    if "__dataclass__" in node:
        make = RELEASE1_CLASSES.get(node["__dataclass__"])
        if make is None:
            raise StateFormatError(f"unknown release-1 class {node['__dataclass__']!r}")
        return make(**{k: _decode(v, arrays) for k, v in node["fields"].items()})
    raise StateFormatError("unknown node in a release-1 state")
