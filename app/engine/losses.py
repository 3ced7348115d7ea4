"""Output heads: the output layer's activation with its loss, each loss beside its gradient.

Classification: ``P = softmax(Zᴸ)`` and ``loss = mean over the batch of −log P[y]``. The
loss is computed from the logits with the log-sum-exp trick, so it stays finite for logits of
±1000 (a naive ``−log(softmax(z))`` gives ``inf``). Its gradient with respect to the logits
is the famous ``dZᴸ = (P − Y) / m`` with ``Y`` one-hot.

Regression: identity output ``Ŷ = Zᴸ`` and ``loss = mean over batch and outputs of
(ŷ − y)²``, whose gradient is ``dZᴸ = 2·(Ŷ − Y) / (m·k)`` for ``k`` outputs.

``OUTPUT_HEADS`` maps a task to its head, so the rest of the engine asks the head instead of
testing which task it has.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np

from app.engine.types import AnyArray, Array, IntArray, Task


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


# ── the two heads, each written out in full ─────────────────────────────────────────────────


def _class_labels(y: AnyArray, n_classes: int) -> AnyArray:
    if n_classes < 2:
        raise ValueError("classification needs at least 2 classes")
    if y.ndim != 1 or (y.size and not (y.min() >= 0 and y.max() < n_classes)):
        raise ValueError(f"must be class indices 0..{n_classes - 1}")
    return y.astype(np.int64)


def _targets(y: AnyArray, n_classes: int) -> AnyArray:
    y = np.asarray(y, dtype=np.float64)
    if y.ndim != 2 or not np.isfinite(y).all():
        raise ValueError("must be finite targets of shape (n, outputs)")
    return y


def _softmax_loss(Z: Array, y: AnyArray) -> tuple[float, Array]:
    return softmax_cross_entropy(Z, y)


def _identity_loss(Z: Array, y: AnyArray) -> tuple[float, Array]:
    return mean_squared_error(Z, y), Z


def _softmax_backward(P: Array, Y: Array) -> tuple[Array | None, Array]:
    # No dAᴸ: the backward pass starts at dZᴸ = (P − Y)/m, straight from the loss.
    return None, softmax_cross_entropy_backward(P, Y)


def _identity_backward(Y_hat: Array, Y: Array) -> tuple[Array | None, Array]:
    dZ = mean_squared_error_backward(Y_hat, Y)
    return dZ, dZ  # identity output: dAᴸ = dZᴸ


def _argmax_correct(P: Array, y: AnyArray) -> int | None:
    return int((P.argmax(axis=1) == y).sum())


def _no_correct(Y_hat: Array, y: AnyArray) -> int | None:
    return None


def _one_hot_targets(y: AnyArray, n_classes: int) -> Array:
    return one_hot(y, n_classes)


def _same_targets(y: AnyArray, n_classes: int) -> Array:
    Y: Array = y
    return Y


def _classes_width(n_classes: int, y: AnyArray) -> int:
    return n_classes


def _targets_width(n_classes: int, y: AnyArray) -> int:
    return int(y.shape[1])


@dataclass(frozen=True)
class OutputHead:
    """The output layer of one task: activation, loss, ``dZᴸ``, accuracy, width, labels.

    * ``task``: ``"classification"`` or ``"regression"``; ``activation``: the output layer's
      name in records (``"softmax"`` / ``"identity"``); ``loss_name`` for people.
    * ``classes``: the output is a probability per class (accuracy and class maps exist).
    * ``loss(Zᴸ (m, k), y) → (loss, output)``: the data loss and ``P`` or ``Ŷ`` ``(m, k)``.
    * ``backward(output, Y) → (dAᴸ or None, dZᴸ)``, both ``(m, k)``; ``Y`` from ``targets``.
    * ``targets(y, n_classes) → Y``: one-hot ``(m, classes)`` or the targets themselves.
    * ``correct(output, y)``: how many rows the argmax gets right (``None`` for regression).
    * ``width(n_classes, y)``: output units: ``n_classes``, or the targets' columns.
    * ``labels(y, n_classes)``: ``y`` checked and normalised (int64 indices ``(n,)`` or
      float64 targets ``(n, k)``); ``ValueError`` says what is wrong.
    """

    task: Task
    activation: str
    loss_name: str
    classes: bool
    loss: Callable[[Array, AnyArray], tuple[float, Array]]
    backward: Callable[[Array, Array], tuple[Array | None, Array]]
    targets: Callable[[AnyArray, int], Array]
    correct: Callable[[Array, AnyArray], int | None]
    width: Callable[[int, AnyArray], int]
    labels: Callable[[AnyArray, int], AnyArray]

    def output(self, Z: Array) -> Array:
        """``P = softmax(Zᴸ)`` or ``Ŷ = Zᴸ`` (no loss), ``(m, k)``."""
        return softmax(Z) if self.classes else Z

    def accuracy(self, output: Array, y: AnyArray) -> float | None:
        """Fraction of rows whose most probable class is the label (``None`` for regression)."""
        correct = self.correct(output, y)
        return None if correct is None else correct / len(y)


OUTPUT_HEADS: Mapping[str, OutputHead] = MappingProxyType(
    {
        "classification": OutputHead(
            task="classification",
            activation="softmax",
            loss_name="cross-entropy",
            classes=True,
            loss=_softmax_loss,
            backward=_softmax_backward,
            targets=_one_hot_targets,
            correct=_argmax_correct,
            width=_classes_width,
            labels=_class_labels,
        ),
        "regression": OutputHead(
            task="regression",
            activation="identity",
            loss_name="mean squared error",
            classes=False,
            loss=_identity_loss,
            backward=_identity_backward,
            targets=_same_targets,
            correct=_no_correct,
            width=_targets_width,
            labels=_targets,
        ),
    }
)
"""Output heads by task: softmax + cross-entropy, identity + mean squared error."""
