"""Output layers with their losses, each loss beside the gradient it sends backwards.

Classification: ``P = softmax(Zᴸ)`` and ``loss = mean over the batch of −log P[y]``. The
loss is computed from the logits with the log-sum-exp trick, so it stays finite for logits of
±1000 (a naive ``−log(softmax(z))`` gives ``inf``). Its gradient with respect to the logits
is the famous ``dZᴸ = (P − Y) / m`` with ``Y`` one-hot.

Regression: identity output ``Ŷ = Zᴸ`` and ``loss = mean over batch and outputs of
(ŷ − y)²``, whose gradient is ``dZᴸ = 2·(Ŷ − Y) / (m·k)`` for ``k`` outputs.
"""

from __future__ import annotations

import numpy as np

from app.engine.types import Array, IntArray


def softmax(Z: Array) -> Array:
    """Row-wise softmax of logits ``Z`` (shape ``(m, classes)``), shifted by the row maximum."""
    S = Z - Z.max(axis=1, keepdims=True)
    E = np.exp(S)
    P: Array = E / E.sum(axis=1, keepdims=True)
    return P


def softmax_cross_entropy(Z: Array, y: IntArray) -> tuple[float, Array]:
    """Mean cross-entropy of integer labels ``y`` (shape ``(m,)``) under ``softmax(Z)``.

    Returns ``(loss, P)``. Uses ``−log P[y] = log Σ exp(s) − s[y]`` with ``s = z − max z``.
    """
    S = Z - Z.max(axis=1, keepdims=True)
    E = np.exp(S)
    sum_E = E.sum(axis=1, keepdims=True)
    P: Array = E / sum_E
    m = Z.shape[0]
    log_likelihood = S[np.arange(m), y] - np.log(sum_E[:, 0])
    loss = -float(log_likelihood.sum()) / m
    return loss, P


def softmax_cross_entropy_backward(P: Array, Y_onehot: Array) -> Array:
    """``dZᴸ = (P − Y) / m``: gradient of the mean cross-entropy with respect to the logits."""
    dZ: Array = (P - Y_onehot) / P.shape[0]
    return dZ


def mean_squared_error(Y_hat: Array, Y: Array) -> float:
    """``mean((ŷ − y)²)`` over batch and outputs (shapes ``(m, k)``)."""
    D = Y_hat - Y
    return float(np.vdot(D, D)) / D.size


def mean_squared_error_backward(Y_hat: Array, Y: Array) -> Array:
    """``dZᴸ = 2·(Ŷ − Y) / (m·k)``: gradient of the mean squared error."""
    dZ: Array = (Y_hat - Y) * (2.0 / Y.size)
    return dZ


def one_hot(y: IntArray, n_classes: int) -> Array:
    """Rows of the identity: ``Y[i, y[i]] = 1`` (shape ``(m, n_classes)``)."""
    Y: Array = np.eye(n_classes, dtype=np.float64)[y]
    return Y
