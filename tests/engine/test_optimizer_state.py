"""The optimizer state the protocol streams (``optimizer_view``) is torch.optim's state.

Three references, over 20 real training steps of the engine (L1, L2 and dropout on, so the
gradients are the ones the engine really feeds its optimizer):

* torch's documented rules written out here by hand, one parameter at a time;
* ``torch.optim`` itself on ``torch.nn.Linear`` layers in float64 holding the same initial
  weights, fed the engine's ``dW``, ``db`` of each step: ``optimizer.state[p]`` and ``p``;
* the step count: ``optimizer_t`` against torch's ``state[p]["step"]`` (Adam, RMSprop) and
  against the number of updates since the optimizer was (re)started.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from app.engine import History, TrainConfig, Trainer
from app.engine.optimizer_view import (
    layer_state,
    layer_states,
    optimizer_constants,
    optimizer_t,
)
from app.engine.optimizers import OPTIMIZERS

STEPS = 20
LR_CHANGE_AT = 12  # the learning rate changes after this step; the state must carry on
RTOL = 1e-12
NAMES = ["sgd", "momentum", "nesterov", "rmsprop", "adam"]
LR = {"sgd": 0.1, "momentum": 0.05, "nesterov": 0.05, "rmsprop": 0.01, "adam": 0.01}
MU = 0.8


def rel(got: np.ndarray, want: np.ndarray) -> float:
    """Normwise relative difference ``max|got − want| / max|want|`` (0 for two zero arrays)."""
    scale = float(np.max(np.abs(want)))
    diff = float(np.max(np.abs(got - want)))
    return diff if scale == 0.0 else diff / scale


def trainer_for(name: str) -> Trainer:
    config = TrainConfig(
        dataset="circle",
        samples=120,
        hidden=(5, 3),
        activation="tanh",
        optimizer=name,
        learning_rate=LR[name],
        momentum=MU,
        batch_size=10,
        l1=1e-3,
        l2=1e-2,
        dropout=0.2,
        seed=3,
    )
    return Trainer(config)


def hand_rule(name: str, g: np.ndarray, s: dict[str, np.ndarray], t: int, lr: float) -> np.ndarray:
    """One update of torch's documented algorithm on one parameter; updates ``s`` and returns Δ.

    torch.optim.SGD(momentum=μ, dampening=0, nesterov=…): b = g at t = 1, then b = μ·b + g;
    Δ = −lr·b, or −lr·(g + μ·b) with nesterov. RMSprop(alpha=0.99, eps=1e-8): v = α·v +
    (1−α)·g², Δ = −lr·g/(√v + eps). Adam(betas=(0.9, 0.999), eps=1e-8): m = β₁·m + (1−β₁)·g,
    v = β₂·v + (1−β₂)·g², Δ = −lr·(m/(1−β₁ᵗ)) / (√(v/(1−β₂ᵗ)) + eps).
    """
    if name == "sgd":
        return -lr * g
    if name in ("momentum", "nesterov"):
        s["momentum_buffer"] = g.copy() if t == 1 else MU * s["momentum_buffer"] + g
        direction = g + MU * s["momentum_buffer"] if name == "nesterov" else s["momentum_buffer"]
        return -lr * direction
    if name == "rmsprop":
        v = s.get("square_avg", np.zeros_like(g))
        s["square_avg"] = 0.99 * v + (1 - 0.99) * g * g
        return -lr * g / (np.sqrt(s["square_avg"]) + 1e-8)
    m = s.get("exp_avg", np.zeros_like(g))
    v = s.get("exp_avg_sq", np.zeros_like(g))
    s["exp_avg"] = 0.9 * m + (1 - 0.9) * g
    s["exp_avg_sq"] = 0.999 * v + (1 - 0.999) * g * g
    m_hat = s["exp_avg"] / (1 - 0.9**t)
    v_hat = s["exp_avg_sq"] / (1 - 0.999**t)
    return -lr * m_hat / (np.sqrt(v_hat) + 1e-8)


def torch_optimizer(name: str, params: list[torch.Tensor], lr: float) -> torch.optim.Optimizer:
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr)
    if name in ("momentum", "nesterov"):
        return torch.optim.SGD(
            params, lr=lr, momentum=MU, dampening=0.0, nesterov=name == "nesterov"
        )
    if name == "rmsprop":
        return torch.optim.RMSprop(params, lr=lr, alpha=0.99, eps=1e-8)
    return torch.optim.Adam(params, lr=lr, betas=(0.9, 0.999), eps=1e-8)


def torch_layers(trainer: Trainer) -> list[torch.nn.Linear]:
    """``nn.Linear`` layers (float64) holding the trainer's weights; ``weight`` is (out, in)
    like the engine's ``W``."""
    layers = []
    for W, b in zip(trainer.W, trainer.b, strict=True):
        lin = torch.nn.Linear(W.shape[1], W.shape[0], dtype=torch.float64)
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(W.copy()))
            lin.bias.copy_(torch.from_numpy(b.copy()))
        layers.append(lin)
    return layers


def params_of(layers: list[torch.nn.Linear]) -> list[torch.Tensor]:
    return [p for lin in layers for p in (lin.weight, lin.bias)]


def run_and_compare(name: str) -> dict[str, float]:
    """20 engine steps (learning rate changed after step 12) against both references; returns
    the largest relative differences seen."""
    trainer = trainer_for(name)
    L = len(trainer.W)
    worst = {"hand_state": 0.0, "hand_params": 0.0, "torch_state": 0.0, "torch_params": 0.0}
    hand_state: list[dict[str, np.ndarray]] = [{} for _ in range(2 * L)]
    hand_params = [p.copy() for l in range(L) for p in (trainer.W[l], trainer.b[l])]
    layers = torch_layers(trainer)
    params = params_of(layers)
    opt = torch_optimizer(name, params, LR[name])
    lr = LR[name]
    for step in range(1, STEPS + 1):
        if step == LR_CHANGE_AT + 1:
            lr = LR[name] / 3
            trainer.update_hyper(learning_rate=lr)
            for group in opt.param_groups:
                group["lr"] = lr
        record = trainer.train_step()
        t = optimizer_t(record.optimizer_state)
        assert t == step, f"{name}: optimizer_t counts updates since the start (step {step})"
        views = layer_states(record.optimizer_state, L)
        for l, lr_rec in enumerate(record.layers):
            for k, (g, grad) in enumerate((("W", lr_rec.dW), ("b", lr_rec.db))):
                i = 2 * l + k
                delta = hand_rule(name, grad, hand_state[i], step, lr)
                hand_params[i] = hand_params[i] + delta
                got_param = lr_rec.W_next if g == "W" else lr_rec.b_next
                worst["hand_params"] = max(worst["hand_params"], rel(got_param, hand_params[i]))
                assert rel(got_param, hand_params[i]) <= RTOL, (
                    f"{name}: {g}{l + 1} after step {step} vs the hand-written torch rule"
                )
                params[i].grad = torch.from_numpy(grad.copy())
        opt.step()
        for l, lr_rec in enumerate(record.layers):
            view = views[l]
            if name == "sgd":
                assert view is None, "sgd streams no state"
            else:
                assert view is not None
                assert set(view) == {"W", "b"}
            for k, g in enumerate(("W", "b")):
                i = 2 * l + k
                got_param = lr_rec.W_next if g == "W" else lr_rec.b_next
                want_param = params[i].detach().numpy()
                worst["torch_params"] = max(worst["torch_params"], rel(got_param, want_param))
                assert rel(got_param, want_param) <= RTOL, (
                    f"{name}: {g}{l + 1} after step {step} vs torch.optim"
                )
                torch_state = opt.state[params[i]]
                slots = {k2: v for k2, v in torch_state.items() if k2 != "step"}
                if view is None:
                    assert slots == {} or all(v is None for v in slots.values()), (
                        f"{name}: torch keeps no state either"
                    )
                    continue
                assert set(view[g]) == set(OPTIMIZERS[name]) == set(slots), (
                    f"{name}: slot names are torch's ({sorted(slots)})"
                )
                for slot, array in view[g].items():
                    assert array.shape == got_param.shape, f"{name}: {slot} has {g}'s shape"
                    hand = rel(array, hand_state[i][slot])
                    tor = rel(array, slots[slot].numpy())
                    worst["hand_state"] = max(worst["hand_state"], hand)
                    worst["torch_state"] = max(worst["torch_state"], tor)
                    assert hand <= RTOL, f"{name}: {slot} of {g}{l + 1} at step {step} (hand rule)"
                    assert tor <= RTOL, f"{name}: {slot} of {g}{l + 1} at step {step} (torch)"
                if "step" in torch_state:
                    assert int(torch_state["step"].item()) == t, (
                        f"{name}: optimizer_t is torch's state['step']"
                    )
    return worst


@pytest.mark.parametrize("name", NAMES)
def test_streamed_state_is_torchs_for_20_steps(name: str) -> None:
    worst = run_and_compare(name)
    assert max(worst.values()) <= RTOL, worst


def test_changing_the_optimizer_restarts_t_and_matches_a_fresh_torch_optimizer() -> None:
    trainer = trainer_for("momentum")
    for _ in range(5):
        trainer.train_step()
    trainer.update_hyper(optimizer="adam", learning_rate=0.01)
    assert optimizer_t(trainer.optimizer_state) == 0, "a new optimizer starts at t = 0"
    assert layer_state(trainer.optimizer_state, 1) is None, "and with no state yet"
    layers = torch_layers(trainer)
    params = params_of(layers)
    opt = torch_optimizer("adam", params, 0.01)
    for step in range(1, 6):
        record = trainer.train_step()
        for l, r in enumerate(record.layers):
            params[2 * l].grad = torch.from_numpy(r.dW.copy())
            params[2 * l + 1].grad = torch.from_numpy(r.db.copy())
        opt.step()
        assert optimizer_t(record.optimizer_state) == step
        for l in range(len(record.layers)):
            view = layer_state(record.optimizer_state, l + 1)
            assert view is not None
            for k, g in enumerate(("W", "b")):
                state = opt.state[params[2 * l + k]]
                assert int(state["step"].item()) == step, "torch's step restarted too"
                for slot in ("exp_avg", "exp_avg_sq"):
                    assert rel(view[g][slot], state[slot].numpy()) <= RTOL, (
                        f"Adam's {slot} of {g}{l + 1} after the switch, step {step}"
                    )


def test_optimizer_t_follows_resets_and_seeks() -> None:
    trainer = trainer_for("adam")
    history = History(trainer, checkpoint_every=4)
    for _ in range(7):
        trainer.train_step()
        history.record()
    assert optimizer_t(trainer.optimizer_state) == 7
    trainer.update_hyper(learning_rate=0.02)
    assert optimizer_t(trainer.optimizer_state) == 7, "a new learning rate keeps the state"
    trainer.update_hyper(momentum=0.5)
    assert optimizer_t(trainer.optimizer_state) == 7, "μ is not Adam's: the state is kept"
    trainer.update_hyper(optimizer="rmsprop")
    assert optimizer_t(trainer.optimizer_state) == 0, "a new optimizer restarts t"
    for _ in range(3):
        trainer.train_step()
        history.record()
    assert optimizer_t(trainer.optimizer_state) == 3
    saved = layer_states(trainer.optimizer_state, 3)
    history.seek(5)
    assert optimizer_t(trainer.optimizer_state) == 5, "seek to a step before the switch: Adam's t"
    history.seek(8)
    assert optimizer_t(trainer.optimizer_state) == 1, "one step after the switch at step 7"
    history.seek(10)
    assert optimizer_t(trainer.optimizer_state) == 3
    again = layer_states(trainer.optimizer_state, 3)
    for a, b in zip(saved, again, strict=True):
        assert a is not None and b is not None
        for g in ("W", "b"):
            assert np.array_equal(a[g]["square_avg"], b[g]["square_avg"]), "seek is exact"
    trainer.update_hyper(optimizer="momentum")
    trainer.train_step()
    trainer.update_hyper(momentum=0.3)
    assert optimizer_t(trainer.optimizer_state) == 0, "a new μ restarts momentum's buffer"


def test_the_view_shares_the_states_read_only_arrays() -> None:
    trainer = trainer_for("adam")
    record = trainer.train_step()
    view = layer_state(record.optimizer_state, 2)
    assert view is not None
    assert view["W"]["exp_avg"] is record.optimizer_state.slots[2][0], "no copy"
    assert view["b"]["exp_avg_sq"] is record.optimizer_state.slots[3][1]
    assert not view["W"]["exp_avg"].flags.writeable, "the streamed arrays are read-only"
    with pytest.raises(IndexError):
        layer_state(record.optimizer_state, 4)
    with pytest.raises(ValueError, match="another network"):
        layer_states(record.optimizer_state, 2)


def test_constants_are_the_rules_own() -> None:
    c: dict[str, Any] = optimizer_constants()
    assert c == {
        "rmsprop": {"alpha": 0.99, "eps": 1e-8},
        "adam": {"beta1": 0.9, "beta2": 0.999, "eps": 1e-8},
    }, "torch's defaults, as the page writes them into its formulas"


def test_the_js_fixture_is_what_the_engine_records_today() -> None:
    """tests/js/optimizer-lines.test.js checks the inspector's lines on real steps: they must
    stay the engine's (rerun tests/js/fixtures/record_optimizer_steps.py after a change)."""
    path = Path(__file__).resolve().parents[1] / "js" / "fixtures" / "record_optimizer_steps.py"
    spec = importlib.util.spec_from_file_location("record_optimizer_steps", path)
    assert spec is not None and spec.loader is not None
    recorder = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(recorder)
    fresh = json.loads(recorder.dumps(recorder.record()))
    stored = json.loads(recorder.PATH.read_text())
    assert fresh == stored, "optimizer_steps.json is stale: rerun record_optimizer_steps.py"
