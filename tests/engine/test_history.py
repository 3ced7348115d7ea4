"""Time travel: any kept step can be restored exactly, and stepping on replays bit for bit."""

from __future__ import annotations

import pytest

from app.engine import History, TrainConfig, Trainer
from tests.engine.test_trainer import records_equal


def _run(trainer: Trainer, history: History, steps: int) -> list:  # type: ignore[type-arg]
    records = []
    for _ in range(steps):
        records.append(trainer.train_step())
        history.record()
    return records


@pytest.mark.parametrize("optimizer", ["sgd", "adam", "nesterov"])
def test_seek_then_step_reproduces_every_record_bit_for_bit(optimizer: str) -> None:
    cfg = TrainConfig(
        dataset="spiral", samples=120, hidden=(6, 5), optimizer=optimizer, dropout=0.25, l2=1e-3
    )
    trainer = Trainer(cfg)
    history = History(trainer, checkpoint_every=7)
    records = _run(trainer, history, 60)  # 84 training samples / 10: epochs end at 9, 18, …
    assert records[8].epoch_completed, "the run crosses epoch boundaries"
    for target in (0, 5, 8, 9, 13, 59):
        history.seek(target)
        assert trainer.step == target, f"seek({target}) puts the trainer at step {target}"
        for expected in records[target : target + 12]:
            assert records_equal(trainer.train_step(), expected), (
                f"{optimizer}: step {expected.step} replayed after seek({target}) is identical"
            )
            history.record()  # re-stepping along the recorded timeline is allowed
    assert history.newest == 60, "replaying the recorded future does not change it"


def test_replay_after_a_batch_size_change_and_across_epochs() -> None:
    trainer = Trainer(TrainConfig(samples=100, hidden=(4,), batch_size=10))
    history = History(trainer, checkpoint_every=50)
    _run(trainer, history, 12)
    trainer.update_hyper(batch_size=25)  # branches at step 12 (checkpointed automatically)
    assert history.newest == 12 and 12 in history.checkpoints, "the edited state is kept"
    after = _run(trainer, history, 20)
    assert any(r.epoch_completed for r in after), "crosses an epoch boundary"
    history.seek(3)
    assert trainer.config.batch_size == 10, "going back restores the old batch size"
    history.seek(20)
    assert trainer.config.batch_size == 25, "and forward the new one"
    for expected in after[8:]:
        assert records_equal(trainer.train_step(), expected), f"step {expected.step} identical"


def test_changing_the_past_branches_and_drops_the_future() -> None:
    trainer = Trainer(TrainConfig(hidden=(4,)))
    history = History(trainer, checkpoint_every=10)
    _run(trainer, history, 30)
    history.seek(15)
    trainer.set_weight(1, 0, 0, 2.0)
    assert history.newest == 15, "the old future after step 15 is gone"
    assert max(history.checkpoints) == 15, "no checkpoint beyond the branch point"
    branch = _run(trainer, history, 10)
    assert history.newest == 25, "the new branch is recorded"
    history.seek(16)
    assert (
        trainer.W[0] is branch[0].layers[0].W_next
        or (trainer.W[0] == branch[0].layers[0].W_next).all()
    ), "step 16 is the new branch's step 16"
    assert records_equal(trainer.train_step(), branch[1]), "replay follows the new branch"
    history.seek(15)
    assert trainer.W[0][0, 0] == 2.0, "step 15 is the edited state"
    history.truncate_after(5)
    assert history.newest == 5, "truncate_after drops explicitly too"
    with pytest.raises(ValueError, match="not in the history"):
        history.seek(6)


def test_history_is_bounded() -> None:
    trainer = Trainer(TrainConfig(hidden=(3,)))
    history = History(trainer, keep=100, checkpoint_every=10)
    _run(trainer, history, 450)
    assert history.newest == 450, "newest is the last step"
    assert 340 <= history.oldest <= 350, "at least the last 100 steps are kept, little more"
    assert len(history.checkpoints) <= 100 // 10 + 2, "bounded number of checkpoints"
    assert 0 < history.memory_bytes < 100_000, f"memory stated: {history.memory_bytes} bytes"
    history.seek(history.oldest)
    assert trainer.step == history.oldest, "the oldest kept step can be restored"
    with pytest.raises(ValueError, match="not in the history"):
        history.seek(history.oldest - 1)
    with pytest.raises(ValueError, match="not in the history"):
        history.seek(451)


def test_record_refuses_a_gap() -> None:
    trainer = Trainer(TrainConfig(hidden=(3,)))
    history = History(trainer)
    trainer.train_step()
    trainer.train_step()
    with pytest.raises(ValueError, match="call record"):
        history.record()


def test_restore_from_a_copied_snapshot_is_exact() -> None:
    """A snapshot that went through storage (fresh, writable arrays) restores exactly."""
    import copy

    import numpy as np

    from app.engine import TrainerState

    trainer = Trainer(TrainConfig(hidden=(5,), optimizer="adam", dropout=0.2))
    for _ in range(37):
        trainer.train_step()
    state = trainer.capture()
    copied = TrainerState(
        config=state.config,
        W=tuple(np.array(w) for w in state.W),
        b=tuple(np.array(v) for v in state.b),
        optimizer=copy.deepcopy(state.optimizer),
        rng_order=copy.deepcopy(dict(state.rng_order)),
        rng_dropout=copy.deepcopy(dict(state.rng_dropout)),
        order=np.array(state.order),
        position=state.position,
        step=state.step,
        epoch=state.epoch,
    )
    expected = [trainer.train_step() for _ in range(30)]
    other = Trainer(TrainConfig(hidden=(5,), optimizer="adam", dropout=0.2))
    other.restore(copied)
    for want in expected:
        assert records_equal(other.train_step(), want), f"step {want.step} identical"
    with pytest.raises(ValueError, match="different network"):
        Trainer(TrainConfig(hidden=(6,))).restore(state)


def test_replay_property_over_random_configurations() -> None:
    """For any mix of activation, optimizer, batch size, dropout and seed, seeking to a random
    step and stepping on reproduces the recorded run bit for bit."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    @settings(max_examples=15, deadline=None, database=None)
    @given(
        activation=st.sampled_from(["relu", "leaky_relu", "tanh", "sigmoid", "linear"]),
        optimizer=st.sampled_from(["sgd", "momentum", "nesterov", "rmsprop", "adam"]),
        batch_size=st.integers(1, 40),
        dropout=st.sampled_from([0.0, 0.1, 0.5]),
        seed=st.integers(0, 2**31 - 1),  # RANGES["seed"]: 31-bit seeds
        every=st.integers(1, 9),
        target=st.integers(0, 24),
    )
    def check(activation, optimizer, batch_size, dropout, seed, every, target):  # type: ignore[no-untyped-def]
        cfg = TrainConfig(
            samples=60,
            hidden=(5, 3),
            activation=activation,
            optimizer=optimizer,
            batch_size=batch_size,
            dropout=dropout,
            seed=seed,
            learning_rate=0.01,
        )
        trainer = Trainer(cfg)
        history = History(trainer, checkpoint_every=every)
        records = _run(trainer, history, 25)
        history.seek(target)
        for expected in records[target:]:
            assert records_equal(trainer.train_step(), expected), f"step {expected.step}"

    check()
