"""The `loss_slice` command: the loss along the update that produced the current step.

The engine's `loss_slice_of_record` does the work in slices of at most one forward pass of
`CHUNK_ROWS` (512) rows; here as many slices run as fit in the session's share of a round
(`Pace.slice_s`, ~1 ms), then the event loop turns. Refused while playing (`busy`: it is never
computed per played frame) and at step 0 (`out_of_range`: no update produced it).

The record of step `s` is the last one trained when it is the moment's own (stepping by hand);
otherwise (after `back`, `seek`, or in the middle of a phase walk) step `s` is replayed from the
history, bit for bit the recorded one, and the moment shown is restored exactly.
"""

from __future__ import annotations

import time
from collections.abc import Generator, Iterator

import numpy as np

from app.engine import IterationRecord
from app.engine.loss_slice import LossSlice, loss_slice_of_record
from app.protocol import Message, ProtocolError
from app.session.events import Events
from app.session.timeline import Timeline
from app.steplog import finite


def record_of_moment(tl: Timeline) -> Generator[Events, None, IterationRecord]:
    """The record of the update that produced `tl.step`, leaving the moment as it was."""
    s = tl.step
    last = tl.last_record
    if tl.pending is None and last is not None and last.step == s and last.kind == "train":
        return last
    if s - 1 < tl.history.oldest:
        raise ProtocolError(
            "out_of_range",
            f"step {s - 1}, where the last update started, is no longer kept "
            f"(history {tl.history.oldest}..{tl.history.newest})",
        )
    revealed = tl.revealed
    yield from tl.goto(s - 1)  # settles a walk; replays from a checkpoint in slices
    record = tl.trainer.train_step()  # the recorded step s again, bit for bit
    if s in tl.history.checkpoints:
        tl.history.seek(s)  # a weight edit or new setting made at s is part of the moment
    if revealed:
        yield from tl.goto(s, revealed)  # the walk on screen, as it was
    return record


def loss_slice(
    tl: Timeline, playing: bool, points: int, alpha_range: tuple[float, float]
) -> Iterator[list[Message]]:
    """Yields `[]` between slices of work, then `[loss_slice message]`."""
    if playing:
        raise ProtocolError("busy", "loss_slice: pause first (it is computed on request only)")
    if tl.step < 1:
        raise ProtocolError("out_of_range", "loss_slice: step 0 has no update to look along")
    record = yield from _record(tl)
    X, y = tl.trainer.data.X_train, tl.trainer.data.y_train
    try:
        work = loss_slice_of_record(record, X, y, points, alpha_range)
    except ValueError as exc:
        raise ProtocolError("invalid_message", f"loss_slice: {exc}") from None
    deadline = time.perf_counter() + tl.pace.slice_s()
    while True:
        try:
            next(work)
        except StopIteration as done:
            result: LossSlice = done.value
            break
        if time.perf_counter() > deadline:
            yield []
            deadline = time.perf_counter() + tl.pace.slice_s()
    yield [message(record.step, result)]


def _record(tl: Timeline) -> Generator[list[Message], None, IterationRecord]:
    work = record_of_moment(tl)
    while True:
        try:
            next(work)
        except StopIteration as done:
            record: IterationRecord = done.value
            return record
        yield []


def _nullable(values: np.ndarray) -> list[float | None]:
    return [finite(float(v)) for v in values]


def message(step: int, result: LossSlice) -> Message:
    return {
        "type": "loss_slice",
        "step": step,
        "alphas": result.alphas,
        "batch_loss": _nullable(result.batch_loss),
        "train_loss": _nullable(result.train_loss),
        "slope": finite(result.slope),
    }
