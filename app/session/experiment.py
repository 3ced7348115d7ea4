"""The guided experiment a session runs: its catalogue entry and whether its effect was seen.

`ExperimentWatch` builds a `RunView` of the live timeline (config, step, the step log's batch
losses and whole-set metrics, the latest record, the diverged flag, the dead fraction on the
training set) and evaluates the entry's `check` with `app.experiments.checks.evaluate`. The
session calls `update` after each command and the player after each frame batch; the result
becomes an `experiment` server message only when it differs from the last one sent.

Cost: the check reads what the step log already holds. The one extra whole-set pass, the dead
fraction of a hidden layer, is computed only by `dead_fraction` checks, at most once per step,
and during play an evaluation runs at most every `PLAY_CHECK_INTERVAL_S`.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

from app.engine import IterationRecord, TrainConfig
from app.experiments import experiment as catalogue_entry
from app.experiments.checks import (
    MetricsPoint,
    RunView,
    evaluate,
    gradient_size,
    whole_set_dead_fraction,
)
from app.experiments.predict import predict_answer
from app.protocol import Message, ProtocolError
from app.session.timeline import Timeline, replace_config
from app.steplog import finite

PLAY_CHECK_INTERVAL_S = 0.5  # while playing, the check is evaluated at most this often
# Commands after which the session evaluates the check again (sent only if it changed).
CHECKED_AFTER = frozenset(
    {"configure", "step", "back", "seek", "pause", "reset", "set_weight", "set_bias"}
)


def entry_of(experiment_id: str) -> dict[str, Any]:
    """The catalogue entry, or `unknown_experiment`."""
    try:
        return catalogue_entry(experiment_id)
    except KeyError:
        raise ProtocolError(
            "unknown_experiment", f"experiment: no experiment {experiment_id!r}"
        ) from None


def config_of(entry: dict[str, Any]) -> TrainConfig:
    """The entry's whole config (every key; lists as the engine's tuples)."""
    changes = {k: tuple(v) if isinstance(v, list) else v for k, v in entry["config"].items()}
    return replace_config(TrainConfig(), changes)


def _metrics_points(tl: Timeline) -> list[MetricsPoint]:
    points = []
    for step, m in tl.log.metrics_upto(tl.step):
        points.append(
            MetricsPoint(
                step,
                math.inf if m["train_loss"] is None else float(m["train_loss"]),  # overflowed
                m.get("test_loss"),
                m.get("train_accuracy"),
                m.get("test_accuracy"),
            )
        )
    return points


def _losses(tl: Timeline) -> list[tuple[int, float]]:
    cols = tl.log.columns(tl.step)
    return [
        (int(s), float(v))
        for s, v in zip(cols["step"].tolist(), cols["loss"].tolist(), strict=True)
        if v == v  # NaN: no update at that row (step 0)
    ]


def answer_numbers(predict: dict[str, Any], before: IterationRecord | None,
                   after: IterationRecord) -> dict[str, Any]:  # fmt: skip
    """The real step's numbers behind a prediction's answer, for the page to show."""
    spec = predict["answer_from"]
    kind = spec["kind"]
    if kind == "weight_delta_sign":
        r = after.layers[int(spec["layer"]) - 1]
        i, j = int(spec["row"]), int(spec["col"])
        return {
            "w": float(r.W[i, j]),
            "dw": float(r.dW[i, j]),
            "delta": float(r.update_W[i, j]),
            "w_next": float(r.W_next[i, j]),
            "learning_rate": float(after.learning_rate),
            "optimizer": after.optimizer,
        }
    if kind == "loss_change_sign":
        return {"loss_before": None if before is None else float(before.loss),
                "loss": float(after.loss)}  # fmt: skip
    measure = spec.get("measure", "dW_norm")
    return {
        "measure": measure,
        "sizes": [gradient_size(after, r.layer, measure) for r in after.layers],
    }


class ExperimentWatch:
    """The session's current experiment (or none) and what was last said about it."""

    def __init__(self, timeline: Timeline) -> None:
        self.tl = timeline
        self.entry: dict[str, Any] | None = None
        self.diverged = False
        self._sent: tuple[Any, ...] | None = None
        self._last_check = 0.0
        self._dead: dict[int, float | None] = {}
        self._dead_key: tuple[int, int] | None = None
        self._seen_record: IterationRecord | None = None
        self._answer: dict[str, Any] | None = None
        timeline.on_install(self._forget)

    def _forget(self) -> None:
        """A new network: a divergence and the records seen were the old one's."""
        self.diverged = False
        self._seen_record = None
        self._answer = None
        self._dead_key = None

    def retarget(self, timeline: Timeline) -> None:
        """Describe `timeline` from now on (`show_run`); the next update is always sent."""
        if timeline is self.tl:
            return
        self.tl = timeline
        timeline.on_install(self._forget)
        self._forget()
        self._sent = None

    @property
    def id(self) -> str | None:
        return None if self.entry is None else str(self.entry["id"])

    def start(self, entry: dict[str, Any] | None) -> None:
        """Follow `entry` from now on (None: no experiment); the next update is always sent."""
        self.entry = entry
        self._sent = None

    # -- what the session observes ------------------------------------------------------------

    def observe(self, batch: list[Message]) -> None:
        """Note a `diverged` among messages about to be sent."""
        if any(m.get("type") == "diverged" for m in batch):
            self.diverged = True

    def update(self, playing: bool = False) -> list[Message]:
        """`[experiment message]` when the result changed since the last one sent, else `[]`.

        Evaluated only at iteration boundaries (not mid phase walk); while `playing`, at most
        every `PLAY_CHECK_INTERVAL_S`.
        """
        if self.entry is None or self.tl.pending is not None:
            return []
        now = time.monotonic()
        if playing and now - self._last_check < PLAY_CHECK_INTERVAL_S:
            return []
        self._last_check = now
        msg = self.message()
        key = (msg["experiment"], msg["seen"], msg["detail"], repr(msg.get("answer")))
        if key == self._sent:
            return []
        self._sent = key
        return [msg]

    # -- the evaluation -----------------------------------------------------------------------

    def _record(self) -> IterationRecord | None:
        rec = self.tl.last_record
        return rec if rec is not None and rec.step == self.tl.step else None

    def _dead_fraction(self) -> Callable[[int], float | None]:
        trainer = self.tl.trainer
        key = (id(trainer), trainer.step)
        if key != self._dead_key:
            self._dead_key, self._dead = key, {}

        def fraction(layer: int) -> float | None:
            if layer not in self._dead:
                self._dead[layer] = whole_set_dead_fraction(trainer, layer)
            return self._dead[layer]

        return fraction

    def view(self) -> RunView:
        tl = self.tl
        assert self.entry is not None
        return RunView(
            config=tl.trainer.config,
            step=tl.step,
            # Only one kind reads the batch losses: the others skip the pass over the log.
            losses=_losses(tl) if "diverged_or_oscillating" in _kinds(self.entry["check"]) else [],
            metrics=_metrics_points(tl),
            record=self._record(),
            diverged=self.diverged,
            dead_fraction=self._dead_fraction(),
        )

    def _track_answer(self, record: IterationRecord | None) -> None:
        """The answer to the entry's prediction for the newest single step seen."""
        assert self.entry is not None
        predict = self.entry.get("predict")
        seen, self._seen_record = self._seen_record, record
        if predict is None or record is None or (seen is not None and seen.step == record.step):
            return
        before: Any = seen if seen is not None and seen.step == record.step - 1 else None
        if predict["answer_from"]["kind"] == "loss_change_sign" and before is None:
            # After back/seek the previous record is gone; its batch loss is in the log.
            entry = self.tl.log.at(record.step - 1)
            if entry is None or entry.loss is None:
                return
            before = _LossOnly(entry.loss)
        self._answer = {
            "step": record.step,
            "value": predict_answer(predict, before, record),
            "numbers": answer_numbers(predict, before, record),
        }

    def message(self) -> Message:
        """The `experiment` message of the moment (the check evaluated now)."""
        assert self.entry is not None
        view = self.view()
        self._track_answer(view.record)
        result = evaluate(self.entry["check"], view)
        msg: Message = {
            "type": "experiment",
            "experiment": self.entry["id"],
            "step": view.step,
            "seen": result.seen,
            "detail": result.detail,
            "values": _json_values(result.values),
        }
        if self.entry.get("predict") is not None:
            msg["answer"] = self._answer
        return msg

    def cleared(self) -> Message:
        return {"type": "experiment", "experiment": None, "step": self.tl.step, "seen": False,
                "detail": "", "values": {}}  # fmt: skip


def _kinds(check: dict[str, Any]) -> set[str]:
    """Every check kind in `check` (those of an `all` included)."""
    return {check["kind"]}.union(*(_kinds(sub) for sub in check.get("checks", [])))


class _LossOnly:
    """What `predict_answer` reads of the previous step for `loss_change_sign`."""

    def __init__(self, loss: float) -> None:
        self.loss = loss


def _json_values(values: Any) -> Any:
    """Floats made finite-or-None (messages never carry NaN or infinity)."""
    if isinstance(values, dict):
        return {str(k): _json_values(v) for k, v in values.items()}
    if isinstance(values, list | tuple):
        return [_json_values(v) for v in values]
    if isinstance(values, float):
        return finite(values)
    return values
