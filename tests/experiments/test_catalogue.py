"""Every experiment of the catalogue, run on the engine from its config for its steps: its
``check`` holds and the numeric claim of issue 12 (and of its explanation) is measured.

Each run is ``Trainer(TrainConfig(**config))``, ``train_step()`` × steps, with whole-set
metrics every ``EVAL_EVERY`` = 10 updates (``runner.py``). Runs are cached per module: the
tests of this folder take about 5 s of CPU (measured: 10.9 s user for the whole pytest process,
of which about 5.7 s is pytest's start-up and collection); digits, 300 steps with metrics on
1,797 images, is the slowest run at about 0.6 s of CPU.
"""

from __future__ import annotations

import json
import math
import re
from functools import cache
from typing import Any

import numpy as np
import pytest

from app.engine import TrainConfig, Trainer
from app.engine.options import OPTIONS, RANGES
from app.experiments import CATALOGUE_PATH, experiment, load_catalogue
from app.experiments.checks import (
    KINDS,
    evaluate,
    gradient_size,
    validate_check,
)
from app.experiments.predict import PREDICT_KINDS, predict_answer
from app.limits import Limits
from tests.experiments.runner import Run, phases_per_iteration, run_experiment

# The claims of issue 12, as bounds.
VANISHING_MAX_RATIO = 1 / 100  # ‖dW¹‖ / ‖dWᴸ‖ of the sigmoid net; measured 2.9e-4
FIXED_MIN_RATIO = 1 / 10  # the same for ReLU + He; measured 4.4
DEAD_MIN_FRACTION = 0.5  # dead units of layer 1 on the training set; measured 0.875
OVERFIT_MIN_GAP = 0.5  # test − train loss at the end; measured 0.72
OVERFIT_MIN_RISE = 0.2  # test loss at the end above its minimum; measured 0.35
OVERFIT_MIN_BEFORE_END = 200  # steps between the test-loss minimum and the end; measured 450
OPTIMIZER_TARGET = 0.3  # whole-set training loss; SGD 880, momentum 130, Adam 90 steps
LINEAR_MAX_ACCURACY = 0.75  # measured 0.483
TANH_MIN_ACCURACY = 0.95  # measured 0.967
FEATURES_MIN_ACCURACY = 0.95  # measured 0.983
DIGITS_MIN_ACCURACY = 0.9  # measured 0.959

REQUIRED_IDS = (
    "first-backprop",
    "vanishing",
    "vanishing-fixed",
    "lr-too-high",
    "dead-relu",
    "overfitting",
    "regularisation",
    "optimizers-sgd",
    "optimizers-momentum",
    "optimizers-adam",
    "linear-xor",
    "linear-xor-tanh",
    "features",
    "digits",
)
REQUIRED_KEYS = ("id", "title", "question", "config", "steps", "watch", "explanation", "check")
OPTIONAL_KEYS = ("unit", "next", "predict", "walk")
CONFIG_KEYS = (
    "dataset",
    "samples",
    "noise",
    "test_fraction",
    "data_seed",
    "features",
    "hidden",
    "activation",
    "init",
    "optimizer",
    "momentum",
    "learning_rate",
    "batch_size",
    "l1",
    "l2",
    "dropout",
    "seed",
)
VIEWS = ("gradient-flow", "loss-chart", "decision-boundary", "inspector", "weights")
UNITS = ("phase", "iteration", "epoch")

CATALOGUE = load_catalogue()
IDS = [e["id"] for e in CATALOGUE]


@cache
def run(experiment_id: str) -> Run:
    """The experiment run once per test session (runs are deterministic)."""
    return run_experiment(experiment(experiment_id))


def config_without(entry_id: str, *keys: str) -> dict[str, Any]:
    return {k: v for k, v in experiment(entry_id)["config"].items() if k not in keys}


def latest(entry_id: str) -> Any:
    return run(entry_id).view.metrics[-1]


# ── the file ─────────────────────────────────────────────────────────────────────────────


def test_catalogue_is_valid_json_with_the_required_entries() -> None:
    data = json.loads(CATALOGUE_PATH.read_text(encoding="utf-8"))
    assert isinstance(data, list)
    assert len(IDS) == len(set(IDS)), "ids must be unique"
    assert set(REQUIRED_IDS) <= set(IDS)
    for entry in data:
        assert set(REQUIRED_KEYS) <= set(entry), entry["id"]
        assert set(entry) <= {*REQUIRED_KEYS, *OPTIONAL_KEYS}, entry["id"]
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", entry["id"])
        assert "\n" not in entry["question"] and entry["question"].endswith("?")
        assert isinstance(entry["steps"], int) and entry["steps"] >= 1
        assert entry.get("unit", "iteration") in UNITS
        assert entry["watch"]["view"] in VIEWS
        assert entry["watch"]["detail"]
        # 3 to 6 sentences: a sentence ends with ". " / "? " / ": " is not an end.
        sentences = re.split(r"(?<=[.?!])\s+(?=[A-Z(])", entry["explanation"].strip())
        assert 3 <= len(sentences) <= 6, (entry["id"], len(sentences))
        validate_check(entry["check"])


def test_every_next_points_to_an_existing_entry() -> None:
    for entry in CATALOGUE:
        if "next" in entry:
            assert entry["next"] in IDS, entry["id"]
            assert entry["next"] != entry["id"]


def test_every_config_is_within_the_protocol_ranges() -> None:
    limits = Limits()
    for entry in CATALOGUE:
        config = entry["config"]
        name = entry["id"]
        assert tuple(config) == CONFIG_KEYS, name  # every key, in the protocol's order
        for key in ("dataset", "activation", "init", "optimizer"):
            assert config[key] in OPTIONS[key], (name, key)
        assert config["features"] and set(config["features"]) <= set(OPTIONS["features"])
        for key, allowed in RANGES.items():
            values = config[key] if key == "hidden" else [config[key]]
            assert all(allowed.contains(v) for v in values), (name, key, config[key])
        assert 0.05 <= config["test_fraction"] <= 0.9, name  # protocol: 0.05..0.9
        assert config["samples"] <= limits.max_samples, name
        assert config["batch_size"] <= limits.max_batch_size, name
        assert config["learning_rate"] <= limits.max_learning_rate, name
        assert len(config["hidden"]) <= limits.max_hidden_layers, name
        assert all(h <= limits.max_width for h in config["hidden"]), name
        trainer = Trainer(TrainConfig(**config))
        parameters = sum(w.size + b.size for w, b in zip(trainer.W, trainer.b, strict=True))
        assert parameters <= limits.max_parameters, (name, parameters)


def test_predict_questions_are_well_formed() -> None:
    with_predict = [e for e in CATALOGUE if "predict" in e]
    assert len(with_predict) >= 2
    assert "first-backprop" in {e["id"] for e in with_predict}
    for entry in with_predict:
        predict = entry["predict"]
        assert predict["ask"].endswith("?")
        assert predict["answer_from"]["kind"] in PREDICT_KINDS
        assert predict["before"] in ("forward", "loss", "backward", "update", "iteration")


def test_first_backprop_walks_one_iteration_by_phase() -> None:
    entry = experiment("first-backprop")
    assert entry["unit"] == "phase"
    assert entry["walk"] == {"unit": "phase", "inspect": {"layer": 1, "row": 0, "col": 0}}
    # 2 layers: forward 1, forward 2, loss, backward 2, backward 1, update.
    assert entry["steps"] == phases_per_iteration(entry["config"]) == 6
    assert len(run("first-backprop").records[0].phases()) == entry["steps"]
    assert len(entry["config"]["hidden"]) == 1 and entry["config"]["hidden"][0] in (2, 3)


# ── every check holds after its steps ────────────────────────────────────────────────────


@pytest.mark.parametrize("experiment_id", IDS)
def test_check_holds_after_the_experiment(experiment_id: str) -> None:
    entry = experiment(experiment_id)
    result = evaluate(entry["check"], run(experiment_id).view)
    assert result.seen, (experiment_id, result.detail)


@pytest.mark.parametrize("experiment_id", [e["id"] for e in CATALOGUE if "predict" in e])
def test_predicted_answer_is_one_of_the_choices(experiment_id: str) -> None:
    entry = experiment(experiment_id)
    records = run(experiment_id).records
    before = records[-2] if len(records) > 1 else None
    answer = predict_answer(entry["predict"], before, records[-1])
    assert answer in entry["predict"]["choices"]


def kinds(check: dict[str, Any]) -> set[str]:
    """The kinds a check uses, sub-checks of ``all`` included."""
    out = {check["kind"]}
    for sub in check.get("checks", []):
        out |= kinds(sub)
    return out


METRIC_KINDS = {
    "generalisation_gap",
    "gap_below",
    "steps_to_loss",
    "test_accuracy_at_most",
    "test_accuracy_at_least",
}
METRIC_CHECKS = [e["id"] for e in CATALOGUE if kinds(e["check"]) & METRIC_KINDS]


@pytest.mark.parametrize("experiment_id", METRIC_CHECKS)
def test_check_holds_with_metrics_every_50_steps(experiment_id: str) -> None:
    """The server evaluates whole-set metrics after step messages and played frame batches:
    the checks still hold when that happens only every 50 updates."""
    entry = experiment(experiment_id)
    result = evaluate(entry["check"], run_experiment(entry, eval_every=50).view)
    assert result.seen, (experiment_id, result.detail)


# ── the claims ───────────────────────────────────────────────────────────────────────────


def test_first_backprop_weight_goes_down_by_the_stated_amount() -> None:
    entry = experiment("first-backprop")
    record = run("first-backprop").records[0]
    assert predict_answer(entry["predict"], None, record) == "down"
    layer = record.layers[0]
    # The explanation's figures: dw = +0.122, η = 0.3, Δw = −0.037, w 0.955 → 0.918.
    assert layer.dW[0, 0] == pytest.approx(0.1224, abs=5e-4)
    assert layer.update_W[0, 0] == pytest.approx(-0.3 * layer.dW[0, 0])
    assert layer.W[0, 0] == pytest.approx(0.955, abs=5e-4)
    assert layer.W_next[0, 0] == pytest.approx(0.918, abs=5e-4)
    # "by step 500 the three tanh units separate XOR (92.5 % test accuracy)"
    later = run_experiment(entry, steps=500).view.metrics[-1]
    assert later.test_accuracy is not None and later.test_accuracy >= 0.9


def test_vanishing_gradient_at_layer_1_is_below_a_hundredth_of_the_last() -> None:
    view = run("vanishing").view
    record = view.record
    assert record is not None
    last = len(record.layers)
    ratio = gradient_size(record, 1, "dW_norm") / gradient_size(record, last, "dW_norm")
    assert ratio < VANISHING_MAX_RATIO  # measured 2.9e-4: 34× below the bound
    assert 2e-4 < ratio < 4e-4  # "3×10⁻⁴"
    rms_ratio = gradient_size(record, 1, "dZ_rms") / gradient_size(record, last, "dZ_rms")
    assert rms_ratio < VANISHING_MAX_RATIO  # measured 2.8e-5
    assert record.diagnostics.layers[0].vanishing
    # "shrinks the RMS of dZ by a factor 4 to 8 per layer (measured at step 1)"
    first = run("vanishing").records[0]
    rms = [gradient_size(first, l, "dZ_rms") for l in range(1, last + 1)]
    factors = [rms[i + 1] / rms[i] for i in range(last - 1)]
    assert all(4.0 <= f <= 8.0 for f in factors), factors
    # "the loss is still 0.69 = ln 2"
    assert latest("vanishing").train_loss == pytest.approx(math.log(2), abs=0.01)
    # predict: the output layer has the largest gradient
    assert predict_answer(experiment("vanishing")["predict"], None, record) == str(last)


def test_vanishing_fixed_ratio_above_a_tenth_and_nothing_flagged() -> None:
    assert config_without("vanishing-fixed", "activation", "init") == config_without(
        "vanishing", "activation", "init"
    )
    record = run("vanishing-fixed").view.record
    assert record is not None
    last = len(record.layers)
    ratio = gradient_size(record, 1, "dW_norm") / gradient_size(record, last, "dW_norm")
    assert ratio > FIXED_MIN_RATIO  # measured 4.4
    assert ratio == pytest.approx(4.4, abs=0.05)  # the explanation's figure
    assert not record.diagnostics.any_vanishing


def test_lr_too_high_diverges_by_overshooting() -> None:
    r = run("lr-too-high")
    entry = experiment("lr-too-high")
    assert r.diverged is not None and r.diverged.step == 150  # "overflows at step 150"
    assert r.diverged.step <= entry["steps"]
    # The curvature: largest eigenvalue of 2·[X 1]ᵀ[X 1]/n on the training set = 24.7.
    X = r.trainer.data.X_train
    Xb = np.column_stack([X, np.ones(len(X))])
    lam = float(np.linalg.eigvalsh(2.0 * Xb.T @ Xb / len(X))[-1])
    assert lam == pytest.approx(24.7, abs=0.05)
    eta = entry["config"]["learning_rate"]
    assert eta * lam > 2.0 and abs(1 - eta * lam) == pytest.approx(11.35, abs=0.05)
    assert 2.0 / lam == pytest.approx(0.08, abs=0.005)
    # W¹₁₁ −7.4, 176, −2,181, … changes sign at almost every step (126 of the first 140).
    w = [float(rec.layers[0].W_next[0, 0]) for rec in r.records]
    assert w[:3] == pytest.approx([-7.4, 176.0, -2181.0], abs=0.5)
    flips = sum(np.sign(a) != np.sign(b) for a, b in zip(w[:140], w[1:141], strict=True))
    assert flips >= 120
    # "the loss grows about 100-fold per step (median ×119)"
    losses = [rec.loss for rec in r.records]
    growth = float(np.median([b / a for a, b in zip(losses, losses[1:], strict=False)]))
    assert 80 <= growth <= 160
    # predict: the loss goes up at the last step (and all but a few)
    rec = r.records
    assert predict_answer(entry["predict"], rec[-2], rec[-1]) == "up"
    # Below 2/λ the same steps converge.
    calm = run_experiment(entry, learning_rate=0.05)
    assert calm.diverged is None and calm.view.metrics[-1].train_loss < 0.05


def test_dead_relu_kills_half_of_the_first_layer_and_leaky_relu_learns() -> None:
    view = run("dead-relu").view
    fraction = view.dead_fraction(1)
    assert fraction is not None and fraction >= DEAD_MIN_FRACTION
    assert fraction == 7 / 8  # "7 of the 8 units"
    assert view.record is not None
    batch_fraction = view.record.diagnostics.layers[0].dead_fraction
    assert batch_fraction is not None and batch_fraction >= DEAD_MIN_FRACTION  # flagged
    relu_accuracy = latest("dead-relu").test_accuracy
    assert relu_accuracy == pytest.approx(0.61, abs=0.01)
    # next: the same with leaky ReLU
    leaky = experiment("dead-relu")["next"]
    assert experiment(leaky)["config"]["activation"] == "leaky_relu"
    assert config_without(leaky, "activation") == config_without("dead-relu", "activation")
    leaky_accuracy = latest(leaky).test_accuracy
    assert leaky_accuracy == pytest.approx(0.925, abs=0.001)
    assert leaky_accuracy - relu_accuracy >= 0.25
    assert run(leaky).view.dead_fraction(1) == 3 / 8  # "three of the 8 units"


def curve_of(experiment_id: str) -> list[tuple[int, float]]:
    """``(step, whole-set test loss)`` of the run."""
    return [
        (m.step, m.test_loss) for m in run(experiment_id).view.metrics if m.test_loss is not None
    ]


def gap(experiment_id: str) -> float:
    """Test loss − train loss at the end of the run."""
    m = latest(experiment_id)
    value: float = m.test_loss - m.train_loss
    return value


def overfitting_gap() -> float:
    return gap("overfitting")


def test_overfitting_gap_and_test_loss_turning_upward() -> None:
    end = latest("overfitting")
    assert end.step == experiment("overfitting")["steps"]
    assert overfitting_gap() >= OVERFIT_MIN_GAP  # measured 0.72
    assert overfitting_gap() == pytest.approx(0.72, abs=0.005)
    assert end.train_loss < 0.002  # "falls to 0.001"
    best_step, best_loss = min(curve_of("overfitting"), key=lambda t: t[1])
    assert best_step == 50 and best_loss == pytest.approx(0.37, abs=0.005)
    assert end.step - best_step >= OVERFIT_MIN_BEFORE_END
    assert end.test_loss - best_loss >= OVERFIT_MIN_RISE
    config = experiment("overfitting")["config"]
    n_train = round(config["samples"] * (1 - config["test_fraction"]))
    assert run("overfitting").trainer.data.n_train == n_train == 20
    trainer = run("overfitting").trainer
    assert trainer.data.n_test == 180
    assert sum(w.size + b.size for w, b in zip(trainer.W, trainer.b, strict=True)) == 1218


def test_regularisation_gap_is_below_half_of_overfittings() -> None:
    assert config_without("regularisation", "l2") == config_without("overfitting", "l2")
    half = overfitting_gap() / 2
    regularised = gap("regularisation")
    assert regularised < half  # measured 0.27 < 0.36
    assert regularised == pytest.approx(0.27, abs=0.005)
    # The catalogue's stated bound is at most half of the measured overfitting gap.
    assert experiment("regularisation")["check"]["below"] <= half
    # "the test loss is even below the unregularised network's best (0.37)"
    best = min(loss for _, loss in curve_of("overfitting"))
    assert latest("regularisation").test_loss < best


def steps_to(experiment_id: str) -> int:
    result = evaluate(experiment(experiment_id)["check"], run(experiment_id).view)
    assert result.seen
    step: int = result.values["step"]
    return step


def test_optimizers_from_the_same_start_reach_the_loss_in_the_claimed_order() -> None:
    ids = ("optimizers-sgd", "optimizers-momentum", "optimizers-adam")
    configs = [config_without(i, "optimizer") for i in ids]
    assert configs[0] == configs[1] == configs[2]
    for i in ids:
        check = experiment(i)["check"]
        assert check["at_most"] == OPTIMIZER_TARGET
    # Same initial weights: the seed and the architecture are the same.
    starts = [run_experiment(experiment(i), steps=0).trainer.W for i in ids]
    for W in starts[1:]:
        assert all(np.array_equal(a, b) for a, b in zip(starts[0], W, strict=True))
    sgd, momentum, adam = (steps_to(i) for i in ids)
    # The explanations' figures, to one evaluation interval (10 steps).
    assert [sgd, momentum, adam] == pytest.approx([880, 130, 90], abs=10)
    assert sgd > momentum > adam  # SGD slowest, Adam fastest
    assert sgd >= 3 * momentum
    assert sgd <= experiment("optimizers-sgd")["steps"]


def test_linear_xor_stays_at_chance_while_tanh_learns_it() -> None:
    assert config_without("linear-xor", "activation") == config_without(
        "linear-xor-tanh", "activation"
    )
    assert experiment("linear-xor")["config"]["activation"] == "linear"
    assert experiment("linear-xor-tanh")["config"]["activation"] == "tanh"
    linear = latest("linear-xor")
    tanh = latest("linear-xor-tanh")
    assert linear.test_accuracy <= LINEAR_MAX_ACCURACY
    assert linear.test_accuracy == pytest.approx(0.48, abs=0.005)
    assert linear.train_loss == pytest.approx(math.log(2), abs=0.01)
    assert tanh.test_accuracy >= TANH_MIN_ACCURACY
    assert tanh.test_accuracy == pytest.approx(0.967, abs=0.001)


def test_features_replace_the_hidden_layer_on_the_circle() -> None:
    config = experiment("features")["config"]
    assert config["dataset"] == "circle"
    assert config["hidden"] == []
    assert config["features"] == ["x1^2", "x2^2"]
    accuracy = latest("features").test_accuracy
    assert accuracy >= FEATURES_MIN_ACCURACY
    assert accuracy == pytest.approx(0.983, abs=0.001)
    # "at 0.1 the noisy rings touch and the same network stops at 95.0 %"
    default_noise = run_experiment(experiment("features"), noise=0.1).view.metrics[-1]
    assert default_noise.test_accuracy == pytest.approx(0.95, abs=0.001)


def test_digits_one_hidden_layer() -> None:
    config = experiment("digits")["config"]
    assert config["dataset"] == "digits" and len(config["hidden"]) == 1
    r = run("digits")
    assert r.trainer.W[0].shape == (16, 64)  # each row an 8×8 picture
    assert r.trainer.data.n_test == 539
    accuracy = latest("digits").test_accuracy
    assert accuracy >= DIGITS_MIN_ACCURACY
    assert accuracy == pytest.approx(0.959, abs=0.001)


def test_check_kinds_used_are_known() -> None:
    used = set().union(*(kinds(e["check"]) for e in CATALOGUE))
    assert used <= set(KINDS)


def test_seeds_are_fixed_and_default_except_where_needed() -> None:
    for entry in CATALOGUE:
        assert entry["config"]["data_seed"] == 1, entry["id"]
        expected = 2 if entry["id"] == "first-backprop" else 1
        assert entry["config"]["seed"] == expected, entry["id"]
    # Why first-backprop uses seed 2: with seed 1 its 3 tanh units stall in a poor minimum
    # (78.3 % test accuracy after 500 steps); seed 2 reaches 92.5 %.
    stalled = run_experiment(experiment("first-backprop"), steps=500, seed=1).view.metrics[-1]
    assert stalled.test_accuracy == pytest.approx(0.783, abs=0.001)
