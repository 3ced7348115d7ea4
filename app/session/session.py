"""One learner's session: its timeline, its player, and the one table of client commands.

`Session.handle` is the only dispatcher of client messages. A command is a generator: it
yields batches of server messages (the first one answering the message's `id`) between
slices of work, or an `Offload` (work for a thread) or `CHECKPOINT` (save me now), which the
socket route carries out. The session knows the engine and the protocol, not FastAPI.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from app.engine import History, Trainer
from app.limits import Limits
from app.protocol import ClientMessage, Message, ProtocolError, with_id
from app.session import compare, edits, gradcheck, loss_slice, messages, restore
from app.session.events import Events, Reconfigured
from app.session.experiment import CHECKED_AFTER, ExperimentWatch, config_of, entry_of
from app.session.pace import FixedPace, Pace
from app.session.player import Output, Player
from app.session.timeline import DatasetLookup, Timeline, replace_config
from app.steplog import StepLog

REBUILD_KEYS = frozenset(
    {"dataset", "dataset_id", "samples", "noise", "test_fraction", "data_seed", "features",
     "hidden", "activation", "init", "seed"}
)  # fmt: skip
# Commands that change the moment: play stops first (and says so) when one arrives.
MUTATING_WHILE_PLAYING = frozenset(
    {"step", "back", "seek", "reset", "set_weight", "set_bias", "gradcheck", "compare",
     "compare_remove", "show_run", "experiment"}
)  # fmt: skip
MAX_EPOCH_COUNT = 100  # `step` by epoch takes count 1..100


def new_secret() -> str:
    """128 bits from the OS CSPRNG, URL-safe."""
    return secrets.token_urlsafe(16)


@dataclass(frozen=True)
class Offload:
    """Work too long for the event loop (~1 s): run `job` in a thread, send what it returns."""

    job: Callable[[], list[Message]]


class _Checkpoint:
    """Save the session now (after play ends)."""


CHECKPOINT = _Checkpoint()
Item = list[Message] | Offload | _Checkpoint


class Session:
    """A training session: identity, one timeline, one player."""

    def __init__(
        self,
        limits: Limits,
        datasets: DatasetLookup,
        config: dict[str, Any] | None = None,
        *,
        session_id: str | None = None,
        pace: Pace | None = None,
        evaluate: bool = True,
    ) -> None:
        """`evaluate=False`: step 0's whole-set metrics are left out (a state is restored next,
        then evaluated in slices by the hub)."""
        self.id = session_id or new_secret()
        self.token = new_secret()
        self.watch_key = new_secret()
        # Wall-clock creation time (checkpoints keep it: the age limit survives restarts).
        self.created_at = time.time()
        self.limits = limits
        self.timeline = Timeline(limits, datasets, pace or FixedPace())
        self.player = Player(self.timeline)
        self.experiment = ExperimentWatch(self.timeline)
        self.player.after_frame = self._experiment_news
        self.timeline.build(config, evaluate)
        self.runs = compare.Runs(self)  # compared runs (none until a `compare`)
        self.player.companions = self.runs

    def use_pace(self, pace: Pace) -> None:
        """Share the rounds of `pace` (the hub's) from now on."""
        self.timeline.pace = pace

    # -- what other modules read (checkpoints, the HTTP API, benchmarks) -----------------------

    @property
    def trainer(self) -> Trainer:
        return self.timeline.trainer

    @property
    def history(self) -> History:
        return self.timeline.history

    @property
    def log(self) -> StepLog:
        return self.timeline.log

    @property
    def step(self) -> int:
        return self.timeline.step

    @property
    def playing(self) -> bool:
        return self.player.playing

    @property
    def pending_before(self) -> Any:
        return self.timeline.pending_before

    def config_dict(self) -> dict[str, Any]:
        return self.timeline.config_dict()

    # Restoring and importing leave the whole-set metrics of the new step to the caller
    # (`metrics_due`; the hub evaluates them in slices).

    def restore_state(self, state: Any, log: dict[str, list[Any]] | None = None) -> None:
        restore.restore_state(self.timeline, state, log)

    def import_weights(
        self, layers: list[tuple[list[list[float]], list[float]]], step: int, epoch: int
    ) -> None:
        restore.import_weights(self.timeline, layers, step, epoch)

    def import_state(
        self,
        state: Any,
        layers: list[tuple[list[list[float]], list[float]]],
        step: int,
        epoch: int,
    ) -> None:
        restore.import_state(self.timeline, state, layers, step, epoch)

    @property
    def metrics_due(self) -> bool:
        """No whole-set metrics at the step shown yet (after a restore or an import). Never
        during a phase walk: the trainer is then a step ahead of the moment shown."""
        tl = self.timeline
        return tl.pending is None and tl.log.metrics_at(tl.step) is None

    # -- messages of the moment ---------------------------------------------------------------

    def hello(self, role: str = "control", resumed: bool = False) -> Message:
        """A spectator's hello carries neither the token nor the watch key."""
        keys = {"token": self.token, "watch_key": self.watch_key} if role == "control" else {}
        hello = messages.hello_message(self.timeline, self.id, role, resumed, keys)
        following = {"experiment": self.experiment.id} if self.experiment.id else {}
        return {**hello, **following}

    def welcome(self, role: str, resumed: bool = False) -> list[Message]:
        """What a socket gets on connecting: hello, data, state, series (and its sample)."""
        return [
            self.hello(role, resumed),
            self.data_message(),
            self.state_message(),
            *self._moment(),
            *([self.runs.message()] if self.runs.active else []),
            *([self.experiment.message()] if self.experiment.entry else []),
        ]

    def state_message(self) -> Message:
        return messages.state_message(self.timeline, self.playing)

    def data_message(self) -> Message:
        return messages.data_message(self.timeline)

    def series_message(self) -> Message:
        return messages.series_message(self.timeline)

    def _moment(self) -> list[Message]:
        return [self.series_message(), *messages.sample_messages(self.timeline)]

    def _say(self, work: Iterator[Events]) -> Iterator[list[Message]]:
        for events in work:
            yield messages.render(events, self.timeline, self.playing)

    # -- play, for drivers without a socket (tests, benchmarks) -------------------------------

    def start_play(self, speed: float | None) -> None:
        self.player.start(speed)

    def stop_play(self) -> None:
        self.player.stop()

    def play_slice(self, budget_s: float) -> list[Message]:
        return self.player.play_slice(budget_s)

    def frame_message(self) -> Message:
        return self.player.frame_message()

    def finish_play(self) -> Iterator[Events]:
        return self.player.finish()

    def seek(self, step: int) -> Iterator[list[Message]]:
        return self._say(self.timeline.seek(step))

    def back(self, unit: str, count: int) -> Iterator[list[Message]]:
        return self._say(self.timeline.back(unit, count))

    # -- the command table --------------------------------------------------------------------

    def handle(self, msg: ClientMessage, out: Output | None = None) -> Iterator[Item]:
        """Carry out one validated client message; yields batches of replies between slices.

        `out` is the controlling socket, which play streams frames to.
        """
        if msg.type in MUTATING_WHILE_PLAYING and self.playing:
            self.player.stop()
            yield [self.player.status("paused")]
        answered = False
        comparing, start = self.runs.active, self.timeline.step
        for item in COMMANDS[msg.type](self, msg, out):
            if isinstance(item, list) and item and not answered:
                answered = True
                item = [with_id(item[0], msg.id), *item[1:]]
            if isinstance(item, list):
                self.experiment.observe(item)
            yield item
        if msg.type in compare.MOVING and (comparing or self.runs.active):
            yield from self.runs.catch_up()  # the other runs follow the shown one's step
            stepped = msg.type == "step" and comparing
            yield [self.runs.message(since=start if stepped else None)]
        if msg.type in CHECKED_AFTER:
            news = self.experiment.update()
            if news:
                yield news

    def _experiment_news(self, sent: list[Message]) -> list[Message]:
        """After a played frame batch (or play's end): the experiment message, if it changed."""
        self.experiment.observe(sent)
        return self.experiment.update(playing=self.playing)

    def _step(self, msg: Any, out: Output | None) -> Iterator[Item]:
        tl = self.timeline
        if msg.unit == "phase":
            yield from self._say(tl.step_phases(msg.count))
        elif msg.unit == "iteration":
            yield from self._say(tl.step_iterations(msg.count))
        else:
            if msg.count > MAX_EPOCH_COUNT:
                raise ProtocolError(
                    "invalid_message", f"count: stepping by epoch takes 1..{MAX_EPOCH_COUNT}"
                )
            yield from self._say(tl.step_epochs(msg.count))

    def _back(self, msg: Any, out: Output | None) -> Iterator[Item]:
        yield from self.back(msg.unit, msg.count)

    def _seek(self, msg: Any, out: Output | None) -> Iterator[Item]:
        yield from self.seek(msg.step)

    def _configure(self, msg: Any, out: Output | None) -> Iterator[Item]:
        """Live hyperparameters apply from the next update; anything else rebuilds.

        Everything is checked before anything changes: a refused configure leaves the session
        exactly as it was (the phase walk on screen included).
        """
        tl = self.timeline
        current = tl.config_dict()
        changed = {k: v for k, v in msg.config.changes().items() if _differs(current.get(k), v)}
        if changed.keys() & REBUILD_KEYS:
            dataset_id = changed.pop("dataset_id", tl.dataset_id)
            cfg = replace_config(tl.trainer.config, changed)
            yield from self._say(edits.rebuild(tl, cfg, dataset_id, announce=True))
            self.runs.rebuilt()
        elif changed:
            yield from self._say(edits.retune(tl, changed))
        else:
            yield messages.render([Reconfigured()], tl, self.playing)

    def _reset(self, msg: Any, out: Output | None) -> Iterator[Item]:
        tl = self.timeline
        cfg = tl.trainer.config
        seed_changed = msg.seed is not None and msg.seed != cfg.seed
        if seed_changed:
            cfg = cfg.replace(seed=msg.seed)
        yield from self._say(edits.rebuild(tl, cfg, tl.dataset_id, announce=seed_changed))
        if self.runs.active:
            self.runs.reset()

    def _experiment(self, msg: Any, out: Output | None) -> Iterator[Item]:
        """A new network for the entry's whole config (`edits.rebuild`, as configure and
        reset), at step 0; then the check's result there."""
        if msg.experiment is None:
            self.experiment.start(None)
            yield [self.experiment.cleared()]
            return
        entry = entry_of(msg.experiment)
        yield from self._say(edits.rebuild(self.timeline, config_of(entry), None, announce=True))
        self.runs.rebuilt()  # a new network for the shown run: the comparison ends
        self.experiment.start(entry)
        yield self.experiment.update()

    def _set_weight(self, msg: Any, out: Output | None) -> Iterator[Item]:
        yield from self._say(
            edits.set_parameter(self.timeline, msg.layer, msg.row, msg.col, msg.value)
        )

    def _set_bias(self, msg: Any, out: Output | None) -> Iterator[Item]:
        yield from self._say(
            edits.set_parameter(self.timeline, msg.layer, msg.row, None, msg.value)
        )

    def set_follow(self, index: int | None, split: str) -> list[Message]:
        """Follow sample `index` of `split` (None: none) through every later pass."""
        tl = self.timeline
        if index is None:
            tl.follow = None
            return []
        data = tl.trainer.data
        n = len(data.y_train if split == "train" else data.y_test)
        if not 0 <= index < n:
            raise ProtocolError("out_of_range", f"index: the {split} set has samples 0..{n - 1}")
        tl.follow = (index, split)
        return messages.sample_messages(tl)

    def _follow(self, msg: Any, out: Output | None) -> Iterator[Item]:
        yield self.set_follow(msg.index, msg.split)

    def _gradcheck(self, msg: Any, out: Output | None) -> Iterator[Item]:
        job = self.gradcheck_job(msg.layer)
        yield Offload(lambda: [with_id(m, msg.id) for m in job()])

    def _sync(self, msg: Any, out: Output | None) -> Iterator[Item]:
        yield [self.state_message(), *self._moment()]

    def _ping(self, msg: Any, out: Output | None) -> Iterator[Item]:
        yield [{"type": "pong"}]

    def _play(self, msg: Any, out: Output | None) -> Iterator[Item]:
        self.player.start(msg.speed)
        if out is not None:
            self.player.stream(out, self.timeline.pace)
        yield [self.player.status()]

    def _pause(self, msg: Any, out: Output | None) -> Iterator[Item]:
        was_playing = self.playing
        self.player.stop()
        yield [self.player.status("paused")]
        if was_playing:
            for _ in self.player.finish():
                yield []
        yield [self.state_message(), *self._moment()]
        if was_playing:
            yield CHECKPOINT

    def _loss_slice(self, msg: Any, out: Output | None) -> Iterator[Item]:
        yield from loss_slice.loss_slice(self.timeline, self.playing, msg.points, msg.range)

    def _compare(self, msg: Any, out: Output | None) -> Iterator[Item]:
        yield from self.runs.compare(msg.config.changes(), msg.seed)

    def _compare_remove(self, msg: Any, out: Output | None) -> Iterator[Item]:
        yield from self.runs.remove(msg.run)

    def _show_run(self, msg: Any, out: Output | None) -> Iterator[Item]:
        yield from self.runs.show(msg.run)

    def _ack(self, msg: Any, out: Output | None) -> Iterator[Item]:
        self.player.ack(msg.frame)
        yield from ()

    def gradcheck_job(self, layer: int | None) -> Callable[[], list[Message]]:
        """A gradient check of the current weights, as a job for a worker thread."""
        return gradcheck.job(self.timeline, layer)


Command = Callable[[Session, Any, Output | None], Iterator[Item]]
# Every client message type and the method that carries it out: the only dispatch there is.
COMMANDS: dict[str, Command] = {
    "configure": Session._configure,
    "step": Session._step,
    "back": Session._back,
    "seek": Session._seek,
    "play": Session._play,
    "pause": Session._pause,
    "ack": Session._ack,
    "reset": Session._reset,
    "set_weight": Session._set_weight,
    "set_bias": Session._set_bias,
    "follow": Session._follow,
    "gradcheck": Session._gradcheck,
    "sync": Session._sync,
    "ping": Session._ping,
    "loss_slice": Session._loss_slice,
    "compare": Session._compare,
    "compare_remove": Session._compare_remove,
    "show_run": Session._show_run,
    "experiment": Session._experiment,
}


def _differs(old: Any, new: Any) -> bool:
    if isinstance(old, list | tuple) and isinstance(new, list | tuple):
        return list(old) != list(new)
    return bool(old != new)
