"""A fully connected network as plain functions of its weights: forward and backward side by side.

Notation (textbook, batch as rows, ``m`` samples):

* layer ``l = 1..L`` has weights ``Wˡ`` of shape ``(out, in)`` and bias ``bˡ`` of shape ``(out,)``;
* forward: ``Zˡ = Aˡ⁻¹ · Wˡᵀ + bˡ`` and ``Aˡ = f(Zˡ)`` (``A⁰ = X``); the output layer ends in
  softmax (classification) or the identity (regression), see ``losses.py``;
* backward: ``dZˡ = dAˡ ⊙ f′(Zˡ)``, ``dWˡ = dZˡᵀ · Aˡ⁻¹``, ``dbˡ = Σ_rows dZˡ``,
  ``dAˡ⁻¹ = dZˡ · Wˡ``.

Dropout (inverted) multiplies a hidden activation by ``Dˡ = maskˡ / (1 − p)``: the ``A`` that
flows on is ``f(Zˡ) ⊙ Dˡ``, so backward uses ``dZˡ = dAˡ ⊙ Dˡ ⊙ f′(Zˡ)``.

Python lists here are indexed from 0: ``W[0]`` is ``W¹``. Nothing is modified in place.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from app.engine.activations import Activation
from app.engine.losses import (
    mean_squared_error,
    mean_squared_error_backward,
    softmax,
    softmax_cross_entropy,
    softmax_cross_entropy_backward,
)
from app.engine.types import AnyArray, Array

# ── one dense layer ────────────────────────────────────────────────────────────────────────


def dense_forward(A_prev: Array, W: Array, b: Array) -> Array:
    """``Z = A_prev · Wᵀ + b``: ``(m, in) × (out, in)ᵀ + (out,) → (m, out)``."""
    Z: Array = A_prev @ W.T + b
    return Z


def dense_backward(
    dZ: Array, A_prev: Array, W: Array, need_dA: bool = True
) -> tuple[Array, Array, Array | None]:
    """Gradients of a dense layer from ``dZ`` (shape ``(m, out)``).

    Returns ``(dW, db, dA_prev)``: ``dW = dZᵀ · A_prev`` ``(out, in)``, ``db = Σ_rows dZ``
    ``(out,)`` and ``dA_prev = dZ · W`` ``(m, in)`` (``None`` if not ``need_dA``: the first
    layer does not need the gradient of the input).
    """
    dW: Array = dZ.T @ A_prev
    db: Array = dZ.sum(axis=0)
    dA_prev: Array | None = dZ @ W if need_dA else None
    return dW, db, dA_prev


# ── regularisation ─────────────────────────────────────────────────────────────────────────


def regularization(W: Sequence[Array], l1: float, l2: float) -> tuple[float, list[Array] | None]:
    """``reg_loss = (l2/2)·ΣW² + l1·Σ|W|`` over weight matrices (not biases) and its gradient.

    The gradient per layer is ``l2·W + l1·sign(W)``; ``None`` when both rates are 0.
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


# ── the whole network ──────────────────────────────────────────────────────────────────────


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
    """Forward pass up to the logits / raw outputs.

    Returns ``(Z, A, A_f)`` per layer; the last ``A`` is the raw output ``Zᴸ`` (the caller
    applies softmax or keeps it as the regression prediction). ``D[l]`` is an optional
    dropout multiplier for hidden layer ``l``.
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
    """Forward, loss and backward for a batch.

    ``y`` are class indices (classification) or targets ``(m, k)`` (regression); ``Y`` is
    the one-hot matrix of ``y`` (classification) or ``y`` itself (regression).
    """
    Zs, As, A_fs = forward(W, b, X, act, D)
    L = len(W)
    if task == "classification":
        loss, P = softmax_cross_entropy(Zs[-1], y)
        As[-1] = A_fs[-1] = P
        dZ = softmax_cross_entropy_backward(P, Y)
        dA_out: Array | None = None
    else:
        loss = mean_squared_error(Zs[-1], Y)
        dZ = mean_squared_error_backward(Zs[-1], Y)
        dA_out = dZ
    reg_loss, dW_reg = regularization(W, l1, l2)
    dAs: list[Array | None] = [None] * L
    dZs: list[Array] = [dZ] * L
    dWs: list[Array] = [dZ] * L
    dbs: list[Array] = [dZ] * L
    dAs[-1] = dA_out
    f_prime = act.f_prime
    for l in range(L - 1, -1, -1):
        A_prev = As[l - 1] if l > 0 else X
        dW, db, dA_prev = dense_backward(dZ, A_prev, W[l], l > 0)
        if dW_reg is not None:
            dW = dW + dW_reg[l]
        dZs[l] = dZ
        dWs[l] = dW
        dbs[l] = db
        if dA_prev is not None:
            dAs[l - 1] = dA_prev
            Dl = D[l - 1] if D is not None else None
            dA_eff = dA_prev if Dl is None else dA_prev * Dl
            dZ = dA_eff * f_prime(Zs[l - 1], A_fs[l - 1])
    return Pass(
        act.name,
        X,
        Zs,
        As,
        A_fs,
        list(D) if D is not None else [None] * L,
        loss,
        reg_loss,
        dAs,
        dZs,
        dWs,
        dbs,
        dW_reg,
    )


def predict(W: Sequence[Array], b: Sequence[Array], X: Array, act: Activation, task: str) -> Array:
    """Network output without dropout: softmax probabilities or regression predictions."""
    Zs, _, _ = forward(W, b, X, act)
    if task == "classification":
        return softmax(Zs[-1])
    return Zs[-1]
