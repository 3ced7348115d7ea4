"""The check evaluator on hand-made run views: each kind's edge cases, without training."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from app.engine import TrainConfig, Trainer
from app.experiments.checks import (
    MetricsPoint,
    RunView,
    evaluate,
    loss_trend,
    validate_check,
    view_of,
    whole_set_dead_fraction,
)
from app.experiments.predict import predict_answer


def view(
    step: int = 100,
    losses: Sequence[tuple[int, float]] = (),
    metrics: Sequence[MetricsPoint] = (),
    diverged: bool = False,
    dead: float | None = 0.0,
) -> RunView:
    return RunView(TrainConfig(), step, losses, metrics, None, diverged, lambda layer: dead)


def point(step: int, train: float, test: float, accuracy: float = 0.5) -> MetricsPoint:
    return MetricsPoint(step, train, test, accuracy, accuracy)


def test_malformed_checks_are_rejected() -> None:
    with pytest.raises(ValueError, match="unknown check kind"):
        validate_check({"kind": "nope"})
    with pytest.raises(ValueError, match="missing"):
        validate_check({"kind": "dead_fraction", "layer": 1})
    with pytest.raises(ValueError, match="unknown"):
        validate_check({"kind": "gap_below", "below": 1, "above": 2})
    with pytest.raises(ValueError, match="below and/or above"):
        validate_check({"kind": "grad_ratio", "measure": "dW_norm", "layer": 1, "over": "last"})
    with pytest.raises(ValueError, match="unknown check kind"):
        validate_check({"kind": "all", "checks": [{"kind": "nope"}]})


def test_after_step_holds_a_check_back() -> None:
    check = {"kind": "gap_below", "below": 0.5, "after_step": 200}
    metrics = [point(0, 0.7, 0.7), point(100, 0.5, 0.6)]
    assert not evaluate(check, view(step=100, metrics=metrics)).seen
    assert evaluate(check, view(step=200, metrics=[*metrics, point(200, 0.4, 0.5)])).seen


def test_diverged_or_oscillating() -> None:
    check = {"kind": "diverged_or_oscillating"}
    assert evaluate(check, view(diverged=True)).seen
    falling = [(s, 1.0 / s) for s in range(1, 101)]
    rising = [(s, float(s)) for s in range(1, 101)]
    assert not evaluate(check, view(losses=falling)).seen
    result = evaluate(check, view(losses=rising))
    assert result.seen
    # early = mean of steps 6..10 (window 100 // 20 = 5 ending at the first tenth), end 96..100
    assert result.values["early"] == pytest.approx(8.0)
    assert result.values["end"] == pytest.approx(98.0)
    assert loss_trend([(1, 3.0)] * 10) == (3.0, 3.0)


def test_generalisation_gap_needs_the_test_curve_to_turn_upward() -> None:
    check = {"kind": "generalisation_gap", "at_least": 0.5, "rise": 0.2, "min_before_end": 200}
    still_falling = [point(0, 0.7, 1.5), point(300, 0.1, 0.9)]
    assert not evaluate(check, view(metrics=still_falling)).seen
    turned = [point(0, 0.7, 0.7), point(50, 0.3, 0.4), point(300, 0.01, 0.7)]
    result = evaluate(check, view(metrics=turned))
    assert result.seen and result.values["min_step"] == 50
    assert result.values["rise"] == pytest.approx(0.3)
    too_late = [point(0, 0.7, 0.7), point(250, 0.3, 0.4), point(300, 0.01, 0.7)]
    assert not evaluate(check, view(metrics=too_late)).seen


def test_steps_to_loss_accuracy_dead_fraction_and_all() -> None:
    metrics = [point(0, 0.7, 0.7, 0.5), point(10, 0.4, 0.5, 0.8), point(20, 0.2, 0.3, 0.96)]
    seen = evaluate(
        {"kind": "steps_to_loss", "metric": "train_loss", "at_most": 0.3}, view(metrics=metrics)
    )
    assert seen.seen and seen.values["step"] == 20
    never = {"kind": "steps_to_loss", "metric": "train_loss", "at_most": 0.1}
    assert not evaluate(never, view(metrics=metrics)).seen
    assert evaluate({"kind": "test_accuracy_at_least", "value": 0.95}, view(metrics=metrics)).seen
    assert not evaluate(
        {"kind": "test_accuracy_at_most", "value": 0.75}, view(metrics=metrics)
    ).seen
    assert not evaluate({"kind": "test_accuracy_at_least", "value": 0.5}, view()).seen
    dead = {"kind": "dead_fraction", "layer": 1, "at_least": 0.5}
    assert evaluate(dead, view(dead=0.5)).seen
    assert not evaluate(dead, view(dead=0.25)).seen
    assert not evaluate(dead, view(dead=None)).seen
    both = {"kind": "all", "checks": [dead, {"kind": "step_reached", "step": 1}]}
    assert evaluate(both, view(dead=0.75)).seen
    assert not evaluate(both, view(step=0, dead=0.75)).seen


def test_record_checks_wait_for_a_step() -> None:
    ratio = {"kind": "grad_ratio", "measure": "dZ_rms", "layer": 1, "over": "last", "below": 1}
    assert not evaluate(ratio, view()).seen
    assert not evaluate({"kind": "none_flagged", "flag": "vanishing"}, view()).seen


def test_all_says_each_distinct_reason_once() -> None:
    """The vanishing experiment's card said "take a step first; take a step first"."""
    ratio = {"kind": "grad_ratio", "measure": "dW_norm", "layer": 1, "over": "last", "below": 1}
    flagged = {"kind": "flagged", "flag": "vanishing", "layer": 1}
    both = evaluate({"kind": "all", "checks": [ratio, flagged]}, view())
    assert not both.seen and both.detail == "take a step first"
    reached = {"kind": "step_reached", "step": 500}
    mixed = evaluate({"kind": "all", "checks": [ratio, reached]}, view(step=100))
    assert mixed.detail == "take a step first; step 100"


def test_on_a_real_trainer() -> None:
    trainer = Trainer(TrainConfig(dataset="xor", hidden=(3,), seed=2, learning_rate=0.3))
    assert whole_set_dead_fraction(trainer, 1) == 0.0  # tanh at init: nothing saturated
    with pytest.raises(ValueError, match="not a hidden layer"):
        whole_set_dead_fraction(trainer, 2)
    first = trainer.train_step()
    second = trainer.train_step()
    v = view_of(trainer, [(1, first.loss), (2, second.loss)], [], second)
    ratio = {"kind": "grad_ratio", "measure": "dW_norm", "layer": 1, "over": 2, "above": 0}
    result = evaluate(ratio, v)
    assert result.seen and result.values["step"] == 2
    sign = {"answer_from": {"kind": "weight_delta_sign", "layer": 2, "row": 1, "col": 2}}
    delta = float(second.layers[1].update_W[1, 2])
    assert predict_answer(sign, first, second) == ("up" if delta > 0 else "down")
    loss = {"answer_from": {"kind": "loss_change_sign"}}
    assert predict_answer(loss, first, second) == ("up" if second.loss > first.loss else "down")
    with pytest.raises(ValueError, match="previous step"):
        predict_answer(loss, None, second)
    with pytest.raises(ValueError, match="unknown answer kind"):
        predict_answer({"answer_from": {"kind": "nope"}}, first, second)
