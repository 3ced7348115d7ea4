"""A fully connected network as plain functions of its weights: forward, then backward.

Notation (textbook, batch as rows, ``m`` samples):

* layer ``l = 1..L`` has weights ``Wˡ`` of shape ``(out, in)`` and bias ``bˡ`` of shape ``(out,)``;
* forward: ``Zˡ = Aˡ⁻¹ · Wˡᵀ + bˡ`` and ``Aˡ = f(Zˡ)`` (``A⁰ = X``); the output layer ends in
  the task's output head (softmax or the identity, see ``losses.py``);
* backward, top-down from ``dZᴸ`` (given by the output head): for ``l = L−1..1``,
  ``dAˡ = dZˡ⁺¹ · Wˡ⁺¹`` and ``dZˡ = dAˡ ⊙ f′(Zˡ)``; for every layer ``dWˡ = dZˡᵀ · Aˡ⁻¹`` and
  ``dbˡ = Σ_rows dZˡ``.

Dropout (inverted) multiplies a hidden activation by ``Dˡ = maskˡ / (1 − p)``: the ``A`` that
flows on is ``f(Zˡ) ⊙ Dˡ``, so backward uses ``dZˡ = dAˡ ⊙ Dˡ ⊙ f′(Zˡ)``.

Python lists here are indexed from 0: ``W[0]`` is ``W¹``. Nothing is modified in place.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from app.engine.activations import Activation
from app.engine.losses import OUTPUT_HEADS
from app.engine.types import AnyArray, Array, BoolArray


def dense_forward(A_prev: Array, W: Array, b: Array) -> Array:
    """``Z = A_prev · Wᵀ + b``: ``(m, in) × (out, in)ᵀ + (out,) → (m, out)``."""
    Z: Array = A_prev @ W.T + b
    return Z


def regularization(W: Sequence[Array], l1: float, l2: float) -> tuple[float, list[Array] | None]:
    """``reg_loss = (l2/2)·ΣW² + l1·Σ|W|`` over weight matrices (not biases) and its gradient.

    The gradient per layer is ``l2·W + l1·sign(W)`` ``(out, in)``; ``None`` when both rates
    are 0.
    """
    if l1 == 0.0 and l2 == 0.0:
        return 0.0, None
    reg_loss = 0.0
    grads: list[Array] = []
    for Wl in W:
        if l2 != 0.0 and l1 != 0.0:
            reg_loss += 0.5 * l2 * float(np.vdot(Wl, Wl)) + l1 * float(np.abs(Wl).sum())
            grads.append(l2 * Wl + l1 * np.sign(Wl))
        elif l2 != 0.0:
            reg_loss += 0.5 * l2 * float(np.vdot(Wl, Wl))
            grads.append(l2 * Wl)
        else:
            reg_loss += l1 * float(np.abs(Wl).sum())
            grads.append(l1 * np.sign(Wl))
    return reg_loss, grads


def dropout_masks(
    rng: np.random.Generator, p: float, W: Sequence[Array], m: int
) -> tuple[list[BoolArray | None] | None, list[Array | None] | None]:
    """Inverted dropout at rate ``p`` for a batch of ``m``: ``(masks, D)`` per layer.

    For each hidden layer in turn, ``mask`` ``(m, units)`` is ``True`` where a unit is kept
    (``rng.random((m, units)) ≥ p``) and ``D = mask / (1 − p)``; the output layer has ``None``.
    ``(None, None)`` without dropout (``p = 0`` or no hidden layer): nothing is drawn.
    """
    if p == 0.0 or len(W) == 1:
        return None, None
    scale = 1.0 / (1.0 - p)
    masks: list[BoolArray | None] = []
    D: list[Array | None] = []
    for w in W[:-1]:
        mask = rng.random((m, w.shape[0])) >= p
        masks.append(mask)
        D.append(np.multiply(mask, scale, dtype=np.float64))
    masks.append(None)
    D.append(None)
    return masks, D


@dataclass
class Pass:
    """Everything one forward + backward pass computed (lists indexed by layer − 1).

    ``A[l]`` is the activation after dropout (what the next layer sees); ``A_f[l]`` before it
    (``f(Z)``, needed by ``f′``). For the output layer ``A`` is ``P`` (softmax) or ``Ŷ``.
    ``dA[l]`` is ``∂L/∂Aˡ``; for a softmax output it is ``None`` (the backward pass goes
    straight from the loss to ``dZᴸ = (P − Y)/m``). ``dW`` includes ``dW_reg``.
    """

    activation: str
    X: Array
    Z: list[Array]
    A: list[Array]
    A_f: list[Array]
    D: list[Array | None]
    loss: float
    reg_loss: float
    dA: list[Array | None]
    dZ: list[Array]
    dW: list[Array]
    db: list[Array]
    dW_reg: list[Array] | None


def forward(
    W: Sequence[Array],
    b: Sequence[Array],
    X: Array,
    act: Activation,
    D: Sequence[Array | None] | None = None,
) -> tuple[list[Array], list[Array], list[Array]]:
    """Forward pass up to the logits / raw outputs; ``X`` is ``(m, in)``.

    Returns ``(Z, A, A_f)`` per layer, each ``(m, units)``; the last ``A`` is the raw output
    ``Zᴸ`` (the output head turns it into ``P`` or keeps it as ``Ŷ``). ``D[l]`` is an
    optional dropout multiplier ``(m, units)`` for hidden layer ``l``.
    """
    L = len(W)
    Zs: list[Array] = []
    As: list[Array] = []
    A_fs: list[Array] = []
    A = X
    f = act.f
    for l in range(L):
        Z = dense_forward(A, W[l], b[l])
        if l < L - 1:
            A_f = f(Z)
            Dl = D[l] if D is not None else None
            A = A_f if Dl is None else A_f * Dl
        else:
            A_f = A = Z
        Zs.append(Z)
        As.append(A)
        A_fs.append(A_f)
    return Zs, As, A_fs


def forward_backward(
    W: Sequence[Array],
    b: Sequence[Array],
    X: Array,
    y: AnyArray,
    Y: Array,
    act: Activation,
    task: str,
    l1: float = 0.0,
    l2: float = 0.0,
    D: Sequence[Array | None] | None = None,
) -> Pass:
    """Forward, loss and backward for a batch ``X`` ``(m, in)``.

    ``y`` are class indices ``(m,)`` (classification) or targets ``(m, k)`` (regression);
    ``Y`` is what ``OUTPUT_HEADS[task].targets`` makes of them (one-hot ``(m, classes)`` or
    ``y`` itself).
    """
    head = OUTPUT_HEADS[task]
    Zs, As, A_fs = forward(W, b, X, act, D)
    L = len(W)
    loss, output = head.loss(Zs[-1], y)
    As[-1] = A_fs[-1] = output
    reg_loss, dW_reg = regularization(W, l1, l2)
    f_prime = act.f_prime
    # Backward, top-down: dZ and dA hold layer l + 1's values when the turn of layer l starts.
    dA, dZ = head.backward(output, Y)
    dAs: list[Array | None] = []
    dZs: list[Array] = []
    dWs: list[Array] = []
    dbs: list[Array] = []
    for l in range(L - 1, -1, -1):
        if l < L - 1:  # a hidden layer: its dZ comes from layer l + 1's
            dA = dZ @ W[l + 1]
            Dl = D[l] if D is not None else None
            dZ = (dA if Dl is None else dA * Dl) * f_prime(Zs[l], A_fs[l])
        A_prev = As[l - 1] if l > 0 else X
        dW = dZ.T @ A_prev
        if dW_reg is not None:
            dW = dW + dW_reg[l]
        dAs.append(dA)
        dZs.append(dZ)
        dWs.append(dW)
        dbs.append(dZ.sum(axis=0))
    return Pass(
        activation=act.name,
        X=X,
        Z=Zs,
        A=As,
        A_f=A_fs,
        D=list(D) if D is not None else [None] * L,
        loss=loss,
        reg_loss=reg_loss,
        dA=dAs[::-1],
        dZ=dZs[::-1],
        dW=dWs[::-1],
        db=dbs[::-1],
        dW_reg=dW_reg,
    )
