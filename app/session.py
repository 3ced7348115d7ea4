"""One learner's session: config, the stepping state machine, history and play.

A `Session` owns a `Trainer` and its `History` and turns client commands into server messages
(plain dicts, see docs/protocol.md). It knows the engine, not FastAPI: the socket loop in
app/server drives it. Long commands are generators that yield between short slices of work so
the event loop is never blocked for more than a few milliseconds.

The moment shown to the user is a step plus how many phases of the next iteration are revealed.
While a phase walk is under way the trainer has already applied that iteration (`_pending`) and
`_before` holds the state it started from, so changes made mid-walk can redo it exactly.
"""

from __future__ import annotations

import collections
import dataclasses
import itertools
import secrets
import time
from collections.abc import Callable, Generator, Iterator
from dataclasses import asdict
from typing import Any

import numpy as np

from app.engine import DATASETS, Dataset, Diverged, History, TrainConfig, Trainer
from app.engine.activations import ACTIVATIONS
from app.engine.gradcheck import check_network
from app.evaluation import Evaluation
from app.limits import Limits
from app.protocol import PROTOCOL_VERSION, ProtocolError
from app.steplog import LogEntry, StepLog, finite

Message = dict[str, Any]

REBUILD_KEYS = frozenset(
    {"dataset", "dataset_id", "samples", "noise", "test_fraction", "data_seed", "features",
     "hidden", "activation", "init", "seed"}
)  # fmt: skip
SLICE_S = 0.002  # longest stretch of training between two yields to the event loop
MAX_SERIES_POINTS = 2000
MAX_FRAME_LOSSES = 200
IMAGE_GALLERY = 64
GRADCHECK_OK = 1e-5
GRADCHECK_SAMPLES = 8  # as Trainer.gradient_check
PLAY_EVAL_INTERVAL_S = 0.25  # while playing, fresh whole-set metrics at most this often
HISTORY_BUDGET_BYTES = 8 << 20  # checkpoints kept for back/seek, per session
MAX_EPOCH_STEPS = 50_000  # a `step` by epoch that would take more updates is refused (busy)


def new_secret() -> str:
    """128 bits from the OS CSPRNG, URL-safe."""
    return secrets.token_urlsafe(16)


def phase_order(n_layers: int) -> list[tuple[str, int | None]]:
    """The phases of one iteration: forward 1..L, loss, backward L..1, update."""
    forward: list[tuple[str, int | None]] = [("forward", l) for l in range(1, n_layers + 1)]
    backward: list[tuple[str, int | None]] = [("backward", l) for l in range(n_layers, 0, -1)]
    return [*forward, ("loss", None), *backward, ("update", None)]


DatasetLookup = Callable[[str], Dataset | None]


class Session:
    """A training session: one network, its history, and the moment shown to the user."""

    def __init__(
        self,
        limits: Limits,
        datasets: DatasetLookup,
        config: dict[str, Any] | None = None,
        *,
        session_id: str | None = None,
    ) -> None:
        self.id = session_id or new_secret()
        self.token = new_secret()
        self.watch_key = new_secret()
        self.limits = limits
        self._datasets = datasets
        self.created = time.monotonic()
        self.last_active = self.created
        self.playing = False
        self.speed: float | None = None
        self.follow: tuple[int, str] | None = None
        self.frame_number = 0
        self._frame_losses: list[tuple[int, float]] = []
        self._last_record: Any = None
        self._play_clock = 0.0
        self._play_done = 0
        self._rate_steps: collections.deque[tuple[float, int]] = collections.deque()
        self._eval: Evaluation | None = None
        # The longest stretch of work between two yields of a command; the connection lowers
        # it when many sessions work at once, so a round of all of them stays short.
        self.slice_s = SLICE_S
        self._latest_metrics: dict[str, Any] | None = None
        self._last_eval_start = 0.0
        self.dataset_id: str | None = None
        self.last_ack = self.created
        self.trainer: Trainer
        self.history: History
        if config is None:
            self._install(self._make_trainer(TrainConfig(), None))
        else:
            self._configure_fresh(config)
        self._store_metrics(Evaluation(self.trainer).result())

    # -- building -----------------------------------------------------------------------------

    def _configure_fresh(self, config: dict[str, Any]) -> None:
        changes = dict(config)
        dataset_id = changes.pop("dataset_id", None)
        base = TrainConfig()
        cfg = _replace(base, {k: v for k, v in changes.items() if hasattr(base, k)})
        trainer = self._make_trainer(cfg, self._custom(cfg, dataset_id))
        self.dataset_id = dataset_id if cfg.dataset == "custom" else None
        self._install(trainer)

    def _custom(self, cfg: TrainConfig, dataset_id: str | None) -> Dataset | None:
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

    def _make_trainer(self, cfg: TrainConfig, custom: Dataset | None) -> Trainer:
        """A trainer for `cfg`, after checking the limits (before allocating anything)."""
        self._check_limits(cfg, custom)
        try:
            return Trainer(cfg, custom)
        except ValueError as exc:
            raise ProtocolError("invalid_message", str(exc)) from None

    def _install(self, trainer: Trainer) -> None:
        """Make `trainer` the session's network; history and log start afresh.

        Whole-set metrics of step 0 are left to the caller (in slices, `_evaluate_sliced`).
        """
        old: History | None = self.__dict__.get("history")
        if old is not None:
            old.close()
        self.trainer = trainer
        self.history = self._new_history(trainer)
        self._pending: Any = None
        self._before: Any = None
        self._revealed = 0
        self._phases = phase_order(len(trainer.W))
        self.log = StepLog(len(trainer.W), LogEntry(0, trainer.epoch, trainer.position, None))
        self._frame_losses = []
        self._last_record = None
        self._eval = None
        self._latest_metrics = None
        self.follow = None

    def _new_history(self, trainer: Trainer) -> History:
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

    def _check_limits(self, cfg: TrainConfig, custom: Dataset | None) -> None:
        lim = self.limits
        if len(cfg.hidden) > lim.max_hidden_layers:
            raise ProtocolError(
                "limit_exceeded", f"hidden: at most {lim.max_hidden_layers} hidden layers"
            )
        if any(w > lim.max_width for w in cfg.hidden):
            raise ProtocolError("limit_exceeded", f"hidden: each width must be 1..{lim.max_width}")
        if cfg.dataset == "custom" and custom is not None:
            input_dim, output_dim = custom.input_dim, custom.output_dim
        elif cfg.dataset == "digits":
            input_dim, output_dim = 64, 10
        else:
            input_dim = len(cfg.features)
            output_dim = 2 if DATASETS[cfg.dataset].task == "classification" else 1
        sizes = [input_dim, *cfg.hidden, output_dim]
        params = sum((a + 1) * b for a, b in itertools.pairwise(sizes))
        if params > lim.max_parameters:
            raise ProtocolError(
                "limit_exceeded",
                f"hidden: this network has {params} parameters; the limit is {lim.max_parameters}",
            )
        if cfg.batch_size > lim.max_batch_size:
            raise ProtocolError("limit_exceeded", f"batch_size: must be 1..{lim.max_batch_size}")
        if cfg.samples > lim.max_samples and cfg.dataset not in ("digits", "custom"):
            raise ProtocolError("limit_exceeded", f"samples: must be 20..{lim.max_samples}")
        if cfg.learning_rate > lim.max_learning_rate:
            raise ProtocolError(
                "invalid_message",
                f"learning_rate: must be in (0, {lim.max_learning_rate:g}]",
            )

    def restore_state(self, state: Any, log: dict[str, list[Any]] | None = None) -> None:
        """Continue from a saved trainer state (a checkpoint or an import); history restarts.

        `log` (from a checkpoint) holds the columns `step`, `epoch`, `position`, `loss` of the
        steps up to the state's, for the charts and for `back` by epoch.
        """
        self._settle()
        self.trainer.restore(state)
        self.history.close()
        self.history = self._new_history(self.trainer)
        step = self.trainer.step
        entries: list[LogEntry] = []
        if log:
            columns = zip(log["step"], log["epoch"], log["position"], log["loss"], strict=True)
            for s, epoch, position, loss in columns:
                entry = LogEntry(int(s), int(epoch), int(position), finite(loss))
                if entries and entry.step != entries[-1].step + 1:
                    entries = []
                entries.append(entry)
        if not entries or entries[-1].step != step:
            entries = [LogEntry(step, self.trainer.epoch, self.trainer.position, None)]
        entries[-1].epoch, entries[-1].position = self.trainer.epoch, self.trainer.position
        self.log = StepLog(len(self.trainer.W), entries[0])
        for entry in entries[1:]:
            self.log.put(entry)
        self._store_metrics(Evaluation(self.trainer).result())

    def import_weights(
        self, layers: list[tuple[list[list[float]], list[float]]], step: int, epoch: int
    ) -> None:
        """Load exported weights (the network shape must match the config)."""
        current = self.trainer.capture()
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
        self.restore_state(state)

    @property
    def pending_before(self) -> Any:
        """The trainer state of the moment shown while a phase walk is under way."""
        return self._before if self._pending is not None else None

    # -- the moment ---------------------------------------------------------------------------

    @property
    def step(self) -> int:
        """The step of the moment shown: updates applied before the phases on screen."""
        return self.trainer.step - 1 if self._pending is not None else self.trainer.step

    @property
    def n_phases(self) -> int:
        return len(self._phases)

    def _position(self) -> int:
        return self.step * self.n_phases + self._revealed

    def config_dict(self) -> dict[str, Any]:
        cfg = asdict(self.trainer.config)
        cfg = {k: list(v) if isinstance(v, tuple) else v for k, v in cfg.items()}
        cfg["dataset_id"] = self.dataset_id
        return cfg

    def _store_metrics(self, metrics: dict[str, Any]) -> None:
        self.log.set_metrics(metrics["step"], metrics)
        self._latest_metrics = metrics

    def _evaluate_sliced(self) -> Generator[list[Message], None, dict[str, Any]]:
        """Whole-set metrics at the current step, yielding between chunks; logged."""
        evaluation = Evaluation(self.trainer)
        while not evaluation.run(self.slice_s):
            yield []
        metrics = evaluation.result()
        self._store_metrics(metrics)
        return metrics

    # -- messages -----------------------------------------------------------------------------

    def hello(self, role: str = "control", resumed: bool = False) -> Message:
        msg: Message = {
            "type": "hello",
            "protocol": PROTOCOL_VERSION,
            "session": self.id,
            "role": role,
            "resumed": resumed,
            "config": self.config_dict(),
            "limits": self.limits.as_dict(),
            "step": self.step,
        }
        if role == "control":
            msg["token"] = self.token
            msg["watch_key"] = self.watch_key
        return msg

    def data_message(self) -> Message:
        d = self.trainer.data
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

    def state_message(self) -> Message:
        name, layer = self._phases[self._revealed]
        weights = self._before if self._pending is not None else None
        if weights is not None:
            layers = [{"W": r.W, "b": r.b} for r in self._pending.layers]
        else:
            layers = [{"W": W, "b": b} for W, b in zip(self.trainer.W, self.trainer.b, strict=True)]
        epoch = self.log.epoch_at(self.step)
        return {
            "type": "state",
            "step": self.step,
            "epoch": self.trainer.epoch if epoch is None else epoch,
            "phase": {"phase": name, "layer": layer},
            "revealed": self._revealed,
            "layers": layers,
            "config": self.config_dict(),
            "metrics": self.log.metrics_at(self.step),
            "history": {"oldest": self.history.oldest, "newest": self.history.newest},
            "playing": self.playing,
            # Every phase already shown of the iteration under way, so that a client that
            # reconnects (or syncs) mid-walk can draw the layers left of the current one.
            "phases": [self.phase_message(i) for i in range(self._revealed)],
        }

    def after_state(self) -> list[Message]:
        """The followed sample, re-sent after every `state` (the weights may have moved)."""
        sample = self.sample_message()
        return [sample] if sample else []

    def series_message(self) -> Message:
        return {"type": "series", **self.log.series(self.step, MAX_SERIES_POINTS)}

    def status_message(self, reason: str | None = None) -> Message:
        return {"type": "status", "playing": self.playing, "speed": self.speed, "reason": reason}

    def _rows(self, a: np.ndarray) -> np.ndarray:
        return a[: self.limits.max_record_samples]

    def _mask(self, mask: np.ndarray) -> np.ndarray:
        """The dropout multiplier of each unit: 0 (dropped) or 1/(1−p) (kept, inverted dropout)."""
        keep = 1.0 / (1.0 - self.trainer.config.dropout)
        return np.where(self._rows(mask), keep, 0.0)

    def _truncated(self, record: Any) -> bool:
        return bool(len(record.indices) > self.limits.max_record_samples)

    def _batch(self, record: Any) -> Message:
        return {
            "indices": self._rows(record.indices),
            "x": self._rows(record.X),
            "y": self._rows(record.y),
        }

    def _diagnostics(self, record: Any) -> Message:
        diag = record.diagnostics
        layers = []
        for i, d in enumerate(diag.layers, start=1):
            layers.append(
                {
                    "layer": i,
                    "grad_norm": finite(d.grad_norm),
                    "weight_norm": finite(d.weight_norm),
                    "update_ratio": finite(d.update_ratio),
                    "dead_fraction": finite(d.dead_fraction),
                }
            )
        return {
            "layers": layers,
            "vanishing": [d.layer for d in diag.layers if d.vanishing],
            "exploding": [d.layer for d in diag.layers if d.exploding],
        }

    def iteration_message(self, record: Any, losses: list[tuple[int, float]]) -> Message:
        layers = []
        for lr in record.layers:
            layer: Message = {
                "W": lr.W,
                "b": lr.b,
                "Z": self._rows(lr.Z),
                "A": self._rows(lr.A),
                "dA": self._rows(lr.dA) if lr.dA is not None else None,
                "dZ": self._rows(lr.dZ),
                "dW": lr.dW,
                "db": lr.db,
                "W_next": lr.W_next,
                "b_next": lr.b_next,
                "update_W": lr.update_W,
                "update_b": lr.update_b,
            }
            if lr.mask is not None:
                layer["mask"] = self._mask(lr.mask)
            layers.append(layer)
        entry = self.log.at(record.step)
        return {
            "type": "iteration",
            "step": record.step,
            "epoch": entry.epoch if entry else self.trainer.epoch,
            "position": entry.position if entry else self.trainer.position,
            "learning_rate": record.learning_rate,
            "optimizer": record.optimizer,
            "batch": self._batch(record),
            "truncated": self._truncated(record),
            "loss": record.loss,
            "reg_loss": record.reg_loss,
            "accuracy": finite(record.accuracy),
            "layers": layers,
            "diagnostics": self._diagnostics(record),
            "metrics": self.log.metrics_at(record.step),
            "losses": [[s, v] for s, v in losses],
        }

    def phase_message(self, index: int) -> Message:
        record = self._pending
        name, layer = self._phases[index]
        msg: Message = {
            "type": "phase",
            "phase": name,
            "layer": layer,
            "step": record.step,
            "index": index,
            "count": self.n_phases,
        }
        n_layers = len(record.layers)
        if name == "forward":
            assert layer is not None
            lr = record.layers[layer - 1]
            a_prev = record.X if layer == 1 else record.layers[layer - 2].A
            msg.update(A_prev=self._rows(a_prev), W=lr.W, b=lr.b, Z=self._rows(lr.Z))
            msg["A"] = self._rows(lr.A)
            if lr.mask is not None:
                msg["mask"] = self._mask(lr.mask)
            if layer == 1:
                msg["batch"] = self._batch(record)
                msg["truncated"] = self._truncated(record)
        elif name == "loss":
            out = record.layers[n_layers - 1]
            msg.update(
                loss=record.loss,
                reg_loss=record.reg_loss,
                accuracy=finite(record.accuracy),
                A=self._rows(out.A),
                y=self._rows(record.y),
            )
        elif name == "backward":
            assert layer is not None
            lr = record.layers[layer - 1]
            msg.update(
                dA=None if layer == n_layers or lr.dA is None else self._rows(lr.dA),
                dZ=self._rows(lr.dZ),
                dW=lr.dW,
                db=lr.db,
                dW_reg=lr.dW_reg,
            )
        else:
            msg.update(
                learning_rate=record.learning_rate,
                optimizer=record.optimizer,
                layers=[
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
                ],
            )
        return msg

    def sample_message(self) -> Message | None:
        if self.follow is None:
            return None
        index, split = self.follow
        rec = self.trainer.sample_pass(index, split)
        return {
            "type": "sample",
            "index": index,
            "split": split,
            "step": self.trainer.step,
            "x": rec.X[0],
            "y": rec.y[0],
            "loss": finite(rec.loss),
            "layers": [
                {"Z": lr.Z[0], "A": lr.A[0], "dZ": lr.dZ[0], "dW": lr.dW, "db": lr.db}
                for lr in rec.layers
            ],
        }

    def diverged_message(self, exc: Diverged) -> Message:
        return {
            "type": "diverged",
            "step": exc.step,
            "layer": exc.layer,
            "quantity": exc.quantity,
            "message": exc.message,
        }

    # -- training primitives ------------------------------------------------------------------

    def _train_one(self) -> Any:
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
        self._append_log(entry)
        self._last_record = record
        return record

    def _append_log(self, entry: LogEntry) -> None:
        if entry.step < self.log.first_step:
            return
        # Replaying a logged step (after back/seek) overwrites it with the same figures and
        # keeps the metrics measured there: the logged future stays valid, replay is exact.
        self.log.put(entry)
        # The log covers what history can restore plus as much again for the charts; trimmed
        # in batches (a shift of the columns), its memory is bounded whatever the history.
        floor = self.history.oldest - self.limits.max_seek_history
        if floor - self.log.first_step > max(64, self.limits.max_seek_history // 8):
            self.log.drop_before(floor)

    def _settle(self) -> None:
        """Drop a phase walk, returning the trainer to the moment's iteration boundary."""
        if self._pending is not None:
            self.trainer.restore(self._before)
            self._pending = None
            self._before = None
            self._revealed = 0

    def _branch(self) -> None:
        """The state at the current step is about to change: the recorded future is void."""
        step = self.trainer.step
        self.history.truncate_after(step)
        self.log.truncate_after(step)

    def _open_walk(self, revealed: int) -> list[Message]:
        """Start showing the phases of the next iteration (the trainer applies it now)."""
        before = self.trainer.capture()
        try:
            record = self._train_one()
        except Diverged as exc:
            return [self.diverged_message(exc)]
        self._before = before
        self._pending = record
        self._revealed = revealed
        return []

    def _goto(self, step: int, revealed: int = 0) -> Iterator[list[Message]]:
        """Return exactly to `step` (in history), replaying from a checkpoint in slices."""
        self._settle()
        trainer = self.trainer
        if step != trainer.step:
            start = max(s for s in self.history.checkpoints if s <= step)
            if not start <= trainer.step <= step:
                self.history.seek(start)  # a stored checkpoint: restored without replay
            deadline = time.perf_counter() + self.slice_s
            while trainer.step < step:
                trainer.train_step()  # the recorded timeline, replayed bit for bit
                if time.perf_counter() > deadline:
                    yield []
                    deadline = time.perf_counter() + self.slice_s
        if revealed:
            failed = self._open_walk(revealed)
            if failed:
                yield failed

    def _check_in_history(self, step: int) -> None:
        if step < 0:
            raise ProtocolError("out_of_range", "cannot go back before step 0")
        if step < self.history.oldest or step > self.history.newest:
            raise ProtocolError(
                "out_of_range",
                f"step {step} is not in the kept history "
                f"({self.history.oldest}..{self.history.newest})",
            )

    # -- commands -----------------------------------------------------------------------------

    def step_phases(self, count: int) -> Iterator[list[Message]]:
        for _ in range(count):
            out: list[Message] = []
            if self._pending is None:
                failed = self._open_walk(0)
                if failed:
                    yield failed
                    return
            self._revealed += 1
            out.append(self.phase_message(self._revealed - 1))
            if self._revealed == self.n_phases:
                record = self._pending
                self._pending = None
                self._before = None
                self._revealed = 0
                yield from self._evaluate_sliced()
                out.extend(self._after_steps(record, [(record.step, float(record.loss))]))
            yield out

    def step_iterations(
        self, count: int, until_epoch: int | None = None
    ) -> Iterator[list[Message]]:
        """Run `count` iterations (or until `epoch` reaches `until_epoch`), in slices."""
        losses: list[tuple[int, float]] = []
        last = None
        if self._pending is not None:
            # Mixed units: complete the iteration on screen (its remaining phases unsent).
            last = self._pending
            losses.append((last.step, float(last.loss)))
            self._pending = None
            self._before = None
            self._revealed = 0
            count -= 1
        deadline = time.perf_counter() + self.slice_s
        done = 0
        while (until_epoch is None and done < count) or (
            until_epoch is not None and self.trainer.epoch < until_epoch
        ):
            try:
                last = self._train_one()
            except Diverged as exc:
                if last is not None:
                    yield from self._evaluate_sliced()
                    yield self._after_steps(last, losses)
                yield [self.diverged_message(exc)]
                return
            losses.append((last.step, float(last.loss)))
            done += 1
            if time.perf_counter() > deadline:
                yield []
                deadline = time.perf_counter() + self.slice_s
        if last is not None:
            yield from self._evaluate_sliced()
            out = self._after_steps(last, losses)
            if until_epoch is not None:
                out.append(self.state_message())
            yield out

    def _after_steps(self, last: Any, losses: list[tuple[int, float]]) -> list[Message]:
        out = [self.iteration_message(last, losses)]
        sample = self.sample_message()
        if sample:
            out.append(sample)
        return out

    def step_epochs(self, count: int) -> Iterator[list[Message]]:
        remaining = self.trainer.steps_per_epoch - self.trainer.position // max(
            1, self.trainer.config.batch_size
        )
        steps = remaining + (count - 1) * self.trainer.steps_per_epoch
        if steps > MAX_EPOCH_STEPS:
            raise ProtocolError(
                "busy",
                f"count: {count} epochs are {steps} updates at this batch size; "
                f"at most {MAX_EPOCH_STEPS} per message (step fewer epochs or raise batch_size)",
            )
        target = self.trainer.epoch + count
        if self._pending is not None and self._pending.epoch_completed:
            target -= 1  # the iteration on screen completes an epoch of its own
        yield from self.step_iterations(0, until_epoch=target)

    def back(self, unit: str, count: int) -> Iterator[list[Message]]:
        """Return exactly to an earlier moment; `out_of_range` changes nothing."""
        if unit == "phase":
            target = self._position() - count
            if target < 0:
                raise ProtocolError("out_of_range", "cannot go back before step 0")
            step, revealed = divmod(target, self.n_phases)
        elif unit == "iteration":
            mid_walk = self._pending is not None
            step, revealed = self.step - (count - (1 if mid_walk else 0)), 0
        else:
            step, revealed = self._epoch_back_target(count), 0
        self._check_in_history(step)
        yield from self._goto(step, revealed)
        out = [self.state_message()]
        if self._revealed:
            out.append(self.phase_message(self._revealed - 1))
        out.append(self.series_message())
        yield [*out, *self.after_state()]

    def _epoch_back_target(self, count: int) -> int:
        """The start of the current epoch (or of earlier ones) among the logged steps."""
        starts = self.log.epoch_starts(self.step)
        step, at_start = self.step, self._revealed == 0
        for _ in range(count):
            earlier = [s for s in starts if (s < step if at_start else s <= step)]
            if not earlier:
                raise ProtocolError("out_of_range", "cannot go back before the first kept epoch")
            step, at_start = earlier[-1], True
        return step

    def seek(self, step: int) -> Iterator[list[Message]]:
        self._check_in_history(step)
        yield from self._goto(step)
        yield [self.state_message(), self.series_message(), *self.after_state()]

    def reset(self, seed: int | None) -> Iterator[list[Message]]:
        out: list[Message] = []
        cfg = self.trainer.config
        seed_changed = seed is not None and seed != cfg.seed
        if seed_changed:
            cfg = cfg.replace(seed=seed)
        trainer = self._make_trainer(cfg, self._custom(cfg, self.dataset_id))
        self._settle()
        self._install(trainer)
        yield from self._evaluate_sliced()
        if seed_changed:
            out.append({"type": "config", "config": self.config_dict(), "reset": True})
        yield [*out, self.data_message(), self.state_message(), self.series_message()]

    def configure(self, changes: dict[str, Any]) -> Iterator[list[Message]]:
        """Live hyperparameters apply from the next update; anything else rebuilds.

        Everything is checked before anything changes: a refused configure leaves the session
        exactly as it was (the phase walk on screen included).
        """
        cfg = self.trainer.config
        current = self.config_dict()
        changed = {k: v for k, v in changes.items() if _differs(current.get(k), v)}
        if "learning_rate" in changed and changed["learning_rate"] > self.limits.max_learning_rate:
            raise ProtocolError(
                "invalid_message",
                f"learning_rate: must be in (0, {self.limits.max_learning_rate:g}]",
            )
        if "batch_size" in changed and changed["batch_size"] > self.limits.max_batch_size:
            raise ProtocolError(
                "limit_exceeded", f"batch_size: must be 1..{self.limits.max_batch_size}"
            )
        if changed.keys() & REBUILD_KEYS:
            dataset_id = changed.pop("dataset_id", self.dataset_id)
            new_cfg = _replace(cfg, changed)
            trainer = self._make_trainer(new_cfg, self._custom(new_cfg, dataset_id))
            self._settle()
            self.dataset_id = dataset_id if new_cfg.dataset == "custom" else None
            self._install(trainer)
            yield from self._evaluate_sliced()
            yield [
                {"type": "config", "config": self.config_dict(), "reset": True},
                self.data_message(),
                self.state_message(),
                self.series_message(),
            ]
            return
        if changed:
            _replace(cfg, changed)  # validates before anything changes
            revealed = self._revealed
            self._settle()
            self._branch()
            self.trainer.update_hyper(**changed)  # History checkpoints the changed state
            out = self._open_walk(revealed) if revealed else []
            yield [{"type": "config", "config": self.config_dict(), "reset": False}, *out]
            return
        yield [{"type": "config", "config": self.config_dict(), "reset": False}]

    def set_parameter(
        self, layer: int, row: int, col: int | None, value: float
    ) -> Iterator[list[Message]]:
        n_layers = len(self.trainer.W)
        if not 1 <= layer <= n_layers:
            raise ProtocolError("out_of_range", f"layer: must be 1..{n_layers}")
        out_units, in_units = self.trainer.W[layer - 1].shape
        if not 0 <= row < out_units:
            raise ProtocolError("out_of_range", f"row: layer {layer} has units 0..{out_units - 1}")
        if col is not None and not 0 <= col < in_units:
            raise ProtocolError(
                "out_of_range", f"col: layer {layer - 1} has units 0..{in_units - 1}"
            )
        self._settle()
        self._branch()
        if col is None:
            self.trainer.set_bias(layer, row, value)
        else:
            self.trainer.set_weight(layer, row, col, value)
        yield from self._evaluate_sliced()
        out = [self.state_message()]
        sample = self.sample_message()
        if sample:
            out.append(sample)
        yield out

    def set_follow(self, index: int | None, split: str) -> list[Message]:
        if index is None:
            self.follow = None
            return []
        data = self.trainer.data
        n = len(data.y_train if split == "train" else data.y_test)
        if not 0 <= index < n:
            raise ProtocolError("out_of_range", f"index: the {split} set has samples 0..{n - 1}")
        self.follow = (index, split)
        sample = self.sample_message()
        return [sample] if sample else []

    def gradcheck_job(self, layer: int | None) -> Callable[[], list[Message]]:
        """A gradient check of the current weights, as a job safe to run in a worker thread.

        Central differences cost two forward passes per parameter (~1 s for 17,000
        parameters): the connection runs the job off the event loop. The job holds the
        (immutable) weights of this moment, never the live trainer: the same computation as
        `Trainer.gradient_check`.
        """
        n_layers = len(self.trainer.W)
        if layer is not None and not 1 <= layer <= n_layers:
            raise ProtocolError("out_of_range", f"layer: must be 1..{n_layers}")
        self._settle()
        t = self.trainer
        W, b, cfg, data, step = tuple(t.W), tuple(t.b), t.config, t.data, t.step
        k = max(1, min(GRADCHECK_SAMPLES, data.n_train))
        X, y = data.X_train[:k], data.y_train[:k]

        def job() -> list[Message]:
            with np.errstate(all="ignore"):
                results = check_network(
                    W,
                    b,
                    X,
                    y,
                    ACTIVATIONS[cfg.activation],
                    data.task,
                    data.output_dim,
                    cfg.l1,
                    cfg.l2,
                    eps=1e-6,
                    layers=None if layer is None else [layer],
                )
            rows = [
                {
                    "layer": r.layer,
                    "rel_error_W": finite(r.rel_error_W),
                    "rel_error_b": finite(r.rel_error_b),
                }
                for r in results
            ]
            ok = all(
                r["rel_error_W"] is not None
                and r["rel_error_b"] is not None
                and max(r["rel_error_W"], r["rel_error_b"]) < GRADCHECK_OK
                for r in rows
            )
            return [{"type": "gradcheck", "step": step, "layers": rows, "ok": ok}]

        return job

    def gradcheck(self, layer: int | None) -> list[Message]:
        return self.gradcheck_job(layer)()

    # -- play ---------------------------------------------------------------------------------

    def start_play(self, speed: float | None) -> None:
        self._settle()
        self.playing = True
        self.speed = speed
        self._play_clock = time.perf_counter()
        self._play_done = 0
        self._frame_losses = []
        self.last_ack = time.monotonic()

    def stop_play(self) -> None:
        self.playing = False

    def play_slice(self, budget_s: float = SLICE_S) -> list[Message]:
        """Train for at most `budget_s` (respecting `speed`); messages if play stopped.

        Then advance the running whole-set evaluation by a chunk or so: metrics while playing
        are fresh every `PLAY_EVAL_INTERVAL_S` at most and never block the loop.
        """
        end = time.perf_counter() + budget_s
        allowed = None
        if self.speed is not None:
            allowed = int((time.perf_counter() - self._play_clock) * self.speed) - self._play_done
        done = 0
        while self.playing and (allowed is None or done < allowed):
            try:
                record = self._train_one()
            except Diverged as exc:
                self.playing = False
                return [self.diverged_message(exc), self.status_message("diverged")]
            self._frame_losses.append((record.step, float(record.loss)))
            done += 1
            if time.perf_counter() > end:
                break
        if len(self._frame_losses) > 4 * MAX_FRAME_LOSSES:
            # A client that never acks must not grow memory: halve, keeping the newest.
            self._frame_losses = self._frame_losses[::-2][::-1]
        self._play_done += done
        now = time.perf_counter()
        rate = self._rate_steps
        if not rate or now - rate[-1][0] >= 0.01:  # the last second, in 10 ms samples
            rate.append((now, self.trainer.step))
            while now - rate[0][0] >= 1.0:
                rate.popleft()
        if self._eval is None and now - self._last_eval_start >= PLAY_EVAL_INTERVAL_S:
            self._eval = Evaluation(self.trainer)
            self._last_eval_start = now
        if self._eval is not None and self._eval.run(budget_s / 2):
            self._store_metrics(self._eval.result())
            self._eval = None
        return []

    def seconds_until_next_step(self) -> float:
        if self.speed is None:
            return 0.0
        due = self._play_clock + (self._play_done + 1) / self.speed
        return max(0.0, due - time.perf_counter())

    def frame_message(self) -> Message:
        self.frame_number += 1
        losses = self._frame_losses
        stride = max(1, -(-len(losses) // MAX_FRAME_LOSSES))
        picked = losses[::-stride][::-1]  # always ends with the newest step
        self._frame_losses = []
        rate = 0.0
        if len(self._rate_steps) >= 2:
            (t0, s0), (t1, s1) = self._rate_steps[0], self._rate_steps[-1]
            rate = (s1 - s0) / (t1 - t0) if t1 > t0 else 0.0
        msg: Message = {
            "type": "frame",
            "frame": self.frame_number,
            "step": self.trainer.step,
            "epoch": self.trainer.epoch,
            "layers": [
                {"W": W, "b": b} for W, b in zip(self.trainer.W, self.trainer.b, strict=True)
            ],
            "losses": [[s, v] for s, v in picked],
            "metrics": self._latest_metrics,
            "diagnostics": self._diagnostics(self._last_record) if self._last_record else None,
            "steps_per_second": rate,
            "history": {"oldest": self.history.oldest, "newest": self.history.newest},
        }
        return msg

    def finish_play(self) -> Iterator[list[Message]]:
        """After play stops: whole-set metrics of the final step (the `state` carries them)."""
        self._eval = None
        yield from self._evaluate_sliced()

    # -- the socket's entry point -------------------------------------------------------------

    def handle(self, msg: Any) -> Iterator[list[Message]]:
        """Carry out one validated client message; yields batches of replies between slices."""
        self.last_active = time.monotonic()
        kind = msg.type
        if kind == "step":
            if msg.unit == "phase":
                yield from self.step_phases(msg.count)
            elif msg.unit == "iteration":
                yield from self.step_iterations(msg.count)
            else:
                if msg.count > 100:
                    raise ProtocolError("invalid_message", "count: stepping by epoch takes 1..100")
                yield from self.step_epochs(msg.count)
        elif kind == "back":
            yield from self.back(msg.unit, msg.count)
        elif kind == "seek":
            yield from self.seek(msg.step)
        elif kind == "configure":
            yield from self.configure(msg.config.changes())
        elif kind == "reset":
            yield from self.reset(msg.seed)
        elif kind == "set_weight":
            yield from self.set_parameter(msg.layer, msg.row, msg.col, msg.value)
        elif kind == "set_bias":
            yield from self.set_parameter(msg.layer, msg.row, None, msg.value)
        elif kind == "follow":
            yield self.set_follow(msg.index, msg.split)
        elif kind == "gradcheck":
            yield self.gradcheck(msg.layer)
        elif kind == "sync":
            yield [self.state_message(), self.series_message(), *self.after_state()]
        elif kind == "ping":
            yield [{"type": "pong"}]
        else:  # play, pause and ack belong to the socket loop, which owns the timing
            raise ProtocolError("unknown_type", f"{kind} is handled by the connection")


def _replace(cfg: TrainConfig, changes: dict[str, Any]) -> TrainConfig:
    """`cfg` with `changes`, or `invalid_message` naming the field the engine refused."""
    try:
        return cfg.replace(**changes)
    except (ValueError, TypeError) as exc:
        raise ProtocolError("invalid_message", f"config.{exc}") from None


def _differs(old: Any, new: Any) -> bool:
    if isinstance(old, list | tuple) and isinstance(new, list | tuple):
        return list(old) != list(new)
    return bool(old != new)
