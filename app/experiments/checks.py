"""The checks of the experiment catalogue: has a session shown the effect its lesson is about?

A check is a small JSON object (``{"kind": "grad_ratio", ...}``) stored with each experiment;
``evaluate(check, view)`` decides it on a ``RunView``, the few things a live session can
provide (config, step, batch losses, whole-set metrics, the latest record, whether a step
diverged, and the dead fraction of a hidden layer over the whole training set). It is pure
Python and NumPy: the server builds a ``RunView`` of its session, the tests build one of a
bare ``Trainer`` (``view_of``), and both get the same answer.

``predict_answer`` answers a "predict, then see" question from the real step's numbers.

Every check may carry ``after_step``: it is not seen before the session has made that many
updates (so a gap that is small at step 0 does not count as "regularised").

Kinds (parameters; the value compared):

* ``step_reached`` (``step``): the session made at least ``step`` updates.
* ``grad_ratio`` (``measure``: ``dW_norm`` = ‖dWˡ‖ or ``dZ_rms`` = RMS of dZˡ; ``layer``,
  ``over`` = a layer number or ``"last"``; ``below`` and/or ``above``): the ratio of layer
  ``layer``'s gradient to layer ``over``'s in the latest record.
* ``flagged`` (``flag``: ``vanishing`` | ``exploding``; ``layer``): the latest record's
  diagnostics flag that layer. ``none_flagged`` (``flag``): no layer is flagged.
* ``diverged_or_oscillating`` (``fraction``, default 0.1): a step diverged, or the mean batch
  loss at the end is above the mean batch loss right after the first ``fraction`` of the
  steps run so far (each mean over ``max(1, n // 20)`` steps).
* ``dead_fraction`` (``layer``, ``at_least``): fraction of the hidden layer's units inactive
  on every training sample, with the current weights.
* ``generalisation_gap`` (``at_least``, ``rise``, ``min_before_end``): latest test loss −
  train loss ≥ ``at_least``, and the test-loss curve turned upward: its minimum lies at least
  ``min_before_end`` steps before the latest metrics and is ≥ ``rise`` below the latest value.
* ``gap_below`` (``below``): latest test loss − train loss < ``below``.
* ``steps_to_loss`` (``metric``: ``train_loss`` | ``test_loss``, ``at_most``): the first
  whole-set evaluation with the metric ≤ ``at_most``; its step is in ``values["step"]``.
* ``test_accuracy_at_most`` / ``test_accuracy_at_least`` (``value``): latest test accuracy.
* ``all`` (``checks``: a list): every sub-check is seen.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from app.engine import diagnostics
from app.engine.activations import ACTIVATIONS
from app.engine.config import TrainConfig
from app.engine.network import forward
from app.engine.records import IterationRecord
from app.engine.trainer import Metrics, Trainer

# ── what a session provides ──────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class MetricsPoint:
    """Whole-set metrics (data loss, no regularisation) with the weights at ``step``."""

    step: int
    train_loss: float
    test_loss: float | None
    train_accuracy: float | None
    test_accuracy: float | None

    @classmethod
    def of(cls, step: int, metrics: Metrics) -> MetricsPoint:
        """From the engine's ``Trainer.evaluate()`` result at ``step``."""
        return cls(
            step,
            metrics.train_loss,
            metrics.test_loss,
            metrics.train_accuracy,
            metrics.test_accuracy,
        )


@dataclass(frozen=True)
class RunView:
    """What a check may look at, for the moment a session is at.

    * ``config``: the session's config (live hyperparameters included);
    * ``step``: updates applied so far;
    * ``losses``: ``(step, batch loss)`` of every update up to ``step`` on the current
      branch, oldest first (after ``back``/``seek``, the later ones are not included);
    * ``metrics``: the whole-set evaluations up to ``step``, oldest first, steps increasing
      (the server evaluates after each ``step`` message and each played frame batch);
    * ``record``: the record of the update that produced ``step`` (``None`` at step 0);
    * ``diverged``: a step of this run raised ``Diverged`` (the server's ``diverged`` event);
    * ``dead_fraction(l)``: for hidden layer ``l`` (1-based), the fraction of its units that
      are inactive on every training sample with the current weights (``None`` for linear).
    """

    config: TrainConfig
    step: int
    losses: Sequence[tuple[int, float]]
    metrics: Sequence[MetricsPoint]
    record: IterationRecord | None
    diverged: bool
    dead_fraction: Callable[[int], float | None] = field(repr=False)


def whole_set_dead_fraction(trainer: Trainer, layer: int) -> float | None:
    """Dead fraction of hidden layer ``layer`` (1-based) over the whole training set.

    A ReLU / leaky ReLU unit is dead when ``Zˡ ≤ 0`` on every training sample; a tanh /
    sigmoid unit when it is saturated (``f′`` below 2 % of its peak) on every sample; ``None``
    for linear. Same rule as the per-batch diagnostics, on the forward pass of ``X_train``.
    """
    hidden = len(trainer.W) - 1
    if not 1 <= layer <= hidden:
        raise ValueError(f"layer {layer} is not a hidden layer (1..{hidden})")
    act = trainer.config.activation
    Zs, _, A_fs = forward(trainer.W, trainer.b, trainer.data.X_train, ACTIVATIONS[act])
    return diagnostics.dead_fraction(act, Zs[layer - 1], A_fs[layer - 1])


def view_of(
    trainer: Trainer,
    losses: Sequence[tuple[int, float]],
    metrics: Sequence[MetricsPoint],
    record: IterationRecord | None,
    diverged: bool = False,
) -> RunView:
    """A ``RunView`` of a bare trainer (its dead fractions use the trainer's weights at call)."""
    return RunView(
        config=trainer.config,
        step=trainer.step,
        losses=losses,
        metrics=metrics,
        record=record,
        diverged=diverged,
        dead_fraction=lambda layer: whole_set_dead_fraction(trainer, layer),
    )


# ── results ──────────────────────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class CheckResult:
    """``seen``: the effect has been shown; ``detail``: one line for the card; ``values``:
    the measured numbers (JSON-ready floats / ints / bools / None)."""

    seen: bool
    detail: str
    values: dict[str, Any] = field(default_factory=dict)


KINDS: Mapping[str, tuple[str, ...]] = {
    "step_reached": ("step",),
    "grad_ratio": ("measure", "layer", "over"),
    "flagged": ("flag", "layer"),
    "none_flagged": ("flag",),
    "diverged_or_oscillating": (),
    "dead_fraction": ("layer", "at_least"),
    "generalisation_gap": ("at_least", "rise", "min_before_end"),
    "gap_below": ("below",),
    "steps_to_loss": ("metric", "at_most"),
    "test_accuracy_at_most": ("value",),
    "test_accuracy_at_least": ("value",),
    "all": ("checks",),
}
"""Every check kind with its required parameters."""

OPTIONAL: Mapping[str, tuple[str, ...]] = {
    "grad_ratio": ("below", "above"),
    "diverged_or_oscillating": ("fraction",),
}


def validate_check(check: Mapping[str, Any]) -> None:
    """Raise ``ValueError`` when ``check`` has an unknown kind or wrong parameters."""
    kind = check.get("kind")
    if not isinstance(kind, str) or kind not in KINDS:
        raise ValueError(f"unknown check kind {kind!r}; one of {', '.join(KINDS)}")
    required = KINDS[kind]
    allowed = {"kind", "after_step", *required, *OPTIONAL.get(kind, ())}
    missing = [k for k in required if k not in check]
    extra = [k for k in check if k not in allowed]
    if missing or extra:
        raise ValueError(f"{kind}: missing {missing}, unknown {extra}")
    if kind == "grad_ratio":
        if check["measure"] not in ("dW_norm", "dZ_rms"):
            raise ValueError("grad_ratio: measure must be dW_norm or dZ_rms")
        if "below" not in check and "above" not in check:
            raise ValueError("grad_ratio: needs below and/or above")
    if kind in ("flagged", "none_flagged") and check["flag"] not in ("vanishing", "exploding"):
        raise ValueError(f"{kind}: flag must be vanishing or exploding")
    if kind == "steps_to_loss" and check["metric"] not in ("train_loss", "test_loss"):
        raise ValueError("steps_to_loss: metric must be train_loss or test_loss")
    if kind == "all":
        for sub in check["checks"]:
            validate_check(sub)


def evaluate(check: Mapping[str, Any], view: RunView) -> CheckResult:
    """Decide ``check`` on ``view`` (``ValueError`` for a malformed check)."""
    validate_check(check)
    after = int(check.get("after_step", 0))
    if view.step < after:
        return CheckResult(False, f"run at least {after} steps (now {view.step})", {})
    result: CheckResult = _EVALUATORS[check["kind"]](check, view)
    return result


# ── the kinds ────────────────────────────────────────────────────────────────────────────


def _rms(a: np.ndarray[Any, Any]) -> float:
    return math.sqrt(float(np.mean(np.square(a)))) if a.size else 0.0


def gradient_size(record: IterationRecord, layer: int, measure: str) -> float:
    """‖dWˡ‖ (``dW_norm``, Frobenius, regularisation included) or the RMS of dZˡ over the
    batch (``dZ_rms``) of layer ``layer`` (1-based) in ``record``."""
    r = record.layers[layer - 1]
    if measure == "dW_norm":
        return float(np.linalg.norm(r.dW))
    return _rms(r.dZ)


def _layer(spec: int | str, record: IterationRecord) -> int:
    return len(record.layers) if spec == "last" else int(spec)


def _grad_ratio(check: Mapping[str, Any], view: RunView) -> CheckResult:
    rec = view.record
    if rec is None:
        return CheckResult(False, "take a step first", {})
    top, bottom = _layer(check["layer"], rec), _layer(check["over"], rec)
    num = gradient_size(rec, top, check["measure"])
    den = gradient_size(rec, bottom, check["measure"])
    ratio = num / den if den > 0.0 else math.inf
    ok = True
    if "below" in check:
        ok = ok and ratio < float(check["below"])
    if "above" in check:
        ok = ok and ratio > float(check["above"])
    name = "‖dW‖" if check["measure"] == "dW_norm" else "RMS(dZ)"
    detail = f"{name} of layer {top} / layer {bottom} = {ratio:.3g} at step {rec.step}"
    values = {"ratio": ratio, "numerator": num, "denominator": den, "step": rec.step}
    return CheckResult(ok, detail, values)


def _flags(view: RunView, flag: str) -> list[int] | None:
    if view.record is None:
        return None
    return [d.layer for d in view.record.diagnostics.layers if getattr(d, flag)]


def _flagged(check: Mapping[str, Any], view: RunView) -> CheckResult:
    layers = _flags(view, check["flag"])
    if layers is None:
        return CheckResult(False, "take a step first", {})
    ok = int(check["layer"]) in layers
    return CheckResult(ok, f"{check['flag']} layers: {layers}", {"layers": layers})


def _none_flagged(check: Mapping[str, Any], view: RunView) -> CheckResult:
    layers = _flags(view, check["flag"])
    if layers is None:
        return CheckResult(False, "take a step first", {})
    return CheckResult(not layers, f"{check['flag']} layers: {layers}", {"layers": layers})


def loss_trend(losses: Sequence[tuple[int, float]], fraction: float = 0.1) -> tuple[float, float]:
    """``(early, end)``: the mean batch loss right after the first ``fraction`` of the steps
    and over the last steps, each over a window of ``max(1, n // 20)`` steps."""
    values = [v for _, v in losses]
    n = len(values)
    w = max(1, n // 20)
    cut = max(w, math.ceil(n * fraction))
    return float(np.mean(values[cut - w : cut])), float(np.mean(values[n - w :]))


def _diverged_or_oscillating(check: Mapping[str, Any], view: RunView) -> CheckResult:
    if view.diverged:
        return CheckResult(True, "training diverged", {"diverged": True})
    if len(view.losses) < 10:
        return CheckResult(False, "run at least 10 steps", {"diverged": False})
    early, end = loss_trend(view.losses, float(check.get("fraction", 0.1)))
    ok = end > early
    detail = f"loss after the first tenth {early:.3g}, at the end {end:.3g}"
    return CheckResult(ok, detail, {"diverged": False, "early": early, "end": end})


def _dead_fraction(check: Mapping[str, Any], view: RunView) -> CheckResult:
    layer = int(check["layer"])
    fraction = view.dead_fraction(layer)
    if fraction is None:
        return CheckResult(False, f"layer {layer} cannot die (linear)", {"fraction": None})
    ok = fraction >= float(check["at_least"])
    detail = f"{fraction:.0%} of layer {layer}'s units inactive on every training sample"
    return CheckResult(ok, detail, {"fraction": fraction})


def _latest_gap(view: RunView) -> tuple[MetricsPoint, float] | None:
    if not view.metrics:
        return None
    last = view.metrics[-1]
    if last.test_loss is None:
        return None
    return last, last.test_loss - last.train_loss


def _generalisation_gap(check: Mapping[str, Any], view: RunView) -> CheckResult:
    latest = _latest_gap(view)
    if latest is None:
        return CheckResult(False, "no whole-set test metrics yet", {})
    last, gap = latest
    tests = [(m.step, m.test_loss) for m in view.metrics if m.test_loss is not None]
    min_step, min_loss = min(tests, key=lambda t: t[1])
    assert last.test_loss is not None
    rise = last.test_loss - min_loss
    turned = (last.step - min_step >= int(check["min_before_end"])) and rise >= float(check["rise"])
    ok = gap >= float(check["at_least"]) and turned
    detail = (
        f"test − train loss = {gap:.3g}; test loss lowest ({min_loss:.3g}) at step {min_step}, "
        f"{rise:.3g} higher at step {last.step}"
    )
    values = {"gap": gap, "min_test_loss": min_loss, "min_step": min_step, "rise": rise}
    return CheckResult(ok, detail, values)


def _gap_below(check: Mapping[str, Any], view: RunView) -> CheckResult:
    latest = _latest_gap(view)
    if latest is None:
        return CheckResult(False, "no whole-set test metrics yet", {})
    last, gap = latest
    ok = gap < float(check["below"])
    return CheckResult(ok, f"test − train loss = {gap:.3g} at step {last.step}", {"gap": gap})


def _steps_to_loss(check: Mapping[str, Any], view: RunView) -> CheckResult:
    metric, target = check["metric"], float(check["at_most"])
    for m in view.metrics:
        value = getattr(m, metric)
        if value is not None and value <= target:
            detail = f"{metric} reached {value:.3g} ≤ {target:g} at step {m.step}"
            return CheckResult(True, detail, {"step": m.step, "value": value})
    return CheckResult(False, f"{metric} not yet ≤ {target:g}", {"step": None})


def _test_accuracy(check: Mapping[str, Any], view: RunView) -> CheckResult:
    if not view.metrics or view.metrics[-1].test_accuracy is None:
        return CheckResult(False, "no whole-set test accuracy yet", {})
    last = view.metrics[-1]
    accuracy = last.test_accuracy
    assert accuracy is not None
    bound = float(check["value"])
    at_most = check["kind"] == "test_accuracy_at_most"
    ok = accuracy <= bound if at_most else accuracy >= bound
    detail = f"test accuracy {accuracy:.1%} at step {last.step}"
    return CheckResult(ok, detail, {"accuracy": accuracy, "step": last.step})


def _step_reached(check: Mapping[str, Any], view: RunView) -> CheckResult:
    ok = view.step >= int(check["step"])
    return CheckResult(ok, f"step {view.step}", {"step": view.step})


def _all(check: Mapping[str, Any], view: RunView) -> CheckResult:
    results = [evaluate(sub, view) for sub in check["checks"]]
    ok = all(r.seen for r in results)
    values = {f"{i}": r.values for i, r in enumerate(results)}
    # Each distinct detail once: before the first step every part says "take a step first".
    details = list(dict.fromkeys(r.detail for r in results))
    return CheckResult(ok, "; ".join(details), values)


_EVALUATORS: Mapping[str, Callable[[Mapping[str, Any], RunView], CheckResult]] = {
    "step_reached": _step_reached,
    "grad_ratio": _grad_ratio,
    "flagged": _flagged,
    "none_flagged": _none_flagged,
    "diverged_or_oscillating": _diverged_or_oscillating,
    "dead_fraction": _dead_fraction,
    "generalisation_gap": _generalisation_gap,
    "gap_below": _gap_below,
    "steps_to_loss": _steps_to_loss,
    "test_accuracy_at_most": _test_accuracy,
    "test_accuracy_at_least": _test_accuracy,
    "all": _all,
}
