"""The network really learns: fixed seeds, stated accuracies (each well under a second)."""

from __future__ import annotations

import pytest

from app.engine import TrainConfig, Trainer

CASES = {
    # name: (config, epochs, minimum train accuracy, minimum test accuracy)
    "xor, 2-8-2 tanh, sgd": (
        TrainConfig(dataset="xor", hidden=(8,), learning_rate=0.1),
        50,
        0.97,
        0.95,
    ),
    "circle, the app's default 2-4-2-2 tanh, sgd 0.03": (TrainConfig(), 100, 0.95, 0.92),
    "spiral, 2-16-16-16-2 relu, adam": (
        TrainConfig(
            dataset="spiral",
            hidden=(16, 16, 16),
            activation="relu",
            init="he",
            optimizer="adam",
            learning_rate=0.01,
        ),
        100,
        0.98,
        0.97,
    ),
    "digits, 64-32-10 relu, sgd 0.1": (
        TrainConfig(
            dataset="digits",
            hidden=(32,),
            activation="relu",
            init="he",
            learning_rate=0.1,
            batch_size=32,
        ),
        10,
        0.95,
        0.93,
    ),
    "gauss, 2-2 (no hidden layer), sgd": (
        TrainConfig(dataset="gauss", hidden=(), learning_rate=0.03),
        10,
        0.98,
        0.98,
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_learns_to_the_stated_accuracy(name: str) -> None:
    config, epochs, train_min, test_min = CASES[name]
    trainer = Trainer(config)
    first = trainer.evaluate()
    while trainer.epoch < epochs:
        trainer.train_step()
    m = trainer.evaluate()
    assert m.train_loss < first.train_loss, f"{name}: the loss went down"
    assert m.train_accuracy is not None and m.train_accuracy >= train_min, (
        f"{name}: train accuracy {m.train_accuracy:.3f} ≥ {train_min}"
    )
    assert m.test_accuracy is not None and m.test_accuracy >= test_min, (
        f"{name}: test accuracy {m.test_accuracy:.3f} ≥ {test_min}"
    )


def test_regression_fits_the_plane() -> None:
    trainer = Trainer(TrainConfig(dataset="plane", hidden=(4,), learning_rate=0.03, noise=0.0))
    first = trainer.evaluate().train_loss
    while trainer.epoch < 30:
        trainer.train_step()
    m = trainer.evaluate()
    assert m.train_accuracy is None, "no accuracy for regression"
    assert m.train_loss < 0.01 * first and m.train_loss < 5e-3, (
        f"mean squared error {m.train_loss:.2e} (from {first:.2e})"
    )
