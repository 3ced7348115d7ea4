"""Protocol messages (docs/protocol.md) of a session's timeline and of its domain events.

Plain dicts with numpy arrays, encoded by `app.protocol.dumps`. Per-sample tensors are cut to
`Limits.max_record_samples` rows.
"""

from __future__ import annotations

import numpy as np

from app.engine import Diverged, IterationRecord
from app.protocol import PROTOCOL_VERSION, Message
from app.session import events as ev
from app.session.optstate import add_state, optimizer_constants
from app.session.timeline import Timeline
from app.steplog import finite

MAX_SERIES_POINTS = 2000
IMAGE_GALLERY = 64  # images of the training set sent with `data` for an image task


def render(events: ev.Events, tl: Timeline, playing: bool) -> list[Message]:
    """The messages that tell a client what `events` did, in the contract's order."""
    out: list[Message] = []
    for event in events:
        if isinstance(event, ev.PhaseRevealed):
            out.append(phase_message(tl, event.index, event.record))
        elif isinstance(event, ev.IterationDone):
            out += [iteration_message(tl, event.record, event.losses), *sample_messages(tl)]
        elif isinstance(event, ev.WentDiverged):
            out.append(diverged_message(event.error))
        elif isinstance(event, ev.Moved):
            out.append(state_message(tl, playing))
            if tl.revealed:
                out.append(phase_message(tl, tl.revealed - 1))
            out += [series_message(tl), *sample_messages(tl)]
        elif isinstance(event, ev.Rebuilt):
            if event.announce:
                out.append(config_message(tl, reset=True))
            out += [data_message(tl), state_message(tl, playing), series_message(tl)]
        elif isinstance(event, ev.Reconfigured):
            out.append(config_message(tl, reset=False))
        elif isinstance(event, ev.Edited):
            out += [state_message(tl, playing), *sample_messages(tl)]
        elif isinstance(event, ev.Shown):
            out.append(state_message(tl, playing))
    return out


def hello_message(
    tl: Timeline, session_id: str, role: str, resumed: bool, secrets: dict[str, str]
) -> Message:
    """`secrets` (token and watch key) are given for the controller's hello only."""
    return {
        "type": "hello",
        "protocol": PROTOCOL_VERSION,
        "session": session_id,
        "role": role,
        "resumed": resumed,
        "config": tl.config_dict(),
        "limits": tl.limits.as_dict(),
        "step": tl.step,
        **secrets,
        "optimizer_constants": optimizer_constants(),
    }


def config_message(tl: Timeline, reset: bool) -> Message:
    return {"type": "config", "config": tl.config_dict(), "reset": reset}


def data_message(tl: Timeline) -> Message:
    d = tl.trainer.data
    image = d.image_shape is not None
    return {
        "type": "data",
        "dataset": d.name,
        "task": d.task,
        "n_classes": d.n_classes,
        "features": list(d.feature_names),
        "input_dim": d.input_dim,
        "output_dim": d.output_dim,
        "image_shape": list(d.image_shape) if d.image_shape else None,
        "class_names": list(d.class_names) if d.class_names else None,
        "train": {
            "points": d.points_train,
            "y": d.y_train,
            "x": d.X_train[:IMAGE_GALLERY] if image else None,
        },
        "test": {"points": d.points_test, "y": d.y_test, "x": None},
    }


def state_message(tl: Timeline, playing: bool) -> Message:
    name, layer = tl.phases[tl.revealed]
    if tl.pending is not None:
        layers = [{"W": r.W, "b": r.b} for r in tl.pending.layers]
    else:
        layers = weights(tl)
    # The optimizer's state at `step`: before the walk's update while one is under way.
    t = add_state(layers, tl.before.optimizer if tl.pending else tl.trainer.optimizer_state)
    epoch = tl.log.epoch_at(tl.step)
    return {
        "type": "state",
        "step": tl.step,
        "epoch": tl.trainer.epoch if epoch is None else epoch,
        "phase": {"phase": name, "layer": layer},
        "revealed": tl.revealed,
        "layers": layers,
        "config": tl.config_dict(),
        "metrics": tl.log.metrics_at(tl.step),
        "history": history_range(tl),
        "playing": playing,
        # Every phase already shown of the iteration under way, so that a client that
        # reconnects (or syncs) mid-walk can draw the layers left of the current one.
        "phases": [phase_message(tl, i) for i in range(tl.revealed)],
        "optimizer_t": t,
    }


def weights(tl: Timeline) -> list[Message]:
    return [{"W": W, "b": b} for W, b in zip(tl.trainer.W, tl.trainer.b, strict=True)]


def history_range(tl: Timeline) -> Message:
    return {"oldest": tl.history.oldest, "newest": tl.history.newest}


def series_message(tl: Timeline) -> Message:
    return {"type": "series", **tl.log.series(tl.step, MAX_SERIES_POINTS)}


def status_message(playing: bool, speed: float | None, reason: str | None = None) -> Message:
    return {"type": "status", "playing": playing, "speed": speed, "reason": reason}


def _rows(tl: Timeline, a: np.ndarray) -> np.ndarray:
    return a[: tl.limits.max_record_samples]


def _mask(tl: Timeline, mask: np.ndarray) -> np.ndarray:
    """The dropout multiplier of each unit: 0 (dropped) or 1/(1−p) (kept, inverted dropout)."""
    keep = 1.0 / (1.0 - tl.trainer.config.dropout)
    return np.where(_rows(tl, mask), keep, 0.0)


def _batch(tl: Timeline, record: IterationRecord) -> Message:
    return {
        "indices": _rows(tl, record.indices),
        "x": _rows(tl, record.X),
        "y": _rows(tl, record.y),
    }


def _truncated(tl: Timeline, record: IterationRecord) -> bool:
    return bool(len(record.indices) > tl.limits.max_record_samples)


def diagnostics(tl: Timeline, record: IterationRecord) -> Message:
    """The step's ``diagnostics`` (docs/protocol.md): per-layer figures, flags and advice.

    ``units`` (dead / saturated over the whole training set, with their flags and advice) are
    the latest whole-set evaluation's, at ``units.step`` ≤ the record's step; null before the
    first evaluation and after a rewind to before it.
    """
    return record.diagnostics.message(tl.units_at(record.step))


def iteration_message(
    tl: Timeline, record: IterationRecord, losses: list[tuple[int, float]]
) -> Message:
    layers = []
    for lr in record.layers:
        layer: Message = {
            "W": lr.W,
            "b": lr.b,
            "Z": _rows(tl, lr.Z),
            "A": _rows(tl, lr.A),
            "dA": _rows(tl, lr.dA) if lr.dA is not None else None,
            "dZ": _rows(tl, lr.dZ),
            "dW": lr.dW,
            "db": lr.db,
            "W_next": lr.W_next,
            "b_next": lr.b_next,
            "update_W": lr.update_W,
            "update_b": lr.update_b,
        }
        if lr.mask is not None:
            layer["mask"] = _mask(tl, lr.mask)
        layers.append(layer)
    t = add_state(layers, record.optimizer_state)
    entry = tl.log.at(record.step)
    return {
        "type": "iteration",
        "step": record.step,
        "epoch": entry.epoch if entry else tl.trainer.epoch,
        "position": entry.position if entry else tl.trainer.position,
        "learning_rate": record.learning_rate,
        "optimizer": record.optimizer,
        "batch": _batch(tl, record),
        "truncated": _truncated(tl, record),
        "loss": record.loss,
        "reg_loss": record.reg_loss,
        "accuracy": finite(record.accuracy),
        "layers": layers,
        "diagnostics": diagnostics(tl, record),
        "metrics": tl.log.metrics_at(record.step),
        "losses": [[s, v] for s, v in losses],
        "optimizer_t": t,
    }


def phase_message(tl: Timeline, index: int, record: IterationRecord | None = None) -> Message:
    """Phase `index` of `record` (by default the iteration of the walk under way)."""
    record = record or tl.pending
    assert record is not None
    name, layer = tl.phases[index]
    msg: Message = {
        "type": "phase",
        "phase": name,
        "layer": layer,
        "step": record.step,
        "index": index,
        "count": tl.n_phases,
    }
    n_layers = len(record.layers)
    if name == "forward":
        assert layer is not None
        lr = record.layers[layer - 1]
        a_prev = record.X if layer == 1 else record.layers[layer - 2].A
        msg.update(A_prev=_rows(tl, a_prev), W=lr.W, b=lr.b, Z=_rows(tl, lr.Z))
        msg["A"] = _rows(tl, lr.A)
        if lr.mask is not None:
            msg["mask"] = _mask(tl, lr.mask)
        if layer == 1:
            msg["batch"] = _batch(tl, record)
            msg["truncated"] = _truncated(tl, record)
    elif name == "loss":
        out = record.layers[n_layers - 1]
        msg.update(
            loss=record.loss,
            reg_loss=record.reg_loss,
            accuracy=finite(record.accuracy),
            A=_rows(tl, out.A),
            y=_rows(tl, record.y),
        )
    elif name == "backward":
        assert layer is not None
        lr = record.layers[layer - 1]
        msg.update(
            dA=None if layer == n_layers or lr.dA is None else _rows(tl, lr.dA),
            dZ=_rows(tl, lr.dZ),
            dW=lr.dW,
            db=lr.db,
            dW_reg=lr.dW_reg,
        )
    else:
        update_layers: list[Message] = [
            {
                "W": lr.W,
                "b": lr.b,
                "dW": lr.dW,
                "db": lr.db,
                "update_W": lr.update_W,
                "update_b": lr.update_b,
                "W_next": lr.W_next,
                "b_next": lr.b_next,
            }
            for lr in record.layers
        ]
        t = add_state(update_layers, record.optimizer_state)
        msg.update(
            learning_rate=record.learning_rate,
            optimizer=record.optimizer,
            layers=update_layers,
            optimizer_t=t,
        )
    return msg


def sample_messages(tl: Timeline) -> list[Message]:
    """The followed sample's own pass at the current weights (none when nothing is followed)."""
    if tl.follow is None:
        return []
    index, split = tl.follow
    rec = tl.trainer.sample_pass(index, split)
    return [
        {
            "type": "sample",
            "index": index,
            "split": split,
            "step": tl.trainer.step,
            "x": rec.X[0],
            "y": rec.y[0],
            "loss": finite(rec.loss),
            "layers": [
                {"Z": lr.Z[0], "A": lr.A[0], "dZ": lr.dZ[0], "dW": lr.dW, "db": lr.db}
                for lr in rec.layers
            ],
        }
    ]


def diverged_message(exc: Diverged) -> Message:
    return {
        "type": "diverged",
        "step": exc.step,
        "layer": exc.layer,
        "quantity": exc.quantity,
        "message": exc.message,
    }
