"""Whole-set loss and accuracy, computed a chunk of rows at a time so the event loop keeps turning."""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from app.engine import Trainer
from app.engine.activations import ACTIVATIONS
from app.engine.losses import mean_squared_error, softmax_cross_entropy
from app.engine.network import forward
from app.steplog import finite

EVAL_CHUNK_ROWS = 512  # whole-set metrics are computed this many rows at a time (~1 ms)


class Evaluation:
    """Whole-set loss and accuracy of one step's weights, a chunk of rows at a time.

    `Trainer.evaluate` over 5,000 samples of the largest allowed network takes ~12 ms; done in
    chunks of `EVAL_CHUNK_ROWS` the event loop gets a turn every millisecond or so. The weights
    are captured at creation, so the result is the metrics of `step` whatever happens meanwhile.
    """

    def __init__(self, trainer: Trainer) -> None:
        self.step = trainer.step
        self._W = tuple(trainer.W)
        self._b = tuple(trainer.b)
        self._act = ACTIVATIONS[trainer.config.activation]
        d = trainer.data
        self._classification = d.task == "classification"
        self._parts = [(d.X_train, d.y_train), (d.X_test, d.y_test)]
        self._chunks: list[list[tuple[float, int, int]]] = [[], []]  # (loss, correct, rows)
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
            with np.errstate(all="ignore"):
                Zs, _, _ = forward(self._W, self._b, Xc, self._act)
                if self._classification:
                    loss, P = softmax_cross_entropy(Zs[-1], yc)
                    correct = int((P.argmax(axis=1) == yc).sum())
                else:
                    loss, correct = mean_squared_error(Zs[-1], yc), 0
            self._chunks[self._split].append((loss, correct, len(Xc)))
            self._row += len(Xc)
            if end is not None and time.perf_counter() > end:
                break
        return self.done

    def _summary(self, split: int) -> tuple[float | None, float | None]:
        chunks = self._chunks[split]
        rows = sum(n for _, _, n in chunks)
        if rows == 0:
            return None, None
        # One chunk: the loss exactly as Trainer.evaluate computes it.
        loss = chunks[0][0] if len(chunks) == 1 else sum(l * n for l, _, n in chunks) / rows
        accuracy = sum(c for _, c, _ in chunks) / rows if self._classification else None
        return loss, accuracy

    def result(self) -> dict[str, Any]:
        self.run()
        train_loss, train_accuracy = self._summary(0)
        test_loss, test_accuracy = self._summary(1)
        return {
            "step": self.step,
            "train_loss": finite(train_loss),
            "test_loss": finite(test_loss),
            "train_accuracy": finite(train_accuracy),
            "test_accuracy": finite(test_accuracy),
        }
