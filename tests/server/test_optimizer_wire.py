"""The optimizer's state on the wire (docs/protocol.md, "Optimizer state and the loss along a
step"): every `iteration`, `update` phase and `state` carries `layers[l].opt` and `optimizer_t`,
equal to torch.optim's own `state` fed the streamed gradients, through the real socket path.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

from tests.engine.test_optimizer_state import LR, MU, NAMES, RTOL, rel, torch_optimizer
from tests.server.conftest import Connect
from tests.server.helpers import Peer

STEPS = 20
CONFIG = {
    "dataset": "circle",
    "samples": 120,
    "hidden": [5, 3],
    "batch_size": 10,
    "l1": 1e-3,
    "l2": 1e-2,
    "dropout": 0.2,
    "momentum": MU,
}


def configure(peer: Peer, name: str) -> dict[str, Any]:
    """The session set to `name`; returns its `state` at step 0."""
    peer.welcome()
    peer.request({"type": "configure", "config": {**CONFIG, "seed": 3}}, "series")
    peer.expect(
        {"type": "configure", "config": {"optimizer": name, "learning_rate": LR[name]}}, "config"
    )
    state = peer.request({"type": "sync"}, "series")[0]
    assert state["optimizer_t"] == 0 and all("opt" not in l for l in state["layers"])
    return state


def torch_params(state: dict[str, Any]) -> list[torch.Tensor]:
    """W¹, b¹, W², … as float64 leaf tensors holding the streamed weights."""
    return [
        torch.tensor(np.array(layer[k], dtype=np.float64), requires_grad=True)
        for layer in state["layers"]
        for k in ("W", "b")
    ]


@pytest.mark.parametrize("name", NAMES)
def test_streamed_state_equals_torch_optim_for_20_steps(connect: Connect, name: str) -> None:
    with connect() as peer:
        state = configure(peer, name)
        params = torch_params(state)
        opt = torch_optimizer(name, params, LR[name])
        for step in range(1, STEPS + 1):
            # Odd steps phase by phase (the `update` phase carries the state too), even ones whole.
            if step % 2:
                got = peer.request({"type": "step", "unit": "phase", "count": 8}, "iteration")
                update = next(m for m in got if m.get("phase") == "update")
            else:
                got = peer.request({"type": "step"}, "iteration")
                update = None
            it = got[-1]
            assert it["step"] == step and it["optimizer"] == name
            assert it["optimizer_t"] == step, "updates since the optimizer started"
            for i, p in enumerate(params):
                layer, key = it["layers"][i // 2], "Wb"[i % 2]
                p.grad = torch.tensor(np.array(layer[f"d{key}"], dtype=np.float64))
            opt.step()
            for i, p in enumerate(params):
                l, key = i // 2, "Wb"[i % 2]
                layer = it["layers"][l]
                assert rel(np.array(layer[f"{key}_next"]), p.detach().numpy()) <= RTOL
                slots = {k: v for k, v in opt.state[p].items() if k != "step"}
                if name == "sgd":
                    assert "opt" not in layer, "sgd streams no state"
                    continue
                assert set(layer["opt"][key]) == set(slots), f"torch's slot names {sorted(slots)}"
                for slot, value in layer["opt"][key].items():
                    err = rel(np.array(value), slots[slot].numpy())
                    assert err <= RTOL, f"{name}: {slot} of {key}{l + 1} at step {step}: {err}"
                if "step" in opt.state[p]:
                    assert int(opt.state[p]["step"].item()) == it["optimizer_t"]
                if update is not None:
                    assert update["optimizer_t"] == step
                    assert update["layers"][l]["opt"] == layer["opt"], "update phase = iteration"
            # `state` at this step carries the state after this update (the next one's before).
            if step in (5, STEPS):
                st = peer.request({"type": "sync"}, "series")[0]
                assert st["optimizer_t"] == step
                assert [l.get("opt") for l in st["layers"]] == [l.get("opt") for l in it["layers"]]


def test_back_brings_the_state_back_and_a_new_optimizer_restarts_t(connect: Connect) -> None:
    with connect() as peer:
        configure(peer, "adam")
        its = [peer.request({"type": "step"}, "iteration")[-1] for _ in range(4)]
        # Mid-walk, `state` is the moment before the walk's update: step 4's state.
        peer.send({"type": "step", "unit": "phase", "count": 2})
        got = peer.request({"type": "sync"}, "series")
        st = next(m for m in got if m["type"] == "state")
        assert st["step"] == 4 and st["revealed"] == 2 and st["optimizer_t"] == 4
        assert [l["opt"] for l in st["layers"]] == [l["opt"] for l in its[3]["layers"]]
        got = peer.request({"type": "back", "unit": "iteration", "count": 3}, "series")
        back = next(m for m in got if m["type"] == "state")
        assert back["step"] == 2 and back["optimizer_t"] == 2
        assert [l["opt"] for l in back["layers"]] == [l["opt"] for l in its[1]["layers"]]
        peer.expect({"type": "configure", "config": {"learning_rate": 0.002}}, "config")
        assert peer.request({"type": "step"}, "iteration")[-1]["optimizer_t"] == 3, "lr keeps t"
        peer.expect({"type": "configure", "config": {"optimizer": "rmsprop"}}, "config")
        it = peer.request({"type": "step"}, "iteration")[-1]
        assert it["optimizer_t"] == 1 and set(it["layers"][0]["opt"]["W"]) == {"square_avg"}


def test_hello_and_options_carry_the_constants(client: Any, connect: Connect) -> None:
    want = {
        "rmsprop": {"alpha": 0.99, "eps": 1e-8},
        "adam": {"beta1": 0.9, "beta2": 0.999, "eps": 1e-8},
    }
    assert client.get("/api/options").json()["optimizer_constants"] == want
    with connect() as peer:
        assert peer.welcome()["hello"]["optimizer_constants"] == want
