"""Whole-set loss and accuracy (and dead / saturated units), a chunk of rows at a time so the
event loop keeps turning."""

from __future__ import annotations

import time
from typing import Any

from app.engine import Chunk, Trainer
from app.engine.activations import ACTIVATIONS
from app.engine.metrics import combine, measure
from app.engine.unit_health import UnitActivity, UnitHealth
from app.steplog import finite

EVAL_CHUNK_ROWS = 512  # whole-set metrics are computed this many rows at a time (~1 ms)


class Evaluation:
    """Whole-set loss and accuracy of one step's weights, a chunk of rows at a time.

    The metrics are the engine's (`app.engine.metrics`: `measure` each chunk, `combine` them),
    so a split that fits in one chunk gives exactly `Trainer.evaluate`'s numbers.
    `Trainer.evaluate` over 5,000 samples of the largest allowed network takes ~12 ms; done in
    chunks of `EVAL_CHUNK_ROWS` the event loop gets a turn every millisecond or so. The weights
    are captured at creation, so the result is the metrics of `step` whatever happens meanwhile.
    The training split's forward passes also say which hidden units are ever active (`units`).
    """

    def __init__(self, trainer: Trainer) -> None:
        self.step = trainer.step
        self._W = tuple(trainer.W)
        self._b = tuple(trainer.b)
        self._act = ACTIVATIONS[trainer.config.activation]
        self._units = UnitActivity(trainer.config.activation, [w.shape[0] for w in self._W[:-1]])
        self._head = trainer.head
        d = trainer.data
        self._parts = [(d.X_train, d.y_train), (d.X_test, d.y_test)]
        self._chunks: list[list[Chunk]] = [[], []]
        self._split = 0
        self._row = 0

    @property
    def done(self) -> bool:
        return self._split >= len(self._parts)

    def run(self, budget_s: float | None = None) -> bool:
        """Evaluate chunks until done or `budget_s` has passed; True when done."""
        end = None if budget_s is None else time.perf_counter() + budget_s
        while not self.done:
            X, y = self._parts[self._split]
            if self._row >= len(X):
                self._split += 1
                self._row = 0
                continue
            Xc = X[self._row : self._row + EVAL_CHUNK_ROWS]
            yc = y[self._row : self._row + EVAL_CHUNK_ROWS]
            units = self._units if self._split == 0 else None
            self._chunks[self._split].append(
                measure(self._W, self._b, Xc, yc, self._act, self._head, units)
            )
            self._row += len(Xc)
            if end is not None and time.perf_counter() > end:
                break
        return self.done

    def result(self) -> dict[str, Any]:
        self.run()
        train_loss, train_accuracy = combine(self._chunks[0])
        test_loss, test_accuracy = combine(self._chunks[1])
        return {
            "step": self.step,
            "train_loss": finite(train_loss),
            "test_loss": finite(test_loss),
            "train_accuracy": finite(train_accuracy),
            "test_accuracy": finite(test_accuracy),
        }

    def units(self) -> UnitHealth:
        """Dead / saturated hidden units over the whole training set at `step`."""
        self.run()
        return self._units.result(self.step)
