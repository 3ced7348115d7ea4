"""The trainer: what one iteration records, determinism, divergence, and edits."""

from __future__ import annotations

import re

import numpy as np
import pytest

from app.engine import Diverged, IterationRecord, TrainConfig, Trainer


def records_equal(a: IterationRecord, b: IterationRecord) -> bool:
    """Bit-for-bit equality of two records (every tensor of every layer)."""
    if (a.step, a.epoch, a.loss, a.reg_loss, a.optimizer, a.learning_rate) != (
        b.step,
        b.epoch,
        b.loss,
        b.reg_loss,
        b.optimizer,
        b.learning_rate,
    ):
        return False
    if not (np.array_equal(a.indices, b.indices) and np.array_equal(a.X, b.X)):
        return False
    fields = (
        "W",
        "b",
        "Z",
        "A",
        "dA",
        "dZ",
        "dW",
        "dW_reg",
        "db",
        "mask",
        "update_W",
        "update_b",
        "W_next",
        "b_next",
    )
    for la, lb in zip(a.layers, b.layers, strict=True):
        for f in fields:
            x, y = getattr(la, f), getattr(lb, f)
            if (x is None) != (y is None) or (x is not None and not np.array_equal(x, y)):
                return False
    return True


def test_one_iteration_records_backprop_in_textbook_form() -> None:
    cfg = TrainConfig(dataset="circle", hidden=(5, 3), activation="tanh", l2=0.01, l1=0.001)
    trainer = Trainer(cfg)
    W_before = list(trainer.W)
    rec = trainer.train_step()
    m = cfg.batch_size
    assert rec.step == 1 and trainer.step == 1, "step counts updates, including this one"
    assert rec.epoch == 0 and not rec.epoch_completed, "first batch of epoch 0"
    assert rec.X.shape == (m, 2) and rec.y.shape == (m,), "batch A⁰ and labels"
    assert np.array_equal(rec.X, trainer.data.X_train[rec.indices]), "X are the indexed rows"
    L = rec.layers
    assert [r.layer for r in L] == [1, 2, 3], "layers numbered from 1"
    assert [r.activation for r in L] == ["tanh", "tanh", "softmax"], "activation names"
    assert [r.W.shape for r in L] == [(5, 2), (3, 5), (2, 3)], "Wˡ has shape (out, in)"
    for l, r in enumerate(L):
        assert r.W is W_before[l], "W is the weight before the update (shared, not copied)"
        A_prev = rec.X if l == 0 else L[l - 1].A
        assert r.A_prev is A_prev, "A_prev is the previous layer's A"
        assert np.allclose(r.Z, A_prev @ r.W.T + r.b), f"forward {l + 1}: Z = A·Wᵀ + b"
        assert np.allclose(r.dW, r.dZ.T @ A_prev + r.dW_reg), f"backward {l + 1}: dW"
        assert np.allclose(r.dW_reg, 0.01 * r.W + 0.001 * np.sign(r.W)), "dW_reg = l2·W + l1·sgn W"
        assert np.allclose(r.db, r.dZ.sum(axis=0)), f"backward {l + 1}: db = Σ dZ"
        assert np.array_equal(r.update_W, -cfg.learning_rate * r.dW), "sgd: ΔW = −lr·dW"
        assert np.array_equal(r.W_next, r.W + r.update_W), "W_next = W + ΔW"
        assert np.array_equal(r.b_next, r.b + r.update_b), "b_next = b + Δb"
        assert r.W_next is trainer.W[l], "the trainer now holds W_next itself"
        assert r.mask is None, "no dropout, no mask"
    assert np.allclose(L[0].A, np.tanh(L[0].Z)), "A = tanh(Z)"
    assert np.allclose(L[0].dZ, L[0].dA * (1 - L[0].A ** 2)), "dZ = dA ⊙ tanh′(Z)"
    assert np.allclose(L[0].dA, L[1].dZ @ L[1].W), "dA¹ = dZ² · W²"
    P = L[-1].A
    assert np.allclose(P.sum(axis=1), 1), "output A is the softmax P"
    Y = np.eye(2)[rec.y]
    assert L[-1].dA is None, "softmax output: backward starts at dZ"
    assert np.allclose(L[-1].dZ, (P - Y) / m), "dZᴸ = (P − Y)/m"
    assert np.isclose(rec.loss, -np.mean(np.log(P[np.arange(m), rec.y]))), "mean cross-entropy"
    reg = sum(0.005 * (r.W**2).sum() + 0.001 * np.abs(r.W).sum() for r in L)
    assert np.isclose(rec.reg_loss, reg), "reg_loss = (l2/2)ΣW² + l1Σ|W|"
    assert rec.accuracy == np.mean(P.argmax(1) == rec.y), "batch accuracy"


def test_record_phases_follow_the_animation_order() -> None:
    rec = Trainer(TrainConfig(hidden=(3,), dropout=0.2)).train_step()
    phases = rec.phases()
    names = [(p.name, p.layer) for p in phases]
    assert names == [
        ("forward", 1),
        ("forward", 2),
        ("loss", None),
        ("backward", 2),
        ("backward", 1),
        ("update", None),
    ], "forward 1..L, loss, backward L..1, update"
    assert "mask" in phases[0].tensors, "hidden forward shows the dropout mask"
    assert set(phases[2].tensors) == {"output", "y", "loss", "reg_loss"}, "loss phase"
    assert "dA" not in phases[3].tensors, "softmax output layer has no dA"
    assert {"dA", "dZ", "dW", "db"} <= set(phases[4].tensors), "hidden backward"
    assert {"W1", "update_W1", "W_next1", "b2", "update_b2", "b_next2"} <= set(phases[5].tensors), (
        "update shows before, Δ and after for every layer"
    )


def test_records_are_immutable_and_share_arrays_instead_of_copying() -> None:
    trainer = Trainer(TrainConfig(hidden=(4,), optimizer="adam"))
    r1 = trainer.train_step()
    r2 = trainer.train_step()
    assert r2.layers[0].W is r1.layers[0].W_next, "W of step t+1 is W_next of step t"
    for layer in r1.layers:
        for name in ("W", "b", "Z", "A", "dZ", "dW", "db", "update_W", "W_next", "b_next"):
            assert not getattr(layer, name).flags.writeable, f"{name} is read-only"
    for slot in r1.optimizer_state.slots:
        assert not any(a.flags.writeable for a in slot), "optimizer state is read-only"
    with pytest.raises(ValueError):
        trainer.W[0][0, 0] = 1.0  # the trainer's weights cannot be changed in place
    with pytest.raises(AttributeError):
        r1.loss = 0.0  # type: ignore[misc]


def test_same_config_and_seed_give_bit_identical_runs() -> None:
    cfg = TrainConfig(dataset="spiral", hidden=(6, 6), dropout=0.3, optimizer="adam", seed=5)
    a, b = Trainer(cfg), Trainer(cfg)
    for _ in range(60):
        assert records_equal(a.train_step(), b.train_step()), "same records, bit for bit"
    other = Trainer(cfg.replace(seed=6)).train_step()
    assert not np.array_equal(other.layers[0].W, Trainer(cfg).W[0]), "another seed differs"


def test_epochs_reshuffle_and_use_the_last_partial_batch() -> None:
    trainer = Trainer(TrainConfig(samples=100, test_fraction=0.25, batch_size=30))
    n = trainer.data.n_train
    assert n == 75 and trainer.steps_per_epoch == 3, "75 samples in batches of 30: 3 steps"
    epoch0 = [trainer.train_step() for _ in range(3)]
    assert [len(r.indices) for r in epoch0] == [30, 30, 15], "the last batch is partial"
    assert [r.epoch for r in epoch0] == [0, 0, 0], "record.epoch = epochs completed before"
    assert [r.epoch_completed for r in epoch0] == [False, False, True], "the 3rd ends epoch 0"
    assert trainer.epoch == 1 and trainer.position == 0, "trainer.epoch counts completed epochs"
    seen = np.concatenate([r.indices for r in epoch0])
    assert sorted(seen) == list(range(n)), "an epoch visits every training sample once"
    epoch1 = np.concatenate([trainer.train_step().indices for _ in range(3)])
    assert not np.array_equal(seen, epoch1), "each epoch has a new order"


def test_batch_size_change_takes_effect_from_the_current_position() -> None:
    trainer = Trainer(TrainConfig(samples=100, test_fraction=0.0, batch_size=30))
    trainer.train_step()
    trainer.update_hyper(batch_size=50)
    r = trainer.train_step()
    assert len(r.indices) == 50 and trainer.position == 80, "position kept, new size used"
    r = trainer.train_step()
    assert len(r.indices) == 20 and r.epoch_completed, "the rest of the epoch, no carry-over"


def _diverging_trainer(dropout: float = 0.0) -> Trainer:
    # Squared error with a high learning rate: reproducibly diverges at step 130 (tanh, seed 1).
    return Trainer(TrainConfig(dataset="plane", learning_rate=4.5, dropout=dropout))


@pytest.mark.parametrize("dropout", [0.0, 0.2])
def test_divergence_is_reported_and_leaves_the_trainer_untouched(dropout: float) -> None:
    trainer = _diverging_trainer(dropout)
    with pytest.raises(Diverged) as info:
        for _ in range(1000):
            before = trainer.capture()
            trainer.train_step()
    exc = info.value
    assert exc.step == trainer.step + 1, "reports the step that failed"
    assert exc.quantity in {"loss", "Z", "A", "dZ", "dW", "db", "W", "b"}, "names the quantity"
    assert exc.message == str(exc) and "diverged at step" in exc.message, "a clear message"
    after = trainer.capture()
    assert all(x is y for x, y in zip(before.W + before.b, after.W + after.b, strict=True)), (
        "weights and biases are exactly those before the call"
    )
    assert after.optimizer is before.optimizer, "optimizer state untouched"
    assert after.rng_dropout == before.rng_dropout, "dropout generator untouched"
    assert after.rng_order == before.rng_order, "data-order generator untouched"
    assert (after.position, after.step, after.epoch) == (
        before.position,
        before.step,
        before.epoch,
    ), "position, step and epoch untouched"
    with pytest.raises(Diverged) as again:
        trainer.train_step()
    assert (again.value.step, again.value.layer, again.value.quantity) == (
        exc.step,
        exc.layer,
        exc.quantity,
    ), "trying again fails identically: nothing moved"


def test_divergence_case_is_reproducible() -> None:
    trainer = _diverging_trainer()
    with pytest.raises(Diverged) as info:
        for _ in range(1000):
            trainer.train_step()
    assert (info.value.step, info.value.layer, info.value.quantity) == (130, None, "loss"), (
        "plane, tanh 4-2, lr 4.5, seed 1: the loss overflows at step 130"
    )


def test_set_weight_and_bias_copy_on_write_with_clear_errors() -> None:
    trainer = Trainer(TrainConfig(hidden=(3,)))
    rec = trainer.train_step()
    old = trainer.W[0]
    trainer.set_weight(1, 2, 1, 0.5)
    assert trainer.W[0][2, 1] == 0.5, "the weight is set"
    assert trainer.W[0] is not old and old is rec.layers[0].W_next, "the record keeps the old"
    assert rec.layers[0].W_next[2, 1] != 0.5, "records never change"
    trainer.set_bias(2, 1, -0.25)
    assert trainer.b[1][1] == -0.25, "the bias is set"
    with pytest.raises(IndexError, match=re.escape("layer must be 1..2")):
        trainer.set_weight(0, 0, 0, 1.0)
    with pytest.raises(IndexError, match=re.escape("row 3 is out of range 0..2")):
        trainer.set_weight(1, 3, 0, 1.0)
    with pytest.raises(IndexError, match=re.escape("col 2 is out of range 0..1")):
        trainer.set_weight(1, 0, 2, 1.0)
    with pytest.raises(ValueError, match="finite"):
        trainer.set_bias(1, 0, float("nan"))


def test_sample_pass_changes_nothing() -> None:
    trainer = Trainer(TrainConfig(hidden=(4,), dropout=0.5, optimizer="momentum"))
    trainer.train_step()
    before = trainer.capture()
    rec = trainer.sample_pass(3)
    after = trainer.capture()
    assert rec.kind == "sample" and rec.step == trainer.step, "a sample record at this step"
    assert rec.X.shape == (1, 2) and np.array_equal(rec.X[0], trainer.data.X_train[3]), "one row"
    assert rec.layers[0].mask is None, "no dropout when following one sample"
    assert all(x is y for x, y in zip(before.W, after.W, strict=True)), "weights unchanged"
    assert after.optimizer is before.optimizer and after.rng_dropout == before.rng_dropout, (
        "optimizer and generators unchanged"
    )
    test_rec = trainer.sample_pass(0, "test")
    assert np.array_equal(test_rec.X[0], trainer.data.X_test[0]), "test split"
    with pytest.raises(IndexError):
        trainer.sample_pass(10_000)


def test_evaluate_and_grid() -> None:
    trainer = Trainer(TrainConfig(dataset="xor", hidden=(4, 3)))
    m = trainer.evaluate()
    assert m.train_loss > 0 and 0 <= (m.train_accuracy or 0) <= 1, "train metrics"
    assert m.test_loss is not None and m.test_accuracy is not None, "test metrics"
    g = trainer.grid(n=20)
    assert g.kind == "probability" and g.output.shape == (20, 20), "binary: P(class 1)"
    assert [a.shape for a in g.neurons] == [(4, 20, 20), (3, 20, 20)], "each hidden neuron"
    assert g.features.shape == (2, 20, 20), "each input feature"
    assert g.x1s[0] == -6 and g.x1s[-1] == 6, "grid over [−6, 6]"
    assert g.features[0, 5, 7] == g.x1s[7] and g.features[1, 5, 7] == g.x2s[5], (
        "output[i, j] sits at x1 = x1s[j], x2 = x2s[i]"
    )
    assert np.all((g.output >= 0) & (g.output <= 1)), "probabilities"
    reg = Trainer(TrainConfig(dataset="plane", hidden=(3,))).grid(n=8)
    assert reg.kind == "value" and reg.probabilities is None, "regression: the prediction"
    with pytest.raises(ValueError, match="2-D"):
        Trainer(TrainConfig(dataset="digits", hidden=(4,))).grid()


def test_regression_records_identity_output_and_squared_error() -> None:
    rec = Trainer(TrainConfig(dataset="multigauss", hidden=(4,))).train_step()
    out = rec.layers[-1]
    assert out.activation == "identity" and out.A is out.Z, "Ŷ = Zᴸ"
    assert rec.y.shape == (10, 1) and rec.accuracy is None, "targets, no accuracy"
    assert np.isclose(rec.loss, np.mean((out.Z - rec.y) ** 2)), "mean squared error"
    assert np.allclose(out.dZ, 2 * (out.Z - rec.y) / 10), "dZ = 2(Ŷ − Y)/(m·k)"
    assert out.dA is out.dZ, "identity output: dA = dZ"


def test_dropout_is_inverted_and_recorded() -> None:
    rec = Trainer(TrainConfig(hidden=(50,), dropout=0.4, batch_size=40)).train_step()
    hidden = rec.layers[0]
    assert hidden.mask is not None and hidden.mask.dtype == bool, "the mask is recorded"
    assert rec.layers[1].mask is None, "no dropout on the output layer"
    kept = np.tanh(hidden.Z) / 0.6
    assert np.allclose(hidden.A, np.where(hidden.mask, kept, 0.0)), "A = f(Z) ⊙ mask / (1 − p)"
    assert 0.5 < hidden.mask.mean() < 0.7, "about 60 % kept"
    assert np.allclose(hidden.dZ, hidden.dA * hidden.mask / 0.6 * (1 - np.tanh(hidden.Z) ** 2)), (
        "dZ = dA ⊙ mask/(1 − p) ⊙ f′(Z)"
    )


def test_diagnostics() -> None:
    trainer = Trainer(TrainConfig(dataset="spiral", hidden=(8, 8), activation="relu", init="he"))
    trainer.set_bias(1, 0, -1000.0)  # unit 0 of layer 1 can never fire: dead
    rec = trainer.train_step()
    d = rec.diagnostics
    assert [x.layer for x in d.layers] == [1, 2, 3], "one entry per layer"
    first = d.layers[0]
    assert first.grad_norm == pytest.approx(np.linalg.norm(rec.layers[0].dW)), "‖dW‖"
    assert first.weight_norm == pytest.approx(np.linalg.norm(rec.layers[0].W)), "‖W‖"
    assert first.update_ratio == pytest.approx(
        np.linalg.norm(rec.layers[0].update_W) / np.linalg.norm(rec.layers[0].W)
    ), "‖ΔW‖/‖W‖"
    assert first.dead_fraction == pytest.approx(1 / 8), "1 of 8 ReLU units dead"
    assert d.layers[-1].dead_fraction is None, "not defined for the output layer"

    deep = Trainer(TrainConfig(dataset="circle", hidden=(8,) * 8, activation="sigmoid"))
    flags = deep.train_step().diagnostics
    assert flags.layers[0].vanishing and flags.any_vanishing, (
        "sigmoid, 8 hidden layers: the first layer's gradient vanishes (≥100× below median)"
    )
    assert not flags.layers[-1].vanishing, "the output layer's does not"
