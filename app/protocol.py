"""The WebSocket contract (docs/protocol.md): client messages as pydantic models.

Every incoming frame is parsed with orjson and validated by one `TypeAdapter` over a
discriminated union on ``type``. Numbers are strict: booleans are not numbers, integers must be
integers, floats must be finite. Ranges that depend on the server's limits (widths, batch size,
samples) are checked by the session, which knows them; fixed ranges live here.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import orjson
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    model_validator,
)

PROTOCOL_VERSION = 1

DATASETS = ("circle", "xor", "gauss", "spiral", "moons", "plane", "multigauss", "digits", "custom")
FEATURES = ("x1", "x2", "x1^2", "x2^2", "x1*x2", "sin(x1)", "sin(x2)")
ACTIVATIONS = ("relu", "leaky_relu", "tanh", "sigmoid", "linear")
INITS = ("he", "xavier", "uniform")
OPTIMIZERS = ("sgd", "momentum", "nesterov", "rmsprop", "adam")
UNITS = ("phase", "iteration", "epoch")
SEED_MAX = 2**31 - 1


def _reject_bool(value: Any) -> Any:
    # JSON true/false would otherwise pass as 1/0 in lax mode (FIELD-NOTES).
    if isinstance(value, bool):
        raise ValueError("booleans are not numbers")
    return value


Int = Annotated[int, BeforeValidator(_reject_bool), Field(strict=True)]
Float = Annotated[float, BeforeValidator(_reject_bool), Field(strict=True, allow_inf_nan=False)]
MessageId = (
    Annotated[str, Field(max_length=64)]
    | Annotated[int, BeforeValidator(_reject_bool), Field(strict=True, ge=-(2**63), lt=2**63)]
)

Dataset = Literal[
    "circle", "xor", "gauss", "spiral", "moons", "plane", "multigauss", "digits", "custom"
]
Feature = Literal["x1", "x2", "x1^2", "x2^2", "x1*x2", "sin(x1)", "sin(x2)"]
Activation = Literal["relu", "leaky_relu", "tanh", "sigmoid", "linear"]
Init = Literal["he", "xavier", "uniform"]
Optimizer = Literal["sgd", "momentum", "nesterov", "rmsprop", "adam"]
Unit = Literal["phase", "iteration", "epoch"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ConfigPatch(_Strict):
    """A partial config: every key optional; absent keys keep their value."""

    dataset: Dataset | None = None
    dataset_id: Annotated[str, Field(min_length=1, max_length=64)] | None = None
    samples: Annotated[Int, Field(ge=20)] | None = None
    noise: Annotated[Float, Field(ge=0, le=1)] | None = None
    test_fraction: Annotated[Float, Field(ge=0.05, le=0.9)] | None = None
    data_seed: Annotated[Int, Field(ge=0, le=SEED_MAX)] | None = None
    features: Annotated[list[Feature], Field(min_length=1, max_length=7)] | None = None
    hidden: Annotated[list[Annotated[Int, Field(ge=1)]], Field(max_length=64)] | None = None
    activation: Activation | None = None
    init: Init | None = None
    optimizer: Optimizer | None = None
    momentum: Annotated[Float, Field(ge=0, le=0.999)] | None = None
    learning_rate: Annotated[Float, Field(gt=0)] | None = None
    batch_size: Annotated[Int, Field(ge=1)] | None = None
    l1: Annotated[Float, Field(ge=0, le=1)] | None = None
    l2: Annotated[Float, Field(ge=0, le=1)] | None = None
    dropout: Annotated[Float, Field(ge=0, le=0.9)] | None = None
    seed: Annotated[Int, Field(ge=0, le=SEED_MAX)] | None = None

    @model_validator(mode="after")
    def _no_nulls(self) -> ConfigPatch:
        for key in self.model_fields_set:
            if key != "dataset_id" and getattr(self, key) is None:
                raise ValueError(f"{key} may not be null")
        return self

    def changes(self) -> dict[str, Any]:
        """The keys the client actually sent, with lists as tuples (the engine's config)."""
        sent = self.model_dump(exclude_unset=True)
        return {k: tuple(v) if isinstance(v, list) else v for k, v in sent.items()}


class _Message(_Strict):
    id: MessageId | None = None


class Configure(_Message):
    type: Literal["configure"]
    config: ConfigPatch


class Step(_Message):
    type: Literal["step"]
    unit: Unit = "iteration"
    count: Annotated[Int, Field(ge=1, le=1000)] = 1


class Back(_Message):
    type: Literal["back"]
    unit: Unit = "iteration"
    count: Annotated[Int, Field(ge=1, le=1000)] = 1


class Seek(_Message):
    type: Literal["seek"]
    step: Annotated[Int, Field(ge=0)]


class Play(_Message):
    type: Literal["play"]
    speed: Annotated[Float, Field(ge=1, le=100_000)] | None = None


class Pause(_Message):
    type: Literal["pause"]


class Ack(_Message):
    type: Literal["ack"]
    frame: Annotated[Int, Field(ge=0)]


class Reset(_Message):
    type: Literal["reset"]
    seed: Annotated[Int, Field(ge=0, le=SEED_MAX)] | None = None


class SetWeight(_Message):
    type: Literal["set_weight"]
    layer: Annotated[Int, Field(ge=1)]
    row: Annotated[Int, Field(ge=0)]
    col: Annotated[Int, Field(ge=0)]
    value: Float  # any finite magnitude (the engine reports what overflows as `diverged`)


class SetBias(_Message):
    type: Literal["set_bias"]
    layer: Annotated[Int, Field(ge=1)]
    row: Annotated[Int, Field(ge=0)]
    value: Float  # any finite magnitude (the engine reports what overflows as `diverged`)


class Follow(_Message):
    type: Literal["follow"]
    index: Annotated[Int, Field(ge=0)] | None = None
    split: Literal["train", "test"] = "train"


class GradCheck(_Message):
    type: Literal["gradcheck"]
    layer: Annotated[Int, Field(ge=1)] | None = None


class Sync(_Message):
    type: Literal["sync"]


class Ping(_Message):
    type: Literal["ping"]


ClientMessage = Annotated[
    Configure
    | Step
    | Back
    | Seek
    | Play
    | Pause
    | Ack
    | Reset
    | SetWeight
    | SetBias
    | Follow
    | GradCheck
    | Sync
    | Ping,
    Field(discriminator="type"),
]
CLIENT_TYPES = (
    "configure", "step", "back", "seek", "play", "pause", "ack", "reset", "set_weight",
    "set_bias", "follow", "gradcheck", "sync", "ping",
)  # fmt: skip
# Messages a read-only spectator may send.
WATCHER_TYPES = frozenset({"ack", "ping", "sync"})

_adapter: TypeAdapter[ClientMessage] = TypeAdapter(ClientMessage)


class ProtocolError(Exception):
    """A message the server will not act on; becomes an `error` message with this code."""

    def __init__(self, code: str, message: str, id: Any = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.id = id


def _describe(error: ValidationError) -> str:
    parts = []
    for item in error.errors()[:3]:
        loc = ".".join(str(p) for p in item["loc"])
        # The union's tag appears in the location; it tells the reader nothing.
        loc = loc.split(".", 1)[1] if "." in loc and loc.split(".", 1)[0] in CLIENT_TYPES else loc
        msg = item["msg"].removeprefix("Value error, ")
        parts.append(f"{loc or 'message'}: {msg}" if loc else msg)
    return "; ".join(parts)


def parse_client_message(raw: str | bytes) -> ClientMessage:
    """Parse and validate one incoming frame, or raise `ProtocolError`."""
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise ProtocolError("bad_json", f"not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ProtocolError("bad_json", "a message must be a JSON object")
    msg_id = _echoable_id(data.get("id"))
    kind = data.get("type")
    if kind not in CLIENT_TYPES:
        allowed = ", ".join(CLIENT_TYPES)
        raise ProtocolError(
            "unknown_type",
            f"unknown message type {_short(kind)}; expected one of {allowed}",
            msg_id,
        )
    try:
        return _adapter.validate_python(data)
    except ValidationError as exc:
        raise ProtocolError("invalid_message", f"{kind}: {_describe(exc)}", msg_id) from None


def _echoable_id(value: Any) -> str | int | None:
    """The client's `id` if it is a valid one (echoed even when the rest is invalid)."""
    if isinstance(value, str) and len(value) <= 64:
        return value
    if isinstance(value, int) and not isinstance(value, bool) and -(2**63) <= value < 2**63:
        return value
    return None


def _short(value: Any) -> str:
    """A client's value, quoted in an error message, cut short (errors never echo 64 KiB)."""
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def dumps(message: dict[str, Any]) -> str:
    """Encode a server message; numpy arrays are written as nested lists of round-trip floats."""
    return orjson.dumps(message, option=orjson.OPT_SERIALIZE_NUMPY, default=_fallback).decode()


def _fallback(obj: Any) -> Any:
    import numpy as np

    if isinstance(obj, np.ndarray):
        # orjson serializes only C-contiguous arrays of native types itself.
        return np.ascontiguousarray(obj, dtype=np.float64 if obj.dtype.kind == "f" else None)
    if isinstance(obj, tuple | set | frozenset):
        return list(obj)
    raise TypeError(f"cannot encode {type(obj).__name__}")
