"""Client messages (docs/protocol.md) as pydantic models, built from the engine's tables.

Every incoming frame is parsed with orjson and validated by one `TypeAdapter` over a
discriminated union on ``type``. The choices of each option field are `app.engine.options.OPTIONS`
(the engine's registries) and the bounds of each numeric field are its `RANGES`, turned into
pydantic constraints here. Numbers are strict: booleans are not numbers, integers must be
integers, floats must be finite. Ranges that depend on the server's `Limits` (widths, batch size,
samples, learning rate) are checked by `app.limits.check_limits`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Literal

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

from app.engine.options import OPTIONS, RANGES, Range

PROTOCOL_VERSION = 1

DATASETS = OPTIONS["dataset"]
FEATURES = OPTIONS["features"]
ACTIVATIONS = OPTIONS["activation"]
INITS = OPTIONS["init"]
OPTIMIZERS = OPTIONS["optimizer"]
UNITS = ("phase", "iteration", "epoch")
MAX_STEP_COUNT = 1000  # `step` and `back` take count 1..1000
MAX_HIDDEN_LIST = 64  # a list longer than this is refused before any limit is looked at


def _reject_bool(value: Any) -> Any:
    # Pydantic's lax mode would take JSON true/false as the integers 1/0.
    if isinstance(value, bool):
        raise ValueError("booleans are not numbers")
    return value


Int = Annotated[int, BeforeValidator(_reject_bool), Field(strict=True)]
Float = Annotated[float, BeforeValidator(_reject_bool), Field(strict=True, allow_inf_nan=False)]
MessageId = (
    Annotated[str, Field(max_length=64)]
    | Annotated[int, BeforeValidator(_reject_bool), Field(strict=True, ge=-(2**63), lt=2**63)]
)


def _bound(x: float, integer: bool) -> int | float:
    """Integral bounds as ints: pydantic then says "≥ 0", as release 1 did, not "≥ 0.0"."""
    return int(x) if integer or float(x).is_integer() else x


def ranged(name: str) -> Any:
    """The type of numeric field `name`: `Int` or `Float` constrained to `RANGES[name]`."""
    r: Range = RANGES[name]
    bounds: dict[str, int | float] = {}
    if r.min is not None:
        bounds["gt" if r.min_exclusive else "ge"] = _bound(r.min, r.integer)
    if r.max is not None:
        bounds["lt" if r.max_exclusive else "le"] = _bound(r.max, r.integer)
    return Annotated[Int if r.integer else Float, Field(**bounds)]  # type: ignore[call-overload]


if TYPE_CHECKING:  # what a checker sees; pydantic validates the real types below
    Dataset = str
    Feature = str
    Activation = str
    Init = str
    Optimizer = str
    Unit = str
    Samples = int
    DataSeed = int
    Seed = int
    Width = int
    BatchSize = int
    Noise = float
    TestFraction = float
    Momentum = float
    LearningRate = float
    L1 = float
    L2 = float
    Dropout = float
else:
    Dataset = Literal[DATASETS]
    Feature = Literal[FEATURES]
    Activation = Literal[ACTIVATIONS]
    Init = Literal[INITS]
    Optimizer = Literal[OPTIMIZERS]
    Unit = Literal[UNITS]
    Samples, Noise, TestFraction = ranged("samples"), ranged("noise"), ranged("test_fraction")
    Width, Momentum, LearningRate = ranged("hidden"), ranged("momentum"), ranged("learning_rate")
    BatchSize, L1 = ranged("batch_size"), ranged("l1")
    L2, Dropout = ranged("l2"), ranged("dropout")
    Seed, DataSeed = ranged("seed"), ranged("data_seed")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ConfigPatch(_Strict):
    """A partial config: every key optional; absent keys keep their value."""

    dataset: Dataset | None = None
    dataset_id: Annotated[str, Field(min_length=1, max_length=64)] | None = None
    samples: Samples | None = None
    noise: Noise | None = None
    test_fraction: TestFraction | None = None
    data_seed: DataSeed | None = None
    features: Annotated[list[Feature], Field(min_length=1, max_length=len(FEATURES))] | None = None
    hidden: Annotated[list[Width], Field(max_length=MAX_HIDDEN_LIST)] | None = None
    activation: Activation | None = None
    init: Init | None = None
    optimizer: Optimizer | None = None
    momentum: Momentum | None = None
    learning_rate: LearningRate | None = None
    batch_size: BatchSize | None = None
    l1: L1 | None = None
    l2: L2 | None = None
    dropout: Dropout | None = None
    seed: Seed | None = None

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
    count: Annotated[Int, Field(ge=1, le=MAX_STEP_COUNT)] = 1


class Back(_Message):
    type: Literal["back"]
    unit: Unit = "iteration"
    count: Annotated[Int, Field(ge=1, le=MAX_STEP_COUNT)] = 1


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
    seed: Seed | None = None


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


class LossSlice(_Message):
    """The loss along the last update (app/engine/loss_slice.py): `points` values of α
    evenly spaced over `range` (plus exactly 0 and 1 when inside)."""

    type: Literal["loss_slice"]
    points: Annotated[Int, Field(ge=2, le=201)] = 41
    range: tuple[Float, Float] = (-0.5, 1.5)

    @model_validator(mode="after")
    def _ordered(self) -> LossSlice:
        a, b = self.range
        if not -100 <= a < b <= 100:
            raise ValueError("range: must be [a, b] with -100 ≤ a < b ≤ 100")
        return self


RunId = Literal["A", "B", "C", "D"]


class Compare(_Message):
    """A new run from the moment shown, with these live settings (or this weight seed) changed
    (app/session/compare.py)."""

    type: Literal["compare"]
    config: ConfigPatch = ConfigPatch()
    seed: Seed | None = None


class CompareRemove(_Message):
    type: Literal["compare_remove"]
    run: RunId


class ShowRun(_Message):
    type: Literal["show_run"]
    run: RunId


class Experiment(_Message):
    """Start a guided experiment of the catalogue (None: follow none)."""

    type: Literal["experiment"]
    experiment: Annotated[str, Field(min_length=1, max_length=64)] | None


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
    | Ping
    | LossSlice
    | Compare
    | CompareRemove
    | ShowRun
    | Experiment,
    Field(discriminator="type"),
]
CLIENT_TYPES = (
    "configure", "step", "back", "seek", "play", "pause", "ack", "reset", "set_weight",
    "set_bias", "follow", "gradcheck", "sync", "ping", "loss_slice",
    "compare", "compare_remove", "show_run", "experiment",
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
