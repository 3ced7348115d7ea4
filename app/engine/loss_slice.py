"""The loss along one optimizer step: why a learning rate is too large, seen in one picture.

Step ``s`` moved the weights from ``θ_{s−1} = (W_{s−1}, b_{s−1})`` by ``Δ = θ_s − θ_{s−1}`` (the
record's ``update_W``, ``update_b``). Along that line::

    L(α) = loss(θ_{s−1} + α·Δ)      α = 0: where the step started, α = 1: where it landed

``batch_loss`` is ``L`` on step ``s``'s own batch, ``train_loss`` on the whole training set;
both are the *data* loss (mean cross-entropy or mean squared error: no L1/L2 term) without
dropout, computed by ``metrics.measure`` / ``metrics.combine``, the engine's one definition
of whole-set loss (what ``Trainer.evaluate`` uses). ``slope`` is ``dL/dα`` at ``α = 0`` on the batch: ``∇L(θ_{s−1})·Δ``,
given by one backward pass (``network.forward_backward``) at ``θ_{s−1}``. Plain SGD without
regularisation has ``slope = −η·‖∇L‖²``; a step that lands past the valley's bottom has
``L(1) > L(α*)`` for some ``α*`` in ``(0, 1)``.

The work is cut into slices for a caller that must not block (an event loop): the generator
``loss_slice_steps`` yields after the backward pass of the batch and after each forward
pass of at most ``CHUNK_ROWS`` rows (the batch, then the training set, one α at a time), and
returns the ``LossSlice`` (as ``StopIteration.value``). For 5,000 training rows, a batch of
256 and ``n`` values of α that is ``1 + 11·n`` slices, none longer than one forward pass of
512 rows: the chunk the app's whole-set metrics use. ``loss_slice`` runs it all at once.
"""

from __future__ import annotations

import math
from collections.abc import Generator, Sequence
from dataclasses import dataclass

import numpy as np

from app.engine.activations import ACTIVATIONS, Activation
from app.engine.history import History
from app.engine.losses import OUTPUT_HEADS, OutputHead
from app.engine.metrics import combine, measure
from app.engine.network import forward_backward
from app.engine.records import IterationRecord
from app.engine.types import AnyArray, Array

CHUNK_ROWS = 512
"""Training rows evaluated per slice (the whole-set metrics of the app use the same figure)."""

MAX_POINTS = 201
"""Most evenly spaced points a slice may ask for (0 and 1 may add two more)."""

MAX_RANGE = 100.0
"""``|a|`` and ``|b|`` of the range ``[a, b]`` of α may be at most this."""


@dataclass(frozen=True, eq=False)
class LossSlice:
    """``batch_loss[i]`` and ``train_loss[i]`` are the data losses at ``θ_{s−1} + alphas[i]·Δ``
    (non-finite where the loss overflows); ``slope`` is ``dL_batch/dα`` at ``α = 0``."""

    alphas: Array
    batch_loss: Array
    train_loss: Array
    slope: float


def slice_alphas(points: int, alpha_range: tuple[float, float]) -> Array:
    """``points`` evenly spaced values from ``a`` to ``b``, with exactly ``0.0`` and ``1.0``
    among them whenever they lie in ``[a, b]`` (a grid value within ``1e-9·(b − a)`` of
    either is replaced by it; otherwise it is inserted), sorted: ``points`` to ``points + 2``
    values. Raises ``ValueError`` naming ``points`` or ``range``."""
    if not isinstance(points, int) or isinstance(points, bool) or not 2 <= points <= MAX_POINTS:
        raise ValueError(f"points: must be an integer 2..{MAX_POINTS} (got {points!r})")
    a, b = (float(x) for x in alpha_range)
    if not (math.isfinite(a) and math.isfinite(b)) or not -MAX_RANGE <= a < b <= MAX_RANGE:
        raise ValueError(
            f"range: must be [a, b] with -{MAX_RANGE:g} ≤ a < b ≤ {MAX_RANGE:g} (got {alpha_range!r})"
        )
    alphas = np.linspace(a, b, points)
    tol = 1e-9 * (b - a)
    for exact in (0.0, 1.0):
        if a <= exact <= b:
            near = np.abs(alphas - exact) <= tol
            if near.any():
                alphas[near] = exact
            else:
                alphas = np.sort(np.append(alphas, exact))
    out: Array = np.unique(alphas)
    return out


def _chunked_loss(
    W: Sequence[Array],
    b: Sequence[Array],
    X: Array,
    y: AnyArray,
    act: Activation,
    head: OutputHead,
    chunk_rows: int,
) -> Generator[None, None, float]:
    """Mean data loss of ``X``, ``chunk_rows`` rows per slice: the engine's whole-set metrics
    (``metrics.measure`` per chunk, ``metrics.combine``): one chunk is exactly the trainer's
    figure, more the row-weighted mean of the chunks' means."""
    chunks = []
    for start in range(0, len(X), chunk_rows):
        stop = start + chunk_rows
        chunks.append(measure(W, b, X[start:stop], y[start:stop], act, head))
        yield
    loss, _ = combine(chunks)
    return math.nan if loss is None else loss


def loss_slice_steps(
    W: Sequence[Array],
    b: Sequence[Array],
    dW: Sequence[Array],
    db: Sequence[Array],
    X_batch: Array,
    y_batch: AnyArray,
    X_train: Array,
    y_train: AnyArray,
    activation: str,
    task: str,
    points: int,
    alpha_range: tuple[float, float],
    chunk_rows: int = CHUNK_ROWS,
) -> Generator[None, None, LossSlice]:
    """The loss along ``θ + α·Δ``, a slice of work per ``next()``; returns the ``LossSlice``.

    ``W``, ``b``: the weights before the step (``W_{s−1}``, lists by layer, ``(out, in)`` and
    ``(out,)``); ``dW``, ``db``: the step's change ``Δ`` (same shapes); ``X_batch``,
    ``y_batch``: the step's batch; ``X_train``, ``y_train``: the whole training set;
    ``activation``: the hidden activation's name; ``task``: ``classification`` (softmax +
    cross-entropy, ``y`` class indices) or ``regression`` (identity + MSE, ``y`` ``(m, k)``);
    ``points`` and ``alpha_range``: see ``slice_alphas``.
    """
    alphas = slice_alphas(points, alpha_range)
    if chunk_rows < 1:
        raise ValueError(f"chunk_rows: must be ≥ 1 (got {chunk_rows!r})")
    if task not in OUTPUT_HEADS:
        raise ValueError(f"task: must be classification or regression (got {task!r})")
    shapes = [w.shape for w in W] + [v.shape for v in b]
    if len(W) != len(dW) or [d.shape for d in (*dW, *db)] != shapes:
        raise ValueError("dW, db: the step's change must have the shapes of W, b")
    act = ACTIVATIONS[activation]
    head = OUTPUT_HEADS[task]
    L = len(W)
    with np.errstate(all="ignore"):
        # dL/dα at 0 = Σ_l ⟨∂L/∂Wˡ, ΔWˡ⟩ + ⟨∂L/∂bˡ, Δbˡ⟩, data loss, no dropout.
        Y = head.targets(y_batch, W[-1].shape[0])
        ps = forward_backward(W, b, X_batch, y_batch, Y, act, task)
        slope = 0.0
        for l in range(L):
            slope += float(np.vdot(ps.dW[l], dW[l])) + float(np.vdot(ps.db[l], db[l]))
    yield
    batch_loss = np.empty(len(alphas))
    train_loss = np.empty(len(alphas))
    for i, alpha in enumerate(alphas):
        a = float(alpha)
        with np.errstate(all="ignore"):
            Wa = [W[l] + a * dW[l] for l in range(L)]
            ba = [b[l] + a * db[l] for l in range(L)]
        batch_loss[i] = yield from _chunked_loss(Wa, ba, X_batch, y_batch, act, head, chunk_rows)
        train_loss[i] = yield from _chunked_loss(Wa, ba, X_train, y_train, act, head, chunk_rows)
    batch_loss.setflags(write=False)
    train_loss.setflags(write=False)
    alphas.setflags(write=False)
    return LossSlice(alphas, batch_loss, train_loss, slope)


def loss_slice_of_record(
    record: IterationRecord,
    X_train: Array,
    y_train: AnyArray,
    points: int,
    alpha_range: tuple[float, float],
    chunk_rows: int = CHUNK_ROWS,
) -> Generator[None, None, LossSlice]:
    """``loss_slice_steps`` for the step a training record describes (``record.step`` = s):
    its ``W``, ``b`` before the update, its applied ``update_W``, ``update_b`` and its batch."""
    if record.kind != "train":
        raise ValueError("a loss slice needs a training step's record, not a sample pass")
    layers = record.layers
    return loss_slice_steps(
        [r.W for r in layers],
        [r.b for r in layers],
        [r.update_W for r in layers],
        [r.update_b for r in layers],
        record.X,
        record.y,
        X_train,
        y_train,
        record.activation,
        record.task,
        points,
        alpha_range,
        chunk_rows,
    )


def record_of_step(history: History, step: int) -> IterationRecord:
    """Go to ``step`` (``history.oldest < step ≤ history.newest``) and return the record of the
    update that produced it, for ``loss_slice_of_record``.

    The trainer ends exactly as ``history.seek(step)`` leaves it, at the same cost: it seeks to
    ``step − 1`` and replays the one step (bit for bit the recorded one); if the history holds a
    checkpoint at ``step`` (every ``checkpoint_every`` steps, and wherever weights or
    hyperparameters were changed at ``step``) it is restored, so such a change is kept. The
    record describes the update as it was made, before any such change.
    """
    if not history.oldest < step <= history.newest:
        raise ValueError(
            f"step {step} has no recorded update in the history "
            f"({history.oldest + 1}..{history.newest})"
        )
    history.seek(step - 1)
    record = history.trainer.train_step()
    if step in history.checkpoints:
        history.seek(step)
    return record


def run_to_end(steps: Generator[None, None, LossSlice]) -> LossSlice:
    """Drive a slice generator to its result in one go (for notebooks and tests)."""
    while True:
        try:
            next(steps)
        except StopIteration as done:
            result: LossSlice = done.value
            return result


def loss_slice(
    W: Sequence[Array],
    b: Sequence[Array],
    dW: Sequence[Array],
    db: Sequence[Array],
    X_batch: Array,
    y_batch: AnyArray,
    X_train: Array,
    y_train: AnyArray,
    activation: str,
    task: str,
    points: int,
    alpha_range: tuple[float, float],
) -> LossSlice:
    """``loss_slice_steps`` run to the end at once (see there for the arguments)."""
    return run_to_end(
        loss_slice_steps(
            W, b, dW, db, X_batch, y_batch, X_train, y_train, activation, task, points, alpha_range
        )
    )
