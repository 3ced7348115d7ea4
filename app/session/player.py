"""Paced play: the trainer runs in short slices at its own speed (or at `speed` steps per
second) and the client gets the newest frame only after acking the previous one.

A slow tab never slows training nor grows a queue: frames are not buffered, the losses of the
steps between two frames are (bounded, see `MAX_FRAME_LOSSES`). Every slice ends with a yield
to the event loop, so one playing session cannot starve the others.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import time
from collections.abc import Callable, Iterator
from typing import Any, Protocol

from app.engine import Diverged
from app.evaluation import Evaluation
from app.protocol import Message
from app.session import messages
from app.session.events import Events
from app.session.pace import SLICE_S, Pace
from app.session.timeline import Timeline

log = logging.getLogger("backprop_lab.play")

MAX_FRAME_LOSSES = 200
PLAY_EVAL_INTERVAL_S = 0.25  # while playing, fresh whole-set metrics at most this often
FRAME_INTERVAL_S = 1 / 60  # no point drawing faster than the screen refreshes


class PeerGone(Exception):
    """The socket a player streams to is gone."""


class Output(Protocol):
    """Where frames go: the controlling socket (which copies what spectators may see)."""

    closed: bool

    async def emit(self, messages: list[Message]) -> None: ...

    async def error(self, code: str, message: str, msg_id: object = None) -> None: ...


class Companions(Protocol):
    """Other runs that follow the played one (app/session/compare.py)."""

    @property
    def active(self) -> bool: ...

    def follow_play(self) -> None: ...

    def frame_runs(self) -> list[Message]: ...

    def others(self) -> list[Any]: ...


class Player:
    """Play state of one session, and the loop that streams it."""

    def __init__(self, timeline: Timeline) -> None:
        self.tl = timeline
        self.playing = False
        self.speed: float | None = None
        self.frame_number = 0
        self.frame_losses: list[tuple[int, float]] = []
        self._clock = 0.0
        self._done = 0
        self._rate_steps: collections.deque[tuple[float, int]] = collections.deque()
        self._eval: Evaluation | None = None
        self._last_eval_start = 0.0
        self._task: asyncio.Task[None] | None = None
        self._acked = asyncio.Event()
        self._awaiting_frame: int | None = None
        self.companions: Companions | None = None
        # Messages to send after a frame batch (or play's end), given the batch.
        self.after_frame: Callable[[list[Message]], list[Message]] = lambda sent: []
        timeline.on_install(self.forget)

    def forget(self) -> None:
        """A new network: the losses and metrics under way were the old one's."""
        self.frame_losses = []
        self._eval = None

    # -- the paced training -------------------------------------------------------------------

    def start(self, speed: float | None) -> None:
        self.tl.settle()
        self.playing = True
        self.speed = speed
        self._clock = time.perf_counter()
        self._done = 0
        self.frame_losses = []
        self._acked.set()  # the first frame needs no ack

    def stop(self) -> None:
        """Stop training; the streaming loop (if any) ends without another frame."""
        self.playing = False
        task, self._task = self._task, None
        if task is not None and task is not _current_task():
            task.cancel()

    def play_slice(self, budget_s: float = SLICE_S) -> list[Message]:
        """Train for at most `budget_s` (respecting `speed`); messages if play stopped.

        Then advance the running whole-set evaluation by a chunk or so: metrics while playing
        are fresh every `PLAY_EVAL_INTERVAL_S` at most and never block the loop.
        """
        others = self.companions if self.companions and self.companions.active else None
        if others is not None:  # the slice is shared with the runs that follow this one
            budget_s /= 1 + len(others.others())
        end = time.perf_counter() + budget_s
        allowed = None
        if self.speed is not None:
            allowed = int((time.perf_counter() - self._clock) * self.speed) - self._done
        done = 0
        while self.playing and (allowed is None or done < allowed):
            try:
                record = self.tl.train_one()
            except Diverged as exc:
                self.playing = False
                return [messages.diverged_message(exc), self.status("diverged")]
            self.frame_losses.append((record.step, float(record.loss)))
            done += 1
            if time.perf_counter() > end:
                break
        if len(self.frame_losses) > 4 * MAX_FRAME_LOSSES:
            # A client that never acks must not grow memory: halve, keeping the newest.
            self.frame_losses = self.frame_losses[::-2][::-1]
        self._done += done
        if others is not None:
            others.follow_play()
        now = time.perf_counter()
        rate = self._rate_steps
        if not rate or now - rate[-1][0] >= 0.01:  # the last second, in 10 ms samples
            rate.append((now, self.tl.trainer.step))
            while now - rate[0][0] >= 1.0:
                rate.popleft()
        if self._eval is None and now - self._last_eval_start >= PLAY_EVAL_INTERVAL_S:
            self._eval = Evaluation(self.tl.trainer)
            self._last_eval_start = now
        if self._eval is not None and self._eval.run(budget_s / 2):
            self.tl.store_evaluation(self._eval)
            self._eval = None
        return []

    def seconds_until_next_step(self) -> float:
        if self.speed is None:
            return 0.0
        due = self._clock + (self._done + 1) / self.speed
        return max(0.0, due - time.perf_counter())

    def status(self, reason: str | None = None) -> Message:
        return messages.status_message(self.playing, self.speed, reason)

    def frame_message(self) -> Message:
        self.frame_number += 1
        losses = self.frame_losses
        stride = max(1, -(-len(losses) // MAX_FRAME_LOSSES))
        picked = losses[::-stride][::-1]  # always ends with the newest step
        self.frame_losses = []
        rate = 0.0
        if len(self._rate_steps) >= 2:
            (t0, s0), (t1, s1) = self._rate_steps[0], self._rate_steps[-1]
            rate = (s1 - s0) / (t1 - t0) if t1 > t0 else 0.0
        tl = self.tl
        last = tl.last_record
        return {
            "type": "frame",
            "frame": self.frame_number,
            "step": tl.trainer.step,
            "epoch": tl.trainer.epoch,
            "layers": messages.weights(tl),
            "losses": [[s, v] for s, v in picked],
            "metrics": tl.latest_metrics,
            "diagnostics": messages.diagnostics(tl, last) if last else None,
            "steps_per_second": rate,
            "history": messages.history_range(tl),
            **(
                {"runs": self.companions.frame_runs()}
                if self.companions and self.companions.active
                else {}
            ),
        }

    def finish(self) -> Iterator[Events]:
        """After play stops: whole-set metrics of the final step (the `state` carries them)."""
        self._eval = None
        yield from self.tl.evaluate_sliced()

    # -- streaming ----------------------------------------------------------------------------

    def ack(self, frame: int) -> None:
        if self._awaiting_frame is None or frame >= self._awaiting_frame:
            self._acked.set()

    def stream(self, out: Output, pace: Pace) -> None:
        """Start the loop that plays and sends frames to `out` (one already running goes on)."""
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._loop(out, pace))

    async def _loop(self, out: Output, pace: Pace) -> None:
        last_frame = 0.0
        token = object()  # this loop, among the work sharing the rounds
        pace.busy.add(token)
        try:
            while self.playing and not out.closed:
                stopped = self.play_slice(pace.slice_s())
                if stopped:
                    await out.emit(stopped)
                    for _ in self.finish():
                        await asyncio.sleep(0)
                    state = [messages.state_message(self.tl, self.playing)]
                    await out.emit([*state, *self.after_frame(stopped)])
                    break
                now = time.monotonic()
                if self._acked.is_set() and now - last_frame >= FRAME_INTERVAL_S:
                    self._acked.clear()
                    frame = self.frame_message()
                    self._awaiting_frame = frame["frame"]
                    last_frame = now
                    await out.emit([frame, *self.after_frame([frame])])
                # Yield every slice, whatever happens: an unyielding loop starves the process.
                await asyncio.sleep(min(self.seconds_until_next_step(), FRAME_INTERVAL_S))
        except PeerGone:
            self.playing = False
        except Exception:
            log.exception("play loop failed")
            self.playing = False
            with contextlib.suppress(PeerGone):
                await out.error("internal_error", "training stopped by an internal error")
        finally:
            pace.busy.discard(token)


def _current_task() -> asyncio.Task[object] | None:
    try:
        return asyncio.current_task()
    except RuntimeError:  # no running loop (a session driven synchronously)
        return None
