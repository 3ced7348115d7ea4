"""Each optimizer follows torch.optim's update rule, checked against a hand-written
reference (torch's documented algorithm, with torch's defaults) over 20 steps."""

from __future__ import annotations

import numpy as np
import pytest

from app.engine import TrainConfig, Trainer
from app.engine.optimizers import OptimizerState, optimizer_step

LR = 0.05
MU = 0.9
STEPS = 20


def reference(name: str, params: list[np.ndarray], grads_per_step: list[list[np.ndarray]]):  # type: ignore[no-untyped-def]
    """torch.optim's algorithms written out, one parameter at a time, in place like torch."""
    params = [p.copy() for p in params]
    history = []
    state: list[dict[str, np.ndarray]] = [{} for _ in params]
    for t, grads in enumerate(grads_per_step, start=1):
        for p, g, s in zip(params, grads, state, strict=True):
            if name == "sgd":
                p -= LR * g
            elif name in ("momentum", "nesterov"):
                # torch.optim.SGD(momentum=0.9, dampening=0, nesterov=…)
                if "buf" not in s:
                    s["buf"] = g.copy()
                else:
                    s["buf"] = MU * s["buf"] + g
                d = g + MU * s["buf"] if name == "nesterov" else s["buf"]
                p -= LR * d
            elif name == "rmsprop":
                # torch.optim.RMSprop(alpha=0.99, eps=1e-8): eps added after the square root
                s.setdefault("v", np.zeros_like(p))
                s["v"] = 0.99 * s["v"] + (1 - 0.99) * g * g
                p -= LR * g / (np.sqrt(s["v"]) + 1e-8)
            elif name == "adam":
                # torch.optim.Adam(betas=(0.9, 0.999), eps=1e-8), bias-corrected
                s.setdefault("m", np.zeros_like(p))
                s.setdefault("v", np.zeros_like(p))
                s["m"] = 0.9 * s["m"] + (1 - 0.9) * g
                s["v"] = 0.999 * s["v"] + (1 - 0.999) * g * g
                m_hat = s["m"] / (1 - 0.9**t)
                v_hat = s["v"] / (1 - 0.999**t)
                p -= LR * m_hat / (np.sqrt(v_hat) + 1e-8)
        history.append([p.copy() for p in params])
    return history


@pytest.mark.parametrize("name", ["sgd", "momentum", "nesterov", "rmsprop", "adam"])
def test_optimizer_follows_torch_rule_over_20_steps(name: str) -> None:
    rng = np.random.default_rng(7)
    params = [rng.normal(size=(3, 4)), rng.normal(size=3)]
    grads_per_step = [[rng.normal(size=p.shape) * 0.5 for p in params] for _ in range(STEPS)]
    expected = reference(name, params, grads_per_step)
    state = OptimizerState.initial(name)
    current = params
    for step, grads in enumerate(grads_per_step):
        updates, state = optimizer_step(state, grads, LR, MU)
        current = [p + u for p, u in zip(current, updates, strict=True)]
        for i, (got, want) in enumerate(zip(current, expected[step], strict=True)):
            assert np.allclose(got, want, rtol=1e-12, atol=1e-14), (
                f"{name}: parameter {i} after step {step + 1}"
            )
    assert state.t == STEPS, "the state counts its steps"


def test_momentum_first_step_is_plain_sgd_and_state_is_named_like_torch() -> None:
    g = [np.array([1.0, -2.0])]
    updates, state = optimizer_step(OptimizerState.initial("momentum"), g, 0.1, 0.9)
    assert np.array_equal(updates[0], -0.1 * g[0]), "buf = g on the first step (no 0.9·0)"
    assert set(state.named(0)) == {"momentum_buffer"}, "torch's state name"
    _, adam = optimizer_step(OptimizerState.initial("adam"), g, 0.1, 0.9)
    assert set(adam.named(0)) == {"exp_avg", "exp_avg_sq"}, "torch's Adam state names"


def test_optimizer_never_modifies_its_inputs() -> None:
    g = [np.array([1.0, -2.0])]
    _, s1 = optimizer_step(OptimizerState.initial("adam"), g, 0.1, 0.9)
    snapshot = [a.copy() for a in s1.slots[0]]
    optimizer_step(s1, g, 0.1, 0.9)
    assert all(np.array_equal(a, b) for a, b in zip(s1.slots[0], snapshot, strict=True)), (
        "the old state is untouched (records and snapshots share it)"
    )
    assert not s1.slots[0][0].flags.writeable, "state arrays are read-only"


def test_learning_rate_change_keeps_state_and_optimizer_change_resets_it() -> None:
    trainer = Trainer(TrainConfig(optimizer="adam", learning_rate=0.01))
    for _ in range(5):
        trainer.train_step()
    state = trainer.optimizer_state
    trainer.update_hyper(learning_rate=0.02)
    assert trainer.optimizer_state is state, "a new learning rate keeps Adam's moments"
    trainer.update_hyper(optimizer="momentum")
    assert trainer.optimizer_state.t == 0 and not trainer.optimizer_state.slots, (
        "a new optimizer starts from scratch"
    )
    trainer.train_step()
    kept = trainer.optimizer_state
    trainer.update_hyper(momentum=0.5)
    assert trainer.optimizer_state.t == 0, "a new momentum resets the momentum buffer"
    assert kept.t == 1, "(the old state object is unchanged)"
    with pytest.raises(ValueError, match="hidden"):
        trainer.update_hyper(hidden=(3,))
    with pytest.raises(ValueError, match="learning_rate"):
        trainer.update_hyper(learning_rate=-1.0)
