"""The trainer: owns a network, its data and optimizer, and produces one record per update.

State is never modified in place: each update computes new weight arrays (read-only), so a
snapshot (``capture``) only keeps references, records share arrays with the trainer, and a
failed step (``Diverged``) leaves everything exactly as it was.

Randomness: ``np.random.SeedSequence(config.seed)`` spawns three generators: the initial
weights, the data order (a fresh permutation of the training set every epoch) and the dropout
masks — so switching dropout on does not change the order of the data.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from app.engine.activations import ACTIVATIONS
from app.engine.config import HYPERPARAMETERS, TrainConfig
from app.engine.data import Dataset, make_dataset
from app.engine.divergence import Diverged, all_finite, locate_nonfinite
from app.engine.gradcheck import SAMPLES as GRADCHECK_SAMPLES
from app.engine.gradcheck import GradCheckResult, check_training_rows
from app.engine.grid import GridOutput, grid
from app.engine.init import init_network
from app.engine.losses import OUTPUT_HEADS
from app.engine.metrics import Metrics, combine, measure
from app.engine.network import Pass, dropout_masks, forward_backward
from app.engine.optimizers import OptimizerState, Update, apply_update
from app.engine.records import IterationRecord, make_record
from app.engine.state import TrainerState, check_restorable
from app.engine.types import AnyArray, Array, IntArray

__all__ = ["Diverged", "GridOutput", "Metrics", "Trainer", "TrainerState"]


def _freeze(a: AnyArray) -> AnyArray:
    a.setflags(write=False)
    return a


Listener = Callable[["Trainer"], None]


class Trainer:
    """Trains a fully connected network on ``config``'s data, one mini-batch per call.

    ``W[l-1]`` / ``b[l-1]`` are the textbook ``Wˡ`` ``(out, in)`` / ``bˡ`` ``(out,)``
    (read-only arrays: change them with ``set_weight`` / ``set_bias``). ``step`` counts
    updates, ``epoch`` completed passes over the training set, ``position`` the index into
    the current epoch's order. The batch is ``order[position : position + batch_size]``;
    the batch that reaches the end of the order (possibly shorter) completes the epoch, and
    the next epoch's order is drawn right then. ``config`` always holds the live
    hyperparameters. ``version`` counts changes other than training steps; listeners
    (``add_listener``) hear about hyperparameter changes and edits.
    """

    def __init__(self, config: TrainConfig, custom: Dataset | None = None) -> None:
        self.config = config
        self.data = make_dataset(config, custom)
        sizes = (self.data.input_dim, *config.hidden, self.data.output_dim)
        init_seq, order_seq, dropout_seq = np.random.SeedSequence(config.seed).spawn(3)
        W, b = init_network(np.random.default_rng(init_seq), sizes, config.init)
        self.W: list[Array] = [_freeze(w) for w in W]
        self.b: list[Array] = [_freeze(v) for v in b]
        self._rng_order = np.random.default_rng(order_seq)
        self._rng_dropout = np.random.default_rng(dropout_seq)
        self._order: IntArray = _freeze(self._rng_order.permutation(self.data.n_train))
        self.position = 0
        self.step = 0
        self.epoch = 0
        self._opt = OptimizerState.initial(config.optimizer)
        self._listeners: list[Listener] = []
        self._zeros_W = [_freeze(np.zeros_like(w)) for w in self.W]
        self.head = OUTPUT_HEADS[self.data.task]
        """The output head of the data's task (softmax + cross-entropy or identity + MSE)."""
        self.version = 0
        """Counts changes other than training steps (hyperparameters, edits, restores)."""

    # ── shape ────────────────────────────────────────────────────────────────────────────

    @property
    def sizes(self) -> tuple[int, ...]:
        """Layer widths ``(inputs, hidden…, outputs)``."""
        return (self.W[0].shape[1], *(w.shape[0] for w in self.W))

    @property
    def steps_per_epoch(self) -> int:
        """Mini-batches per epoch at the current batch size (the last one may be partial)."""
        return -(-self.data.n_train // self.config.batch_size)

    @property
    def optimizer_state(self) -> OptimizerState:
        """The optimizer's current state (immutable)."""
        return self._opt

    def __repr__(self) -> str:
        c = self.config
        return (
            f"Trainer({c.dataset}, {'-'.join(map(str, self.sizes))} {c.activation}, "
            f"{c.optimizer} lr {c.learning_rate:g}, batch {c.batch_size}, "
            f"step {self.step}, epoch {self.epoch})"
        )

    # ── training ─────────────────────────────────────────────────────────────────────────

    def train_step(self) -> IterationRecord:
        """One mini-batch update; returns its record.

        Raises ``Diverged`` on the first non-finite value and then leaves the trainer exactly
        as before the call (weights, optimizer state, random generators, position).
        """
        record = self._step(True)
        assert record is not None
        return record

    def _step(self, build_record: bool) -> IterationRecord | None:
        """One update; the record only if ``build_record`` (``History`` replays without)."""
        cfg = self.config
        data = self.data
        n = data.n_train
        start = self.position
        idx = self._order[start : start + cfg.batch_size]
        end = start + len(idx)
        X = data.X_train[idx]
        y = data.y_train[idx]
        Y = data.Y_train[idx]
        W = self.W
        b = self.b
        L = len(W)
        rng_state = self._rng_dropout.bit_generator.state if cfg.dropout > 0.0 and L > 1 else None
        masks, D = dropout_masks(self._rng_dropout, cfg.dropout, W, len(idx))
        ps, u = self._backprop_update(X, y, Y, D)
        with np.errstate(all="ignore"):
            finite = all_finite(ps, u.W_next, u.b_next, u.state)
        if not finite:
            if rng_state is not None:
                self._rng_dropout.bit_generator.state = rng_state
            layer, quantity = locate_nonfinite(ps, u.W_next, u.b_next, u.state)
            raise Diverged(self.step + 1, layer, quantity, cfg.learning_rate)
        for l in range(L):
            u.W_next[l].setflags(write=False)
            u.b_next[l].setflags(write=False)
        epoch = self.epoch
        completed = end >= n
        self.W = u.W_next
        self.b = u.b_next
        self._opt = u.state
        self.step += 1
        if completed:
            self.epoch += 1
            self.position = 0
            self._order = _freeze(self._rng_order.permutation(n))
        else:
            self.position = end
        if not build_record:
            return None
        return make_record(
            kind="train",
            step=self.step,
            epoch=epoch,
            completed=completed,
            idx=idx,
            X=X,
            y=y,
            ps=ps,
            masks=masks,
            W=W,
            b=b,
            update=u,
            config=cfg,
            head=self.head,
            zeros_W=self._zeros_W,
        )

    def _backprop_update(
        self, X: Array, y: AnyArray, Y: Array, D: Sequence[Array | None] | None
    ) -> tuple[Pass, Update]:
        """Forward, backward and the optimizer's update of the live network on batch ``X``
        (``D``: dropout multipliers or ``None``); changes nothing (floating-point warnings
        off: non-finite values are the caller's to detect)."""
        cfg = self.config
        W, b = self.W, self.b
        act = ACTIVATIONS[cfg.activation]
        with np.errstate(all="ignore"):
            ps = forward_backward(W, b, X, y, Y, act, self.data.task, cfg.l1, cfg.l2, D)
            u = apply_update(self._opt, W, b, ps.dW, ps.db, cfg.learning_rate, cfg.momentum)
        return ps, u

    # ── changing things ──────────────────────────────────────────────────────────────────

    def add_listener(self, listener: Listener) -> None:
        """Call ``listener(trainer)`` after every change that is not a training step
        (``update_hyper``, ``set_weight``, ``set_bias``); ``History`` uses it to branch."""
        self._listeners.append(listener)

    def remove_listener(self, listener: Listener) -> None:
        """Stop calling ``listener``."""
        self._listeners.remove(listener)

    def _changed(self) -> None:
        self.version += 1
        for listener in list(self._listeners):
            listener(self)

    def update_hyper(self, **changes: Any) -> None:
        """Change hyperparameters while training (``HYPERPARAMETERS``; validated).

        Changing the optimizer resets its state; so does changing ``momentum`` while the
        optimizer is ``momentum`` or ``nesterov``. A new learning rate keeps the state. The
        position in the epoch is kept (a new batch size takes effect from there).
        """
        unknown = set(changes) - set(HYPERPARAMETERS)
        if unknown:
            raise ValueError(
                f"cannot change {', '.join(sorted(unknown))} while training; "
                f"only {', '.join(HYPERPARAMETERS)}"
            )
        old = self.config
        new = old.replace(**changes)
        if new == old:
            return
        self.config = new
        if new.optimizer != old.optimizer or (
            new.momentum != old.momentum and new.optimizer in ("momentum", "nesterov")
        ):
            self._opt = OptimizerState.initial(new.optimizer)
        self._changed()

    def set_weight(self, layer: int, row: int, col: int, value: float) -> None:
        """Set ``Wˡ[row, col]`` (``layer`` 1-based; row = unit of layer l, col = input)."""
        l = self._check_layer(layer)
        W = self.W[l]
        _check_index("row", row, W.shape[0], f"layer {layer} has {W.shape[0]} units")
        _check_index("col", col, W.shape[1], f"layer {layer} has {W.shape[1]} inputs")
        new = W.copy()
        new[row, col] = _check_value(value)
        self.W[l] = _freeze(new)
        self._changed()

    def set_bias(self, layer: int, row: int, value: float) -> None:
        """Set ``bˡ[row]`` (``layer`` 1-based)."""
        l = self._check_layer(layer)
        b = self.b[l]
        _check_index("row", row, b.shape[0], f"layer {layer} has {b.shape[0]} units")
        new = b.copy()
        new[row] = _check_value(value)
        self.b[l] = _freeze(new)
        self._changed()

    def _check_layer(self, layer: int) -> int:
        L = len(self.W)
        if not isinstance(layer, int) or isinstance(layer, bool) or not 1 <= layer <= L:
            raise IndexError(f"layer must be 1..{L} (layers are numbered from 1), not {layer!r}")
        return layer - 1

    # ── snapshots ────────────────────────────────────────────────────────────────────────

    def capture(self) -> TrainerState:
        """An immutable snapshot of everything that determines the future."""
        return TrainerState(
            config=self.config,
            W=tuple(self.W),
            b=tuple(self.b),
            optimizer=self._opt,
            rng_order=self._rng_order.bit_generator.state,
            rng_dropout=self._rng_dropout.bit_generator.state,
            order=self._order,
            position=self.position,
            step=self.step,
            epoch=self.epoch,
        )

    def restore(self, state: TrainerState) -> None:
        """Return exactly to a snapshot of this trainer (same data and architecture)."""
        check_restorable(state, self.capture())
        arrays = state.arrays()
        for a in arrays:
            a.setflags(write=False)
        self.config = state.config
        self.W = list(state.W)
        self.b = list(state.b)
        self._opt = state.optimizer
        self._rng_order.bit_generator.state = state.rng_order
        self._rng_dropout.bit_generator.state = state.rng_dropout
        self._order = state.order
        self.position = state.position
        self.step = state.step
        self.epoch = state.epoch
        self.version += 1

    # ── looking without learning ─────────────────────────────────────────────────────────

    def evaluate(self) -> Metrics:
        """Data loss and accuracy on the whole train and test sets (no dropout)."""
        d = self.data
        act = ACTIVATIONS[self.config.activation]

        def split(X: Array, y: AnyArray) -> tuple[float | None, float | None]:
            return combine([measure(self.W, self.b, X, y, act, self.head)])

        train_loss, train_acc = split(d.X_train, d.y_train)
        test_loss, test_acc = split(d.X_test, d.y_test) if d.n_test else (None, None)
        assert train_loss is not None  # a data set has at least 1 training row
        return Metrics(train_loss, train_acc, test_loss, test_acc)

    def grid(self, n: int = 50, extent: float = 6.0) -> GridOutput:
        """The network on an ``n × n`` grid over ``[−extent, extent]²`` of raw 2-D points.

        Only for 2-D data (``data.points_train`` is not ``None``); see ``GridOutput``.
        """
        return grid(self.W, self.b, ACTIVATIONS[self.config.activation], self.data, n, extent)

    def sample_pass(self, index: int, split: str = "train") -> IterationRecord:
        """Forward and backward of one sample, updating nothing (no dropout).

        The record's ``update_*`` / ``*_next`` show what the optimizer *would* do if this
        sample were the whole batch; ``step`` is the current step; ``kind`` is ``"sample"``.
        """
        d = self.data
        if split == "train":
            X_all, y_all = d.X_train, d.y_train
        elif split == "test":
            X_all, y_all = d.X_test, d.y_test
        else:
            raise ValueError(f"split must be 'train' or 'test', not {split!r}")
        _check_index("index", index, len(X_all), f"the {split} set has {len(X_all)} samples")
        cfg = self.config
        X = X_all[index : index + 1].copy()
        y = y_all[index : index + 1].copy()
        Y = self.head.targets(y, d.n_classes)
        W, b = self.W, self.b
        ps, u = self._backprop_update(X, y, Y, None)
        for a in (*u.W_next, *u.b_next):
            a.setflags(write=False)
        idx = np.array([index], dtype=np.int64)
        return make_record(
            kind="sample",
            step=self.step,
            epoch=self.epoch,
            completed=False,
            idx=idx,
            X=X,
            y=y,
            ps=ps,
            masks=None,
            W=W,
            b=b,
            update=u,
            config=cfg,
            head=self.head,
            zeros_W=self._zeros_W,
        )

    def gradient_check(
        self, layer: int | None = None, eps: float = 1e-6, samples: int = GRADCHECK_SAMPLES
    ) -> list[GradCheckResult]:
        """Compare backprop's dW, db with central differences on the live network.

        Uses the first ``samples`` training samples, no dropout, the current regularisation;
        returns one result per layer (or for ``layer`` only, 1-based).
        """
        layers = None if layer is None else [self._check_layer(layer) + 1]
        return check_training_rows(
            self.W, self.b, self.data, self.config, layers=layers, eps=eps, samples=samples
        )


def _check_index(name: str, value: int, size: int, context: str) -> None:
    if not isinstance(value, int | np.integer) or isinstance(value, bool):
        raise IndexError(f"{name} must be an integer, not {value!r}")
    if not 0 <= value < size:
        raise IndexError(f"{name} {value} is out of range 0..{size - 1} ({context})")


def _check_value(value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.floating):
        raise ValueError(f"value must be a number, not {value!r}")
    if not math.isfinite(value):
        raise ValueError(f"value must be a finite number, not {value!r}")
    return float(value)
