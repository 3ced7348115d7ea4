"""Gradient-health flags in the textbook cases (issue 11): each test names the measured figures.

The rules and thresholds are in app/engine/diagnostics.py and docs/protocol.md ("Gradient
health: the rules"). Every net uses the default data (data_seed 1) and a fixed weight seed.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from app.engine import Diverged, TrainConfig, Trainer
from app.engine import diagnostics as diag
from app.engine.activations import ACTIVATIONS
from app.engine.diagnostics import Diagnostics
from app.engine.network import forward

DEEP = (8,) * 6


def _train(trainer: Trainer, steps: int) -> list[Diagnostics]:
    return [trainer.train_step().diagnostics for _ in range(steps)]


def _whole_set(trainer: Trainer) -> diag.UnitHealth:
    return diag.unit_health(
        trainer.W, trainer.b, trainer.data.X_train, trainer.config.activation, trainer.step
    )


def _codes(d: Diagnostics, units: diag.UnitHealth | None = None) -> list[str]:
    return [a["code"] for a in d.message(units)["advice"]]


def test_deep_sigmoid_vanishes_toward_the_input_and_explodes_nowhere() -> None:
    trainer = Trainer(
        TrainConfig(
            dataset="circle", hidden=DEEP, activation="sigmoid", init="xavier", learning_rate=0.1
        )
    )
    history = _train(trainer, 30)
    d = history[-1]
    # The measurement: ‖dW‖ by layer, 1,400× from the last layer to the first.
    expected = [2.7e-5, 2.3e-5, 7.0e-5, 3.5e-4, 1.9e-3, 9.8e-3, 3.8e-2]
    assert d.grad_norms == pytest.approx(expected, rel=0.05)
    # ρ = RMS(dZ) shrinks ~5× per sigmoid layer: 1.5e-6 … 6.3e-3 (hidden), 0.05 (output).
    rho = d.dz_rms
    assert all(a < b for a, b in zip(rho, rho[1:], strict=False)), "ρ grows toward the output"
    assert d.signal_ratio is not None and d.signal_ratio == pytest.approx(2.4e-4, rel=0.05)
    assert d.vanishing == [1, 2, 3], "ρˡ < ρ⁶/100 for l = 1, 2, 3 (ρ⁴/ρ⁶ = 0.029)"
    assert d.exploding == [], "nothing explodes: the largest ‖ΔW‖/‖W‖ is 2.4e-3"
    assert all(1 in h.vanishing and not h.exploding for h in history), "at every one of 30 steps"
    fprime = [x.fprime_mean for x in d.layers[:-1]]
    assert all(f is not None and 0.19 < f <= 0.25 for f in fprime), "sigmoid: f′ ≤ ¼"
    assert d.layers[-1].fprime_mean is None
    units = _whole_set(trainer)
    assert units.dead == () and units.saturated == ()
    (advice,) = d.message(units)["advice"]
    assert advice["code"] == "vanishing" and advice["layers"] == [1, 2, 3]
    assert advice["fixes"] == ["relu_activation", "he_xavier_init", "fewer_layers"]
    assert "1/4,200 of that of layer 6" in advice["text"] and "f′ ≤ ¼" in advice["text"]
    assert "learning rate" not in advice["text"], "the issue's wrong advice is gone"


def test_deep_relu_with_he_init_is_flagged_nowhere() -> None:
    trainer = Trainer(
        TrainConfig(dataset="circle", hidden=DEEP, activation="relu", init="he", learning_rate=0.1)
    )
    history = _train(trainer, 30)
    for h in history:
        assert h.vanishing == [] and h.exploding == [] and h.advice == (), f"step {h}"
    d = history[-1]
    # ρ¹/ρ⁶ = 0.23 (ρ = 0.0035 … 0.015): ReLU + He keep the signal's size along the depth.
    assert d.signal_ratio is not None and 0.1 < d.signal_ratio < 1.0
    units = _whole_set(trainer)
    assert units.dead == () and units.saturated == ()
    # 25 % of layer 4 is dead on the whole set (and 37.5 % inactive on this batch): below 50 %.
    assert [u.dead_fraction for u in units.layers] == [0.0, 0.0, 0.0, 0.25, 0.0, 0.125]
    assert d.message(units)["advice"] == []


def test_a_net_driven_to_divergence_is_flagged_exploding_before_it_diverges() -> None:
    trainer = Trainer(TrainConfig(dataset="plane", activation="tanh", learning_rate=1.0))
    history: list[Diagnostics] = []
    with pytest.raises(Diverged) as raised:
        for _ in range(1000):
            history.append(trainer.train_step().diagnostics)
    diverged = raised.value.step
    assert diverged == 538 and len(history) == 537
    flagged = [step for step, h in enumerate(history, start=1) if h.exploding]
    # First flagged at step 3 (‖ΔW³‖ = 2.7·‖W³‖), 535 steps before the loss overflows.
    assert flagged[0] == 3 and flagged[0] < diverged - 500
    assert len(flagged) > 0.8 * len(history), "463 of the 537 steps are flagged"
    assert history[-1].exploding == [3], "and so is the last step before it diverges"
    last = history[-1].message()
    assert _codes(history[-1]) == ["large_updates"]
    assert last["advice"][0]["fixes"] == [
        "lower_learning_rate",
        "smaller_init",
        "gradient_clipping",
    ]
    ratio = last["layers"][2]["update_ratio"]
    assert ratio > diag.UPDATE_RATIO_MAX


def test_fast_divergence_is_flagged_at_every_step_before_it() -> None:
    trainer = Trainer(TrainConfig(dataset="plane", activation="linear", learning_rate=0.1))
    history: list[Diagnostics] = []
    with pytest.raises(Diverged) as raised:
        for _ in range(100):
            history.append(trainer.train_step().diagnostics)
    assert raised.value.step == 6
    assert all(h.exploding for h in history), "steps 1–5 all flagged (‖ΔW‖/‖W‖ = 3.5 at step 1)"


def test_the_gradient_explodes_along_the_depth_with_too_large_initial_weights() -> None:
    # Linear 8×50 with U(−½, ½) weights: each layer multiplies the signal by ≈ √(50/12) ≈ 2.
    trainer = Trainer(
        TrainConfig(
            dataset="circle",
            hidden=(50,) * 8,
            activation="linear",
            init="uniform",
            learning_rate=0.001,
        )
    )
    for d in _train(trainer, 3):  # ρ¹/ρ⁸ = 156, 177, 122
        assert d.signal_ratio is not None and d.signal_ratio > diag.EXPLODING_RATIO
        assert 1 in d.exploding and d.vanishing == []
        assert _codes(d) == ["exploding"], "the updates are small (‖ΔW‖/‖W‖ < 0.2)"
        assert d.message()["advice"][0]["fixes"][0] == "smaller_init"


def test_dead_relus_are_flagged_on_the_whole_training_set() -> None:
    # The healthy ReLU + He net above, after one step at learning rate 3.
    trainer = Trainer(
        TrainConfig(dataset="circle", hidden=DEEP, activation="relu", init="he", learning_rate=0.1)
    )
    trainer.update_hyper(learning_rate=3.0)
    trainer.train_step()
    trainer.update_hyper(learning_rate=0.1)
    history = _train(trainer, 30)
    units = _whole_set(trainer)
    assert units.rows == 280
    fractions = [u.dead_fraction for u in units.layers]
    assert fractions == [0.0, 0.25, 0.75, 0.875, 0.375, 0.75]
    assert units.dead == (3, 4, 6) and units.saturated == ()
    d = history[-1]
    batch = [x.dead_fraction for x in d.layers[:-1]]
    assert all(
        b is not None and f is not None and b >= f for b, f in zip(batch, fractions, strict=True)
    ), "a unit dead on the whole set is inactive on every sample of the batch too"
    assert d.vanishing == [], "the drop of ρ is the dead units' doing, not a trend"
    msg = d.message(units)
    assert msg["dead"] == [3, 4, 6] and msg["saturated"] == []
    (advice,) = msg["advice"]
    assert advice["code"] == "dead" and advice["fixes"] == ["leaky_relu", "lower_learning_rate"]
    assert advice["text"].startswith("75 %, 88 % and 75 % of layers 3, 4 and 6's ReLU units")


def test_whole_set_judgement_differs_from_one_batch() -> None:
    trainer = Trainer(
        TrainConfig(dataset="circle", hidden=DEEP, activation="relu", init="he", learning_rate=0.1)
    )
    d = _train(trainer, 30)[-1]
    units = _whole_set(trainer)
    assert d.layers[3].dead_fraction == 0.375, "3 of 8 units of layer 4 idle on these 10 samples"
    assert units.layers[3].dead_fraction == 0.25, "2 of 8 on all 280"


def test_chunked_activity_equals_one_pass() -> None:
    trainer = Trainer(
        TrainConfig(dataset="spiral", hidden=(8, 8), activation="tanh", learning_rate=3.0)
    )
    _train(trainer, 50)
    X = trainer.data.X_train
    whole = diag.unit_health(trainer.W, trainer.b, X, "tanh")
    activity = diag.UnitActivity("tanh", [8, 8])
    for start in range(0, len(X), 7):
        Z, _, A_f = forward(trainer.W, trainer.b, X[start : start + 7], ACTIVATIONS["tanh"])
        activity.add(Z, A_f)
    assert activity.result() == whole


@pytest.mark.parametrize(
    ("activation", "kind"), [("tanh", "saturated"), ("sigmoid", "saturated"), ("relu", "dead")]
)
def test_saturated_and_dead_units(activation: str, kind: str) -> None:
    trainer = Trainer(TrainConfig(dataset="circle", hidden=(8, 8), activation=activation))
    b = list(trainer.b)
    # z ≈ ±50 on every sample: tanh / sigmoid saturated (f′ ≈ 1e-22), ReLU never positive.
    b[1] = np.full(8, -50.0 if kind == "dead" else 50.0)
    b[1][:3] = 0.0  # 3 of the 8 units untouched
    units = diag.unit_health(trainer.W, b, trainer.data.X_train, activation)
    assert [u.inactive_fraction for u in units.layers] == [0.0, 0.625]
    flagged = units.dead if kind == "dead" else units.saturated
    assert flagged == (2,)
    (advice,) = units.advice
    assert advice.code == kind and advice.layers == (2,)
    assert advice.text.startswith(f"62 % of layer 2's {'ReLU' if kind == 'dead' else activation}")


def test_leaky_relu_units_are_never_called_dead() -> None:
    trainer = Trainer(TrainConfig(dataset="circle", hidden=(8, 8), activation="leaky_relu"))
    b = [trainer.b[0], np.full(8, -100.0), trainer.b[2]]
    units = diag.unit_health(trainer.W, b, trainer.data.X_train, "leaky_relu")
    assert units.dead == () and units.saturated == (2,), "slope 0.01 < 2 % of the peak"
    (advice,) = units.advice
    assert "leaky_relu" not in advice.fixes


def test_linear_units_cannot_die() -> None:
    trainer = Trainer(TrainConfig(dataset="circle", activation="linear"))
    d = trainer.train_step().diagnostics
    assert [x.dead_fraction for x in d.layers] == [None, None, None]
    assert [x.fprime_mean for x in d.layers] == [1.0, 1.0, None]
    assert _whole_set(trainer).layers == ()


def test_measurements_match_their_definitions() -> None:
    trainer = Trainer(TrainConfig(dataset="xor", hidden=(8, 8, 8), activation="sigmoid"))
    rec = trainer.train_step()
    d = rec.diagnostics
    for x, r in zip(d.layers, rec.layers, strict=True):
        assert x.dz_rms == pytest.approx(math.sqrt(np.mean(r.dZ**2)))
        assert x.grad_norm == pytest.approx(np.linalg.norm(r.dW))
        assert x.update_ratio == pytest.approx(np.linalg.norm(r.update_W) / np.linalg.norm(r.W))
        if r.layer < 4:
            s = 1.0 / (1.0 + np.exp(-r.Z))
            assert x.fprime_mean == pytest.approx(np.mean(s * (1 - s)))
    assert d.signal_ratio == pytest.approx(d.layers[0].dz_rms / d.layers[2].dz_rms)


def test_shallow_nets_have_no_depth_flags() -> None:
    # Depth flags need three hidden layers (DEPTH_STEPS = 2 steps below the last hidden one).
    for hidden in [(8,), (8, 8)]:
        trainer = Trainer(TrainConfig(dataset="circle", hidden=hidden, activation="sigmoid"))
        d = trainer.train_step().diagnostics
        assert d.vanishing == [] and d.exploding == []


def test_message_keeps_the_old_fields_and_is_json() -> None:
    trainer = Trainer(
        TrainConfig(dataset="circle", hidden=DEEP, activation="sigmoid", learning_rate=0.1)
    )
    d = _train(trainer, 2)[-1]
    msg = d.message(_whole_set(trainer))
    json.dumps(msg, allow_nan=False)
    assert set(msg) == {
        "layers",
        "signal_ratio",
        "vanishing",
        "exploding",
        "dead",
        "saturated",
        "units",
        "advice",
    }
    assert set(msg["layers"][0]) == {
        "layer",
        "grad_norm",
        "weight_norm",
        "update_ratio",
        "dead_fraction",
        "dz_rms",
        "fprime_mean",
    }
    assert set(msg["units"]) == {"step", "rows", "layers"} and msg["units"]["step"] == 2
    assert set(msg["units"]["layers"][0]) == {"layer", "dead_fraction", "saturated_fraction"}
    assert set(msg["advice"][0]) == {"code", "layers", "fixes", "text"}
    assert d.message()["units"] is None and d.message()["dead"] == []


def test_non_finite_values_become_null_without_warnings() -> None:
    trainer = Trainer(TrainConfig(dataset="plane", activation="linear", learning_rate=0.1))
    last = None
    with pytest.raises(Diverged):
        for _ in range(100):
            last = trainer.train_step().diagnostics
    assert last is not None
    msg = last.message()
    json.dumps(msg, allow_nan=False)
    assert msg["exploding"] == [1, 2, 3]


def test_a_drop_through_inactive_units_is_not_called_vanishing() -> None:
    # ReLU + He on xor, one step at learning rate 1: 7 of the 8 units of layer 6 are inactive
    # on every sample of the next batch (5 of 8 on the whole set: dead). ρ¹/ρ⁶ = 9.2e-5, but
    # the cause is the inactive units, so the flag is `dead`, not `vanishing`.
    trainer = Trainer(
        TrainConfig(dataset="xor", hidden=DEEP, activation="relu", init="he", learning_rate=0.1)
    )
    trainer.update_hyper(learning_rate=1.0)
    trainer.train_step()
    trainer.update_hyper(learning_rate=0.1)
    d = trainer.train_step().diagnostics
    assert d.signal_ratio is not None and d.signal_ratio < diag.VANISHING_RATIO / 100
    assert d.layers[5].dead_fraction == 0.875
    assert d.vanishing == []
    units = _whole_set(trainer)
    assert units.dead == (6,) and units.layers[5].dead_fraction == 0.625
    assert _codes(d, units) == ["dead"]


def test_one_large_drop_between_two_layers_is_not_a_trend() -> None:
    # The default 2-4-2-1 net with leaky ReLU on plane learns normally; on 13 of its first 300
    # steps ρ¹ < ρ²/100 (a single layer-to-layer step), which DEPTH_STEPS = 2 does not flag.
    trainer = Trainer(TrainConfig(dataset="plane", activation="leaky_relu"))
    history = _train(trainer, 300)
    assert sum(h.dz_rms[0] < diag.VANISHING_RATIO * h.dz_rms[1] for h in history) == 13
    assert all(h.vanishing == [] and h.exploding == [] for h in history)
