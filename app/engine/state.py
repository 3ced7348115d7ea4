"""A trainer's complete state, and its versioned form on disk: plain arrays + a JSON header.

``to_arrays(state)`` gives ``(header, arrays)``; ``from_arrays(header, arrays)`` gives the
state back, bit for bit. No class paths, no pickle, no reflection: the header names the format
version and the few scalars, the arrays have fixed names:

* ``W1 … WL`` ``(out, in)`` and ``b1 … bL`` ``(out,)``: weights and biases (float64);
* ``order`` ``(n_train,)`` int64: the current epoch's permutation of the training set;
* ``<slot>.W<l>`` and ``<slot>.b<l>`` for each of the optimizer's torch slots
  (``momentum_buffer``, ``square_avg``, ``exp_avg``, ``exp_avg_sq``) once it has stepped.

The header: ``format`` (``STATE_FORMAT``), ``config`` (``TrainConfig``'s fields),
``layers`` (L), ``optimizer`` (``name``, ``t``, ``slots``: whether slot arrays are stored),
``rng_order`` and ``rng_dropout`` (NumPy bit-generator states: PCG64 with 128-bit integers),
``position``, ``step``, ``epoch``. A change an older reader could not read gets a new version
number; ``from_arrays`` reads only the versions it knows and raises ``StateFormatError``
otherwise (``legacy.py`` reads release 1's skeletons).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from app.engine.config import TrainConfig
from app.engine.optimizers import OPTIMIZERS, OptimizerState
from app.engine.types import AnyArray, Array, IntArray

STATE_FORMAT = "backprop-lab/trainer-state@2"
"""The version ``to_arrays`` writes (release 1 had no format of its own: version 1)."""


class StateFormatError(ValueError):
    """A saved state cannot be read: unknown version, missing field or array, wrong shape."""


@dataclass(frozen=True, eq=False)
class TrainerState:
    """A complete snapshot of a trainer (arrays shared, never modified).

    ``config`` carries the live hyperparameters; ``W[l-1]`` ``(out, in)`` and ``b[l-1]``
    ``(out,)`` are layer ``l``'s; ``rng_order`` / ``rng_dropout`` are the bit-generator states
    of the data order and the dropout masks; ``order`` ``(n_train,)`` is the current epoch's
    permutation of the training set and ``position`` the next index into it.
    """

    config: TrainConfig
    W: tuple[Array, ...]
    b: tuple[Array, ...]
    optimizer: OptimizerState
    rng_order: Mapping[str, Any]
    rng_dropout: Mapping[str, Any]
    order: IntArray
    position: int
    step: int
    epoch: int

    def arrays(self) -> list[AnyArray]:
        """Every array the snapshot holds: weights, biases, optimizer state, then ``order``."""
        out: list[AnyArray] = [*self.W, *self.b]
        out.extend(a for slot in self.optimizer.slots for a in slot)
        out.append(self.order)
        return out


def check_restorable(state: TrainerState, current: TrainerState) -> None:
    """Raise ``ValueError`` unless ``state`` can replace ``current`` (a trainer's own): same
    shapes, finite float64 weights and optimizer state, a permutation as the data order and
    position, step and epoch in range."""
    if (
        [w.shape for w in state.W] != [w.shape for w in current.W]
        or [v.shape for v in state.b] != [v.shape for v in current.b]
        or len(state.order) != len(current.order)
    ):
        raise ValueError("this snapshot belongs to a different network or data set")
    arrays = state.arrays()
    if any(a.dtype != np.float64 for a in arrays[:-1]) or any(
        not np.isfinite(a).all() for a in arrays[:-1]
    ):
        raise ValueError("a snapshot's weights and optimizer state must be finite float64")
    order = state.order
    if order.dtype.kind not in "iu" or not np.array_equal(np.sort(order), np.arange(len(order))):
        raise ValueError("a snapshot's data order must be a permutation of the training set")
    if not 0 <= state.position < len(order) or state.step < 0 or state.epoch < 0:
        raise ValueError("a snapshot's position, step and epoch must be in range")


def _parameter_names(layers: int) -> list[str]:
    """``W1, b1, W2, b2, …``: the order of the optimizer's slots."""
    return [f"{p}{l}" for l in range(1, layers + 1) for p in ("W", "b")]


def to_arrays(state: TrainerState) -> tuple[dict[str, Any], dict[str, AnyArray]]:
    """``(header, arrays)``: a JSON-able header and named arrays (see the module docstring)."""
    L = len(state.W)
    opt = state.optimizer
    arrays: dict[str, AnyArray] = {}
    for l in range(L):
        arrays[f"W{l + 1}"] = state.W[l]
        arrays[f"b{l + 1}"] = state.b[l]
    arrays["order"] = state.order
    if opt.slots:  # none before the first update
        for param, slot in zip(_parameter_names(L), opt.slots, strict=True):
            for name, a in zip(OPTIMIZERS[opt.name], slot, strict=True):
                arrays[f"{name}.{param}"] = a
    config = {
        k: list(v) if isinstance(v, tuple) else v
        for k, v in dataclasses.asdict(state.config).items()
    }
    header = {
        "format": STATE_FORMAT,
        "config": config,
        "layers": L,
        "optimizer": {"name": opt.name, "t": opt.t, "slots": bool(opt.slots)},
        "rng_order": _plain(state.rng_order),
        "rng_dropout": _plain(state.rng_dropout),
        "position": state.position,
        "step": state.step,
        "epoch": state.epoch,
    }
    return header, arrays


def _plain(value: Any) -> Any:
    """A bit-generator state as plain dicts and ints (NumPy may hand out its own ints)."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, np.integer):
        return int(value)
    return value


def from_arrays(header: Mapping[str, Any], arrays: Mapping[str, AnyArray]) -> TrainerState:
    """The state ``to_arrays`` wrote, checked: ``StateFormatError`` names what is wrong.

    The arrays are copied out of ``arrays`` (e.g. an open ``.npz``) and made read-only.
    Whether the state fits a given network and data set is ``Trainer.restore``'s check.
    """
    if header.get("format") != STATE_FORMAT:
        raise StateFormatError(f"unknown trainer-state format {header.get('format')!r}")
    try:
        config = TrainConfig(**header["config"])
        L = _integer(header, "layers", 1)
        opt_header = header["optimizer"]
        name = opt_header["name"]
        if name not in OPTIMIZERS:
            raise StateFormatError(f"unknown optimizer {name!r}")
        W = tuple(_array(arrays, f"W{l}", np.float64, 2) for l in range(1, L + 1))
        b = tuple(_array(arrays, f"b{l}", np.float64, 1) for l in range(1, L + 1))
        _check_shapes(config, W, b)
        params = [w for l in range(L) for w in (W[l], b[l])]
        slots: tuple[tuple[Array, ...], ...] = ()
        if opt_header["slots"] and OPTIMIZERS[name]:
            slots = tuple(
                tuple(
                    _array(arrays, f"{slot}.{param}", np.float64, p.ndim, p.shape)
                    for slot in OPTIMIZERS[name]
                )
                for param, p in zip(_parameter_names(L), params, strict=True)
            )
        optimizer = OptimizerState(name, _integer(opt_header, "t", 0), slots)
        return TrainerState(
            config=config,
            W=W,
            b=b,
            optimizer=optimizer,
            rng_order=_rng_state(header["rng_order"]),
            rng_dropout=_rng_state(header["rng_dropout"]),
            order=_array(arrays, "order", np.int64, 1),
            position=_integer(header, "position", 0),
            step=_integer(header, "step", 0),
            epoch=_integer(header, "epoch", 0),
        )
    except StateFormatError:
        raise
    except (KeyError, TypeError, ValueError) as exc:
        raise StateFormatError(f"trainer state: {type(exc).__name__}: {exc}") from None


def _integer(header: Mapping[str, Any], key: str, minimum: int) -> int:
    value = header[key]
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise StateFormatError(f"{key} must be an integer ≥ {minimum}, not {value!r}")
    return value


def _array(
    arrays: Mapping[str, AnyArray],
    key: str,
    dtype: type[np.generic],
    ndim: int,
    shape: tuple[int, ...] | None = None,
) -> AnyArray:
    if key not in arrays:
        raise StateFormatError(f"array {key!r} is missing")
    a = np.array(arrays[key])
    if a.dtype != dtype or a.ndim != ndim or (shape is not None and a.shape != shape):
        raise StateFormatError(
            f"array {key!r} is {a.dtype} {a.shape}, expected {np.dtype(dtype)} "
            + (f"{shape}" if shape is not None else f"with {ndim} dimensions")
        )
    a.setflags(write=False)
    return a


def _check_shapes(config: TrainConfig, W: tuple[Array, ...], b: tuple[Array, ...]) -> None:
    """Consecutive layers fit, each bias has its layer's width, the hidden widths are the
    config's."""
    for l in range(len(W)):
        if b[l].shape != (W[l].shape[0],) or (l and W[l].shape[1] != W[l - 1].shape[0]):
            raise StateFormatError(f"layer {l + 1}: W {W[l].shape} and b {b[l].shape} do not fit")
    if tuple(w.shape[0] for w in W[:-1]) != config.hidden:
        raise StateFormatError(f"the weights' hidden widths differ from {config.hidden}")


def _rng_state(value: Any) -> dict[str, Any]:
    """A PCG64 bit-generator state (all NumPy's ``default_rng`` uses), checked."""
    if not isinstance(value, Mapping) or value.get("bit_generator") != "PCG64":
        raise StateFormatError("a random generator's state must be PCG64's")
    inner = value.get("state")
    # PCG64's fields and their ranges: NumPy raises OverflowError outside them, and only when
    # the state is set, after the trainer's other fields were already replaced.
    ints = [(value.get("has_uint32"), 2), (value.get("uinteger"), 2**32)]
    if isinstance(inner, Mapping):
        ints += [(inner.get("state"), 2**128), (inner.get("inc"), 2**128)]
    if not isinstance(inner, Mapping) or not all(
        isinstance(i, int) and not isinstance(i, bool) and 0 <= i < end for i, end in ints
    ):
        raise StateFormatError(
            "a random generator's state must hold integers in PCG64's ranges (state and inc"
            " below 2**128, uinteger below 2**32, has_uint32 0 or 1)"
        )
    return {
        "bit_generator": "PCG64",
        "state": {"state": inner["state"], "inc": inner["inc"]},
        "has_uint32": value["has_uint32"],
        "uinteger": value["uinteger"],
    }
