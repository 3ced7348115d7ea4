"""The versioned trainer state: ``to_arrays`` / ``from_arrays`` round trips bit for bit, bad
input is refused with ``StateFormatError``, and release 1's skeletons are read by name."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from app.engine import (
    OPTIMIZERS,
    STATE_FORMAT,
    StateFormatError,
    TrainConfig,
    Trainer,
    TrainerState,
    from_arrays,
    from_release1,
    parse_csv,
    to_arrays,
)

RELEASE1 = Path(__file__).resolve().parent.parent / "fixtures" / "release1"
EXPECTED: dict[str, Any] = json.loads((RELEASE1 / "expected.json").read_text())


def states_equal(a: TrainerState, b: TrainerState) -> bool:
    """Every field equal, arrays bit for bit (same dtype, shape and bytes)."""

    def same(x: np.ndarray, y: np.ndarray) -> bool:
        return x.dtype == y.dtype and x.shape == y.shape and x.tobytes() == y.tobytes()

    return (
        a.config == b.config
        and len(a.W) == len(b.W)
        and all(same(x, y) for x, y in zip(a.W + a.b, b.W + b.b, strict=True))
        and (a.optimizer.name, a.optimizer.t) == (b.optimizer.name, b.optimizer.t)
        and len(a.optimizer.slots) == len(b.optimizer.slots)
        and all(
            same(x, y)
            for sa, sb in zip(a.optimizer.slots, b.optimizer.slots, strict=True)
            for x, y in zip(sa, sb, strict=True)
        )
        and dict(a.rng_order) == dict(b.rng_order)
        and dict(a.rng_dropout) == dict(b.rng_dropout)
        and same(a.order, b.order)
        and (a.position, a.step, a.epoch) == (b.position, b.step, b.epoch)
    )


def _mid_epoch(optimizer: str, steps: int = 9) -> Trainer:
    trainer = Trainer(
        TrainConfig(
            samples=80, hidden=(5, 3), optimizer=optimizer, dropout=0.2, batch_size=9, l2=0.01
        )
    )
    for _ in range(steps):
        trainer.train_step()
    return trainer


def _through_json(header: dict[str, Any]) -> Any:
    return json.loads(json.dumps(header))


@pytest.mark.parametrize("optimizer", list(OPTIMIZERS))
def test_round_trip_is_bit_identical_and_training_continues_alike(optimizer: str) -> None:
    trainer = _mid_epoch(optimizer)
    state = trainer.capture()
    assert state.epoch == 1 and state.position == 18, "mid-epoch: order and position matter"
    header, arrays = to_arrays(state)
    assert header["format"] == STATE_FORMAT, "the header names its version"
    assert "__dataclass__" not in json.dumps(header), "no class paths"
    slot_names = {k.split(".")[0] for k in arrays if "." in k}
    assert slot_names == set(OPTIMIZERS[optimizer]), "one array per torch slot and parameter"
    back = from_arrays(_through_json(header), {k: a.copy() for k, a in arrays.items()})
    assert states_equal(state, back), "from_arrays(to_arrays(s)) == s, bit for bit"
    other = Trainer(state.config)
    other.restore(back)
    for _ in range(12):  # crosses an epoch: the order generator was restored too
        a, b = trainer.train_step(), other.train_step()
        assert a.loss == b.loss and np.array_equal(a.layers[0].mask, b.layers[0].mask)
    assert all(np.array_equal(x, y) for x, y in zip(trainer.W, other.W, strict=True))


def test_a_fresh_state_has_no_optimizer_arrays() -> None:
    state = Trainer(TrainConfig(samples=60, optimizer="adam")).capture()
    header, arrays = to_arrays(state)
    assert header["optimizer"] == {"name": "adam", "t": 0, "slots": False}
    assert sorted(arrays) == ["W1", "W2", "W3", "b1", "b2", "b3", "order"]
    assert states_equal(state, from_arrays(_through_json(header), arrays))


@pytest.mark.parametrize(
    ("spoil", "message"),
    [
        (lambda h, a: h.update(format="backprop-lab/trainer-state@99"), "unknown trainer-state"),
        (lambda h, a: a.pop("W2"), "'W2' is missing"),
        (lambda h, a: a.update(W2=np.zeros((3, 4))), "do not fit"),
        (lambda h, a: a.update(b1=np.zeros(5, dtype=np.float32)), "'b1' is float32"),
        (lambda h, a: a.update({"exp_avg.W1": np.zeros((2, 2))}), "'exp_avg.W1'"),
        (lambda h, a: h["config"].update(hidden=[6, 3]), "hidden widths"),
        (lambda h, a: h["config"].update(colour="red"), "TypeError"),
        (lambda h, a: h.update(step=-1), "step must be"),
        (lambda h, a: h["rng_order"].update(bit_generator="MT19937"), "PCG64"),
        (lambda h, a: h["rng_order"]["state"].update(state=2**128), "below 2\\*\\*128"),
        (lambda h, a: h["rng_dropout"]["state"].update(inc=-1), "PCG64's ranges"),
        (lambda h, a: h["rng_dropout"].update(uinteger=2**32), "below 2\\*\\*32"),
        (lambda h, a: h["rng_order"].update(has_uint32=2), "0 or 1"),
        (lambda h, a: h.pop("epoch"), "KeyError"),
    ],
)
def test_a_damaged_state_is_refused_with_the_reason(spoil: Any, message: str) -> None:
    header, arrays = to_arrays(_mid_epoch("adam", steps=2).capture())
    header = _through_json(header)
    arrays = dict(arrays)
    spoil(header, arrays)
    with pytest.raises(StateFormatError, match=message):
        from_arrays(header, arrays)


# ── release 1 ───────────────────────────────────────────────────────────────────────────────


def _release1(name: str) -> tuple[Any, dict[str, np.ndarray]]:
    session = EXPECTED["sessions"][name]["session"]
    with np.load(RELEASE1 / "checkpoints" / "sessions" / f"{session}.npz") as npz:
        arrays = {k: npz[k] for k in npz.files}
    meta = json.loads(bytes(arrays.pop("meta")).decode())
    assert meta["format"] == "backprop-lab/checkpoint@1"
    return meta["state"], arrays


def _custom() -> Any:
    (path,) = (RELEASE1 / "checkpoints" / "datasets").glob("*.json")
    saved = json.loads(path.read_text())
    return parse_csv(saved["csv"], **saved["options"])


@pytest.mark.parametrize("name", sorted(EXPECTED["sessions"]))
def test_release1_states_are_read_and_train_on_bit_for_bit(name: str) -> None:
    want = EXPECTED["sessions"][name]
    skeleton, arrays = _release1(name)
    state = from_release1(skeleton, arrays)
    assert (state.step, state.epoch) == (want["step"], want["epoch"]), "same step and epoch"
    got = [{"W": w.tolist(), "b": v.tolist()} for w, v in zip(state.W, state.b, strict=True)]
    assert got == want["layers"], "bit-identical weights"
    header, new_arrays = to_arrays(state)
    assert states_equal(state, from_arrays(_through_json(header), new_arrays)), (
        "a release-1 state survives the current format unchanged"
    )
    trainer = Trainer(state.config, _custom() if state.config.dataset == "custom" else None)
    trainer.restore(state)
    losses = [trainer.train_step().loss for _ in want["next_losses"]]
    assert losses == want["next_losses"], "optimizer state, order and dropout generator restored"
    after = [{"W": w.tolist(), "b": v.tolist()} for w, v in zip(trainer.W, trainer.b, strict=True)]
    assert after == want["after"]["layers"], "bit-identical weights five steps later"


def test_release1_reader_refuses_unknown_classes_and_damage() -> None:
    skeleton, arrays = _release1("adam-midwalk")
    evil = json.loads(json.dumps(skeleton).replace("app.engine.trainer:", "os:"))
    with pytest.raises(StateFormatError, match="unknown release-1 class 'os:TrainerState'"):
        from_release1(evil, arrays)
    with pytest.raises(StateFormatError, match="KeyError"):
        from_release1(skeleton, {k: a for k, a in arrays.items() if k != "a3"})
    with pytest.raises(StateFormatError, match="must be a TrainerState"):
        from_release1({"__tuple__": []}, arrays)
