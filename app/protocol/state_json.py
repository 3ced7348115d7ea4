"""The trainer's complete state as JSON: the `trainer_state` of a session export.

`app.engine.to_arrays` / `from_arrays` define what a trainer's state is (weights, optimizer
slots and t, data order and position, both random generators, step, epoch) as a small header
and named arrays; checkpoints store exactly that in an `.npz`. This module writes the same
header and arrays into JSON without losing a bit, and reads them back strictly:

* every array is ``{"dtype": "<f8" | "<i8", "shape": [...], "data": <base64>}``: the base64 of
  its raw little-endian bytes, so each float64 comes back with the same 64 bits (decimal text
  would depend on every client's float printing);
* the header is `to_arrays`'s, except that the generators' 128-bit ``state`` and ``inc`` are
  decimal strings: a JavaScript number holds 53 bits, and the page parses and re-serialises a
  file it downloads or imports (every other integer is at most 2**53 - 1 and stays a number).

The version is ``format`` (`STATE_JSON_FORMAT`); the header keeps its own (`STATE_FORMAT`).
`decode_state` refuses, with `StateFormatError` naming the array or field, anything
`to_arrays` could not have written: another version, an unknown, missing or wrongly typed
array, a shape other than the network's, base64 that is not exactly ``8 × elements`` bytes, a
non-finite number, a negative second moment, counters beyond 2**53 - 1, and more numbers than
the server's limits allow (checked before any base64 is decoded). Whether the state fits the
network and data of a particular session is `Trainer.restore`'s check.
"""

from __future__ import annotations

import base64
import binascii
import math
import re
from collections.abc import Mapping
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from app.engine import (
    OPTIMIZERS,
    STATE_FORMAT,
    StateFormatError,
    TrainerState,
    from_arrays,
    to_arrays,
)
from app.engine.types import AnyArray

STATE_JSON_FORMAT: Literal["backprop-lab/trainer-state-json@1"] = (
    "backprop-lab/trainer-state-json@1"
)
MAX_COUNTER = 2**53 - 1
"""The largest integer a JavaScript number holds exactly: the bound of step, epoch and t."""

# An array's dtype by name: the data order is int64, everything else float64.
INT_ARRAYS = frozenset({"order"})
# Slots that hold squares (RMSprop's and Adam's second moments): never negative.
SQUARE_SLOTS = frozenset({"square_avg", "exp_avg_sq"})
_BIG_INT = re.compile(r"[0-9]{1,39}")  # 2**128 has 39 digits
_GENERATORS = ("rng_order", "rng_dropout")


class EncodedArray(BaseModel):
    """One array: its dtype (little-endian), its shape, and its raw bytes in base64."""

    model_config = ConfigDict(extra="forbid")

    dtype: Literal["<f8", "<i8"]
    shape: Annotated[
        list[Annotated[int, Field(strict=True, ge=0, le=MAX_COUNTER)]], Field(max_length=2)
    ]
    data: str


class TrainerStateJSON(BaseModel):
    """`to_arrays`'s header and arrays in JSON (see the module docstring)."""

    model_config = ConfigDict(extra="forbid")

    format: Literal["backprop-lab/trainer-state-json@1"] = STATE_JSON_FORMAT
    header: dict[str, Any]
    arrays: Annotated[
        dict[Annotated[str, Field(max_length=64)], EncodedArray], Field(max_length=1024)
    ]


def encode_state(state: TrainerState) -> TrainerStateJSON:
    """The state as JSON, every bit kept (``decode_state`` gives it back)."""
    header, arrays = to_arrays(state)
    encoded = {}
    for name, a in arrays.items():
        raw = np.ascontiguousarray(a, dtype=a.dtype.newbyteorder("<"))
        encoded[name] = EncodedArray(
            dtype=raw.dtype.str,  # type: ignore[arg-type]  # "<f8" or "<i8"
            shape=list(raw.shape),
            data=base64.b64encode(raw.tobytes()).decode("ascii"),
        )
    out = dict(header)
    for key in _GENERATORS:
        generator = dict(header[key])
        inner = generator["state"]
        generator["state"] = {"state": str(inner["state"]), "inc": str(inner["inc"])}
        out[key] = generator
    return TrainerStateJSON(header=out, arrays=encoded)


def max_floats(max_parameters: int) -> int:
    """The float64 numbers a state of a network of ``max_parameters`` holds at most: the
    weights and up to two optimizer slots per weight (Adam's)."""
    return max_parameters * (1 + max(len(slots) for slots in OPTIMIZERS.values()))


def decode_state(doc: TrainerStateJSON, *, max_float_count: int, max_rows: int) -> TrainerState:
    """The state ``encode_state`` wrote, checked; ``StateFormatError`` says what is wrong.

    ``max_float_count`` bounds the float64 numbers of all arrays together (``max_floats`` of
    the server's ``max_parameters``), ``max_rows`` the data order's length (``max_samples``).
    """
    _check_sizes(doc.arrays, max_float_count, max_rows)
    arrays = {name: _decode(name, a) for name, a in doc.arrays.items()}
    header = _header(doc.header)
    state = from_arrays(header, arrays)
    opt = state.optimizer
    if opt.name != state.config.optimizer:
        raise StateFormatError(
            f"header: optimizer {opt.name!r} differs from the config's {state.config.optimizer!r}"
        )
    written_header, written = to_arrays(state)
    extra = sorted(set(arrays) - set(written))
    if extra:
        raise StateFormatError(f"unexpected array {extra[0]!r} (not part of this state)")
    extra = sorted(set(header) - set(written_header))
    if extra:
        raise StateFormatError(f"unexpected header field {extra[0]!r}")
    _check_values(state, written)
    return state


def _check_sizes(arrays: Mapping[str, EncodedArray], max_float_count: int, max_rows: int) -> None:
    """Numbers within the limits and base64 of exactly their size, before decoding any."""
    floats = 0
    for name, a in arrays.items():
        want = "<i8" if name in INT_ARRAYS else "<f8"
        if a.dtype != want:
            raise StateFormatError(f"array {name!r} must be {want}, not {a.dtype}")
        count = math.prod(a.shape)
        if name in INT_ARRAYS and count > max_rows:
            raise StateFormatError(
                f"array {name!r} has {count} rows; this server's data sets have at most {max_rows}"
            )
        floats += count if name not in INT_ARRAYS else 0
        if floats > max_float_count:
            raise StateFormatError(
                f"the arrays hold more than {max_float_count} numbers (this server's"
                " max_parameters, with the optimizer's slots)"
            )
        length = 4 * -(-8 * count // 3)  # base64 of 8 bytes per element, padded
        if len(a.data) != length:
            raise StateFormatError(
                f"array {name!r}: {len(a.data)} base64 characters for shape {a.shape};"
                f" {length} expected (truncated or padded?)"
            )


def _decode(name: str, a: EncodedArray) -> AnyArray:
    try:
        raw = base64.b64decode(a.data, validate=True)
    except (binascii.Error, ValueError):
        raise StateFormatError(f"array {name!r}: data is not base64") from None
    count = math.prod(a.shape)
    if len(raw) != 8 * count:
        raise StateFormatError(f"array {name!r}: {len(raw)} bytes, {8 * count} expected")
    native = np.int64 if a.dtype == "<i8" else np.float64
    return np.frombuffer(raw, dtype=a.dtype).astype(native).reshape(a.shape)


def _header(given: Mapping[str, Any]) -> dict[str, Any]:
    """`to_arrays`'s header: the generators' decimal strings back to integers."""
    if given.get("format") != STATE_FORMAT:
        raise StateFormatError(
            f"header: unknown trainer-state format {given.get('format')!r}; {STATE_FORMAT!r}"
            " expected"
        )
    header = dict(given)
    for key in _GENERATORS:
        generator = header.get(key)
        inner = generator.get("state") if isinstance(generator, Mapping) else None
        if not isinstance(generator, Mapping) or not isinstance(inner, Mapping):
            raise StateFormatError(f"header: {key} must be a PCG64 state")
        ints = {}
        for field in ("state", "inc"):
            value = inner.get(field)
            if not isinstance(value, str) or not _BIG_INT.fullmatch(value):
                raise StateFormatError(
                    f"header: {key}.state.{field} must be a decimal string of at most 39 digits"
                )
            ints[field] = int(value)
        header[key] = {**generator, "state": ints}
    return header


def _check_values(state: TrainerState, arrays: Mapping[str, AnyArray]) -> None:
    """What `from_arrays` leaves to `Trainer.restore`, checked here with the array's name,
    and what only an import must refuse (counters a page cannot hold, slots without updates)."""
    for name, a in arrays.items():
        if name in INT_ARRAYS:
            continue
        if not np.isfinite(a).all():
            raise StateFormatError(f"array {name!r} holds a non-finite number (NaN or ±inf)")
        if name.split(".")[0] in SQUARE_SLOTS and (a < 0).any():
            raise StateFormatError(f"array {name!r} holds a negative square average")
    opt = state.optimizer
    for field, value in (("step", state.step), ("epoch", state.epoch), ("optimizer.t", opt.t)):
        if value > MAX_COUNTER:
            raise StateFormatError(f"header: {field} must be at most 2**53 - 1")
    if not state.position < len(state.order):
        raise StateFormatError(f"header: position must be below {len(state.order)}")
    if OPTIMIZERS[opt.name] and bool(opt.slots) != (opt.t > 0):
        raise StateFormatError(
            "header: an optimizer stores its slots from its first update on (t ≥ 1), not before"
        )
