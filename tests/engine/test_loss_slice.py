"""The loss along the last step (``loss_slice``): where it starts, where it lands, its slope,
and the overshoot of a learning rate that is too large."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

import app.engine.loss_slice as loss_slice_module
import app.engine.metrics as metrics_module
from app.engine import History, TrainConfig, Trainer
from app.engine.activations import ACTIVATIONS
from app.engine.loss_slice import (
    CHUNK_ROWS,
    MAX_POINTS,
    LossSlice,
    loss_slice,
    loss_slice_of_record,
    loss_slice_steps,
    record_of_step,
    run_to_end,
    slice_alphas,
)
from app.engine.losses import one_hot
from app.engine.network import forward_backward
from app.engine.records import IterationRecord

REL = 1e-12
NAMES = ["sgd", "momentum", "nesterov", "rmsprop", "adam"]


def close(got: float, want: float, rel: float = REL) -> bool:
    return abs(got - want) <= rel * abs(want)


def stepped(config: TrainConfig, steps: int = 5) -> tuple[Trainer, IterationRecord]:
    """A trainer after ``steps`` updates and the record of the last one (step s = steps)."""
    trainer = Trainer(config)
    record = trainer.train_step()
    for _ in range(steps - 1):
        record = trainer.train_step()
    return trainer, record


def slice_of(
    trainer: Trainer, record: IterationRecord, points: int, a: float, b: float
) -> LossSlice:
    d = trainer.data
    return run_to_end(loss_slice_of_record(record, d.X_train, d.y_train, points, (a, b)))


def batch_loss_at(
    trainer: Trainer, W: list[np.ndarray], b: list[np.ndarray], record: IterationRecord
) -> float:
    """The engine's own loss of the record's batch at ``W``, ``b`` (forward_backward, no
    dropout, data loss)."""
    d = trainer.data
    Y = one_hot(record.y, d.n_classes) if d.task == "classification" else record.y
    act = ACTIVATIONS[trainer.config.activation]
    return forward_backward(W, b, record.X, record.y, Y, act, d.task).loss


CONFIGS = {
    f"{name}-classification": TrainConfig(
        dataset="spiral",
        samples=200,
        hidden=(6, 4),
        optimizer=name,
        learning_rate=0.3 if name in ("sgd", "momentum", "nesterov") else 0.02,
        momentum=0.9,
        batch_size=16,
        l2=1e-3,
        seed=5,
    )
    for name in NAMES
}
CONFIGS["adam-regression"] = TrainConfig(
    dataset="plane", samples=150, hidden=(5,), optimizer="adam", learning_rate=0.05, seed=2
)
CONFIGS["sgd-digits-relu"] = TrainConfig(
    dataset="digits", hidden=(12,), activation="relu", learning_rate=0.1, batch_size=32, seed=4
)


@pytest.mark.parametrize("key", sorted(CONFIGS))
def test_ends_are_the_batch_loss_before_and_after_the_step(key: str) -> None:
    config = CONFIGS[key]
    trainer, record = stepped(config)
    before = trainer.evaluate()  # the weights of step s
    s = slice_of(trainer, record, 21, -0.5, 1.5)
    i0 = int(np.flatnonzero(s.alphas == 0.0)[0])
    i1 = int(np.flatnonzero(s.alphas == 1.0)[0])
    assert close(s.batch_loss[i0], record.loss), (
        f"{key}: α = 0 is the batch's loss at step s−1 (the record's loss: "
        f"{s.batch_loss[i0]!r} vs {record.loss!r})"
    )
    after = batch_loss_at(trainer, list(trainer.W), list(trainer.b), record)
    assert close(s.batch_loss[i1], after), f"{key}: α = 1 is the same batch's loss at step s"
    assert close(s.train_loss[i1], before.train_loss), (
        f"{key}: α = 1 on the training set is the train loss of step s (Trainer.evaluate)"
    )
    W_prev = [r.W for r in record.layers]
    b_prev = [r.b for r in record.layers]
    trainer.restore(replace(trainer.capture(), W=tuple(W_prev), b=tuple(b_prev)))
    assert close(s.train_loss[i0], trainer.evaluate().train_loss), (
        f"{key}: α = 0 on the training set is the train loss of step s−1"
    )


def test_alpha_one_is_the_recorded_loss_of_the_next_full_batch_step() -> None:
    """With the whole training set as the batch, step s+1's record holds the loss of the same
    rows at the weights of step s: the engine's own figure for α = 1 (rows in another order)."""
    config = TrainConfig(dataset="xor", samples=60, hidden=(5,), batch_size=100, learning_rate=0.5)
    trainer, record = stepped(config, 3)
    s = slice_of(trainer, record, 3, 0.0, 1.0)
    following = trainer.train_step()
    assert sorted(following.indices) == sorted(record.indices), "one batch = the whole set"
    assert close(s.batch_loss[-1], following.loss), "α = 1 is the next step's recorded loss"
    assert close(s.batch_loss[0], record.loss), "α = 0 is this step's recorded loss"


def test_no_dropout_and_no_regularisation_in_the_slice() -> None:
    config = CONFIGS["adam-classification"].replace(dropout=0.3, l1=1e-2, l2=1e-2)
    trainer, record = stepped(config)
    s = slice_of(trainer, record, 3, 0.0, 1.0)
    W_prev = [r.W for r in record.layers]
    b_prev = [r.b for r in record.layers]
    assert close(s.batch_loss[0], batch_loss_at(trainer, W_prev, b_prev, record)), (
        "α = 0: the data loss of the batch without dropout"
    )
    assert not close(s.batch_loss[0], record.loss, 1e-6), "the record's loss had dropout in it"


@pytest.mark.parametrize("key", sorted(CONFIGS))
def test_slope_is_the_finite_difference_slope(key: str) -> None:
    trainer, record = stepped(CONFIGS[key])
    h = 1e-4
    s = slice_of(trainer, record, 3, -h, h)
    assert list(s.alphas) == [-h, 0.0, h]
    fd = (s.batch_loss[2] - s.batch_loss[0]) / (2 * h)
    assert close(s.slope, fd, 1e-5), f"{key}: slope {s.slope!r} vs central difference {fd!r}"


def test_sgd_slope_is_minus_eta_times_the_squared_gradient() -> None:
    config = CONFIGS["sgd-classification"].replace(l2=0.0)
    trainer, record = stepped(config)
    s = slice_of(trainer, record, 2, 0.0, 1.0)
    g2 = sum(float(np.vdot(r.dW, r.dW) + np.vdot(r.db, r.db)) for r in record.layers)
    assert close(s.slope, -config.learning_rate * g2), "Δ = −η·∇L, so ∇L·Δ = −η·‖∇L‖²"
    assert s.slope < 0, "a gradient step goes downhill at first"


def test_a_too_large_learning_rate_lands_past_the_valley() -> None:
    config = TrainConfig(dataset="circle", hidden=(6,), learning_rate=8.0, batch_size=20, seed=1)
    trainer, record = stepped(config, 4)
    s = slice_of(trainer, record, 41, 0.0, 1.0)
    inner = (s.alphas > 0) & (s.alphas < 1)
    best = int(np.argmin(np.where(inner, s.batch_loss, np.inf)))
    assert s.batch_loss[-1] > s.batch_loss[best], (
        f"η = 8 overshoots: L(1) = {s.batch_loss[-1]:.4g} > L({s.alphas[best]:.3g}) = "
        f"{s.batch_loss[best]:.4g}"
    )
    assert s.slope < 0, "it started downhill"


def test_a_small_learning_rate_barely_moves_downhill() -> None:
    config = TrainConfig(dataset="circle", hidden=(6,), learning_rate=0.003, batch_size=20, seed=1)
    trainer, record = stepped(config, 4)
    s = slice_of(trainer, record, 11, 0.0, 1.0)
    assert np.all(np.diff(s.batch_loss) < 0), "downhill all the way to α = 1"
    drop = s.batch_loss[0] - s.batch_loss[-1]
    assert 0 < drop < 1e-2 * s.batch_loss[0], "less than 1 % of the loss"
    assert abs(drop + s.slope) < 0.02 * drop, "so short a step follows its tangent"


def test_alphas_hold_zero_and_one_exactly() -> None:
    assert list(slice_alphas(5, (0.0, 1.0))) == [0.0, 0.25, 0.5, 0.75, 1.0]
    a = slice_alphas(4, (-0.3, 1.7))
    assert 0.0 in a and 1.0 in a and len(a) == 6, "inserted when the grid misses them"
    assert np.all(np.diff(a) > 0)
    assert list(slice_alphas(3, (2.0, 3.0))) == [2.0, 2.5, 3.0], "not inserted outside [a, b]"
    assert len(slice_alphas(7, (-0.5, 1.0))) == 7, "on the grid: 0 and 1 replace their points"
    for bad in (1, MAX_POINTS + 1, 2.0, True):
        with pytest.raises(ValueError, match="points"):
            slice_alphas(bad, (0.0, 1.0))  # type: ignore[arg-type]
    for rng in ((1.0, 1.0), (1.0, 0.0), (0.0, float("inf")), (-1000.0, 1.0)):
        with pytest.raises(ValueError, match="range"):
            slice_alphas(5, rng)


def test_chunked_result_equals_the_unchunked_one() -> None:
    trainer, record = stepped(CONFIGS["rmsprop-classification"])
    d = trainer.data
    one = run_to_end(loss_slice_of_record(record, d.X_train, d.y_train, 9, (-1.0, 2.0)))
    chunked = run_to_end(
        loss_slice_of_record(record, d.X_train, d.y_train, 9, (-1.0, 2.0), chunk_rows=7)
    )
    assert np.allclose(chunked.train_loss, one.train_loss, rtol=1e-13, atol=0)
    assert np.allclose(chunked.batch_loss, one.batch_loss, rtol=1e-13, atol=0)
    layers = record.layers
    direct = loss_slice(
        [r.W for r in layers],
        [r.b for r in layers],
        [r.W_next - r.W for r in layers],
        [r.b_next - r.b for r in layers],
        record.X,
        record.y,
        d.X_train,
        d.y_train,
        trainer.config.activation,
        d.task,
        9,
        (-1.0, 2.0),
    )
    assert np.allclose(direct.batch_loss, one.batch_loss, rtol=1e-12, atol=0), (
        "Δ = W_s − W_{s−1} gives the same slice as the applied update"
    )


def test_the_largest_network_is_computed_in_short_slices(monkeypatch: pytest.MonkeyPatch) -> None:
    """64 units × 8 hidden layers on 5,000 training samples: between two yields the generator
    runs at most one forward pass of ``CHUNK_ROWS`` rows (or the one backward pass of the
    batch), whatever the size of the training set."""
    config = TrainConfig(
        dataset="circle",
        samples=5000,
        test_fraction=0.0,
        hidden=(64,) * 8,
        activation="relu",
        init="he",
        batch_size=256,
        learning_rate=0.01,
    )
    trainer, record = stepped(config, 1)
    d = trainer.data
    assert d.n_train == 5000
    work: list[str] = []
    real_forward = metrics_module.forward  # the loss slice measures through engine.metrics
    real_backward = loss_slice_module.forward_backward

    def counting_forward(W, b, X, act, D=None):  # type: ignore[no-untyped-def]
        work.append(f"forward {len(X)}")
        return real_forward(W, b, X, act, D)

    def counting_backward(*args, **kwargs):  # type: ignore[no-untyped-def]
        work.append(f"backward {len(args[2])}")
        return real_backward(*args, **kwargs)

    monkeypatch.setattr(metrics_module, "forward", counting_forward)
    monkeypatch.setattr(loss_slice_module, "forward_backward", counting_backward)
    steps = loss_slice_of_record(record, d.X_train, d.y_train, 5, (-0.5, 1.5))
    slices: list[list[str]] = []
    while True:
        work.clear()
        try:
            next(steps)
        except StopIteration as done:
            result: LossSlice = done.value
            assert work == [], "nothing after the last yield"
            break
        slices.append(list(work))
    # 1 backward + 5 α (−0.5, 0, 0.5, 1, 1.5) × (1 batch chunk + 10 training chunks ≤ 512 rows)
    assert slices[0] == ["backward 256"]
    assert len(slices) == 1 + 5 * (1 + 10), len(slices)
    assert all(len(w) == 1 for w in slices), "one pass per slice"
    rows = [int(w[0].split()[1]) for w in slices[1:]]
    assert max(rows) == CHUNK_ROWS and sum(rows) == 5 * (256 + 5000)
    assert np.all(np.isfinite(result.train_loss)) and len(result.alphas) == 5


def test_a_sample_record_is_refused() -> None:
    trainer = Trainer(TrainConfig())
    d = trainer.data
    with pytest.raises(ValueError, match="training step"):
        loss_slice_of_record(trainer.sample_pass(0), d.X_train, d.y_train, 3, (0.0, 1.0))
    record = trainer.train_step()
    with pytest.raises(ValueError, match="shapes"):
        run_to_end(
            loss_slice_steps(
                [r.W for r in record.layers],
                [r.b for r in record.layers],
                [r.update_W for r in record.layers][:-1],
                [r.update_b for r in record.layers],
                record.X,
                record.y,
                d.X_train,
                d.y_train,
                "tanh",
                d.task,
                3,
                (0.0, 1.0),
            )
        )


def test_record_of_step_replays_the_update_and_leaves_the_trainer_as_seek_does() -> None:
    config = CONFIGS["adam-classification"].replace(dropout=0.2)
    trainer = Trainer(config)
    history = History(trainer, checkpoint_every=4)
    records = {}
    for _ in range(9):
        rec = trainer.train_step()
        history.record()
        records[rec.step] = rec
    history.seek(6)
    trainer.update_hyper(learning_rate=0.005)  # a change at step 6: the future is dropped
    for _ in range(3):
        rec = trainer.train_step()
        history.record()
        records[rec.step] = rec
    trainer.set_weight(1, 0, 0, 0.5)  # an edit at step 9, after its update
    assert 9 in history.checkpoints
    for step in (9, 8, 7, 6, 4, 1):
        history.seek(step)
        want = trainer.capture()
        got_record = record_of_step(history, step)
        got = trainer.capture()
        assert got.config == want.config, f"step {step}: the live config of step {step}"
        assert (step == 9) == (got.W[0][0, 0] == 0.5), "the edit made at step 9 is kept"
        for a, b in zip(got.arrays(), want.arrays(), strict=True):
            assert np.array_equal(a, b), f"step {step}: the trainer is where seek leaves it"
        assert got.position == want.position and got.epoch == want.epoch
        original = records[step]
        assert np.array_equal(got_record.indices, original.indices), f"step {step}: same batch"
        for r, o in zip(got_record.layers, original.layers, strict=True):
            for name in ("W", "b", "update_W", "update_b", "W_next", "b_next"):
                assert np.array_equal(getattr(r, name), getattr(o, name)), f"{step}: {name}"
    with pytest.raises(ValueError, match="no recorded update"):
        record_of_step(history, 0)
