"""The timeline of one session: trainer, history, step log and the moment shown.

The moment is a step plus how many phases of the next iteration are revealed. While a phase
walk is under way the trainer has already applied that iteration (`pending`) and `before`
holds the state it started from, so changes made mid-walk can redo it exactly.

Commands are generators: they yield lists of domain events (below) between short slices of
work, so the event loop is never held for more than a slice (`Pace.slice_s`, ~1 ms a round).
`app.session.messages` turns the events into protocol messages. This module moves through
time (step, back, seek); `app.session.edits` changes what is trained (a new network, live
settings, a weight).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Generator, Iterator
from typing import Any

from app.engine import Dataset, Diverged, History, IterationRecord, TrainConfig, Trainer
from app.engine.unit_health import UnitHealth
from app.evaluation import Evaluation
from app.limits import Limits, check_limits
from app.protocol import Phase, ProtocolError, phase_order
from app.session.events import (
    Events,
    IterationDone,
    Moved,
    PhaseRevealed,
    Shown,
    WentDiverged,
)
from app.session.pace import Pace
from app.steplog import LogEntry, StepLog, finite

HISTORY_BUDGET_BYTES = 8 << 20  # checkpoints kept for back/seek, per session
MAX_EPOCH_STEPS = 50_000  # a `step` by epoch that would take more updates is refused (busy)

DatasetLookup = Callable[[str], Dataset | None]


class Timeline:
    """One network, its history and step log, and the moment shown to the user."""

    def __init__(self, limits: Limits, datasets: DatasetLookup, pace: Pace) -> None:
        self.limits = limits
        self.pace = pace
        self._datasets = datasets
        self.dataset_id: str | None = None
        self.follow: tuple[int, str] | None = None
        self.latest_metrics: dict[str, Any] | None = None
        # Dead / saturated units over the whole training set, from the latest evaluation.
        self.latest_units: UnitHealth | None = None
        self.trainer: Trainer
        self.history: History
        self.log: StepLog
        self.last_record: IterationRecord | None = None
        self.pending: IterationRecord | None = None
        self.before: Any = None
        self.revealed = 0
        self.phases: list[Phase] = []
        self._on_install: list[Callable[[], None]] = []

    def on_install(self, listener: Callable[[], None]) -> None:
        """Call `listener` whenever a new network replaces the current one (once per listener)."""
        if listener not in self._on_install:
            self._on_install.append(listener)

    # -- building -----------------------------------------------------------------------------

    def build(self, config: dict[str, Any] | None, evaluate: bool = True) -> None:
        """The first network: the default config, or `config` (a patch of it).

        `evaluate=False` leaves step 0's whole-set metrics out: the caller restores another
        state next, or evaluates in slices (`evaluate_sliced`)."""
        changes = dict(config or {})
        dataset_id = changes.pop("dataset_id", None)
        base = TrainConfig()
        cfg = replace_config(base, {k: v for k, v in changes.items() if hasattr(base, k)})
        trainer = self.make_trainer(cfg, dataset_id)
        self.dataset_id = dataset_id if cfg.dataset == "custom" else None
        self.install(trainer)
        if evaluate:
            self.store_evaluation(Evaluation(self.trainer))

    def custom(self, cfg: TrainConfig, dataset_id: str | None) -> Dataset | None:
        if cfg.dataset != "custom":
            return None
        found = self._datasets(dataset_id) if dataset_id else None
        if found is None:
            raise ProtocolError(
                "unknown_dataset",
                "dataset 'custom' needs a dataset_id returned by POST /api/datasets"
                + (f"; {dataset_id!r} is unknown" if dataset_id else ""),
            )
        return found

    def make_trainer(self, cfg: TrainConfig, dataset_id: str | None) -> Trainer:
        """A trainer for `cfg`, after checking the limits (before allocating anything)."""
        custom = self.custom(cfg, dataset_id)
        check_limits(cfg, custom, self.limits)
        try:
            return Trainer(cfg, custom)
        except ValueError as exc:
            raise ProtocolError("invalid_message", str(exc)) from None

    def install(self, trainer: Trainer) -> None:
        """Make `trainer` the session's network; history and log start afresh.

        Whole-set metrics of step 0 are left to the caller (in slices, `evaluate_sliced`).
        """
        old: History | None = self.__dict__.get("history")
        if old is not None:
            old.close()
        self.trainer = trainer
        self.history = self.new_history(trainer)
        self.pending, self.before, self.revealed = None, None, 0
        self.phases = phase_order(len(trainer.W))
        self.log = StepLog(len(trainer.W), LogEntry(0, trainer.epoch, trainer.position, None))
        self.last_record = None
        self.latest_metrics = None
        self.latest_units = None
        self.follow = None
        for listener in self._on_install:
            listener()

    def new_history(self, trainer: Trainer) -> History:
        """History over `max_seek_history` steps within `HISTORY_BUDGET_BYTES`.

        A checkpoint holds the weights and up to two optimizer slots (Adam): 8·3·parameters
        bytes, ~415 KB for the largest network. Every 50 steps over 10,000 steps that would be
        80 MB per session; bigger networks are checkpointed less often instead (a seek then
        replays more steps, in slices).
        """
        params = sum(W.size + b.size for W, b in zip(trainer.W, trainer.b, strict=True))
        state_bytes = 8 * 3 * params + 8 * trainer.data.n_train // 4
        keep = self.limits.max_seek_history
        every = max(50, -(-keep * state_bytes // HISTORY_BUDGET_BYTES))
        return History(trainer, keep=keep, checkpoint_every=min(every, max(keep, 1)))

    # -- the moment ---------------------------------------------------------------------------

    @property
    def step(self) -> int:
        """The step of the moment shown: updates applied before the phases on screen."""
        return self.trainer.step - 1 if self.pending is not None else self.trainer.step

    @property
    def n_phases(self) -> int:
        return len(self.phases)

    @property
    def pending_before(self) -> Any:
        """The trainer state of the moment shown while a phase walk is under way."""
        return self.before if self.pending is not None else None

    def config_dict(self) -> dict[str, Any]:
        cfg = dataclasses.asdict(self.trainer.config)
        cfg = {k: list(v) if isinstance(v, tuple) else v for k, v in cfg.items()}
        cfg["dataset_id"] = self.dataset_id
        return cfg

    def store_metrics(self, metrics: dict[str, Any]) -> None:
        self.log.set_metrics(metrics["step"], metrics)
        self.latest_metrics = metrics

    def store_evaluation(self, evaluation: Evaluation) -> dict[str, Any]:
        """Keep a finished evaluation's metrics (logged at its step) and unit health."""
        metrics = evaluation.result()
        self.store_metrics(metrics)
        self.latest_units = evaluation.units()
        return metrics

    def units_at(self, step: int) -> UnitHealth | None:
        """The latest whole-set unit health if measured at or before `step` (not after a
        rewind past it: those weights are not the ones on screen)."""
        units = self.latest_units
        return units if units is not None and (units.step or 0) <= step else None

    def evaluate_sliced(self) -> Generator[Events, None, dict[str, Any]]:
        """Whole-set metrics at the current step, yielding between chunks; logged."""
        evaluation = Evaluation(self.trainer)
        while not evaluation.run(self.pace.slice_s()):
            yield []
        return self.store_evaluation(evaluation)

    # -- training primitives ------------------------------------------------------------------

    def train_one(self) -> IterationRecord:
        """Apply one update; log and record it. Raises Diverged with nothing changed."""
        record = self.trainer.train_step()
        if self.trainer.step > self.history.newest:
            self.history.record()
        layers = record.diagnostics.layers
        entry = LogEntry(
            record.step,
            self.trainer.epoch,
            self.trainer.position,
            float(record.loss),
            tuple(float(d.grad_norm) for d in layers),
            tuple(finite(d.update_ratio) for d in layers),
        )
        if entry.step >= self.log.first_step:
            # Replaying a logged step (after back/seek) overwrites it with the same figures and
            # keeps the metrics measured there: the logged future stays valid, replay is exact.
            self.log.put(entry)
            # The log covers what history can restore plus as much again for the charts;
            # trimmed in batches (a shift of the columns), its memory is bounded.
            floor = self.history.oldest - self.limits.max_seek_history
            if floor - self.log.first_step > max(64, self.limits.max_seek_history // 8):
                self.log.drop_before(floor)
        self.last_record = record
        return record

    def settle(self) -> None:
        """Drop a phase walk, returning the trainer to the moment's iteration boundary."""
        if self.pending is not None:
            self.trainer.restore(self.before)
            self._close_walk()

    def _close_walk(self) -> None:
        self.pending, self.before, self.revealed = None, None, 0

    def branch(self) -> None:
        """The state at the current step is about to change: the recorded future is void."""
        step = self.trainer.step
        self.history.truncate_after(step)
        self.log.truncate_after(step)

    def open_walk(self, revealed: int) -> Events:
        """Start showing the phases of the next iteration (the trainer applies it now)."""
        before = self.trainer.capture()
        try:
            record = self.train_one()
        except Diverged as exc:
            return [WentDiverged(exc)]
        self.before, self.pending, self.revealed = before, record, revealed
        return []

    def goto(self, step: int, revealed: int = 0) -> Iterator[Events]:
        """Return exactly to `step` (in history), replaying from a checkpoint in slices."""
        self.settle()
        trainer = self.trainer
        if step != trainer.step:
            # The record of another step: a frame after the jump must not carry its diagnostics.
            self.last_record = None
            start = max(s for s in self.history.checkpoints if s <= step)
            if not start <= trainer.step <= step:
                self.history.seek(start)  # a stored checkpoint: restored without replay
            deadline = time.perf_counter() + self.pace.slice_s()
            while trainer.step < step:
                trainer.train_step()  # the recorded timeline, replayed bit for bit
                if time.perf_counter() > deadline:
                    yield []
                    deadline = time.perf_counter() + self.pace.slice_s()
        if revealed:
            failed = self.open_walk(revealed)
            if failed:
                yield failed

    def check_in_history(self, step: int) -> None:
        if step < 0:
            raise ProtocolError("out_of_range", "cannot go back before step 0")
        if step < self.history.oldest or step > self.history.newest:
            raise ProtocolError(
                "out_of_range",
                f"step {step} is not in the kept history "
                f"({self.history.oldest}..{self.history.newest})",
            )

    # -- commands -----------------------------------------------------------------------------

    def step_phases(self, count: int) -> Iterator[Events]:
        for _ in range(count):
            if self.pending is None:
                failed = self.open_walk(0)
                if failed:
                    yield failed
                    return
            record = self.pending
            assert record is not None
            self.revealed += 1
            out: Events = [PhaseRevealed(record, self.revealed - 1)]
            if self.revealed == self.n_phases:
                self._close_walk()
                yield from self.evaluate_sliced()
                out.append(IterationDone(record, [(record.step, float(record.loss))]))
            yield out

    def step_iterations(self, count: int, until_epoch: int | None = None) -> Iterator[Events]:
        """Run `count` iterations (or until `epoch` reaches `until_epoch`), in slices."""
        losses: list[tuple[int, float]] = []
        last = self.pending
        if last is not None:
            # Mixed units: complete the iteration on screen (its remaining phases unsent).
            losses.append((last.step, float(last.loss)))
            self._close_walk()
            count -= 1
        deadline = time.perf_counter() + self.pace.slice_s()
        done = 0
        while (until_epoch is None and done < count) or (
            until_epoch is not None and self.trainer.epoch < until_epoch
        ):
            try:
                last = self.train_one()
            except Diverged as exc:
                if last is not None:
                    yield from self.evaluate_sliced()
                    yield [IterationDone(last, losses)]
                yield [WentDiverged(exc)]
                return
            losses.append((last.step, float(last.loss)))
            done += 1
            if time.perf_counter() > deadline:
                yield []
                deadline = time.perf_counter() + self.pace.slice_s()
        if last is not None:
            yield from self.evaluate_sliced()
            yield [IterationDone(last, losses), *([Shown()] if until_epoch is not None else [])]

    def step_epochs(self, count: int) -> Iterator[Events]:
        t = self.trainer
        remaining = t.steps_per_epoch - t.position // max(1, t.config.batch_size)
        steps = remaining + (count - 1) * t.steps_per_epoch
        if steps > MAX_EPOCH_STEPS:
            raise ProtocolError(
                "busy",
                f"count: {count} epochs are {steps} updates at this batch size; "
                f"at most {MAX_EPOCH_STEPS} per message (step fewer epochs or raise batch_size)",
            )
        target = t.epoch + count
        if self.pending is not None and self.pending.epoch_completed:
            target -= 1  # the iteration on screen completes an epoch of its own
        yield from self.step_iterations(0, until_epoch=target)

    def back(self, unit: str, count: int) -> Iterator[Events]:
        """Return exactly to an earlier moment; `out_of_range` changes nothing."""
        if unit == "phase":
            target = self.step * self.n_phases + self.revealed - count
            if target < 0:
                raise ProtocolError("out_of_range", "cannot go back before step 0")
            step, revealed = divmod(target, self.n_phases)
        elif unit == "iteration":
            mid_walk = self.pending is not None
            step, revealed = self.step - (count - (1 if mid_walk else 0)), 0
        else:
            step, revealed = self._epoch_back_target(count), 0
        self.check_in_history(step)
        yield from self.goto(step, revealed)
        yield [Moved()]

    def _epoch_back_target(self, count: int) -> int:
        """The start of the current epoch (or of earlier ones) among the logged steps."""
        step, at_start = self.step, self.revealed == 0
        for _ in range(count):  # count ≤ 1000 (the protocol's limit), each O(log n)
            earlier = self.log.epoch_start_before(step, inclusive=not at_start)
            if earlier is None:
                raise ProtocolError("out_of_range", "cannot go back before the first kept epoch")
            step, at_start = earlier, True
        return step

    def seek(self, step: int) -> Iterator[Events]:
        self.check_in_history(step)
        yield from self.goto(step)
        yield [Moved()]


def replace_config(cfg: TrainConfig, changes: dict[str, Any]) -> TrainConfig:
    """`cfg` with `changes`, or `invalid_message` naming the field the engine refused."""
    try:
        return cfg.replace(**changes)
    except (ValueError, TypeError) as exc:
        raise ProtocolError("invalid_message", f"config.{exc}") from None
