"""TrainConfig checks its fields against the one table (options.py); the output heads."""

from __future__ import annotations

import dataclasses
import re

import numpy as np
import pytest

from app.engine import OPTIONS, OUTPUT_HEADS, RANGES, TrainConfig, Trainer
from app.engine.metrics import Chunk, combine, measure


def test_every_range_and_option_is_a_config_field() -> None:
    fields = {f.name for f in dataclasses.fields(TrainConfig)}
    assert set(RANGES) <= fields and set(OPTIONS) <= fields, "one table, about TrainConfig"


@pytest.mark.parametrize(
    ("field", "good", "bad"),
    [
        ("samples", 20, 19),
        ("momentum", 0.999, 0.9995),
        ("dropout", 0.9, 0.95),
        ("l1", 1.0, 1.5),
        ("test_fraction", 0.0, 0.95),
        ("seed", 2**31 - 1, 2**31),
        ("learning_rate", 1e-9, 0.0),
        ("batch_size", 1, 0),
    ],
)
def test_numbers_are_checked_against_ranges(field: str, good: float, bad: float) -> None:
    assert RANGES[field].contains(good) and not RANGES[field].contains(bad)
    TrainConfig(**{field: good})  # the edge of the range is allowed
    with pytest.raises(
        ValueError, match="^" + re.escape(f"{field}: must be {RANGES[field].describe()} (got")
    ):
        TrainConfig(**{field: bad})


def test_names_are_checked_against_options() -> None:
    for field in ("dataset", "activation", "init", "optimizer"):
        with pytest.raises(ValueError, match=f"^{field}: must be one of"):
            TrainConfig(**{field: "nonsense"})
    with pytest.raises(ValueError, match="hidden"):
        TrainConfig(hidden=(4, 0))


def test_output_heads_carry_what_the_task_decides() -> None:
    cls, reg = OUTPUT_HEADS["classification"], OUTPUT_HEADS["regression"]
    assert (cls.activation, reg.activation) == ("softmax", "identity")
    Z = np.array([[2.0, 0.0], [0.0, 3.0], [1.0, 1.5]])
    y = np.array([0, 0, 1])
    _, P = cls.loss(Z, y)
    assert np.allclose(P.sum(axis=1), 1.0), "softmax output"
    dA, dZ = cls.backward(P, cls.targets(y, 2))
    assert dA is None and np.allclose(dZ, (P - np.eye(2)[y]) / 3), "dZᴸ = (P − Y)/m"
    assert cls.accuracy(P, y) == 2 / 3 and cls.width(2, y) == 2
    T = np.array([[1.0], [2.0], [0.5]])
    _, out = reg.loss(Z[:, :1], T)
    assert out is Z[:, :1] or np.array_equal(out, Z[:, :1]), "identity output"
    dA, dZ = reg.backward(out, T)
    assert dA is dZ and np.allclose(dZ, 2 * (Z[:, :1] - T) / 3), "dZᴸ = 2(Ŷ − Y)/(m·k)"
    assert reg.accuracy(out, T) is None and reg.width(0, T) == 1


def test_chunked_metrics_agree_with_evaluate() -> None:
    trainer = Trainer(TrainConfig(dataset="digits", hidden=(8,)))
    for _ in range(5):
        trainer.train_step()
    d, act = trainer.data, trainer.head
    whole = trainer.evaluate()
    one = combine([measure(trainer.W, trainer.b, d.X_train, d.y_train, _act(trainer), act)])
    assert one == (whole.train_loss, whole.train_accuracy), "one chunk: exactly evaluate's"
    chunks = [
        measure(
            trainer.W, trainer.b, d.X_train[i : i + 100], d.y_train[i : i + 100], _act(trainer), act
        )
        for i in range(0, d.n_train, 100)
    ]
    loss, accuracy = combine(chunks)
    assert accuracy == whole.train_accuracy, "right answers add up exactly"
    assert loss == pytest.approx(whole.train_loss, rel=1e-12), "row-weighted mean of the chunks"
    assert combine([]) == (None, None) and combine([Chunk(1.0, None, 3)]) == (1.0, None)


def _act(trainer: Trainer):  # type: ignore[no-untyped-def]
    from app.engine import ACTIVATIONS

    return ACTIVATIONS[trainer.config.activation]
