"""Whole-set loss and accuracy of given weights: the one definition, chunkable.

``Trainer.evaluate`` measures each split in one chunk; the server's chunked evaluation
(``app/evaluation.py``) measures a split a few hundred rows at a time between event-loop turns
and combines the chunks with ``combine``. One chunk combines to exactly its own loss, so both
give bit-identical results on a split that fits in one chunk.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from app.engine.activations import Activation
from app.engine.losses import OutputHead
from app.engine.network import forward
from app.engine.types import AnyArray, Array
from app.engine.unit_health import UnitActivity


@dataclass(frozen=True)
class Metrics:
    """Loss (data loss, no regularisation) and accuracy over the whole train and test sets.

    Accuracies are ``None`` for regression; test values are ``None`` without test data.
    """

    train_loss: float
    train_accuracy: float | None
    test_loss: float | None
    test_accuracy: float | None


@dataclass(frozen=True)
class Chunk:
    """The data loss (mean over its rows), right answers (``None`` for regression) and rows of
    one chunk of a split."""

    loss: float
    correct: int | None
    rows: int


def measure(
    W: Sequence[Array],
    b: Sequence[Array],
    X: Array,
    y: AnyArray,
    act: Activation,
    head: OutputHead,
    units: UnitActivity | None = None,
) -> Chunk:
    """Loss and right answers of the network ``W``, ``b`` (no dropout) on rows ``X`` ``(m, in)``
    with labels ``y`` (``(m,)`` classes or ``(m, k)`` targets); overflow gives ``inf``/``nan``.

    ``units``, if given, is fed the same forward pass (which hidden units are ever active), so
    dead / saturated units of the whole set cost no second pass.
    """
    with np.errstate(all="ignore"):
        Zs, _, A_fs = forward(W, b, X, act)
        if units is not None:
            units.add(Zs, A_fs)
        loss, output = head.loss(Zs[-1], y)
        return Chunk(loss, head.correct(output, y), len(X))


def combine(chunks: Sequence[Chunk]) -> tuple[float | None, float | None]:
    """``(loss, accuracy)`` of a split measured in ``chunks`` (``(None, None)`` for no rows).

    The loss is the row-weighted mean of the chunks' losses (one chunk: its loss exactly); the
    accuracy is right answers / rows (``None`` for regression).
    """
    rows = sum(c.rows for c in chunks)
    if rows == 0:
        return None, None
    loss = chunks[0].loss if len(chunks) == 1 else sum(c.loss * c.rows for c in chunks) / rows
    if chunks[0].correct is None:
        return loss, None
    return loss, sum(c.correct or 0 for c in chunks) / rows
