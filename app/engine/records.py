"""Immutable records of training: one ``IterationRecord`` per mini-batch update.

A record holds every tensor of one iteration of backpropagation in textbook notation, in the
order the page animates it (``phases()``): forward ``1..L``, loss, backward ``L..1``, update.
Its arrays are read-only and shared, never copied: the engine computes every new tensor out
of place, so ``W_next`` of step ``t`` *is* ``W`` of step ``t + 1``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Literal

import numpy as np

from app.engine import diagnostics as diag
from app.engine.config import TrainConfig
from app.engine.losses import OUTPUT_HEADS, OutputHead
from app.engine.network import Pass
from app.engine.optimizers import OptimizerState, Update
from app.engine.types import AnyArray, Array, BoolArray, IntArray


@dataclass(frozen=True, slots=True, repr=False, eq=False)
class LayerRecord:
    """Layer ``layer`` (1-based, the textbook ``l``) in one iteration; ``m`` = batch size.

    Forward: ``A_prev`` ``(m, in)`` = ``Aˡ⁻¹`` (``X`` for layer 1), ``W`` ``(out, in)`` and
    ``b`` ``(out,)`` before the update, ``Z = A_prev·Wᵀ + b`` ``(m, out)``, ``A`` ``(m, out)``
    = ``f(Z)`` after dropout (``f(Z) ⊙ mask / (1 − p)``); for the output layer ``A`` is the
    softmax ``P`` or the regression prediction ``Ŷ = Z``. ``mask`` ``(m, out)`` is the dropout
    mask (``True`` = kept), ``None`` without dropout and on the output layer.

    Backward: ``dA = ∂L/∂A`` (``None`` for a softmax output, whose backward starts at
    ``dZ = (P − Y)/m``), ``dZ = dA ⊙ mask/(1 − p) ⊙ f′(Z)``, ``dW = dZᵀ·A_prev + dW_reg``
    (``dW_reg = l2·W + l1·sign(W)`` is included; zeros without regularisation), ``db = Σ dZ``.

    Update: ``update_W``, ``update_b`` = the applied changes ``ΔW``, ``Δb`` (``−lr·dW`` for
    sgd), ``W_next = W + ΔW``, ``b_next = b + Δb``.
    """

    layer: int
    activation: str
    A_prev: Array
    W: Array
    b: Array
    Z: Array
    A: Array
    mask: BoolArray | None
    dA: Array | None
    dZ: Array
    dW: Array
    dW_reg: Array
    db: Array
    update_W: Array
    update_b: Array
    W_next: Array
    b_next: Array

    def __repr__(self) -> str:
        out, inp = self.W.shape
        return (
            f"LayerRecord(layer {self.layer}: {inp}→{out} {self.activation}, "
            f"batch {self.Z.shape[0]}, ‖dW‖={float(np.linalg.norm(self.dW)):.3g})"
        )


@dataclass(frozen=True, slots=True, eq=False)
class RecordParts:
    """The raw results of one iteration, from which the ``LayerRecord``s are assembled
    lazily: building them costs little, but play mode shows only a few records per second."""

    ps: Pass
    masks: Sequence[BoolArray | None] | None
    W: Sequence[Array]
    b: Sequence[Array]
    updates: Sequence[Array]
    W_next: Sequence[Array]
    b_next: Sequence[Array]
    zeros_W: Sequence[Array]
    output_activation: str

    def build(self, X: Array, y: AnyArray) -> tuple[LayerRecord, ...]:
        """The layer records, with every array made read-only."""
        ps = self.ps
        L = len(self.W)
        X.setflags(write=False)
        y.setflags(write=False)
        layers = []
        for l in range(L):
            for a in (
                ps.Z[l],
                ps.A[l],
                ps.dA[l],
                ps.dZ[l],
                ps.dW[l],
                ps.db[l],
                self.updates[2 * l],
                self.updates[2 * l + 1],
            ):
                if a is not None:
                    a.setflags(write=False)
            reg = self.zeros_W[l] if ps.dW_reg is None else ps.dW_reg[l]
            reg.setflags(write=False)
            mask = None if self.masks is None else self.masks[l]
            if mask is not None:
                mask.setflags(write=False)
            layers.append(
                LayerRecord(
                    layer=l + 1,
                    activation=self.output_activation if l == L - 1 else ps.activation,
                    A_prev=ps.A[l - 1] if l else X,
                    W=self.W[l],
                    b=self.b[l],
                    Z=ps.Z[l],
                    A=ps.A[l],
                    mask=mask,
                    dA=ps.dA[l],
                    dZ=ps.dZ[l],
                    dW=ps.dW[l],
                    dW_reg=reg,
                    db=ps.db[l],
                    update_W=self.updates[2 * l],
                    update_b=self.updates[2 * l + 1],
                    W_next=self.W_next[l],
                    b_next=self.b_next[l],
                )
            )
        return tuple(layers)


@dataclass(frozen=True, slots=True)
class Phase:
    """One animation step: ``name`` is ``forward``, ``loss``, ``backward`` or ``update``;
    ``layer`` is 1-based (``None`` for loss and update); ``tensors`` are named as in the
    textbook (see ``IterationRecord.phases``)."""

    name: Literal["forward", "loss", "backward", "update"]
    layer: int | None
    tensors: dict[str, AnyArray]


@dataclass(frozen=True, repr=False, eq=False)
class IterationRecord:
    """One mini-batch update (or, with ``kind == "sample"``, one sample's pass without update).

    * ``step``: updates applied so far, counting this one (the trainer's ``step`` afterwards);
      for a ``sample`` record, the trainer's current step (nothing is applied).
    * ``epoch``: the epoch this batch belongs to = epochs completed *before* it (0-based).
      ``epoch_completed`` is true when this batch finished the epoch, so the trainer's
      ``epoch`` afterwards is ``epoch + epoch_completed``.
    * ``indices``: the batch's rows in the training (or test) set; ``X`` = ``A⁰`` ``(m, in)``;
      ``y``: class indices ``(m,)`` or targets ``(m, k)``.
    * ``loss``: the data loss (mean cross-entropy or mean squared error) of the batch before
      the update; ``reg_loss = (l2/2)·ΣW² + l1·Σ|W|``; ``total_loss`` their sum.
    * ``accuracy`` (classification) and ``diagnostics`` are computed on first access.
    * ``optimizer_state``: the optimizer's state after this update (torch's names).
    """

    kind: Literal["train", "sample"]
    step: int
    epoch: int
    epoch_completed: bool
    task: Literal["classification", "regression"]
    indices: IntArray
    X: Array
    y: AnyArray
    loss: float
    reg_loss: float
    learning_rate: float
    optimizer: str
    optimizer_state: OptimizerState
    activation: str
    _parts: RecordParts = field(repr=False)

    @cached_property
    def layers(self) -> tuple[LayerRecord, ...]:
        """One ``LayerRecord`` per layer, 1..L (assembled on first access; arrays read-only)."""
        return self._parts.build(self.X, self.y)

    @property
    def total_loss(self) -> float:
        """Data loss plus regularisation loss (what the optimizer minimises)."""
        return self.loss + self.reg_loss

    @property
    def output(self) -> Array:
        """The network's output for the batch: softmax ``P`` ``(m, classes)`` or ``Ŷ``."""
        return self._parts.ps.A[-1]

    @cached_property
    def accuracy(self) -> float | None:
        """Fraction of the batch whose most probable class is the label (None for regression)."""
        return OUTPUT_HEADS[self.task].accuracy(self.output, self.y)

    @cached_property
    def diagnostics(self) -> diag.Diagnostics:
        """Per-layer gradient / weight norms, update ratios, dead units, vanishing / exploding."""
        L = self.layers
        return diag.compute(
            [r.W for r in L],
            [r.dW for r in L],
            [r.update_W for r in L],
            [r.Z for r in L],
            self._parts.ps.A_f,
            self.activation,
            dZ=[r.dZ for r in L],
        )

    def phases(self) -> list[Phase]:
        """The iteration as the page animates it.

        ``forward`` l = 1..L: ``A_prev, W, b, Z, A`` (+ ``mask``); ``loss``: ``output``
        (``P`` or ``Ŷ``), ``y``, ``loss``, ``reg_loss`` (0-d arrays); ``backward`` l = L..1:
        ``dA`` (if any), ``dZ``, ``dW``, ``dW_reg``, ``db`` (+ ``mask``); ``update``: per layer
        ``W{l}``, ``update_W{l}``, ``W_next{l}``, ``b{l}``, ``update_b{l}``, ``b_next{l}``.
        """
        out: list[Phase] = []
        for r in self.layers:
            t: dict[str, AnyArray] = {"A_prev": r.A_prev, "W": r.W, "b": r.b, "Z": r.Z, "A": r.A}
            if r.mask is not None:
                t["mask"] = r.mask
            out.append(Phase("forward", r.layer, t))
        out.append(
            Phase(
                "loss",
                None,
                {
                    "output": self.output,
                    "y": self.y,
                    "loss": np.array(self.loss),
                    "reg_loss": np.array(self.reg_loss),
                },
            )
        )
        for r in reversed(self.layers):
            t = {"dZ": r.dZ, "dW": r.dW, "dW_reg": r.dW_reg, "db": r.db}
            if r.dA is not None:
                t = {"dA": r.dA, **t}
            if r.mask is not None:
                t["mask"] = r.mask
            out.append(Phase("backward", r.layer, t))
        update: dict[str, AnyArray] = {}
        for r in self.layers:
            l = r.layer
            update.update(
                {
                    f"W{l}": r.W,
                    f"update_W{l}": r.update_W,
                    f"W_next{l}": r.W_next,
                    f"b{l}": r.b,
                    f"update_b{l}": r.update_b,
                    f"b_next{l}": r.b_next,
                }
            )
        out.append(Phase("update", None, update))
        return out

    def __repr__(self) -> str:
        sizes = [self.layers[0].W.shape[1]] + [r.W.shape[0] for r in self.layers]
        acc = "" if self.accuracy is None else f", accuracy {self.accuracy:.3f}"
        return (
            f"IterationRecord({self.kind} step {self.step}, epoch {self.epoch}, "
            f"{'-'.join(map(str, sizes))} batch {len(self.indices)}, "
            f"loss {self.loss:.4g}{acc}, {self.optimizer} lr {self.learning_rate:g})"
        )


def make_record(
    *,
    kind: Literal["train", "sample"],
    step: int,
    epoch: int,
    completed: bool,
    idx: IntArray,
    X: Array,
    y: AnyArray,
    ps: Pass,
    masks: Sequence[BoolArray | None] | None,
    W: Sequence[Array],
    b: Sequence[Array],
    update: Update,
    config: TrainConfig,
    head: OutputHead,
    zeros_W: Sequence[Array],
) -> IterationRecord:
    """The record of one pass ``ps`` over the batch ``X`` ``(m, in)`` (rows ``idx`` of the
    data) and the ``update`` computed from it, under ``config``'s hyperparameters.

    ``completed``: the batch finished the epoch; ``zeros_W``: zero matrices standing in for
    ``dW_reg`` without regularisation; ``head``: the output head of the data's task.
    """
    # Tuples: the trainer's own lists change when a weight is edited, records never do.
    parts = RecordParts(
        ps=ps,
        masks=masks,
        W=tuple(W),
        b=tuple(b),
        updates=update.updates,
        W_next=tuple(update.W_next),
        b_next=tuple(update.b_next),
        zeros_W=zeros_W,
        output_activation=head.activation,
    )
    return IterationRecord(
        kind=kind,
        step=step,
        epoch=epoch,
        epoch_completed=completed,
        task=head.task,
        indices=idx,
        X=X,
        y=y,
        loss=ps.loss,
        reg_loss=ps.reg_loss,
        learning_rate=config.learning_rate,
        optimizer=config.optimizer,
        optimizer_state=update.state,
        activation=config.activation,
        _parts=parts,
    )
