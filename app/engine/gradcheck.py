"""Numerical gradient check: backprop's ``dW``, ``db`` against central differences.

For every parameter ``θ`` the numerical derivative is
``(L(θ + ε) − L(θ − ε)) / (2ε)`` with ``L`` = data loss + regularisation loss of a fixed
batch (dropout, if any, with fixed masks). The comparison per layer is the relative error
``‖g_backprop − g_numerical‖ / max(‖g_backprop‖, ‖g_numerical‖)`` (0 when both are 0):
around 1e-9 for a correct float64 backprop, ≳1e-3 when something is wrong.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from app.engine.activations import ACTIVATIONS, Activation
from app.engine.losses import OUTPUT_HEADS
from app.engine.network import Pass, forward, forward_backward, regularization
from app.engine.types import AnyArray, Array

if TYPE_CHECKING:
    from app.engine.config import TrainConfig
    from app.engine.data import Dataset

TOLERANCE = 1e-7
"""Relative error below which a layer passes (float64, smooth activations)."""

SAMPLES = 8
"""``check_training_rows`` uses the first this many training samples by default."""

CHECK_THRESHOLD = 1e-4
"""The app's pass mark for a layer's scaled error (`scaled_error`): a correct float64 backprop
stays below ~1e-5 even in deep sigmoid nets, a wrong one is ≳1e-3."""

GRADIENT_FLOOR = 1e-6
"""Gradient norm below which the error is measured against this floor instead (central
differences with ε = 1e-6 carry ~1e-10 of rounding error per entry, which would dominate the
relative error of a vanishing gradient)."""

Backprop = Callable[..., Pass]


@dataclass(frozen=True)
class GradCheckResult:
    """Relative and largest absolute errors of layer ``layer`` (1-based)."""

    layer: int
    rel_error_W: float
    rel_error_b: float
    max_abs_error_W: float
    max_abs_error_b: float
    scale_W: float = 0.0
    scale_b: float = 0.0

    @property
    def scaled_error_W(self) -> float:
        return scaled_error(self.rel_error_W, self.scale_W)

    @property
    def scaled_error_b(self) -> float:
        return scaled_error(self.rel_error_b, self.scale_b)

    @property
    def passed(self) -> bool:
        """Both relative errors are below ``TOLERANCE``."""
        return self.rel_error_W < TOLERANCE and self.rel_error_b < TOLERANCE


def relative_error(analytic: Array, numerical: Array) -> float:
    """``‖a − n‖ / max(‖a‖, ‖n‖)``, 0 when both are zero."""
    scale = max(float(np.linalg.norm(analytic)), float(np.linalg.norm(numerical)))
    if scale == 0.0:
        return 0.0
    return float(np.linalg.norm(analytic - numerical)) / scale


def scaled_error(rel_error: float, scale: float) -> float:
    """``‖a − n‖ / max(‖a‖, ‖n‖, GRADIENT_FLOOR)`` from the relative error and ``max(‖a‖, ‖n‖)``."""
    if scale == 0.0:
        return rel_error
    return rel_error * scale / max(scale, GRADIENT_FLOOR)


def numerical_gradient(loss: Callable[[], float], theta: Array, eps: float) -> Array:
    """Central differences of ``loss()`` with respect to every entry of ``theta``.

    ``theta`` is perturbed in place and each entry restored exactly afterwards.
    """
    grad = np.zeros_like(theta)
    flat = theta.reshape(-1)  # a view: theta must be contiguous
    g = grad.reshape(-1)
    for i in range(flat.size):
        original = flat[i]
        flat[i] = original + eps
        plus = loss()
        flat[i] = original - eps
        minus = loss()
        flat[i] = original
        g[i] = (plus - minus) / (2.0 * eps)
    return grad


def total_loss(
    W: Sequence[Array],
    b: Sequence[Array],
    X: Array,
    y: AnyArray,
    act: Activation,
    task: str,
    l1: float,
    l2: float,
    D: Sequence[Array | None] | None = None,
) -> float:
    """Data loss + regularisation loss of a batch (forward pass only)."""
    Zs, _, _ = forward(W, b, X, act, D)
    loss, _ = OUTPUT_HEADS[task].loss(Zs[-1], y)
    reg, _ = regularization(W, l1, l2)
    return loss + reg


def check_network(
    W: Sequence[Array],
    b: Sequence[Array],
    X: Array,
    y: AnyArray,
    act: Activation,
    task: str,
    n_outputs: int,
    l1: float = 0.0,
    l2: float = 0.0,
    *,
    eps: float = 1e-6,
    layers: Sequence[int] | None = None,
    D: Sequence[Array | None] | None = None,
    backprop: Backprop = forward_backward,
) -> list[GradCheckResult]:
    """Check ``backprop``'s gradients for ``layers`` (1-based; all by default).

    ``y`` are class indices or targets; ``D`` optional fixed dropout multipliers
    (``mask / (1 − p)``) per hidden layer. ``backprop`` is the function under test (same
    signature as ``network.forward_backward``), replaceable to prove the check can fail.
    """
    Y = OUTPUT_HEADS[task].targets(y, n_outputs)
    analytic = backprop(W, b, X, y, Y, act, task, l1, l2, D)
    Wc = [np.array(w, dtype=np.float64, order="C") for w in W]
    bc = [np.array(v, dtype=np.float64, order="C") for v in b]

    def loss() -> float:
        return total_loss(Wc, bc, X, y, act, task, l1, l2, D)

    results = []
    for number in layers if layers is not None else range(1, len(W) + 1):
        l = number - 1
        gW = numerical_gradient(loss, Wc[l], eps)
        gb = numerical_gradient(loss, bc[l], eps)
        aW = analytic.dW[l]
        ab = analytic.db[l]
        results.append(
            GradCheckResult(
                layer=number,
                rel_error_W=relative_error(aW, gW),
                rel_error_b=relative_error(ab, gb),
                max_abs_error_W=float(np.max(np.abs(aW - gW))),
                max_abs_error_b=float(np.max(np.abs(ab - gb))),
                scale_W=max(float(np.linalg.norm(aW)), float(np.linalg.norm(gW))),
                scale_b=max(float(np.linalg.norm(ab)), float(np.linalg.norm(gb))),
            )
        )
    return results


def check_training_rows(
    W: Sequence[Array],
    b: Sequence[Array],
    data: Dataset,
    config: TrainConfig,
    *,
    layers: Sequence[int] | None = None,
    eps: float = 1e-6,
    samples: int = SAMPLES,
) -> list[GradCheckResult]:
    """``check_network`` of the network ``(W, b)`` trained with ``config`` on ``data``.

    Uses the first ``samples`` training samples (at least 1, at most all), no dropout and
    ``config``'s activation and regularisation; ``layers`` are 1-based (all by default). Holds
    no trainer, so it can run in a worker thread on a moment's (immutable) weights.
    """
    k = max(1, min(samples, data.n_train))
    X = data.X_train[:k]
    y = data.y_train[:k]
    act = ACTIVATIONS[config.activation]
    network = (W, b, X, y, act, data.task, data.output_dim, config.l1, config.l2)
    with np.errstate(all="ignore"):
        return check_network(*network, eps=eps, layers=layers)
