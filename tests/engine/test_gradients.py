"""Backpropagation is checked against central differences, for every combination that matters.

Every activation × task × regularisation × dropout (with a fixed mask) gets a small network
whose analytic ``dW``, ``db`` must match the numerical derivative of the total loss to a
relative error below 1e-7 (float64). ReLU-family cases use inputs with no pre-activation near
the kink at 0. One test proves the check is not vacuous: a deliberately wrong backprop fails.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np
import pytest

from app.engine import ACTIVATIONS, TrainConfig, Trainer
from app.engine.gradcheck import TOLERANCE, check_network, relative_error
from app.engine.network import Pass, forward, forward_backward

TASKS = ("classification", "regression")
REGULARISATION = {"none": (0.0, 0.0), "l2": (0.0, 0.05), "l1+l2": (0.02, 0.05)}
DROPOUT = {"no dropout": 0.0, "dropout 0.3 fixed mask": 0.3}
SIZES = (3, 5, 4)  # inputs, hidden, hidden; + outputs
N_OUT = {"classification": 3, "regression": 2}
BATCH = 6


def _problem(activation: str, task: str, dropout: float, seed: int = 0):  # type: ignore[no-untyped-def]
    """A small random network and batch, re-drawn until no hidden pre-activation is within
    0.05 of the ReLU kink (so the central differences never straddle it)."""
    act = ACTIVATIONS[activation]
    for attempt in range(100):
        rng = np.random.default_rng([seed, attempt])
        sizes = (*SIZES, N_OUT[task])
        W = [rng.normal(0, 0.8, (o, i)) for i, o in itertools.pairwise(sizes)]
        b = [rng.normal(0, 0.3, o) for o in sizes[1:]]
        X = rng.normal(0, 1.0, (BATCH, sizes[0]))
        if task == "classification":
            y = rng.integers(0, N_OUT[task], BATCH)
        else:
            y = rng.normal(0, 1.0, (BATCH, N_OUT[task]))
        D: list[np.ndarray | None] | None = None
        if dropout:
            D = [(rng.random((BATCH, o)) >= dropout) / (1 - dropout) for o in sizes[1:-1]]
            D.append(None)
        Zs, _, _ = forward(W, b, X, act, D)
        if all(np.abs(Z).min() > 0.05 for Z in Zs[:-1]):
            return W, b, X, y, act, D
    raise AssertionError("could not draw a batch away from the ReLU kink")


@pytest.mark.parametrize("dropout_name", list(DROPOUT))
@pytest.mark.parametrize("reg_name", list(REGULARISATION))
@pytest.mark.parametrize("task", TASKS)
@pytest.mark.parametrize("activation", list(ACTIVATIONS))
def test_backprop_matches_central_differences(
    activation: str, task: str, reg_name: str, dropout_name: str
) -> None:
    l1, l2 = REGULARISATION[reg_name]
    W, b, X, y, act, D = _problem(activation, task, DROPOUT[dropout_name])
    results = check_network(W, b, X, y, act, task, N_OUT[task], l1, l2, eps=1e-6, D=D)
    assert [r.layer for r in results] == [1, 2, 3], "one result per layer, numbered from 1"
    for r in results:
        assert r.rel_error_W < 1e-7, f"dW of layer {r.layer}: relative error {r.rel_error_W:.2e}"
        assert r.rel_error_b < 1e-7, f"db of layer {r.layer}: relative error {r.rel_error_b:.2e}"
        assert r.passed, f"layer {r.layer} reports passed below TOLERANCE={TOLERANCE}"


def _backprop_without_activation_derivative(
    W: Sequence[np.ndarray],
    b: Sequence[np.ndarray],
    X: np.ndarray,
    y: np.ndarray,
    Y: np.ndarray,
    act: object,
    task: str,
    l1: float,
    l2: float,
    D: Sequence[np.ndarray | None] | None,
) -> Pass:
    """A classic bug: forgetting the ``f′(Z)`` factor in ``dZ = dA ⊙ f′(Z)``."""
    identity = ACTIVATIONS["linear"]
    wrong = type(identity)(identity.name, ACTIVATIONS["tanh"].f, identity.f_prime)
    return forward_backward(W, b, X, y, Y, wrong, task, l1, l2, D)


def test_the_check_fails_when_the_analytic_gradient_is_wrong() -> None:
    W, b, X, y, act, _ = _problem("tanh", "classification", 0.0)
    good = check_network(W, b, X, y, act, "classification", 3)
    bad = check_network(
        W, b, X, y, act, "classification", 3, backprop=_backprop_without_activation_derivative
    )
    assert all(r.passed for r in good), "the correct backprop passes"
    assert bad[-1].passed, "the output layer does not use f′, so it still passes"
    assert not bad[0].passed, "layer 1's gradient, missing f′, fails the check"
    assert bad[0].rel_error_W > 1e-3, f"and clearly so ({bad[0].rel_error_W:.2e})"


def test_the_check_fails_with_a_coarse_epsilon() -> None:
    W, b, X, y, act, _ = _problem("sigmoid", "regression", 0.0)
    coarse = check_network(W, b, X, y, act, "regression", 2, eps=0.5)
    assert not all(r.passed for r in coarse), "ε = 0.5 is too coarse to agree to 1e-7"


def test_relative_error_definition() -> None:
    a = np.array([1.0, 2.0])
    assert relative_error(a, a) == 0.0, "identical gradients: 0"
    assert relative_error(np.zeros(2), np.zeros(2)) == 0.0, "both zero: 0, not nan"
    assert relative_error(a, -a) == pytest.approx(2.0), "opposite: ‖2a‖ / ‖a‖ = 2"


@pytest.mark.parametrize("activation", ["tanh", "sigmoid"])
def test_gradient_check_on_the_live_network(activation: str) -> None:
    trainer = Trainer(
        TrainConfig(dataset="spiral", hidden=(6, 4), activation=activation, l2=0.01, dropout=0.5)
    )
    for _ in range(30):
        trainer.train_step()
    before = trainer.capture()
    results = trainer.gradient_check(eps=1e-6, samples=8)
    assert [r.layer for r in results] == [1, 2, 3], "every layer by default"
    assert all(r.passed for r in results), f"live network passes: {results}"
    only = trainer.gradient_check(layer=2)
    assert [r.layer for r in only] == [2], "one layer on request"
    after = trainer.capture()
    assert all(a is b for a, b in zip(before.W, after.W, strict=True)), "weights untouched"
    assert after.rng_dropout == before.rng_dropout, "dropout generator untouched"
    with pytest.raises(IndexError, match="layer"):
        trainer.gradient_check(layer=4)
