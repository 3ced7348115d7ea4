"""The per-step log behind the charts and history.csv: numpy columns, not an object per step.

A busy session logs tens of thousands of steps; one Python object per step cost ~10 MB and
slowed the garbage collector for every session. Rows are kept in preallocated float columns
(NaN where nothing was measured) and turned into `LogEntry` objects only when read.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np


def finite(value: float | None) -> float | None:
    """The value as a float, or None when missing or not finite (messages never carry NaN)."""
    if value is None:
        return None
    value = float(value)
    return value if np.isfinite(value) else None


NAN = float("nan")


@dataclass(slots=True)
class LogEntry:
    """One row, as the code around the log reads it (None where nothing was measured)."""

    step: int
    epoch: int
    position: int
    loss: float | None
    grad_norms: tuple[float, ...] | None = None
    update_ratios: tuple[float | None, ...] | None = None
    metrics: dict[str, Any] | None = None


def _none_if_nan(values: list[float]) -> list[float | None]:
    return [None if math.isnan(v) else v for v in values]


class StepLog:
    """Rows for consecutive steps `first_step .. last_step`."""

    def __init__(self, n_layers: int, first: LogEntry) -> None:
        self.n_layers = n_layers
        self.first_step = first.step
        self._n = 0
        self._epoch = np.zeros(64, dtype=np.int64)
        self._position = np.zeros(64, dtype=np.int64)
        self._loss = np.full(64, NAN)
        self._grad = np.full((64, n_layers), NAN)
        self._ratio = np.full((64, n_layers), NAN)
        self._metrics: dict[int, dict[str, Any]] = {}
        self.put(first)

    def __len__(self) -> int:
        return self._n

    @property
    def last_step(self) -> int:
        return self.first_step + self._n - 1

    def _grow(self) -> None:
        size = 2 * len(self._loss)
        for name in ("_epoch", "_position", "_loss", "_grad", "_ratio"):
            old = getattr(self, name)
            new = np.full((size, *old.shape[1:]), NAN if old.dtype.kind == "f" else 0, old.dtype)
            new[: self._n] = old[: self._n]
            setattr(self, name, new)

    def put(self, entry: LogEntry) -> None:
        """Append the next step, or overwrite a logged one (replay: its metrics are kept)."""
        i = entry.step - self.first_step
        if i < 0 or i > self._n:
            raise ValueError(f"step {entry.step} is not next to the log ({self.first_step}..)")
        if i == self._n:
            if self._n == len(self._loss):
                self._grow()
            self._n += 1
        self._epoch[i] = entry.epoch
        self._position[i] = entry.position
        self._loss[i] = NAN if entry.loss is None else entry.loss
        self._grad[i] = NAN if entry.grad_norms is None else entry.grad_norms
        self._ratio[i] = (
            NAN
            if entry.update_ratios is None
            else [NAN if r is None else r for r in entry.update_ratios]
        )
        if entry.metrics is not None:
            self._metrics[entry.step] = entry.metrics

    def at(self, step: int) -> LogEntry | None:
        i = step - self.first_step
        if not 0 <= i < self._n:
            return None
        loss = float(self._loss[i])
        grad = self._grad[i].tolist()
        return LogEntry(
            step,
            int(self._epoch[i]),
            int(self._position[i]),
            None if math.isnan(loss) else loss,
            None if math.isnan(grad[0]) else tuple(grad),
            None if math.isnan(grad[0]) else tuple(_none_if_nan(self._ratio[i].tolist())),
            self._metrics.get(step),
        )

    def __iter__(self) -> Iterator[LogEntry]:
        for step in range(self.first_step, self.first_step + self._n):
            entry = self.at(step)
            assert entry is not None
            yield entry

    def set_metrics(self, step: int, metrics: dict[str, Any]) -> None:
        if self.first_step <= step <= self.last_step:
            self._metrics[step] = metrics

    def metrics_at(self, step: int) -> dict[str, Any] | None:
        return self._metrics.get(step)

    def metrics_upto(self, step: int) -> list[tuple[int, dict[str, Any]]]:
        """Every logged whole-set evaluation at steps ≤ `step`, oldest first."""
        return sorted(((s, m) for s, m in self._metrics.items() if s <= step), key=lambda t: t[0])

    def epoch_at(self, step: int) -> int | None:
        i = step - self.first_step
        return int(self._epoch[i]) if 0 <= i < self._n else None

    def truncate_after(self, step: int) -> None:
        """Forget the steps after `step` (a new branch starts there)."""
        keep = max(0, min(self._n, step - self.first_step + 1))
        if keep < self._n:
            self._n = keep
            self._metrics = {s: m for s, m in self._metrics.items() if s <= step}

    def drop_before(self, step: int) -> None:
        """Forget the steps before `step` (keeps at least the last row)."""
        cut = min(step - self.first_step, self._n - 1)
        if cut <= 0:
            return
        for name in ("_epoch", "_position", "_loss", "_grad", "_ratio"):
            column = getattr(self, name)
            column[: self._n - cut] = column[cut : self._n]
        self._n -= cut
        self.first_step += cut
        self._metrics = {s: m for s, m in self._metrics.items() if s >= self.first_step}

    def epoch_starts(self, upto: int) -> list[int]:
        """Steps (≤ `upto`) at which an epoch starts: the position after them is 0."""
        n = max(0, min(self._n, upto - self.first_step + 1))
        return (np.flatnonzero(self._position[:n] == 0) + self.first_step).tolist()

    def epoch_start_before(self, step: int, inclusive: bool) -> int | None:
        """The latest epoch start (a step after which the position is 0) before `step` (or at
        it, if `inclusive`); None if the kept steps hold none. O(log n): a binary search of
        the epoch column, which never decreases along the log (a new branch truncates it)."""
        i = min(step - self.first_step, self._n - 1) - (0 if inclusive else 1)
        if i < 0:
            return None
        epochs = self._epoch[: self._n]
        while i >= 0:
            first = int(np.searchsorted(epochs, epochs[i], side="left"))  # the epoch's first row
            if self._position[first] == 0:
                return first + self.first_step
            i = first - 1  # the log starts mid-epoch (kept steps dropped): an earlier one
        return None

    def series(self, upto: int, max_points: int) -> dict[str, list[Any]]:
        """The logged steps ≤ `upto` that have a loss, downsampled to at most `max_points`."""
        n = max(0, min(self._n, upto - self.first_step + 1))
        rows = np.flatnonzero(~np.isnan(self._loss[:n]))
        stride = max(1, -(-len(rows) // max_points))
        rows = rows[::stride]
        steps = (rows + self.first_step).tolist()
        metrics = [self._metrics.get(s) or {} for s in steps]
        grad, ratio = self._grad[rows], self._ratio[rows]
        # A row without gradients (step 0, a replayed jump) is null as a whole; a NaN ratio
        # (a layer whose weights were all zero) is null alone. Converted column-wise: a resume
        # sends this for every student at once, and a Python loop per row cost ~8 µs a row.
        unmeasured: Any = np.flatnonzero(np.isnan(grad[:, 0])) if self.n_layers else ()
        grad_rows: list[Any] = grad.tolist()
        ratio_cells = ratio.astype(object)
        ratio_cells[np.isnan(ratio)] = None
        ratio_rows: list[Any] = ratio_cells.tolist()
        for i in unmeasured:
            grad_rows[i] = ratio_rows[i] = None
        return {
            "steps": steps,
            "loss": self._loss[rows].tolist(),
            "train_loss": [m.get("train_loss") for m in metrics],
            "test_loss": [m.get("test_loss") for m in metrics],
            "train_accuracy": [m.get("train_accuracy") for m in metrics],
            "test_accuracy": [m.get("test_accuracy") for m in metrics],
            "grad_norms": grad_rows,
            "update_ratios": ratio_rows,
        }

    def columns(self, upto: int) -> dict[str, np.ndarray]:
        """step, epoch, position, loss (NaN = none) of the steps ≤ `upto`, for checkpoints."""
        n = max(0, min(self._n, upto - self.first_step + 1))
        return {
            "step": np.arange(self.first_step, self.first_step + n, dtype=np.int64),
            "epoch": self._epoch[:n].copy(),
            "position": self._position[:n].copy(),
            "loss": self._loss[:n].copy(),
        }

    @property
    def nbytes(self) -> int:
        return sum(
            getattr(self, n).nbytes for n in ("_epoch", "_position", "_loss", "_grad", "_ratio")
        )
