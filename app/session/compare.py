"""Compared runs: from the current moment, more runs of the same network and data with some live
settings changed (or other initial weights), advancing together on the same batches.

Each run is a `Timeline` of its own (trainer, history, step log). A new run starts as an exact
copy of the shown run's trainer state at the moment shown (weights, optimizer state, data order
and position, dropout generator), then takes its changes: live settings through
`Trainer.update_hyper` (a new optimizer, or a new momentum under momentum/nesterov, restarts the
optimizer's state; a new learning rate keeps it), a new `seed` as fresh initial weights drawn as
`Trainer` draws them for that seed, with the optimizer restarted. The data order is never
redrawn, so with the same batch size every run trains on the same batches; a run with no change
reproduces the shown run bit for bit.

The runs follow the shown run's step: after every command that moves it (step, back, seek,
reset, pause, sync), each other run trains up to it, or returns to it through its own history
(exactly); before the step it was created at, it is created again there with the same changes.
While playing, each slice of the shown run's training is followed by the others' (the slice is
shared: a session's CPU is the same with 1 or 4 runs). A rebuild (new data or network) ends the
comparison; `reset` starts every run again at step 0 with its changes.

Limits: at most `MAX_RUNS` runs, whose parameters together stay within `PARAMETER_BUDGET_RUNS`
× `max_parameters` (40,000 with the defaults: the largest network can be compared once, the
default 2-4-2-2 one up to 4 times). Runs are not checkpointed: after a restart the session
resumes with the shown run alone.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import numpy as np

from app.engine import Diverged, OptimizerState, Trainer
from app.engine.config import HYPERPARAMETERS
from app.engine.init import init_network
from app.evaluation import Evaluation
from app.limits import check_limits
from app.protocol import Message, ProtocolError
from app.session.timeline import Timeline, replace_config
from app.steplog import LogEntry, StepLog

if TYPE_CHECKING:
    from app.session.session import Session

RUN_IDS = ("A", "B", "C", "D")
MAX_RUNS = len(RUN_IDS)
PARAMETER_BUDGET_RUNS = 2  # all runs together: at most 2 × max_parameters parameters
MAX_SERIES_POINTS = 2000
SERIES_KEYS = ("steps", "loss", "train_loss", "test_loss", "train_accuracy", "test_accuracy")
MAX_FRAME_LOSSES = 200
EVAL_INTERVAL_S = 0.25  # while playing, a run's whole-set metrics at most this often
# After these commands the other runs are brought to the shown run's step and a `runs` follows.
MOVING = frozenset({"step", "back", "seek", "reset", "pause", "sync", "configure", "experiment"})
LABEL_ORDER = ("optimizer", "learning_rate", "momentum", "batch_size", "l1", "l2", "dropout")
OPTIMIZER_NAMES = {"sgd": "SGD", "momentum": "momentum", "nesterov": "Nesterov",
                   "rmsprop": "RMSprop", "adam": "Adam"}  # fmt: skip


@dataclasses.dataclass(eq=False)
class Run:
    """One run: its timeline, what was changed to make it, and where it diverged (if it did)."""

    id: str
    tl: Timeline
    diverged: Message | None = None
    frame_losses: list[tuple[int, float]] = dataclasses.field(default_factory=list)
    evaluation: Evaluation | None = None
    last_eval: float = 0.0

    @property
    def parameters(self) -> int:
        t = self.tl.trainer
        return sum(W.size + b.size for W, b in zip(t.W, t.b, strict=True))


def _value(key: str, value: Any) -> str:
    if key == "optimizer":
        return str(OPTIMIZER_NAMES.get(value, value))
    symbol = {"learning_rate": "η", "momentum": "μ", "batch_size": "batch", "l1": "L1",
              "l2": "L2", "dropout": "dropout", "seed": "seed"}[key]  # fmt: skip
    return f"{symbol} {value:g}"


class Runs:
    """The session's runs; empty (no comparison) until the first `compare`."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.runs: list[Run] = []

    @property
    def active(self) -> bool:
        return len(self.runs) > 1

    @property
    def shown(self) -> Run:
        tl = self.session.timeline
        return next(r for r in self.runs if r.tl is tl)

    def others(self) -> list[Run]:
        tl = self.session.timeline
        return [r for r in self.runs if r.tl is not tl]

    # -- making runs --------------------------------------------------------------------------

    def fork(self, run_id: str, changes: dict[str, Any], seed: int | None) -> Run:
        """A run copied from the shown run's moment, with `changes` and `seed` applied."""
        src = self.session.timeline
        state = src.pending_before or src.trainer.capture()
        cfg = replace_config(state.config, changes)
        check_limits(cfg, src.custom(cfg, src.dataset_id), src.limits)
        trainer = Trainer(state.config, src.trainer.data if cfg.dataset == "custom" else None)
        trainer.restore(state)
        if seed is not None:
            init_seq = np.random.SeedSequence(seed).spawn(3)[0]  # as Trainer draws its weights
            W, b = init_network(np.random.default_rng(init_seq), trainer.sizes, cfg.init)
            trainer.restore(
                dataclasses.replace(
                    state,
                    config=state.config.replace(seed=seed),
                    W=tuple(W),
                    b=tuple(b),
                    optimizer=OptimizerState.initial(state.config.optimizer),
                )
            )
        if changes:
            trainer.update_hyper(**changes)
        tl = Timeline(src.limits, src._datasets, src.pace)
        tl.dataset_id = src.dataset_id
        tl.install(trainer)  # its metrics: evaluated in slices by `compare` or `catch_up`
        tl.log = StepLog(
            len(trainer.W), LogEntry(trainer.step, trainer.epoch, trainer.position, None)
        )
        tl.on_install(self.session.player.forget)
        return Run(run_id, tl)

    def refork(self, run: Run) -> Run:
        """`run` made again from the shown run's moment, with its own settings and seed."""
        own, shown = run.tl.trainer.config, self.session.timeline.trainer.config
        changes = {
            k: getattr(own, k) for k in HYPERPARAMETERS if getattr(own, k) != getattr(shown, k)
        }
        run.tl.history.close()
        return self.fork(run.id, changes, own.seed if own.seed != shown.seed else None)

    def compare(self, changes: dict[str, Any], seed: int | None) -> Iterator[list[Message]]:
        not_live = set(changes) - set(HYPERPARAMETERS)
        if not_live:
            raise ProtocolError(
                "invalid_message",
                f"config: only live settings can differ between runs ({', '.join(HYPERPARAMETERS)}),"
                f" not {', '.join(sorted(not_live))}",
            )
        if not self.runs:
            self.runs = [Run("A", self.session.timeline)]
        if len(self.runs) >= MAX_RUNS:
            raise ProtocolError("limit_exceeded", f"compare: at most {MAX_RUNS} runs")
        budget = PARAMETER_BUDGET_RUNS * self.session.limits.max_parameters
        per_run = self.shown.parameters
        if per_run * (len(self.runs) + 1) > budget:
            raise ProtocolError(
                "limit_exceeded",
                f"compare: {len(self.runs) + 1} runs of {per_run} parameters exceed the budget of "
                f"{budget} ({PARAMETER_BUDGET_RUNS} × max_parameters); use a smaller network",
            )
        used = {r.id for r in self.runs}
        run_id = next(i for i in RUN_IDS if i not in used)
        run = self.fork(run_id, changes, seed)
        for _ in run.tl.evaluate_sliced():
            yield []
        self.runs.append(run)
        yield [self.message()]

    def remove(self, run_id: str) -> Iterator[list[Message]]:
        run = self._find(run_id)
        if run is self.shown:
            raise ProtocolError("invalid_message", "run: show another run before removing this one")
        run.tl.history.close()
        self.runs.remove(run)
        if len(self.runs) == 1:
            self.runs = []
        yield [self.message()]

    def show(self, run_id: str) -> Iterator[list[Message]]:
        """Make `run_id` the run the diagram, inspector and every message describe."""
        run = self._find(run_id)
        yield from self.catch_up()
        self.session.timeline.settle()
        self.session.timeline = run.tl
        self.session.player.tl = run.tl
        self.session.player.forget()
        self.session.experiment.retarget(run.tl)
        s = self.session
        yield [self.message(), s.state_message(), s.series_message(), *s.experiment.update()]

    def _find(self, run_id: str) -> Run:
        for run in self.runs:
            if run.id == run_id:
                return run
        known = ", ".join(r.id for r in self.runs) or "none (send compare first)"
        raise ProtocolError("out_of_range", f"run: {run_id!r} is not a run; runs: {known}")

    # -- following the shown run --------------------------------------------------------------

    def rebuilt(self) -> None:
        """The shown run got a new network: the comparison ends."""
        for run in self.others():
            run.tl.history.close()
        self.runs = []

    def reset(self) -> None:
        """`reset`: every other run starts again at the shown run's new step 0, same changes."""
        self.runs = [r if r.tl is self.session.timeline else self.refork(r) for r in self.runs]

    def catch_up(self) -> Iterator[list[Message]]:
        """Bring every other run to the shown run's step, yielding `[]` between slices."""
        target = self.session.timeline.step
        pace = self.session.timeline.pace
        deadline = time.perf_counter() + pace.slice_s()
        for i, run in enumerate(self.runs):
            if run.tl is self.session.timeline:
                continue
            tl = run.tl
            if target < tl.history.oldest:  # before it was made: make it again there
                run = self.runs[i] = self.refork(run)
                tl = run.tl
            if run.diverged is not None and target < run.diverged["step"]:
                run.diverged = None
            if tl.step > target:
                for _ in tl.goto(target):
                    yield []
            while tl.trainer.step < target and run.diverged is None:
                self._train(run)
                if time.perf_counter() > deadline:
                    yield []
                    deadline = time.perf_counter() + pace.slice_s()
            if not tl.log.metrics_at(tl.step):
                for _ in tl.evaluate_sliced():
                    yield []

    def _train(self, run: Run) -> None:
        try:
            record = run.tl.train_one()
        except Diverged as exc:
            run.diverged = {"step": exc.step, "message": exc.message}
            return
        run.frame_losses.append((record.step, float(record.loss)))
        if len(run.frame_losses) > 4 * MAX_FRAME_LOSSES:
            run.frame_losses = run.frame_losses[::-2][::-1]

    def follow_play(self) -> None:
        """After a slice of play: the other runs train up to the shown run's step (the shown
        run's slice was cut to 1/len(runs) of the budget) and evaluate now and then."""
        target = self.session.timeline.trainer.step
        now = time.perf_counter()
        for run in self.others():
            while run.tl.trainer.step < target and run.diverged is None:
                self._train(run)
            if run.evaluation is None and now - run.last_eval >= EVAL_INTERVAL_S:
                run.evaluation, run.last_eval = Evaluation(run.tl.trainer), now
            if run.evaluation is not None and run.evaluation.run(0.0005):
                run.tl.store_evaluation(run.evaluation)
                run.evaluation = None

    # -- messages -----------------------------------------------------------------------------

    def label(self, run: Run) -> str:
        base = next((r for r in self.runs if r.id == "A"), self.runs[0]).tl.trainer.config
        cfg = run.tl.trainer.config
        if run.id == "A" or run is self.runs[0]:
            parts = [_value("optimizer", cfg.optimizer), _value("learning_rate", cfg.learning_rate)]
        else:
            parts = [
                _value(k, getattr(cfg, k))
                for k in LABEL_ORDER
                if getattr(cfg, k) != getattr(base, k)
            ]
            if cfg.seed != base.seed:
                parts.append(_value("seed", cfg.seed))
            parts = parts or ["same settings"]
        return f"{run.id}: {', '.join(parts)}"

    def message(self, since: int | None = None) -> Message:
        """`runs`: every run with its label, live settings, step, weights and chart series;
        with `since` (after a `step`), only the rows of the steps after it (`append`)."""
        shown = self.session.timeline
        if since is not None and any(r.tl.step - since > MAX_SERIES_POINTS for r in self.runs):
            since = None  # one run's rows come whole: every run's do, and nothing is appended
        out = []
        for run in self.runs:
            tl = run.tl
            series = _series(tl, since)
            out.append(
                {
                    "run": run.id,
                    "label": self.label(run),
                    "config": {k: getattr(tl.trainer.config, k) for k in HYPERPARAMETERS},
                    "seed": tl.trainer.config.seed,
                    "step": tl.step,
                    "diverged": run.diverged,
                    "metrics": tl.log.metrics_at(tl.step),
                    "layers": _weights(tl),
                    "series": {k: series[k] for k in SERIES_KEYS},
                }
            )
        shown_id = next(r.id for r in self.runs if r.tl is shown) if self.runs else None
        append = {"append": True} if since is not None and self.runs else {}
        return {"type": "runs", "shown": shown_id, "runs": out, **append}

    def frame_runs(self) -> list[Message]:
        """What a `frame` carries of each other run: its step, new losses, metrics, weights."""
        out = []
        for run in self.others():
            losses = run.frame_losses
            stride = max(1, -(-len(losses) // MAX_FRAME_LOSSES))
            run.frame_losses = []
            out.append(
                {
                    "run": run.id,
                    "step": run.tl.trainer.step,
                    "losses": [[s, v] for s, v in losses[::-stride][::-1]],
                    "metrics": run.tl.latest_metrics,
                    "layers": _weights(run.tl),
                    "diverged": run.diverged,
                }
            )
        return out


def _series(tl: Timeline, since: int | None) -> dict[str, list[Any]]:
    """The run's chart rows: all of them (downsampled), or exactly those after `since`."""
    if since is None or tl.step - since > MAX_SERIES_POINTS:
        return tl.log.series(tl.step, MAX_SERIES_POINTS)
    out: dict[str, list[Any]] = {k: [] for k in SERIES_KEYS}
    for step in range(max(since + 1, tl.log.first_step), tl.step + 1):
        entry = tl.log.at(step)
        if entry is None or entry.loss is None:
            continue
        metrics = tl.log.metrics_at(step) or {}
        out["steps"].append(step)
        out["loss"].append(entry.loss)
        for key in SERIES_KEYS[2:]:
            out[key].append(metrics.get(key))
    return out


def _weights(tl: Timeline) -> list[Message]:
    state = tl.pending_before
    W, b = (state.W, state.b) if state is not None else (tl.trainer.W, tl.trainer.b)
    return [{"W": w, "b": v} for w, v in zip(W, b, strict=True)]
