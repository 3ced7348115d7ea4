"""Continuing a timeline from elsewhere: a checkpoint's state and log, an export's full trainer
state, or an export's weights alone."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from app.engine import TrainerState
from app.session.timeline import Timeline
from app.steplog import LogEntry, StepLog, finite


def restore_state(tl: Timeline, state: Any, log: dict[str, list[Any]] | None = None) -> None:
    """Continue from a saved trainer state (a checkpoint or an import); history restarts.

    `log` (from a checkpoint) holds the columns `step`, `epoch`, `position`, `loss` of the
    steps up to the state's, for the charts and for `back` by epoch. The whole-set metrics of
    the state's step are left to the caller, in slices (`Timeline.evaluate_sliced`; the hub's
    `evaluate_restored`): for the largest network they take ~46 ms.
    """
    tl.settle()
    tl.trainer.restore(state)
    tl.history.close()
    tl.history = tl.new_history(tl.trainer)
    step = tl.trainer.step
    entries: list[LogEntry] = []
    if log:
        columns = zip(log["step"], log["epoch"], log["position"], log["loss"], strict=True)
        for s, epoch, position, loss in columns:
            entry = LogEntry(int(s), int(epoch), int(position), finite(loss))
            if entries and entry.step != entries[-1].step + 1:
                entries = []
            entries.append(entry)
    if not entries or entries[-1].step != step:
        entries = [LogEntry(step, tl.trainer.epoch, tl.trainer.position, None)]
    entries[-1].epoch, entries[-1].position = tl.trainer.epoch, tl.trainer.position
    tl.log = StepLog(len(tl.trainer.W), entries[0])
    for entry in entries[1:]:
        tl.log.put(entry)
    tl.latest_metrics, tl.latest_units = None, None


def import_weights(
    tl: Timeline,
    layers: list[tuple[list[list[float]], list[float]]],
    step: int,
    epoch: int,
) -> None:
    """Load exported weights (the network shape must match the config)."""
    current = tl.trainer.capture()
    if len(layers) != len(current.W):
        raise ValueError(f"layers: expected {len(current.W)} layers, got {len(layers)}")
    W, b = [], []
    for l, ((w, bias), W0, b0) in enumerate(zip(layers, current.W, current.b, strict=True), 1):
        w_arr, b_arr = np.array(w, dtype=np.float64), np.array(bias, dtype=np.float64)
        if w_arr.shape != W0.shape or b_arr.shape != b0.shape:
            raise ValueError(
                f"layers[{l - 1}]: W must be {W0.shape[0]}×{W0.shape[1]} and b {b0.shape[0]}"
            )
        if not (np.isfinite(w_arr).all() and np.isfinite(b_arr).all()):
            raise ValueError(f"layers[{l - 1}]: weights must be finite numbers")
        w_arr.flags.writeable = False
        b_arr.flags.writeable = False
        W.append(w_arr)
        b.append(b_arr)
    state = dataclasses.replace(current, W=tuple(W), b=tuple(b), step=step, epoch=epoch)
    restore_state(tl, state)


def import_state(
    tl: Timeline,
    state: TrainerState,
    layers: list[tuple[list[list[float]], list[float]]],
    step: int,
    epoch: int,
) -> None:
    """Continue from an export's full trainer state (its `trainer_state`), bit for bit.

    The state must agree with the rest of the export: its config with the session's (built
    from the export's `config`), its step and epoch, and its weights with `layers` exactly (an
    edited `layers` with the state left as it was is refused: drop `trainer_state` to import
    edited weights with a fresh optimizer). `Trainer.restore` then checks it against the
    network and data set before anything changes. Raises `ValueError` with the reason.
    """
    own = tl.trainer.config
    if state.config != own:
        fields = [
            f.name
            for f in dataclasses.fields(own)
            if getattr(own, f.name) != getattr(state.config, f.name)
        ]
        raise ValueError(
            f"trainer_state: its config differs from the export's in {', '.join(fields)}"
        )
    if (state.step, state.epoch) != (step, epoch):
        raise ValueError(
            f"trainer_state: step {state.step} and epoch {state.epoch} differ from the export's"
            f" step {step} and epoch {epoch}"
        )
    if len(layers) != len(state.W):
        raise ValueError(f"layers: expected {len(state.W)} layers, got {len(layers)}")
    for l, ((w, bias), W0, b0) in enumerate(zip(layers, state.W, state.b, strict=True)):
        w_arr, b_arr = np.array(w, dtype=np.float64), np.array(bias, dtype=np.float64)
        if not (np.array_equal(w_arr, W0) and np.array_equal(b_arr, b0)):
            raise ValueError(
                f"layers[{l}] differs from trainer_state's W{l + 1}, b{l + 1}: to import edited"
                " weights, leave trainer_state out (the optimizer then starts afresh)"
            )
    restore_state(tl, state)
