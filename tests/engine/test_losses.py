"""Softmax + cross-entropy and squared error: values, gradients, and stability at extremes."""

from __future__ import annotations

import math
import warnings

import numpy as np

from app.engine.losses import (
    mean_squared_error,
    mean_squared_error_backward,
    one_hot,
    softmax,
    softmax_cross_entropy,
    softmax_cross_entropy_backward,
)


def test_cross_entropy_matches_the_textbook_formula_at_moderate_logits() -> None:
    Z = np.array([[1.0, 2.0, 0.5], [-1.0, 0.0, 3.0]])
    y = np.array([1, 2])
    loss, P = softmax_cross_entropy(Z, y)
    naive_P = np.exp(Z) / np.exp(Z).sum(axis=1, keepdims=True)
    naive_loss = -np.mean(np.log(naive_P[[0, 1], y]))
    assert np.allclose(P, naive_P, rtol=1e-15, atol=0), "P = softmax(Z)"
    assert math.isclose(loss, naive_loss, rel_tol=1e-14), "loss = mean −log P[y]"
    assert np.allclose(P.sum(axis=1), 1.0), "each row of P sums to 1"


def test_cross_entropy_is_finite_and_exact_at_logits_of_plus_minus_1000() -> None:
    Z = np.array([[1000.0, -1000.0], [-1000.0, 1000.0], [1000.0, 1000.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow warning either
        loss_right, P = softmax_cross_entropy(Z, np.array([0, 1, 0]))
        loss_wrong, _ = softmax_cross_entropy(Z, np.array([1, 0, 0]))
        S = softmax(Z)
    assert math.isfinite(loss_right) and math.isfinite(loss_wrong), "finite, never inf or nan"
    assert math.isclose(loss_right, math.log(2) / 3, rel_tol=1e-12), "confident and right ≈ 0"
    assert math.isclose(loss_wrong, (2000 + 2000 + math.log(2)) / 3, rel_tol=1e-12), (
        "confident and wrong costs the logit gap, exactly"
    )
    assert np.array_equal(P, [[1, 0], [0, 1], [0.5, 0.5]]), "probabilities exact"
    assert np.array_equal(S, P), "softmax() agrees"


def test_cross_entropy_gradient_is_p_minus_y_over_m() -> None:
    Z = np.array([[0.3, -0.2], [1.5, 0.1], [0.0, 0.0]])
    y = np.array([0, 1, 1])
    _, P = softmax_cross_entropy(Z, y)
    dZ = softmax_cross_entropy_backward(P, one_hot(y, 2))
    eps = 1e-6
    numeric = np.zeros_like(Z)
    for i in range(Z.shape[0]):
        for j in range(Z.shape[1]):
            Zp, Zm = Z.copy(), Z.copy()
            Zp[i, j] += eps
            Zm[i, j] -= eps
            numeric[i, j] = (softmax_cross_entropy(Zp, y)[0] - softmax_cross_entropy(Zm, y)[0]) / (
                2 * eps
            )
    assert np.allclose(dZ, numeric, rtol=1e-7, atol=1e-10), "dZ = (P − Y)/m"


def test_squared_error_and_its_gradient() -> None:
    Y_hat = np.array([[1.0, 2.0], [0.0, -1.0]])
    Y = np.array([[0.0, 2.0], [1.0, 1.0]])
    assert mean_squared_error(Y_hat, Y) == (1 + 0 + 1 + 4) / 4, "mean over batch and outputs"
    assert np.array_equal(mean_squared_error_backward(Y_hat, Y), 2 * (Y_hat - Y) / 4), (
        "dZ = 2(Ŷ − Y)/(m·k)"
    )
